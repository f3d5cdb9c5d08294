#pragma once
/// @file
/// What reading a channel file yields: intact records, and where and why a scan stopped.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace tinman {

/// One intact record of a channel file.
struct RecordView {
    std::int64_t timestamp = 0;
    std::span<const std::byte> payload;
    std::uint64_t index = 0;   ///< data record number, from 0
    std::uint64_t offset = 0;  ///< file offset of the record header
};

/// Why a scan stopped.
enum class ScanStop {
    none,     ///< not stopped yet
    end,      ///< every byte was an intact record: the file is clean
    torn,     ///< the last record is incomplete (a writer was interrupted or is still writing)
    corrupt,  ///< a checksum or field is wrong
};

/// Where a scan stands: records seen, where the intact part ends and what follows it.
struct ScanStatus {
    std::uint64_t records = 0;        ///< intact data records yielded so far
    std::uint64_t intact_end = 0;     ///< file offset just past the last intact record
    std::uint64_t skipped_bytes = 0;  ///< bytes after `intact_end` that were not yielded
    ScanStop stop = ScanStop::none;
    std::string reason;               ///< for torn/corrupt: what is wrong, with its offset

    /// True once the scan reached the end of the file with nothing skipped.
    [[nodiscard]] bool clean() const noexcept { return stop == ScanStop::end; }
};

}  // namespace tinman
