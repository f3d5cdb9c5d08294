#pragma once
/// @file
/// Layer 2: the time index of a channel, a sidecar file `<channel>.tinman-index`
/// holding one checksummed entry per record (timestamp, running maximum
/// timestamp, file offset). `IndexWriter` keeps it in step with a `BlobWriter`;
/// `TimeIndex` gives readers record `i` in O(1) and `seek(t)` in O(log n),
/// trusting no entry that its checksum and the record it points to do not confirm,
/// and rebuilding the index in memory by one scan when the file is missing or stale.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "blob_reader.hpp"
#include "config.hpp"
#include "detail/file.hpp"
#include "error.hpp"
#include "format.hpp"
#include "mapped_segment.hpp"

namespace tinman {

/// The time index file of the channel file at `channel_file`: `<dir>/<channel>.tinman-index`.
[[nodiscard]] inline std::filesystem::path index_path_for(const std::filesystem::path& channel_file) {
    auto p = channel_file;
    p.replace_extension(format::index_suffix);
    return p;
}

namespace detail {

/// Checks record `number` against `e` in the channel file image `file` (mapped
/// from offset 0): the header at `e.offset` must be intact and carry the entry's
/// timestamp and checksum, its payload must lie in the file, and payloads of at
/// most `verify_max` bytes must match their checksum.
[[nodiscard]] inline std::optional<RecordView> record_at(std::span<const std::byte> file, std::uint64_t records_offset,
                                                         const format::IndexEntry& e, std::uint64_t number,
                                                         std::size_t verify_max) noexcept {
    constexpr std::size_t hs = format::record_header_size;
    if (e.offset < records_offset || e.offset > file.size() || file.size() - e.offset < hs) return std::nullopt;
    const std::byte* p = file.data() + e.offset;
    const auto h = format::decode_record_header(p);
    if (!h || h->timestamp != e.timestamp || h->flags != 0 || load_le<std::uint32_t>(p + 28) != e.record_crc ||
        e.max_timestamp < e.timestamp)
        return std::nullopt;
    const std::uint64_t after = file.size() - e.offset - hs;
    if (h->padding > after || h->payload_size > after - h->padding) return std::nullopt;
    const auto payload = file.subspan(e.offset + hs + h->padding, h->payload_size);
    if (payload.size() <= verify_max && crc32c(payload) != h->payload_crc) return std::nullopt;
    return RecordView{e.timestamp, payload, number, e.offset};
}

}  // namespace detail

/// Writes the time index of one channel file, alongside a `BlobWriter`. Entries
/// are buffered and written only after the records they describe (so after a
/// kill the index is a prefix of the records). Failing to write the index never
/// fails the data: the entries stay pending and are retried at the next flush;
/// past a bound they are dropped and indexing stops (readers then scan the rest).
class IndexWriter {
public:
    IndexWriter() = default;

    /// Replaces whatever is at `path` with an empty index for a channel file
    /// whose header checksum is `data_header_crc` (written under a temporary
    /// name, then renamed into place: readers keep the index they opened).
    /// Call `commit()` to put it in place (e.g. once the channel file is in place).
    void create(const std::filesystem::path& path, std::uint32_t data_header_crc, std::uint64_t records_offset) {
        path_ = path;
        start_ = format::encode_index_header(data_header_crc, records_offset);
        max_ = std::numeric_limits<std::int64_t>::min();
        start_replacement();
    }

    /// Renames the index made by `create` into place; false (and no index) if that failed.
    bool commit() noexcept { return commit_replacement(); }

    /// Removes the index made by `create` (the channel file could not be created).
    void abandon() noexcept {
        fd_.reset();
        if (!tmp_.empty()) ::unlink(tmp_.c_str());
        pending_.clear();
    }

    /// Continues the index at `path` of a channel whose intact records are
    /// `records`: `for_each(f)` calls `f(entry)` for each of them in file order.
    /// When the index's entries are a prefix of theirs it is kept and completed,
    /// otherwise it is replaced with a fresh one.
    template <class ForEach>
    void open_for_append(const std::filesystem::path& path, std::uint32_t data_header_crc,
                         std::uint64_t records_offset, std::uint64_t records, ForEach&& for_each) {
        path_ = path;
        start_ = format::encode_index_header(data_header_crc, records_offset);
        max_ = std::numeric_limits<std::int64_t>::min();
        FileHandle fd{::open(path.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)};
        bool reusable = false;
        std::uint64_t entries = 0;
        SegmentPtr map;
        if (fd) {
            struct stat st {};
            if (::fstat(fd.get(), &st) == 0 && S_ISREG(st.st_mode) &&
                static_cast<std::uint64_t>(st.st_size) >= format::index_header_size) {
                const auto size = static_cast<std::uint64_t>(st.st_size);
                map = MappedSegment::map(fd.get(), size, path);
                entries = (size - format::index_header_size) / format::index_entry_size;
                reusable = format::index_header_matches(map->bytes(), data_header_crc, records_offset) &&
                           entries <= records;
            }
        }
        if (reusable) {
            fd_ = std::move(fd);
            entries_ = entries;
            std::uint64_t i = 0;
            for_each([&](const format::IndexEntry& e) {
                if (i < entries) {
                    const auto stored = format::decode_index_entry(
                        map->bytes().data() + format::index_header_size + i * format::index_entry_size, i);
                    reusable = reusable && stored && *stored == e;
                } else if (reusable) {
                    add_entry(e);
                    if (pending_.size() >= flush_bytes) flush();
                }
                max_ = e.max_timestamp;
                ++i;
            });
            if (reusable && !failed_) return flush();
            fd_.reset();
            pending_.clear();
            failed_ = false;
            max_ = std::numeric_limits<std::int64_t>::min();
        }
        start_replacement();
        for_each([&](const format::IndexEntry& e) {
            add_entry(e);
            max_ = e.max_timestamp;
            if (pending_.size() >= flush_bytes) flush();
        });
        (void)commit_replacement();
    }

    /// Adds the entry of the record just appended at file `offset` (its header checksum `record_crc`).
    void add(std::int64_t timestamp, std::uint64_t offset, std::uint32_t record_crc) {
        if (!fd_ || failed_) return;
        max_ = std::max(max_, timestamp);
        add_entry({timestamp, max_, offset, record_crc});
    }

    /// Forgets the last `n` pending entries (their records were never written).
    void drop_last(std::size_t n) noexcept {
        pending_.drop_back(std::min(n * format::index_entry_size, pending_.size()));
    }

    /// Writes the pending entries once there are at least `min_bytes` of them; call
    /// only once the records they describe are in the file.
    void flush(std::size_t min_bytes = 1) noexcept {
        if (!fd_ || pending_.size() < min_bytes || pending_.empty() || failed_) return;
        std::size_t done = 0;
        while (done < pending_.size()) {
            const ssize_t n = ::pwrite(fd_.get(), pending_.data() + done, pending_.size() - done,
                                       static_cast<off_t>(end_offset() + done));
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            done += static_cast<std::size_t>(n);
        }
        const std::size_t whole = done / format::index_entry_size * format::index_entry_size;
        entries_ += whole / format::index_entry_size;
        pending_.drop_front(whole);
        // Bytes of a partly written entry are rewritten at the same place next time.
        if (pending_.size() > max_pending_bytes) {
            failed_ = true;
            pending_.release();
        }
    }

    /// Flushes and closes the file (errors are not reported: the index is rebuilt by readers when short).
    void close() noexcept {
        flush();
        fd_.reset();
        pending_.clear();
    }

    [[nodiscard]] bool is_open() const noexcept { return static_cast<bool>(fd_); }
    /// Entries written to the file so far.
    [[nodiscard]] std::uint64_t entries_written() const noexcept { return entries_; }
    [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

private:
    static constexpr std::size_t max_pending_bytes = std::size_t{32} << 20;
    static constexpr std::size_t flush_bytes = std::size_t{1} << 20;

    [[nodiscard]] std::uint64_t end_offset() const noexcept {
        return format::index_header_size + entries_ * format::index_entry_size;
    }

    void add_entry(const format::IndexEntry& e) {
        const std::uint64_t number = entries_ + pending_.size() / format::index_entry_size;
        format::encode_index_entry(e, number, pending_.grow(format::index_entry_size));
    }

    /// Starts a new index under a temporary name (header written); entries follow.
    void start_replacement() {
        auto [fd, tmp] = detail::create_temporary_file(path_.parent_path(), path_.filename().string());
        tmp_ = std::move(tmp);
        fd_ = std::move(fd);
        entries_ = 0;
        pending_.clear();
        failed_ = false;
        std::size_t done = 0;
        while (done < start_.size()) {
            const ssize_t n = ::pwrite(fd_.get(), start_.data() + done, start_.size() - done, static_cast<off_t>(done));
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) fail_replacement(n < 0 ? errno : EIO);
            done += static_cast<std::size_t>(n);
        }
    }

    /// Writes the last entries and renames the new index into place. On failure
    /// the channel goes on without an index (readers scan): returns false.
    bool commit_replacement() noexcept {
        flush();
        if (failed_ || !pending_.empty() || ::rename(tmp_.c_str(), path_.c_str()) != 0) {
            fd_.reset();
            ::unlink(tmp_.c_str());
            pending_.clear();
            return false;
        }
        return true;
    }

    [[noreturn]] void fail_replacement(int code) {
        fd_.reset();
        ::unlink(tmp_.c_str());
        pending_.clear();
        throw io_error("cannot write time index '" + path_.string() + "'", code);
    }

    using FileHandle = detail::FileHandle;

    std::filesystem::path path_;
    std::filesystem::path tmp_;
    std::array<std::byte, format::index_header_size> start_{};
    FileHandle fd_;
    /// Bytes waiting to be written; growing it does not initialise bytes it will overwrite.
    class Pending {
    public:
        [[nodiscard]] std::size_t size() const noexcept { return used_; }
        [[nodiscard]] bool empty() const noexcept { return used_ == 0; }
        [[nodiscard]] const std::byte* data() const noexcept { return buf_.get(); }
        void clear() noexcept { used_ = 0; }
        void release() noexcept {
            buf_.reset();
            used_ = capacity_ = 0;
        }
        void drop_back(std::size_t n) noexcept { used_ -= n; }
        void drop_front(std::size_t n) noexcept {
            if (n != used_) std::memmove(buf_.get(), buf_.get() + n, used_ - n);
            used_ -= n;
        }
        /// `n` more bytes at the end, for the caller to fill.
        [[nodiscard]] std::byte* grow(std::size_t n) {
            if (used_ + n > capacity_) {
                const std::size_t capacity = std::max({capacity_ * 2, used_ + n, std::size_t{4096}});
                auto bigger = std::make_unique_for_overwrite<std::byte[]>(capacity);
                if (used_) std::memcpy(bigger.get(), buf_.get(), used_);
                buf_ = std::move(bigger);
                capacity_ = capacity;
            }
            std::byte* at = buf_.get() + used_;
            used_ += n;
            return at;
        }
        void assign(std::span<const std::byte> bytes) {
            clear();
            if (!bytes.empty()) std::memcpy(grow(bytes.size()), bytes.data(), bytes.size());
        }

    private:
        std::unique_ptr<std::byte[]> buf_;
        std::size_t used_ = 0;
        std::size_t capacity_ = 0;
    };
    Pending pending_;
    std::uint64_t entries_ = 0;
    std::int64_t max_ = std::numeric_limits<std::int64_t>::min();
    bool failed_ = false;
};

/// Where each record of a channel file is and when it was written: record `i`
/// in O(1), `seek(t)` in O(log n). Served from the channel's index file when
/// that proves valid (its header matches the channel file, and its last entry
/// matches the record it points to); records past the last indexed one are
/// found by scanning from there. Every entry is checked again when used (its
/// checksum, and the record header at its offset); if one does not match, or
/// the index file is missing or malformed, the whole index is rebuilt in memory
/// by one scan of the channel file, so results are always those of a scan.
/// Not thread-safe (the rebuild mutates it): one per thread, like `Channel`.
class TimeIndex {
public:
    /// Indexes the channel file mapped whole (from offset 0) in `data`, whose
    /// header is `header`, with the index file at `index_file` if usable.
    TimeIndex(SegmentPtr data, const format::FileHeader& header, const std::filesystem::path& index_file,
              std::size_t verify_max_bytes = default_verify_max_bytes)
        : data_(std::move(data)), records_offset_(header.records_offset), verify_max_(verify_max_bytes) {
        if (data_->offset() != 0) throw error("TimeIndex needs a mapping of the whole channel file");
        open_file(index_file);
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
        }
        check_bounds(i);
        return memory_[static_cast<std::size_t>(i - file_entries_)];
    }

    /// Record `i < size()`, checked against the channel file (header, timestamp,
    /// checksum; small payloads verified). Throws `format_error` if the file
    /// changed under the index in a way a scan does not explain.
    [[nodiscard]] RecordView record(std::uint64_t i) {
        const bool from_file = i < file_entries_;
        const auto e = entry(i);
        if (auto r = detail::record_at(data_->bytes(), records_offset_, e, i, verify_max_)) return *r;
        if (from_file && file_entries_ != 0) {
            rebuild();
            if (i >= size())
                throw format_error("record " + std::to_string(i) + " of '" + data_->path().string() +
                                   "' is damaged or past damage: " + status_.reason);
            return record(i);
        }
        throw format_error("record " + std::to_string(i) + " at offset " + std::to_string(e.offset) + " of '" +
                           data_->path().string() + "' changed after it was indexed");
    }

    /// The number of the first record whose timestamp is >= t (`size()` if none).
    /// Exact even when timestamps go backwards: it is also the first record whose
    /// running maximum is >= t, which is what the binary search looks for.
    [[nodiscard]] std::uint64_t seek(std::int64_t t) {
        // Fast path: search the raw running maxima, then prove the answer with the
        // checksums of the two entries that decide it: entry i-1 (< t) and entry i (>= t).
        // Since authentic running maxima never decrease, that pair fixes the answer.
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
                mid < file_entries_ ? static_cast<std::int64_t>(detail::load_le<std::uint64_t>(file_entry_bytes(mid) + 8))
                                    : memory_[static_cast<std::size_t>(mid - file_entries_)].max_timestamp;
            if (max < t) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    /// True when verified entries show that `i` is the first record whose running maximum is >= t.
    [[nodiscard]] bool answer_holds(std::uint64_t i, std::int64_t t) {
        const std::uint64_t generation = generation_;
        if (i < size() && entry(i).max_timestamp < t) return false;
        if (i > 0 && entry(i - 1).max_timestamp >= t) return false;
        return generation == generation_;
    }

public:
    /// Records whose entries came from the index file (the rest were found by scanning).
    [[nodiscard]] std::uint64_t indexed_records() const noexcept { return file_entries_; }
    /// The scan of the records past the indexed ones: where the intact records end and why.
    [[nodiscard]] const ScanStatus& status() const noexcept { return status_; }
    /// The channel file's mapping.
    [[nodiscard]] const SegmentPtr& segment() const noexcept { return data_; }

private:
    [[nodiscard]] const std::byte* file_entry_bytes(std::uint64_t i) const noexcept {
        return index_->bytes().data() + format::index_header_size + i * format::index_entry_size;
    }

    void check_bounds(std::uint64_t i) const {
        if (i >= size())
            throw channel_error("record " + std::to_string(i) + " is out of range: '" + data_->path().string() +
                                "' has " + std::to_string(size()) + " records");
    }

    /// True when entry `i` of the index file is intact and matches its record.
    [[nodiscard]] bool file_entry_valid(std::uint64_t i) const noexcept {
        const auto e = format::decode_index_entry(file_entry_bytes(i), i);
        return e && detail::record_at(data_->bytes(), records_offset_, *e, i, verify_max_).has_value();
    }

    /// Maps the index file and keeps its longest prefix whose last entry checks out.
    void open_file(const std::filesystem::path& path) {
        const detail::FileHandle fd{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)};
        if (!fd) return;
        struct stat st {};
        if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return;
        const auto size = static_cast<std::uint64_t>(st.st_size);
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
    }

    void scan(std::uint64_t from, std::int64_t max) {
        memory_.clear();
        const auto file = data_->bytes();
        RecordScanner scanner(file, from, verify_max_, 0, file_entries_);
        while (auto r = scanner.next()) {
            max = std::max(max, r->timestamp);
            memory_.push_back({r->timestamp, max, r->offset, detail::load_le<std::uint32_t>(file.data() + r->offset + 28)});
        }
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
    std::vector<format::IndexEntry> memory_;   // the entries after them, found by scanning
    ScanStatus status_;
    std::uint64_t generation_ = 0;             // bumped by every rebuild
};

}  // namespace tinman
