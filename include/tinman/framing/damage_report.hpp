#pragma once
/// @file
/// A full check of a channel file: every checksum, large payloads included, and
/// every damaged region (a scan stops at the first damage; this one resumes at
/// the next intact record and goes on).

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "record_scanner.hpp"

namespace tinman {

/// Bytes [offset, end) of a channel file that hold no intact record.
struct DamagedRegion {
    std::uint64_t offset = 0;
    std::uint64_t end = 0;
    ScanStop kind = ScanStop::corrupt;  ///< torn (cut short) or corrupt
    std::string reason;                 ///< what is wrong at `offset`
};

/// What a full check of a channel file found.
struct DamageReport {
    std::uint64_t records = 0;     ///< intact records, also those after damage
    /// Intact records before the first damage: those every reader yields (a reader
    /// stops at damage), and the count `tinman info` shows.
    std::uint64_t intact_prefix = 0;
    std::uint64_t file_bytes = 0;
    std::vector<DamagedRegion> damage;
    /// A writer had the channel open during the check: damage only at the tail is
    /// then the record being written (`in_progress()`), not a fault.
    bool being_written = false;
    /// Bytes hashed by the check: about the file's size once, plus at most a few
    /// blocks per record and per candidate tried inside damage (see `RangeCrc`).
    std::uint64_t checked_bytes = 0;

    [[nodiscard]] bool clean() const noexcept { return damage.empty(); }
    /// Damage only at the end of the file, which opening the channel with
    /// `OpenMode::append` (or `recover_channel`) cuts without losing intact records.
    [[nodiscard]] bool tail_only() const noexcept { return damage.size() == 1 && damage[0].end == file_bytes; }
    /// Clean, or ending in what a live writer is still writing.
    [[nodiscard]] bool in_progress() const noexcept { return being_written && (clean() || tail_only()); }
};

/// Checks every record of the channel file image `file` (mapped from offset 0)
/// from `records_offset` on, verifying every payload. `progress(offset)` is
/// called as the check advances (for a progress display).
template <class Progress>
[[nodiscard]] DamageReport find_damage(std::span<const std::byte> file, std::uint64_t records_offset,
                                       Progress&& progress) {
    DamageReport report;
    report.file_bytes = file.size();
    // Hashed once; every payload, and every candidate record tried past damage, is then
    // checked in O(block) however far it claims to reach, so the check stays linear even
    // in a file where every 32 bytes look like a record header.
    RangeCrc crcs(file, progress);
    for (std::uint64_t start = records_offset;;) {
        RecordScanner scanner(file, start, SIZE_MAX);
        scanner.verify_with(crcs);
        while (auto r = scanner.next()) progress(r->offset);
        const auto& status = scanner.status();
        progress(status.intact_end);
        report.records += status.records;
        if (report.damage.empty()) report.intact_prefix = status.records;
        if (status.clean()) break;
        const auto next = find_next_record(file, status.intact_end, &crcs);
        report.damage.push_back({status.intact_end, next ? *next : file.size(), status.stop, status.reason});
        if (!next) break;
        start = *next;
    }
    report.checked_bytes = crcs.hashed_bytes();
    return report;
}

[[nodiscard]] inline DamageReport find_damage(std::span<const std::byte> file, std::uint64_t records_offset) {
    return find_damage(file, records_offset, [](std::uint64_t) {});
}

}  // namespace tinman
