#pragma once
/// @file
/// `RecordWriter` appends checksummed records to one channel file and keeps its
/// time index in step. Small records are buffered (no syscall per record); large
/// payload bodies go to the kernel with `pwritev` straight from the caller's
/// memory (no copy).

#include <fcntl.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <initializer_list>
#include <limits>
#include <memory>
#include <new>
#include <span>
#include <string>

#include "../config.hpp"
#include "../detail/byte_buffer.hpp"
#include "../detail/posix.hpp"
#include "../error.hpp"
#include "../framing/channel_files.hpp"
#include "../framing/file_header.hpp"
#include "../framing/payload.hpp"
#include "../framing/record_scanner.hpp"
#include "../index/index_writer.hpp"
#include "../io/mapped_segment.hpp"
#include "open_mode.hpp"

namespace tinman {

/// Appends records to one channel file, which it holds an exclusive `flock` on
/// (a second writer, in this or another process, is refused). Not thread-safe:
/// use one writer per thread (different channels may be written concurrently).
class RecordWriter {
public:
    /// With `time_index` false no index entries are written (readers then index the
    /// channel by a scan); a new or truncated channel still gets an empty index file,
    /// so that no stale one is left beside it. `metadata` goes into the header of a
    /// channel this creates; appending, it must be empty or what the channel stores.
    /// `create_sync` says when a channel this creates is made durable (see `CreateSync`).
    RecordWriter(const std::filesystem::path& dir, std::string channel, const CodecDescriptor& codec,
               OpenMode mode = OpenMode::create, std::size_t buffer_bytes = default_write_buffer_bytes,
               bool time_index = true, const ChannelMetadata& metadata = {},
               CreateSync create_sync = CreateSync::on_create)
        : channel_(std::move(channel)), path_(channel_path(dir, channel_)), time_index_(time_index),
          sync_on_create_(create_sync == CreateSync::on_create) {
        buffer_.reserve(std::max(buffer_bytes, 2 * direct_write_min_bytes));
        switch (mode) {
        case OpenMode::create: (void)create(dir, codec, metadata, false); break;
        case OpenMode::truncate: (void)create(dir, codec, metadata, true); break;
        case OpenMode::append: open_for_append(dir, codec, metadata); break;
        }
    }

    RecordWriter(const RecordWriter&) = delete;
    RecordWriter& operator=(const RecordWriter&) = delete;
    ~RecordWriter() {
        try {
            close();
        } catch (...) {  // destructors never throw: call close() to see errors
        }
    }

    /// Appends one record. It reaches the file by the next `flush()`, or sooner;
    /// readers only ever see completely written records. If this throws, the
    /// record was not appended; records appended before it stay buffered and a
    /// later `flush()` retries them (e.g. once disk space was freed).
    void append(std::int64_t timestamp, const Payload& p) {
        check_open();
        const std::size_t align = p.body_alignment;
        if (align == 0 || align > max_body_alignment || (align & (align - 1)) != 0)
            throw usage_error(where(), "body alignment " + std::to_string(align) + " is not a power of two up to 4096");
        const std::size_t head = p.head.size(), body = p.body.size();
        const std::uint32_t crc = crc32c(p.body, crc32c(p.head));
        constexpr std::size_t hs = format::record_header_size;
        const std::size_t capacity = buffer_.capacity();
        if (body < direct_write_min_bytes && hs + align + head + body <= capacity && stale_end_ <= end_) {
            std::size_t padding = (align - (size() + hs + head) % align) % align;
            if (buffer_.size() + hs + padding + head + body > capacity) {
                flush_buffer();
                index_.flush(index_batch_bytes);  // in batches between explicit flushes: half the system calls
                padding = (align - (end_ + hs + head) % align) % align;
            }
            const std::uint64_t offset = size();
            std::byte* out = buffer_.grow(hs + padding + head + body);
            format::encode_record_header({timestamp, head + body, static_cast<std::uint32_t>(padding), crc, 0}, out);
            index_.add(timestamp, offset, format::stored_record_crc(out), p.head, offset + hs + padding + head,
                       head + body);
            std::memset(out + hs, 0, padding);
            if (head) std::memcpy(out + hs + padding, p.head.data(), head);
            if (body) std::memcpy(out + hs + padding + head, p.body.data(), body);
            ++buffered_records_;
        } else {  // large: straight from the caller's memory, after what is buffered
            flush();
            write_record_direct(timestamp, crc, p);
        }
        ++records_;
    }

    /// Hands buffered records to the OS (they survive a crash of this process).
    /// On failure they stay buffered and the next `flush()` writes them again.
    void flush() {
        check_open();
        if (!buffer_.empty()) flush_buffer();
        index_.flush();  // only now: the index never gets ahead of the records
    }

    /// Flushes, then waits until the file's data is on the storage device (`fdatasync`),
    /// and the channel's name too if creating it did not sync it (`CreateSync::on_first_sync`,
    /// or syncing the directory failed).
    void sync() {
        flush();
        if (::fdatasync(fd_.get()) != 0) detail::throw_errno(where(), "cannot sync");
        sync_directory_if_needed();
    }

    /// True once the channel's file and name are durable against a power loss: after
    /// opening, with `CreateSync::on_create` (unless syncing the directory failed), or
    /// after the first `sync()`.
    [[nodiscard]] bool creation_synced() const noexcept { return unsynced_dir_.empty(); }

    /// Flushes and closes the file; reports any failure (buffered records that could
    /// not be written are then lost, and the error says how many). Closing twice does nothing.
    void close() {
        if (!fd_) return;
        detail::flush_and_close(
            fd_, where(),
            [&] {
                try {
                    flush();
                } catch (const io_error& e) {
                    throw io_error(where(), "closed with " + std::to_string(buffered_records_) + " records unwritten",
                                   e.code());
                }
            },
            [&] {
                index_.drop_last(buffered_records_);  // entries of records that were never written
                index_.close();
                buffer_.clear();
                buffered_records_ = 0;
            });
    }

    [[nodiscard]] bool is_open() const noexcept { return static_cast<bool>(fd_); }
    [[nodiscard]] const std::string& channel() const noexcept { return channel_; }
    [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
    /// Records appended through this writer (buffered ones included).
    [[nodiscard]] std::uint64_t records_written() const noexcept { return records_; }
    /// Logical file size: bytes written plus bytes buffered.
    [[nodiscard]] std::uint64_t size() const noexcept { return end_ + buffer_.size(); }
    /// Bytes of a torn tail cut when the channel was opened in append mode.
    [[nodiscard]] std::uint64_t cut_bytes() const noexcept { return cut_bytes_; }
    /// Where the cut tail started (the end of the intact records), when `cut_bytes()` is not 0.
    [[nodiscard]] std::uint64_t cut_offset() const noexcept { return cut_offset_; }
    /// Intact records that were already in the file when it was opened in append mode.
    [[nodiscard]] std::uint64_t existing_records() const noexcept { return existing_records_; }

private:
    void flush_buffer() {
        const auto [written, code] = detail::write_all_at(fd_.get(), end_, buffer_.bytes());
        if (code == 0) {
            end_ += buffer_.size();
            buffer_.clear();
            buffered_records_ = 0;
            return;
        }
        // The records that did reach the file are written; the rest stay buffered
        // (a retry rewrites the same bytes at the same offsets).
        std::size_t done = 0, done_records = 0;
        while (done_records < buffered_records_) {
            // Buffered headers are our own: intact, and their extent lies in the buffer.
            const auto extent = format::decode_record_header(buffer_.data() + done)->extent();
            if (done + extent > written) break;
            done += static_cast<std::size_t>(extent);
            ++done_records;
        }
        buffer_.drop_front(done);
        end_ += done;
        buffered_records_ -= done_records;
        throw io_error(where(end_ - done),
                       "writing buffered records failed; " + std::to_string(done_records) + " were written, " +
                           std::to_string(buffered_records_) + " stay buffered (flush again to retry)",
                       code);
    }

    [[nodiscard]] ErrorContext where() const { return {.channel = channel_, .path = path_}; }
    [[nodiscard]] ErrorContext where(std::uint64_t offset) const {
        return {.channel = channel_, .path = path_, .offset = offset};
    }

    void check_open() const {
        if (!fd_) throw usage_error(where(), "the channel writer is closed");
    }

    static constexpr std::size_t max_body_alignment = 4096;
    static constexpr std::size_t index_batch_bytes = std::size_t{64} << 10;

    static std::span<const std::byte> padding_zeros(std::size_t n) noexcept {
        static constexpr std::byte zeros[max_body_alignment]{};
        return {zeros, n};
    }

    /// Writes one unbuffered record at the end of the file. If that fails part
    /// way, the bytes that did land are left as they are and remembered: the next
    /// record's payload is placed after them (they become its padding), so they
    /// are never read as a record, and nothing is rewritten under a live reader.
    void write_record_direct(std::int64_t timestamp, std::uint32_t crc, const Payload& p) {
        constexpr std::size_t hs = format::record_header_size;
        const std::size_t head = p.head.size(), align = p.body_alignment;
        const std::uint64_t gap = stale_end_ > end_ + hs ? stale_end_ - (end_ + hs) : 0;
        const std::uint64_t padding = gap + (align - (end_ + hs + gap + head) % align) % align;
        if (padding > UINT32_MAX)
            throw io_error(where(end_),
                           "cannot place a record after " + std::to_string(gap) +
                               " bytes left by a failed write; reopen the channel in append mode",
                           EFBIG);
        std::byte header[hs];
        format::encode_record_header({timestamp, head + p.body.size(), static_cast<std::uint32_t>(padding), crc, 0},
                                     header);
        const std::uint64_t payload_at = end_ + hs + padding;
        std::uint64_t written_end = end_;  // how far this attempt wrote
        int error = 0;
        if (gap == 0) {
            const std::span<const std::byte> parts[] = {header, padding_zeros(static_cast<std::size_t>(padding)), p.head,
                                                        p.body};
            const auto r = detail::write_all_at(fd_.get(), end_, parts);
            written_end = end_ + r.written;
            error = r.error;
        } else {
            // Header first, over the stale bytes (the file does not grow): from then on
            // the record at end_ is this one, incomplete until its payload lands. The
            // other order would let a stale header that claims bytes past the end of
            // the file read as a complete record once this payload extends the file.
            error = detail::write_all_at(fd_.get(), end_, header).error;
            if (error == 0) {
                const std::span<const std::byte> parts[] = {p.head, p.body};
                const auto r = detail::write_all_at(fd_.get(), payload_at, parts);
                written_end = payload_at + r.written;
                error = r.error;
            }
        }
        if (error != 0) {
            stale_end_ = std::max(stale_end_, written_end);
            throw io_error(where(end_), "writing a record failed", error);
        }
        index_.add(timestamp, end_, format::stored_record_crc(header), p.head, payload_at + head, head + p.body.size());
        end_ = payload_at + head + p.body.size();
    }

    void lock(int fd) const {
        if (const int code = detail::lock_exclusive(fd); code != 0) {
            if (code == EWOULDBLOCK) throw channel_error(where(), "already has a writer");
            detail::throw_errno(where(), "cannot lock", code);
        }
        // Lets readers tell a channel being written from a damaged one. Best effort: where
        // the file system has no OFD locks, readers see no writer and report a torn tail.
        (void)detail::set_writer_mark(fd);
    }

    /// Opens the channel file and locks it, making sure the locked file is still
    /// the one at `path_` (a concurrent truncate may have replaced it meanwhile).
    /// Returns an empty handle if there is no such file.
    [[nodiscard]] detail::FileHandle open_locked(int flags) const {
        for (int attempt = 0;; ++attempt) {
            auto file = detail::open_file(path_, flags);
            if (!file) {
                if (errno == ENOENT) return file;
                detail::throw_errno(where(), "cannot open");
            }
            (void)detail::file_size(file.get(), path_);  // refuses anything but a regular file
            lock(file.get());
            if (detail::is_file_at(file.get(), path_)) return file;
            if (attempt == 8) throw channel_error(where(), "the channel keeps being replaced while it is opened");
        }
    }

    /// Creates the channel under a temporary name, writes its header, then moves
    /// it into place, so the channel file appears with a complete header or not at all.
    /// False (nothing done) if another writer created it meanwhile and `exists_ok` is set.
    bool create(const std::filesystem::path& dir, const CodecDescriptor& codec, const ChannelMetadata& metadata,
                bool replace, bool exists_ok = false) {
        detail::FileHandle old;  // held locked until the new file replaced it
        if (replace) {
            old = open_locked(O_RDONLY);
            replace = static_cast<bool>(old);
        }
        detail::TemporaryFile tmp(dir, channel_ + ".tinman");  // removed unless published
        fd_ = tmp.take_file();
        const int fd = fd_.get();
        try {
            if (tmp.locked()) (void)detail::set_writer_mark(fd);  // its lock is the writer's (see `lock`)
            else lock(fd);
            const auto header = format::encode_file_header(codec, metadata);
            write_header(header);
            // The header must be on disk before the name is, or a power loss could leave an empty
            // channel file (`CreateSync::on_first_sync` accepts that until the first sync()).
            if (sync_on_create_ && ::fdatasync(fd) != 0)
                detail::throw_errno({.channel = channel_, .path = tmp.path()}, "cannot sync");
            index_.create(index_path_for(path_), format::stored_header_crc(header), header.size());
            // Replacing: the empty index goes first (an empty index is valid for any channel file).
            // Creating: only once the channel is ours (the name may be taken).
            if (replace) (void)index_.commit();
            const int code = tmp.publish(path_, replace);
            if (code == 0 && !replace) (void)index_.commit();
            if (!time_index_) index_.close();
            if (code == EEXIST && exists_ok) {
                index_.abandon();
                fd_.reset();
                return false;
            }
            if (code == EEXIST)
                throw channel_error(where(), "the channel already exists; open it with OpenMode::append or "
                                             "OpenMode::truncate");
            if (code != 0) detail::throw_errno(where(), "cannot create", code);
        } catch (...) {
            index_.abandon();
            fd_.reset();
            throw;
        }
        // The channel is in place and ours: a failure from here on must not report it as not
        // created. If the directory cannot be synced now (or is not to be), `sync()` syncs it.
        unsynced_dir_ = dir;
        if (sync_on_create_) sync_directory_if_needed(std::nothrow);
        return true;
    }

    /// Makes the channel's name durable if creating it could not (see `create`).
    void sync_directory_if_needed() {
        if (unsynced_dir_.empty()) return;
        detail::sync_directory(unsynced_dir_);
        unsynced_dir_.clear();
    }
    void sync_directory_if_needed(std::nothrow_t) noexcept {
        try {
            sync_directory_if_needed();
        } catch (...) {  // retried by sync()
        }
    }

    void write_header(const std::vector<std::byte>& header) {
        if (const auto r = detail::write_all_at(fd_.get(), 0, header); r.error != 0)
            throw io_error(where(), "cannot write the file header", r.error);
        end_ = header.size();
    }

    /// Opens an existing channel, checks its codec and finds the end of its intact
    /// records. A torn tail is cut (covered by a skip record: the file never shrinks
    /// under a reader's mapping); damage followed by intact records is refused.
    void open_for_append(const std::filesystem::path& dir, const CodecDescriptor& codec,
                         const ChannelMetadata& metadata) {
        for (int attempt = 0; !(fd_ = open_locked(O_RDWR)); ++attempt) {
            // Missing: create it, or append to the one another writer created meanwhile.
            if (create(dir, codec, metadata, false, attempt < 8)) return;
        }
        const int fd = fd_.get();
        const std::uint64_t size = detail::file_size(fd, path_);
        if (size == 0) {  // an empty file (not made by this library, which writes the header first): start it
            const auto header = format::encode_file_header(codec, metadata);
            write_header(header);
            index_.create(index_path_for(path_), format::stored_header_crc(header), header.size());
            (void)index_.commit();
            if (!time_index_) index_.close();
            return;
        }
        std::uint64_t intact_end = 0;
        ChannelMetadata stored_metadata;  // kept if the file has to be replaced
        {
            const auto segment = MappedSegment::map(fd, size, path_);
            const auto file = segment->bytes();
            const auto header = format::parse_file_header(file, where());
            stored_metadata = header.metadata;
            if (header.codec != codec)
                throw codec_mismatch(where(), "the channel stores codec " + header.codec.to_string() +
                                                  ", cannot append with codec " + codec.to_string());
            // Metadata is fixed at creation: none given keeps what is stored.
            if (!metadata.empty() && header.metadata != metadata)
                throw channel_error(where(), "the channel stores metadata " + header.metadata.to_string() +
                                                 ", cannot append with metadata " + metadata.to_string() +
                                                 " (metadata is fixed when a channel is created)");
            RecordScanner scanner(file, header.records_offset);
            std::optional<RecordView> last;
            while (auto r = scanner.next()) last = r;
            const auto& status = scanner.status();
            intact_end = status.intact_end;
            existing_records_ = status.records;
            // The last record is what a crash damages: verify its payload even when it is large.
            if (last && crc32c(last->payload) != scanner.last_header().payload_crc) {
                intact_end = last->offset;
                --existing_records_;
            }
            // A valid header where the intact records end is a record cut short (or with a
            // bad payload): what follows is its own payload, whatever it looks like. Only
            // damage that breaks a header can hide intact records behind it.
            const bool cut_short = size - intact_end >= format::record_header_size &&
                                   format::decode_record_header(file.data() + intact_end).has_value();
            if (intact_end < size && !cut_short) {
                if (const auto next = find_next_record(file, intact_end))
                    throw format_error(where(intact_end), "damaged bytes are followed by an intact record at offset " +
                                                              std::to_string(*next) +
                                                              "; refusing to cut them (recover the channel first)");
            }
            // Bring the time index in step with the intact records (kept if it is a prefix of them).
            const std::uint64_t records = existing_records_;
            const auto for_each_record = [&](auto&& add) {
                RecordScanner again(file, header.records_offset, 0);
                std::int64_t max = std::numeric_limits<std::int64_t>::min();
                for (std::uint64_t i = 0; i < records; ++i) {
                    const auto r = again.next();
                    if (!r) break;
                    max = std::max(max, r->timestamp);
                    add(format::IndexEntry{r->timestamp, max, r->offset,
                                           format::stored_record_crc(file.data() + r->offset)});
                }
            };
            if (time_index_ && !(existing_records_ == 0 && intact_end < size))
                index_.open_for_append(index_path_for(path_), format::stored_header_crc(file), header.records_offset,
                                       records, for_each_record, file);
        }
        end_ = intact_end;
        if (intact_end < size) {
            cut_bytes_ = size - intact_end;
            cut_offset_ = intact_end;
            if (existing_records_ == 0) {  // nothing to keep: a new file replaces this one
                fd_.reset();
                (void)create(dir, codec, stored_metadata, true);
                return;
            }
            end_ = cover_with_skip_record(intact_end, size);
        }
    }

    /// Covers bytes [from, size) of the channel file, which hold no intact record, with
    /// one skip record, instead of cutting them off: a reader following the channel may
    /// have them mapped, and a file that shrinks under a mapping kills that reader
    /// (SIGBUS). Its payload is zeros (a hole where the file system can punch one); the
    /// file grows when fewer than 32 bytes are to be covered. Returns the record's end.
    [[nodiscard]] std::uint64_t cover_with_skip_record(std::uint64_t from, std::uint64_t size) {
        const int fd = fd_.get();
        const std::uint64_t end = std::max(size, from + format::record_header_size);
        // Zeros first, synced, then the header: a crash in between leaves a zero header,
        // which is a torn tail again, covered at the next opening.
        if (::fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(from),
                        static_cast<off_t>(size - from)) != 0) {
            static constexpr std::array<std::byte, 64 * 1024> zeros{};
            for (std::uint64_t at = from; at < size;) {
                const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(zeros.size(), size - at));
                if (const auto r = detail::write_all_at(fd, at, std::span(zeros).first(n)); r.error != 0)
                    throw io_error(where(at), "cannot clear the torn tail", r.error);
                at += n;
            }
        }
        if (::fdatasync(fd) != 0) detail::throw_errno(where(from), "cannot sync");
        const std::uint64_t payload = end - from - format::record_header_size;
        std::array<std::byte, format::record_header_size> header{};
        format::encode_record_header({.timestamp = 0, .payload_size = payload, .padding = 0,
                                      .payload_crc = crc32c_of_zeros(payload), .flags = format::record_flag_skip},
                                     header.data());
        if (const auto r = detail::write_all_at(fd, from, header); r.error != 0)
            throw io_error(where(from), "cannot cover the torn tail", r.error);
        if (::fdatasync(fd) != 0) detail::throw_errno(where(from), "cannot sync");
        return end;
    }

    /// CRC32C of `n` zero bytes.
    [[nodiscard]] static std::uint32_t crc32c_of_zeros(std::uint64_t n) noexcept {
        static constexpr std::array<std::byte, 64 * 1024> zeros{};
        std::uint32_t crc = 0;
        for (; n > 0; n -= std::min<std::uint64_t>(n, zeros.size()))
            crc = crc32c(std::span(zeros).first(static_cast<std::size_t>(std::min<std::uint64_t>(n, zeros.size()))),
                         crc);
        return crc;
    }

    std::string channel_;
    std::filesystem::path path_;
    detail::FileHandle fd_;
    detail::ByteBuffer buffer_;  // records not yet written
    std::uint64_t end_ = 0;      // file offset where buffer_ will be written
    std::uint64_t records_ = 0;
    std::uint64_t existing_records_ = 0;
    std::uint64_t cut_bytes_ = 0;
    std::uint64_t cut_offset_ = 0;
    std::size_t buffered_records_ = 0;
    std::uint64_t stale_end_ = 0;  // end of bytes a failed write left past end_
    IndexWriter index_;
    bool time_index_ = true;
    std::filesystem::path unsynced_dir_;  // a directory whose new entry for this channel awaits its fsync
    bool sync_on_create_ = true;          // see CreateSync
};

/// The 0.1 name of `RecordWriter`.
using BlobWriter [[deprecated("use tinman::RecordWriter")]] = RecordWriter;

}  // namespace tinman
