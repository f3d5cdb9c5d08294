#pragma once
/// @file
/// `TimeRange`: the timestamps `[from, to)` a channel is read between.

#include <cstdint>

namespace tinman {

/// Timestamps from `from` (included) to `to` (excluded), in ns since the epoch.
/// Both bounds must be given (there is no default): `read_channel(name, {}, {})`
/// means the codec and options, never an empty range.
struct TimeRange {
    constexpr TimeRange(std::int64_t from_ns, std::int64_t to_ns) noexcept : from(from_ns), to(to_ns) {}

    std::int64_t from;
    std::int64_t to;
};

}  // namespace tinman
