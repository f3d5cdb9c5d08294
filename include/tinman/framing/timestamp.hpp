#pragma once
/// @file
/// Record timestamps: nanoseconds since the Unix epoch, as `int64`.

#include <chrono>
#include <cstdint>

namespace tinman {

/// Nanoseconds since the Unix epoch by `std::chrono::system_clock`: the default record timestamp.
[[nodiscard]] inline std::int64_t now_ns() noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace tinman
