#pragma once
/// @file
/// How a channel is read: which checksums are verified, what damage raises, and
/// the read-ahead advice for its mapping.

#include <cstddef>
#include <cstdint>

#include "../config.hpp"
#include "../io/read_ahead.hpp"

namespace tinman {

/// How a channel is read.
struct ReadOptions {
    /// Payloads up to this size are checksum-verified as they are read; larger
    /// ones are not (their pages are not even touched unless the caller reads them).
    std::size_t verify_max_bytes = default_verify_max_bytes;
    /// Raise `format_error` on a torn or corrupt record instead of stopping quietly before it.
    bool strict = false;
    /// Read-ahead advice, given to the kernel before any page is read: `random`
    /// when touching a few elements of large arrays (only those pages are read
    /// from disk), `sequential` for whole-channel scans.
    ReadAhead access = ReadAhead::normal;

    /// Verifies every payload and raises on any damage.
    [[nodiscard]] static ReadOptions strict_mode() noexcept { return {SIZE_MAX, true}; }
};

}  // namespace tinman
