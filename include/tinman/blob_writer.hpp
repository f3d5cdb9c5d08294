#pragma once
/// @file
/// Layer 2, writing: appends checksummed records to one channel file.
/// Small records are buffered (no syscall per record); large payload bodies go
/// to the kernel with `pwritev` straight from the caller's memory (no copy).

#include <sys/file.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <initializer_list>
#include <limits>
#include <memory>
#include <span>
#include <string>

#include "blob_reader.hpp"
#include "channel_name.hpp"
#include "config.hpp"
#include "detail/file.hpp"
#include "error.hpp"
#include "format.hpp"
#include "mapped_segment.hpp"
#include "time_index.hpp"

namespace tinman {

/// What to do when the channel file already exists.
enum class OpenMode {
    create,    ///< fail with `channel_error` if the channel exists (the default: never lose data)
    append,    ///< continue after the last intact record, cutting a torn tail; create if missing
    truncate,  ///< replace the channel with an empty one (atomically: readers keep the old file)
};

/// A record's payload as a codec lays it out: a small `head` (metadata) and a
/// `body` (bulk data) that the file stores back to back. The writer pads before
/// the payload so that the body starts at a file offset that is a multiple of
/// `body_alignment` (a power of two, at most 4096).
struct Payload {
    std::span<const std::byte> head;
    std::span<const std::byte> body;
    std::size_t body_alignment = 1;
};

/// Appends records to one channel file, which it holds an exclusive `flock` on
/// (a second writer, in this or another process, is refused). Not thread-safe:
/// use one writer per thread (different channels may be written concurrently).
class BlobWriter {
public:
    /// With `time_index` false no index entries are written (readers then index the
    /// channel by a scan); a new or truncated channel still gets an empty index file,
    /// so that no stale one is left beside it.
    BlobWriter(const std::filesystem::path& dir, std::string channel, const CodecDescriptor& codec,
               OpenMode mode = OpenMode::create, std::size_t buffer_bytes = default_write_buffer_bytes,
               bool time_index = true)
        : channel_(std::move(channel)), path_(channel_path(dir, channel_)), time_index_(time_index) {
        capacity_ = std::max(buffer_bytes, 2 * direct_write_min_bytes);
        buffer_ = std::make_unique<std::byte[]>(capacity_);
        switch (mode) {
        case OpenMode::create: create(dir, codec, false); break;
        case OpenMode::truncate: create(dir, codec, true); break;
        case OpenMode::append: open_for_append(dir, codec); break;
        }
    }

    BlobWriter(const BlobWriter&) = delete;
    BlobWriter& operator=(const BlobWriter&) = delete;
    ~BlobWriter() {
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
            throw error(where() + ": body alignment " + std::to_string(align) + " is not a power of two up to 4096");
        const std::size_t head = p.head.size(), body = p.body.size();
        const std::uint32_t crc = crc32c(p.body, crc32c(p.head));
        constexpr std::size_t hs = format::record_header_size;
        if (body < direct_write_min_bytes && hs + align + head + body <= capacity_ && stale_end_ <= end_) {
            const std::uint64_t start = end_ + used_;
            std::size_t padding = (align - (start + hs + head) % align) % align;
            if (used_ + hs + padding + head + body > capacity_) {
                check_open();
                flush_buffer();
                index_.flush(index_batch_bytes);  // in batches between explicit flushes: half the system calls
                padding = (align - (end_ + hs + head) % align) % align;
            }
            std::byte* out = buffer_.get() + used_;
            format::encode_record_header({timestamp, head + body, static_cast<std::uint32_t>(padding), crc, 0}, out);
            index_.add(timestamp, end_ + used_, detail::load_le<std::uint32_t>(out + 28));
            std::memset(out + hs, 0, padding);
            if (head) std::memcpy(out + hs + padding, p.head.data(), head);
            if (body) std::memcpy(out + hs + padding + head, p.body.data(), body);
            used_ += hs + padding + head + body;
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
        if (used_ != 0) flush_buffer();
        index_.flush();  // only now: the index never gets ahead of the records
    }

    /// Flushes, then waits until the file's data is on the storage device (`fdatasync`).
    void sync() {
        flush();
        if (::fdatasync(fd_.get()) != 0) detail::throw_errno(where() + ": cannot sync");
    }

    /// Flushes and closes the file; reports any failure (buffered records that could
    /// not be written are then lost, and the error says how many). Closing twice does nothing.
    void close() {
        if (!fd_) return;
        std::exception_ptr first;
        try {
            flush();
        } catch (...) {
            first = std::current_exception();
        }
        const std::size_t lost = buffered_records_;
        index_.drop_last(lost);  // entries of records that were never written
        index_.close();
        used_ = 0;
        buffered_records_ = 0;
        const int rc = fd_.close();
        if (first) {
            try {
                std::rethrow_exception(first);
            } catch (const io_error& e) {
                throw io_error(where() + ": closed with " + std::to_string(lost) + " records unwritten", e.code());
            }
        }
        if (rc != 0) throw io_error(where() + ": close failed", rc);
    }

    [[nodiscard]] bool is_open() const noexcept { return static_cast<bool>(fd_); }
    [[nodiscard]] const std::string& channel() const noexcept { return channel_; }
    [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
    /// Records appended through this writer (buffered ones included).
    [[nodiscard]] std::uint64_t records_written() const noexcept { return records_; }
    /// Logical file size: bytes written plus bytes buffered.
    [[nodiscard]] std::uint64_t size() const noexcept { return end_ + used_; }
    /// Bytes of a torn tail cut when the channel was opened in append mode.
    [[nodiscard]] std::uint64_t cut_bytes() const noexcept { return cut_bytes_; }
    /// Intact records that were already in the file when it was opened in append mode.
    [[nodiscard]] std::uint64_t existing_records() const noexcept { return existing_records_; }

private:
    void flush_buffer() {
        std::span<const std::byte> buffered{buffer_.get(), used_};
        const auto [written, code] = write_at(end_, {&buffered, 1});
        if (code == 0) {
            end_ += used_;
            used_ = 0;
            buffered_records_ = 0;
            return;
        }
        // The records that did reach the file are written; the rest stay buffered
        // (a retry rewrites the same bytes at the same offsets).
        std::size_t done = 0, done_records = 0;
        while (done_records < buffered_records_) {
            const std::byte* h = buffer_.get() + done;
            const std::uint64_t size = format::record_header_size + detail::load_le<std::uint32_t>(h + 16) +
                                       detail::load_le<std::uint64_t>(h + 8);
            if (done + size > written) break;
            done += static_cast<std::size_t>(size);
            ++done_records;
        }
        std::memmove(buffer_.get(), buffer_.get() + done, used_ - done);
        used_ -= done;
        end_ += done;
        buffered_records_ -= done_records;
        throw io_error(where() + ": writing buffered records at offset " + std::to_string(end_ - done) + " failed; " +
                           std::to_string(done_records) + " were written, " + std::to_string(buffered_records_) +
                           " stay buffered (flush again to retry)",
                       code);
    }

    [[nodiscard]] std::string where() const { return "channel '" + channel_ + "' ('" + path_.string() + "')"; }

    void check_open() const {
        if (!fd_) throw channel_error("channel '" + channel_ + "' is closed");
    }

    static constexpr std::size_t max_body_alignment = 4096;
    static constexpr std::size_t index_batch_bytes = std::size_t{64} << 10;

    static std::span<const std::byte> padding_zeros(std::size_t n) noexcept {
        static constexpr std::byte zeros[max_body_alignment]{};
        return {zeros, n};
    }

    struct WriteResult {
        std::uint64_t written;
        int error;  // errno, 0 on success
    };

    /// Writes `parts` back to back at `offset`; handles short writes and EINTR.
    [[nodiscard]] WriteResult write_at(std::uint64_t offset, std::span<const std::span<const std::byte>> parts) const {
        iovec iov[4];
        std::size_t count = 0;
        for (const auto& part : parts)
            if (!part.empty()) iov[count++] = {const_cast<std::byte*>(part.data()), part.size()};
        std::uint64_t written = 0;
        std::size_t first = 0;
        while (first < count) {
            const ssize_t n = ::pwritev(fd_.get(), iov + first, static_cast<int>(count - first),
                                        static_cast<off_t>(offset + written));
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return {written, n < 0 ? errno : EIO};
            written += static_cast<std::uint64_t>(n);
            for (auto left = static_cast<std::size_t>(n); left > 0;) {
                const std::size_t step = std::min(left, iov[first].iov_len);
                iov[first].iov_base = static_cast<std::byte*>(iov[first].iov_base) + step;
                iov[first].iov_len -= step;
                left -= step;
                if (iov[first].iov_len == 0) ++first;
            }
        }
        return {written, 0};
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
            throw io_error(where() + ": cannot place a record after " + std::to_string(gap) +
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
            const auto r = write_at(end_, parts);
            written_end = end_ + r.written;
            error = r.error;
        } else {
            // Header first, over the stale bytes (the file does not grow): from then on
            // the record at end_ is this one, incomplete until its payload lands. The
            // other order would let a stale header that claims bytes past the end of
            // the file read as a complete record once this payload extends the file.
            const std::span<const std::byte> h[] = {header};
            error = write_at(end_, h).error;
            if (error == 0) {
                const std::span<const std::byte> parts[] = {p.head, p.body};
                const auto r = write_at(payload_at, parts);
                written_end = payload_at + r.written;
                error = r.error;
            }
        }
        if (error != 0) {
            stale_end_ = std::max(stale_end_, written_end);
            throw io_error(where() + ": writing a record at offset " + std::to_string(end_) + " failed", error);
        }
        index_.add(timestamp, end_, detail::load_le<std::uint32_t>(header + 28));
        end_ = payload_at + head + p.body.size();
    }

    void lock(int fd) const {
        if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
            if (errno == EWOULDBLOCK) throw channel_error("Channel '" + channel_ + "' already has a writer");
            detail::throw_errno(where() + ": cannot lock");
        }
    }

    /// Opens the channel file and locks it, making sure the locked file is still
    /// the one at `path_` (a concurrent truncate may have replaced it meanwhile).
    /// Returns an empty handle if there is no such file.
    [[nodiscard]] detail::FileHandle open_locked(int flags) const {
        for (int attempt = 0;; ++attempt) {
            detail::FileHandle file{::open(path_.c_str(), flags | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)};
            if (!file) {
                if (errno == ENOENT) return file;
                detail::throw_errno(where() + ": cannot open");
            }
            (void)detail::file_size(file.get(), path_);  // refuses anything but a regular file
            lock(file.get());
            struct stat locked {}, current {};
            if (::fstat(file.get(), &locked) != 0) detail::throw_errno(where() + ": cannot stat");
            if (::lstat(path_.c_str(), &current) == 0 && current.st_dev == locked.st_dev &&
                current.st_ino == locked.st_ino)
                return file;
            if (attempt == 8) throw channel_error(where() + " keeps being replaced while it is opened");
        }
    }

    /// Creates the channel under a temporary name, writes its header, then moves
    /// it into place, so the channel file appears with a complete header or not at all.
    void create(const std::filesystem::path& dir, const CodecDescriptor& codec, bool replace) {
        detail::FileHandle old;  // held locked until the new file replaced it
        if (replace) {
            old = open_locked(O_RDONLY);
            replace = static_cast<bool>(old);
        }
        auto [file, tmp] = detail::create_temporary_file(dir, channel_ + ".tinman");
        const int fd = file.get();
        fd_ = std::move(file);
        try {
            lock(fd);
            const auto header = format::encode_file_header(codec);
            write_header(header);
            // The header must be on disk before the name is, or a power loss could leave an empty channel file.
            if (::fdatasync(fd) != 0) detail::throw_errno(where() + ": cannot sync '" + tmp.string() + "'");
            index_.create(index_path_for(path_), format::stored_header_crc(header), header.size());
            // Replacing: the empty index goes first (an empty index is valid for any channel file).
            // Creating: only once the channel is ours (the name may be taken).
            if (replace) (void)index_.commit();
            const int rc = replace ? ::rename(tmp.c_str(), path_.c_str()) : ::link(tmp.c_str(), path_.c_str());
            if (rc == 0 && !replace) (void)index_.commit();
            if (!time_index_) index_.close();
            if (rc != 0) {
                if (errno == EEXIST)
                    throw channel_error(where() +
                                        " already exists; open it with OpenMode::append or OpenMode::truncate");
                detail::throw_errno(where() + ": cannot create");
            }
            if (!replace) ::unlink(tmp.c_str());
            sync_directory(dir);
        } catch (...) {
            index_.abandon();
            fd_.reset();
            ::unlink(tmp.c_str());
            throw;
        }
    }

    void write_header(const std::vector<std::byte>& header) {
        const std::span<const std::byte> part{header};
        if (const auto [written, code] = write_at(0, {&part, 1}); code != 0)
            throw io_error(where() + ": cannot write the file header", code);
        end_ = header.size();
    }

    void sync_directory(const std::filesystem::path& dir) const {
        const detail::FileHandle d{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
        if (!d || ::fsync(d.get()) != 0) detail::throw_errno(where() + ": cannot sync directory '" + dir.string() + "'");
    }

    /// Opens an existing channel, checks its codec and finds the end of its intact
    /// records. A torn tail is cut; damage followed by intact records is refused.
    void open_for_append(const std::filesystem::path& dir, const CodecDescriptor& codec) {
        fd_ = open_locked(O_RDWR);
        if (!fd_) return create(dir, codec, false);
        const int fd = fd_.get();
        const std::uint64_t size = detail::file_size(fd, path_);
        if (size == 0) {  // an empty file (not made by this library, which writes the header first): start it
            const auto header = format::encode_file_header(codec);
            write_header(header);
            index_.create(index_path_for(path_), format::stored_header_crc(header), header.size());
            (void)index_.commit();
            if (!time_index_) index_.close();
            return;
        }
        std::uint64_t intact_end = 0;
        {
            const auto segment = MappedSegment::map(fd, size, path_);
            const auto file = segment->bytes();
            const auto header = format::parse_file_header(file, where());
            if (header.codec != codec)
                throw codec_mismatch(where() + " stores codec " + header.codec.to_string() +
                                     ", cannot append with codec " + codec.to_string());
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
                    throw format_error(where() + ": damaged bytes at offset " + std::to_string(intact_end) +
                                       " are followed by an intact record at offset " + std::to_string(*next) +
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
                                           detail::load_le<std::uint32_t>(file.data() + r->offset + 28)});
                }
            };
            if (time_index_)
                index_.open_for_append(index_path_for(path_), format::stored_header_crc(file), header.records_offset,
                                       records, for_each_record);
        }
        if (intact_end < size) {
            if (::ftruncate(fd, static_cast<off_t>(intact_end)) != 0) detail::throw_errno(where() + ": cannot cut the torn tail");
            cut_bytes_ = size - intact_end;
        }
        end_ = intact_end;
    }

    std::string channel_;
    std::filesystem::path path_;
    detail::FileHandle fd_;
    std::unique_ptr<std::byte[]> buffer_;
    std::size_t capacity_ = 0;
    std::size_t used_ = 0;     // bytes in buffer_ not yet written
    std::uint64_t end_ = 0;    // file offset where buffer_ will be written
    std::uint64_t records_ = 0;
    std::uint64_t existing_records_ = 0;
    std::uint64_t cut_bytes_ = 0;
    std::size_t buffered_records_ = 0;
    std::uint64_t stale_end_ = 0;  // end of bytes a failed write left past end_
    IndexWriter index_;
    bool time_index_ = true;
};

}  // namespace tinman
