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
    /// Verifies every checksum, large payloads included, of the records a read rests
    /// on, so that no read yields a record at or past damage, at the cost of reading
    /// that part of the file once. An `IndexedChannel` verifies the whole channel when
    /// it is made: its `size()` is then the intact prefix, the count `tinman verify`
    /// and `tinman info` give, and no index lookup or `seek` reaches past it. A
    /// `ChannelReader` verifies each record whole before yielding it, and a time range
    /// also verifies the records before its start (it scans from the first record
    /// instead of seeking), so damage before the range ends the read. By default each
    /// record is checked when read (payloads up to `verify_max_bytes`), which keeps
    /// opening and seeking O(1) and O(log n): a read then stops at damage it meets,
    /// but a time range starting past undiscovered damage yields its records.
    bool verify_all = false;

    /// The largest payload a read verifies (all of them under `verify_all`).
    [[nodiscard]] std::size_t payload_verify_max() const noexcept { return verify_all ? SIZE_MAX : verify_max_bytes; }

    /// Verifies every payload and raises on any damage.
    [[nodiscard]] static ReadOptions strict_mode() noexcept { return {SIZE_MAX, true}; }
};

}  // namespace tinman
