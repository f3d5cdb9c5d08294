#pragma once
/// @file
/// Writes a channel's time index beside it, in step with the record writer:
/// entries go to the file only after the records they describe (so after a kill
/// the index is a prefix of the records); failing to write the index never fails
/// the data.

#include <fcntl.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <optional>
#include <span>

#include "../detail/byte_buffer.hpp"
#include "../detail/posix.hpp"
#include "../io/mapped_segment.hpp"
#include "index_format.hpp"
#include "uniform_claim.hpp"

namespace tinman {

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
        uniform_.reset();
        start_replacement();
    }

    /// Renames the index made by `create` into place; false (and no index) if that failed.
    bool commit() noexcept { return commit_replacement(); }

    /// Removes the index made by `create` (the channel file could not be created).
    void abandon() noexcept {
        fd_.reset();
        replacement_.discard();
        pending_.clear();
    }

    /// Continues the index at `path` of a channel whose intact records are
    /// `records`: `for_each(f)` calls `f(entry)` for each of them in file order.
    /// When the index's entries are a prefix of theirs it is kept and completed,
    /// otherwise it is replaced with a fresh one. `file` is the channel file image
    /// (from offset 0): the uniform-layout claim is carried on over its records when
    /// the old index had one (it tells the head size, which only a codec knows).
    template <class ForEach>
    void open_for_append(const std::filesystem::path& path, std::uint32_t data_header_crc,
                         std::uint64_t records_offset, std::uint64_t records, ForEach&& for_each,
                         std::span<const std::byte> file = {}) {
        path_ = path;
        start_ = format::encode_index_header(data_header_crc, records_offset);
        max_ = std::numeric_limits<std::int64_t>::min();
        auto fd = detail::open_file(path, O_RDWR);
        bool reusable = false;
        std::uint64_t entries = 0;
        SegmentPtr map;
        std::optional<format::UniformClaim> old_claim;
        if (fd) {
            if (const auto size = detail::regular_file_size(fd.get()).value_or(0); size >= format::index_header_size) {
                map = MappedSegment::map(fd.get(), size, path);
                entries = (size - format::index_header_size) / format::index_entry_size;
                const bool matches = format::index_header_matches(map->bytes(), data_header_crc, records_offset);
                if (matches) old_claim = format::load_uniform_claim(map->bytes().data());
                reusable = matches && entries <= records;
            }
        }
        const auto track = [&](const format::IndexEntry& e, std::uint64_t i) {
            if (i == 0) {
                uniform_.reset();
                if (!old_claim) uniform_.stop();  // the head size is unknown: no claim
            }
            const auto r = format::check_record(file, e.offset, 0);
            const std::uint64_t h = old_claim ? old_claim->head_size : 0;
            if (r.check != format::RecordCheck::intact || r.payload.size() < h) return uniform_.stop();
            uniform_.add(static_cast<std::uint64_t>(r.payload.data() - file.data()) + h, r.payload.first(h),
                         r.payload.size());
        };
        if (records == 0) uniform_.reset();
        if (reusable) {
            fd_ = std::move(fd);
            entries_ = entries;
            std::uint64_t i = 0;
            for_each([&](const format::IndexEntry& e) {
                track(e, i);
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
            if (reusable && !failed_) {
                written_claim_ = old_claim.value_or(format::UniformClaim{});
                flush();
                return write_claim();
            }
            fd_.reset();
            pending_.clear();
            failed_ = false;
            max_ = std::numeric_limits<std::int64_t>::min();
        }
        start_replacement();
        std::uint64_t i = 0;
        for_each([&](const format::IndexEntry& e) {
            track(e, i++);
            add_entry(e);
            max_ = e.max_timestamp;
            if (pending_.size() >= flush_bytes) flush();
        });
        (void)commit_replacement();
    }

    /// Adds the entry of the record just appended at file `offset` (its header checksum
    /// `record_crc`), whose payload is `head` then a body at file offset `body` (`payload_size` bytes in all).
    void add(std::int64_t timestamp, std::uint64_t offset, std::uint32_t record_crc, std::span<const std::byte> head,
             std::uint64_t body, std::uint64_t payload_size) {
        if (!fd_ || failed_) return;
        max_ = std::max(max_, timestamp);
        add_entry({timestamp, max_, offset, record_crc});
        uniform_.add(body, head, payload_size);
    }

    /// Forgets the last `n` pending entries (their records were never written).
    void drop_last(std::size_t n) noexcept {
        pending_.drop_back(std::min(n * format::index_entry_size, pending_.size()));
    }

    /// Writes the pending entries once there are at least `min_bytes` of them; call
    /// only once the records they describe are in the file.
    void flush(std::size_t min_bytes = 1) noexcept {
        if (!fd_ || pending_.size() < min_bytes || pending_.empty() || failed_) return;
        const auto done = static_cast<std::size_t>(detail::write_all_at(fd_.get(), end_offset(), pending_.bytes()).written);
        const std::size_t whole = done / format::index_entry_size * format::index_entry_size;
        entries_ += whole / format::index_entry_size;
        pending_.drop_front(whole);
        if (whole != 0) write_claim();
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

    /// Rewrites the header when the uniform claim over the written entries grew. One
    /// 64-byte write, after the entries it covers; if it is lost or torn, readers
    /// find an older claim or none (the header checksum fails, and they scan).
    void write_claim() noexcept {
        if (!fd_ || failed_) return;
        const auto c = uniform_.claim(entries_);
        if (c == written_claim_) return;
        auto h = start_;
        format::store_uniform_claim(h.data(), c);
        detail::store_le<std::uint32_t>(&h[format::index_field::header_crc],
                                        crc32c({h.data(), format::index_field::header_crc}));
        if (detail::write_all_at(fd_.get(), 0, h).error == 0) written_claim_ = c;
    }

    [[nodiscard]] std::uint64_t end_offset() const noexcept {
        return format::index_header_size + entries_ * format::index_entry_size;
    }

    void add_entry(const format::IndexEntry& e) {
        const std::uint64_t number = entries_ + pending_.size() / format::index_entry_size;
        format::encode_index_entry(e, number, pending_.grow(format::index_entry_size));
    }

    /// Starts a new index under a temporary name (header written); entries follow.
    /// If that cannot be done (e.g. the directory is read-only), the channel goes on
    /// without an index: it only speeds readers up, and must never stop the data.
    void start_replacement() noexcept {
        entries_ = 0;
        written_claim_ = {};
        pending_.clear();
        failed_ = false;
        try {
            replacement_ = detail::TemporaryFile(path_.parent_path(), path_.filename().string());
        } catch (...) {
            fd_.reset();
            return;
        }
        fd_ = replacement_.take_file();
        if (detail::write_all_at(fd_.get(), 0, start_).error != 0) {
            fd_.reset();
            replacement_.discard();
        }
    }

    /// Writes the last entries and renames the new index into place. On failure
    /// the channel goes on without an index (readers scan): returns false.
    bool commit_replacement() noexcept {
        flush();
        if (!fd_ || failed_ || !pending_.empty() || replacement_.publish(path_, true) != 0) {
            fd_.reset();
            replacement_.discard();
            pending_.clear();
            return false;
        }
        return true;
    }

    std::filesystem::path path_;
    detail::TemporaryFile replacement_;  // the new index until it is renamed into place
    std::array<std::byte, format::index_header_size> start_{};
    detail::FileHandle fd_;
    /// Entries waiting to be written.
    detail::ByteBuffer pending_;
    std::uint64_t entries_ = 0;
    std::int64_t max_ = std::numeric_limits<std::int64_t>::min();
    bool failed_ = false;
    format::UniformTracker uniform_;
    format::UniformClaim written_claim_;  // the claim the file's header holds
};

}  // namespace tinman
