#pragma once
/// @file
/// Layer 2, writing: appends checksummed records to one channel file.
/// Small records are buffered (no syscall per record); large payload bodies go
/// to the kernel with `pwritev` straight from the caller's memory (no copy).

#include <sys/file.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
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
    BlobWriter(const std::filesystem::path& dir, std::string channel, const CodecDescriptor& codec,
               OpenMode mode = OpenMode::create, std::size_t buffer_bytes = default_write_buffer_bytes)
        : channel_(std::move(channel)), path_(channel_path(dir, channel_)) {
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

    /// Appends one record. The record reaches the file by the next `flush()`, or
    /// sooner; only a completely written record is ever visible to readers.
    void append(std::int64_t timestamp, const Payload& p) {
        check_writable();
        const std::size_t head = p.head.size(), body = p.body.size();
        const std::uint64_t start = end_ + used_;
        const std::size_t align = p.body_alignment;
        if (align == 0 || align > 4096 || (align & (align - 1)) != 0)
            throw error(where() + ": body alignment " + std::to_string(align) + " is not a power of two up to 4096");
        const std::size_t padding =
            (align - (start + format::record_header_size + head) % align) % align;
        const format::RecordHeader h{timestamp, head + body, static_cast<std::uint32_t>(padding),
                                     crc32c(p.body, crc32c(p.head)), 0};
        const std::size_t frame = format::record_header_size + padding + head;
        const bool direct = body >= direct_write_min_bytes;
        if (used_ + frame + (direct ? 0 : body) > capacity_) flush();
        std::byte* out = buffer_.get() + used_;
        format::encode_record_header(h, out);
        std::memset(out + format::record_header_size, 0, padding);
        if (head) std::memcpy(out + format::record_header_size + padding, p.head.data(), head);
        used_ += frame;
        if (direct) {
            write_out(p.body);
        } else {
            if (body) std::memcpy(buffer_.get() + used_, p.body.data(), body);
            used_ += body;
        }
        ++records_;
    }

    /// Hands buffered records to the OS (they survive a crash of this process).
    void flush() {
        check_open();
        if (used_) write_out({});
    }

    /// Flushes, then waits until the file's data is on the storage device (`fdatasync`).
    void sync() {
        flush();
        if (::fdatasync(fd_.get()) != 0) {
            const int code = errno;
            fail("cannot sync", code);
        }
    }

    /// Flushes and closes the file; reports any failure. Closing twice does nothing.
    void close() {
        if (!fd_) return;
        std::exception_ptr first;
        if (!failed_) {
            try {
                flush();
            } catch (...) {
                first = std::current_exception();
            }
        }
        const int rc = fd_.close();
        if (first) std::rethrow_exception(first);
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
    [[nodiscard]] std::string where() const { return "channel '" + channel_ + "' ('" + path_.string() + "')"; }

    [[noreturn]] void fail(const std::string& what, int code) {
        failed_ = true;
        throw io_error(where() + ": " + what, code);
    }

    void check_open() const {
        if (!fd_) throw channel_error("channel '" + channel_ + "' is closed");
    }
    void check_writable() const {
        check_open();
        if (failed_)
            throw channel_error(where() + ": an earlier write failed; reopen the channel in append mode to continue");
    }

    /// Writes the buffer, then `extra`, at the end of the file; handles short writes and EINTR.
    void write_out(std::span<const std::byte> extra) {
        iovec iov[2] = {{buffer_.get(), used_}, {const_cast<std::byte*>(extra.data()), extra.size()}};
        std::size_t first = 0;
        std::uint64_t offset = end_;
        for (;;) {
            while (first < 2 && iov[first].iov_len == 0) ++first;
            if (first == 2) break;
            const ssize_t n = ::pwritev(fd_.get(), iov + first, static_cast<int>(2 - first), static_cast<off_t>(offset));
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                const int code = n < 0 ? errno : EIO;
                fail("write at offset " + std::to_string(offset) + " failed", code);
            }
            offset += static_cast<std::uint64_t>(n);
            for (auto left = static_cast<std::size_t>(n); left > 0;) {
                const std::size_t step = std::min(left, iov[first].iov_len);
                iov[first].iov_base = static_cast<std::byte*>(iov[first].iov_base) + step;
                iov[first].iov_len -= step;
                left -= step;
                if (iov[first].iov_len == 0) ++first;
            }
        }
        end_ = offset;
        used_ = 0;
    }

    void lock(int fd) const {
        if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
            if (errno == EWOULDBLOCK) throw channel_error("Channel '" + channel_ + "' already has a writer");
            detail::throw_errno(where() + ": cannot lock");
        }
    }

    /// Creates the channel under a temporary name, writes its header, then moves
    /// it into place, so the channel file appears with a complete header or not at all.
    void create(const std::filesystem::path& dir, const CodecDescriptor& codec, bool replace) {
        detail::FileHandle old;
        if (replace) {
            const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
            if (fd >= 0) {
                old = detail::FileHandle{fd};
                lock(old.get());  // a live writer of the old file keeps it
            } else if (errno != ENOENT) {
                detail::throw_errno(where() + ": cannot open");
            } else {
                replace = false;
            }
        }
        static std::atomic<unsigned> counter{0};
        const auto tmp = dir / ("." + channel_ + ".tinman." + std::to_string(::getpid()) + "." +
                                std::to_string(counter++) + ".tmp");
        const int fd = ::open(tmp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0) detail::throw_errno(where() + ": cannot create '" + tmp.string() + "'");
        fd_ = detail::FileHandle{fd};
        try {
            lock(fd);
            const auto header = format::encode_file_header(codec);
            write_header(header);
            const int rc = replace ? ::rename(tmp.c_str(), path_.c_str()) : ::link(tmp.c_str(), path_.c_str());
            if (rc != 0) {
                if (errno == EEXIST)
                    throw channel_error(where() +
                                        " already exists; open it with OpenMode::append or OpenMode::truncate");
                detail::throw_errno(where() + ": cannot create");
            }
            if (!replace) ::unlink(tmp.c_str());
        } catch (...) {
            fd_.reset();
            ::unlink(tmp.c_str());
            throw;
        }
    }

    void write_header(const std::vector<std::byte>& header) {
        std::memcpy(buffer_.get(), header.data(), header.size());
        used_ = header.size();
        end_ = 0;
        write_out({});
    }

    /// Opens an existing channel, checks its codec and finds the end of its intact
    /// records. A torn tail is cut; damage followed by intact records is refused.
    void open_for_append(const std::filesystem::path& dir, const CodecDescriptor& codec) {
        const int fd = ::open(path_.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0) {
            if (errno == ENOENT) return create(dir, codec, false);
            detail::throw_errno(where() + ": cannot open");
        }
        fd_ = detail::FileHandle{fd};
        lock(fd);
        const std::uint64_t size = detail::file_size(fd, path_);
        if (size == 0) {  // created but its header never reached the disk
            write_header(format::encode_file_header(codec));
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
            if (intact_end < size) {
                if (const auto next = find_next_record(file, intact_end))
                    throw format_error(where() + ": damaged bytes at offset " + std::to_string(intact_end) +
                                       " are followed by an intact record at offset " + std::to_string(*next) +
                                       "; refusing to cut them (recover the channel first)");
            }
        }
        if (intact_end < size) {
            if (::ftruncate(fd, static_cast<off_t>(intact_end)) != 0) {
                const int code = errno;
                fail("cannot cut the torn tail", code);
            }
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
    bool failed_ = false;
};

}  // namespace tinman
