#pragma once
/// @file
/// `TimeIndex` gives readers record `i` of a channel in O(1) and `seek(t)` in
/// O(log n), from the channel's index file where that proves valid, trusting no
/// entry that its checksum and the record it points to do not confirm, and
/// rebuilding the index in memory by one scan when the file is missing or stale.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "../config.hpp"
#include "../detail/posix.hpp"
#include "../framing/file_header.hpp"
#include "../framing/record_scanner.hpp"
#include "../io/mapped_segment.hpp"
#include "checked_maxima.hpp"
#include "index_format.hpp"
#include "scanned_entries.hpp"
#include "uniform_claim.hpp"

namespace tinman {

namespace detail {

/// Checks record `number` against `e` in the channel file image `file` (mapped
/// from offset 0): the header at `e.offset` must be intact and carry the entry's
/// timestamp and checksum, its payload must lie in the file, and payloads of at
/// most `verify_max` bytes must match their checksum.
[[nodiscard]] inline std::optional<RecordView> record_at(std::span<const std::byte> file, std::uint64_t records_offset,
                                                         const format::IndexEntry& e, std::uint64_t number,
                                                         std::size_t verify_max) noexcept {
    if (e.offset < records_offset || e.max_timestamp < e.timestamp) return std::nullopt;
    const auto r = format::check_record(file, e.offset, verify_max);
    if (r.check != format::RecordCheck::intact || r.header.timestamp != e.timestamp || r.header.flags != 0 ||
        format::stored_record_crc(file.data() + e.offset) != e.record_crc)
        return std::nullopt;
    return RecordView{e.timestamp, r.payload, number, e.offset};
}

}  // namespace detail

/// Where each record of a channel file is and when it was written: record `i`
/// in O(1), `seek(t)` in O(log n). Served from the channel's index file when
/// that proves valid (its header matches the channel file, and its last entry
/// matches the record it points to); records past the last indexed one are
/// found by scanning from there. Every entry is checked again when used (its
/// checksum, and the record header at its offset); if one does not match, or
/// the index file is missing or malformed, the whole index is rebuilt in memory
/// by one scan of the channel file (held in memory, or in a mapped temporary file
/// when large: see `ScannedEntries`), so results are always those of a scan.
/// Not thread-safe (the rebuild mutates it): one per thread, like `Channel`.
class TimeIndex {
public:
    /// Indexes the channel file mapped whole (from offset 0) in `data`, whose
    /// header is `header`, with the index file at `index_file` if usable.
    TimeIndex(SegmentPtr data, const format::FileHeader& header, const std::filesystem::path& index_file,
              std::size_t verify_max_bytes = default_verify_max_bytes)
        : data_(std::move(data)), records_offset_(header.records_offset), verify_max_(verify_max_bytes) {
        if (data_->offset() != 0) throw usage_error("TimeIndex needs a mapping of the whole channel file");
        open_index_file(index_file);
        scan_tail();
    }

    /// Number of records.
    [[nodiscard]] std::uint64_t size() const noexcept { return file_entries_ + memory_.size(); }
    [[nodiscard]] bool empty() const noexcept { return size() == 0; }

    /// The entry of record `i < size()`, its checksum verified.
    [[nodiscard]] format::IndexEntry entry(std::uint64_t i) {
        if (i < file_entries_) {
            if (auto e = format::decode_index_entry(file_entry_bytes(i), i)) return *e;
            rebuild();
            if (i >= size())
                throw format_error({.path = data_->path(), .record = i}, "damaged or past damage: " + status_.reason);
        }
        check_bounds(i);
        return memory_[static_cast<std::size_t>(i - file_entries_)];
    }

    /// Record `i < size()`, checked against the channel file (header, timestamp,
    /// checksum; small payloads verified). Throws `format_error` if the file
    /// changed under the index in a way a scan does not explain.
    [[nodiscard]] RecordView record(std::uint64_t i) { return record(i, verify_max_); }

    /// `record(i)`, verifying the payload checksum when the payload has at most `verify_max` bytes.
    [[nodiscard]] RecordView record(std::uint64_t i, std::size_t verify_max) {
        const bool from_file = i < file_entries_;
        const auto e = entry(i);
        if (auto r = detail::record_at(data_->bytes(), records_offset_, e, i, verify_max)) return *r;
        if (from_file && file_entries_ != 0) {
            rebuild();
            if (i >= size())
                throw format_error({.path = data_->path(), .record = i}, "damaged or past damage: " + status_.reason);
            return record(i, verify_max);
        }
        throw format_error({.path = data_->path(), .record = i, .offset = e.offset}, "changed after it was indexed");
    }

    /// The number of the first record whose timestamp is >= t (`size()` if none).
    /// Exact even when timestamps go backwards: it is also the first record whose
    /// running maximum is >= t, which is what the binary search looks for.
    [[nodiscard]] std::uint64_t seek(std::int64_t t) {
        // Fast path: search the raw running maxima, then prove the answer with the
        // checksums of the two entries that decide it: entry i-1 (< t) and entry i (>= t).
        // Since authentic running maxima never decrease, that pair fixes the answer.
        check_running_maxima();
        if (const auto i = seek_unchecked(t); answer_holds(i, t)) return i;
        for (;;) {
            const std::uint64_t generation = generation_;
            std::uint64_t lo = 0, hi = size();
            while (lo < hi) {
                const std::uint64_t mid = lo + (hi - lo) / 2;
                const auto e = entry(mid);
                if (generation != generation_) break;
                if (e.max_timestamp < t) lo = mid + 1;
                else hi = mid;
            }
            if (generation == generation_) return lo;
        }
    }

private:
    /// Binary search over the running maxima as stored, checking no checksum.
    [[nodiscard]] std::uint64_t seek_unchecked(std::int64_t t) const noexcept {
        std::uint64_t lo = 0, hi = size();
        while (lo < hi) {
            const std::uint64_t mid = lo + (hi - lo) / 2;
            const std::int64_t max =
                mid < file_entries_ ? format::stored_max_timestamp(file_entry_bytes(mid))
                                    : memory_[static_cast<std::size_t>(mid - file_entries_)].max_timestamp;
            if (max < t) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    /// True when verified entries show that `i` is the first record whose running maximum
    /// is >= t; the records of both entries are checked too (their timestamps are the ones
    /// the answer rests on).
    [[nodiscard]] bool answer_holds(std::uint64_t i, std::int64_t t) {
        const std::uint64_t generation = generation_;
        if (i < size() && (entry(i).max_timestamp < t || !record_matches(i))) return false;
        if (i > 0 && (entry(i - 1).max_timestamp >= t || !record_matches(i - 1))) return false;
        return generation == generation_;
    }

    /// True when record `i` matches its entry (see `detail::record_at`); when an entry
    /// of the index file does not, the index is rebuilt by a scan.
    [[nodiscard]] bool record_matches(std::uint64_t i) {
        const std::uint64_t generation = generation_;
        const auto e = entry(i);
        if (generation != generation_) return false;
        if (detail::record_at(data_->bytes(), records_offset_, e, i, verify_max_)) return true;
        if (i < file_entries_) rebuild();
        return false;
    }

    /// Checks once, before the first seek, that the index file's running maxima are what
    /// its timestamps make them (`max_0 = t_0`, `max_i = max(max_{i-1}, t_i)`); if not, the
    /// index is rebuilt by a scan. A checksum proves that an entry was written as it is,
    /// not that it was computed right, and a wrong maximum would move seek answers. Reads
    /// the index file once (32 bytes per record), never the channel file, and not again
    /// in this process while the file is unchanged (see `CheckedMaxima`).
    void check_running_maxima() {
        if (maxima_checked_) return;
        maxima_checked_ = true;
        if (file_entries_ == 0) return;
        // A check of the entries when the file was opened covers the prefix still in use.
        if (index_id_ && detail::CheckedMaxima::instance().contains(*index_id_)) return;
        // One system call maps the entries in, instead of a page fault per 4 KiB.
        index_->populate(0, format::index_header_size + file_entries_ * format::index_entry_size);
        std::int64_t max = std::numeric_limits<std::int64_t>::min();
        for (std::uint64_t i = 0; i < file_entries_; ++i) {
            const std::byte* e = file_entry_bytes(i);
            max = std::max(max, format::stored_timestamp(e));
            if (format::stored_max_timestamp(e) != max) return rebuild();
        }
        if (index_id_ && index_id_->entries == file_entries_) detail::CheckedMaxima::instance().add(*index_id_);
    }

public:
    /// Records whose entries came from the index file (the rest were found by scanning).
    [[nodiscard]] std::uint64_t indexed_records() const noexcept { return file_entries_; }
    /// The scan of the records past the indexed ones: where the intact records end and why.
    [[nodiscard]] const ScanStatus& status() const noexcept { return status_; }
    /// The channel file's mapping.
    [[nodiscard]] const SegmentPtr& segment() const noexcept { return data_; }
    /// The index file's mapping while entries are served from it (else null):
    /// entry `i < indexed_records()` is at byte `64 + 32 i`.
    [[nodiscard]] const SegmentPtr& index_segment() const noexcept { return index_; }
    /// The uniform-layout claim of the index file's header, if the index file is in
    /// use and has one. Unverified beyond the header checksum: see `stacked()`.
    [[nodiscard]] std::optional<format::UniformClaim> uniform_claim() const noexcept {
        if (!index_ || file_entries_ == 0) return std::nullopt;
        return format::load_uniform_claim(index_->bytes().data());
    }

private:
    [[nodiscard]] const std::byte* file_entry_bytes(std::uint64_t i) const noexcept {
        return index_->bytes().data() + format::index_header_size + i * format::index_entry_size;
    }

    void check_bounds(std::uint64_t i) const {
        if (i >= size())
            throw usage_error({.path = data_->path(), .record = i},
                              "out of range: the channel has " + std::to_string(size()) + " records");
    }

    /// True when entry `i` of the index file is intact and matches its record.
    [[nodiscard]] bool file_entry_valid(std::uint64_t i) const noexcept {
        const auto e = format::decode_index_entry(file_entry_bytes(i), i);
        return e && detail::record_at(data_->bytes(), records_offset_, *e, i, verify_max_).has_value();
    }

    /// Maps the index file and keeps its longest prefix whose last entry checks out.
    void open_index_file(const std::filesystem::path& path) {
        const auto fd = detail::open_file(path, O_RDONLY);
        if (!fd) return;
        const auto size = detail::regular_file_size(fd.get()).value_or(0);
        if (size < format::index_header_size) return;
        try {
            index_ = MappedSegment::map(fd.get(), size, path);
        } catch (const error&) {
            return;
        }
        const auto file = data_->bytes();
        if (!format::index_header_matches(index_->bytes(), format::stored_header_crc(file), records_offset_)) {
            index_.reset();
            return;
        }
        std::uint64_t count = (size - format::index_header_size) / format::index_entry_size;
        // An index is never ahead of its records unless the channel file lost its tail
        // (power loss, or cut by hand): keep the prefix whose last entry is valid.
        if (count > 0 && !file_entry_valid(count - 1)) {
            std::uint64_t lo = 0, hi = count - 1;  // the answer is in [lo, hi]: entries before it are valid
            while (lo < hi) {
                const std::uint64_t mid = lo + (hi - lo) / 2;
                if (file_entry_valid(mid)) lo = mid + 1;
                else hi = mid;
            }
            count = lo;
        }
        if (count > 0) {
            const auto first = format::decode_index_entry(file_entry_bytes(0), 0);
            if (!first || first->offset != records_offset_ || !file_entry_valid(0)) count = 0;
        }
        file_entries_ = count;
        if (count == 0) index_.reset();
        else index_id_ = detail::IndexFileIdentity::of(fd.get(), index_->bytes(), count);
    }

    /// Finds the records past the indexed ones by scanning from the end of the last.
    void scan_tail() {
        std::uint64_t from = records_offset_;
        std::int64_t max = std::numeric_limits<std::int64_t>::min();
        if (file_entries_ > 0) {
            const auto last = format::decode_index_entry(file_entry_bytes(file_entries_ - 1), file_entries_ - 1);
            const auto r = last ? detail::record_at(data_->bytes(), records_offset_, *last, file_entries_ - 1,
                                                    verify_max_)
                                : std::nullopt;
            if (!r) return rebuild();
            from = static_cast<std::uint64_t>(r->payload.data() + r->payload.size() - data_->bytes().data());
            max = last->max_timestamp;
        }
        scan(from, max);
        if (file_entries_ > 0 && memory_.empty()) verify_last_indexed();
    }

    /// Verifies the last indexed record whole when no record follows it, as a scan
    /// does (see `RecordScanner`): a crash may have left its large payload unwritten.
    void verify_last_indexed() {
        const std::uint64_t i = file_entries_ - 1;
        const auto e = format::decode_index_entry(file_entry_bytes(i), i);
        if (e && detail::record_at(data_->bytes(), records_offset_, *e, i, SIZE_MAX)) return;
        file_entries_ = i;
        if (i == 0) index_.reset();
        status_.records = i;
        status_.intact_end = e ? e->offset : records_offset_;
        status_.skipped_bytes = data_->size() - status_.intact_end;
        status_.stop = ScanStop::corrupt;
        status_.reason = "payload checksum mismatch (the last record is verified whole) at offset " +
                         std::to_string(status_.intact_end);
    }

    void scan(std::uint64_t from, std::int64_t max) {
        memory_.clear();
        const auto file = data_->bytes();
        RecordScanner scanner(file, from, verify_max_, 0, file_entries_);
        while (auto r = scanner.next()) {
            max = std::max(max, r->timestamp);
            memory_.push_back({r->timestamp, max, r->offset, format::stored_record_crc(file.data() + r->offset)});
        }
        memory_.finish();
        status_ = scanner.status();
    }

    /// Forgets the index file and indexes every record by one scan.
    void rebuild() {
        ++generation_;
        file_entries_ = 0;
        index_.reset();
        scan(records_offset_, std::numeric_limits<std::int64_t>::min());
    }

    SegmentPtr data_;
    SegmentPtr index_;
    std::uint64_t records_offset_;
    std::size_t verify_max_;
    std::uint64_t file_entries_ = 0;           // entries 0..file_entries_-1 are read from index_
    ScannedEntries memory_;                    // the entries after them, found by scanning
    ScanStatus status_;
    std::uint64_t generation_ = 0;             // bumped by every rebuild
    bool maxima_checked_ = false;              // see check_running_maxima
    std::optional<detail::IndexFileIdentity> index_id_;  // the index file's entries in use, see CheckedMaxima
};

}  // namespace tinman
