#pragma once
/// @file
/// Writes Python tinman `.blog` channels that Python tinman's `ObLogReader`
/// reads: record 0 is the 57-byte pickle of `tinman.codecs.numpy.NumpyArrayCodec`,
/// every later record an array in the NumpyArrayCodec layout, framed `<QQ`.
///
///     tinman::python::BlogWriter out{"python_logs", "imu"};
///     out.write(tinman::now_ns(), xt::xtensor<double, 1>{1, 2, 3});
///     out.close();
///
/// Unlike Python's writer it never deletes other channels, and refuses to
/// replace an existing one unless asked (`OpenMode::truncate`). The format has
/// no checksums and no alignment: the files hold what Python's would.

#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "../channel/open_mode.hpp"
#include "../codecs/any_array_codec.hpp"
#include "../codecs/ndarray_codec.hpp"
#include "../detail/byte_buffer.hpp"
#include "../detail/posix.hpp"
#include "../framing/channel_files.hpp"
#include "../framing/timestamp.hpp"
#include "blog_format.hpp"

namespace tinman::python {

/// Writes one `.blog` channel of arrays. Not thread-safe.
class BlogWriter {
public:
    /// Creates `<dir>/<channel>.blog` (and `dir` if needed) and writes the codec
    /// record, timestamped `codec_timestamp`. `OpenMode::create` (default) fails
    /// with `channel_error` if the file exists, `truncate` replaces it atomically;
    /// `append` is not supported (the format cannot tell a torn tail reliably).
    BlogWriter(const std::filesystem::path& dir, std::string_view channel, OpenMode mode = OpenMode::create,
               std::int64_t codec_timestamp = now_ns())
        : channel_(channel) {
        validate_channel_name(channel);
        path_ = dir / (channel_ + std::string(blog_suffix));
        if (mode == OpenMode::append) throw usage_error(where(), "appending to a .blog channel is not supported");
        std::error_code ec;
        std::filesystem::create_directories(dir, ec);
        if (ec) throw io_error({.path = dir}, "cannot create the log directory", ec.value());
        // Written under a temporary name and moved into place with its codec record, so
        // the channel appears complete or not at all; `truncate` replaces the file
        // (never shrinks it: a reader that has it mapped keeps reading the old one).
        tinman::detail::TemporaryFile tmp(dir, channel_ + ".blog");  // removed unless published
        fd_ = tmp.take_file();
        try {
            write_record(codec_timestamp, numpy_codec_pickle, {});
            flush();
            const int code = tmp.publish(path_, mode == OpenMode::truncate);
            if (code == EEXIST)
                throw channel_error(where(), "the channel already exists; open it with OpenMode::truncate");
            if (code != 0) tinman::detail::throw_errno(where(), "cannot create", code);
        } catch (...) {
            fd_.reset();
            throw;
        }
        records_ = 0;
    }

    BlogWriter(const BlogWriter&) = delete;
    BlogWriter& operator=(const BlogWriter&) = delete;
    ~BlogWriter() {
        try {
            close();
        } catch (...) {  // destructors never throw: call close() to see errors
        }
    }

    /// Appends `value`: an `AnyArray`, an xtensor expression of an element type, or one element (a 0-d array).
    /// Arrays of 64 KiB or more are written at once; if that fails after some of their bytes
    /// landed, the channel ends with that incomplete record and later writes throw `io_error`
    /// (the format has no way to step over the bytes left behind).
    template <class V>
    void write(std::int64_t timestamp, const V& value) {
        Payload p;
        if constexpr (Element<V>) {
            p = NdArrayCodec<V>{}.encode(value, scratch_);
        } else {
            tinman::detail::assert_writable<AnyArrayCodec, V>();
            p = AnyArrayCodec{}.encode(value, scratch_);
        }
        write_record(timestamp, p.head, p.body);
    }

    /// Appends `value`, timestamped with `now_ns()`.
    template <class V>
    void write(const V& value) {
        write(now_ns(), value);
    }

    /// Hands buffered records to the OS. If that fails part way, what reached the
    /// file stays written and the rest stays buffered for the next `flush()`.
    void flush() {
        check_open();
        const auto r = tinman::detail::write_all_at(fd_.get(), end_, buffer_.bytes());
        end_ += r.written;
        buffer_.drop_front(static_cast<std::size_t>(r.written));
        if (r.error != 0) throw io_error(where(), "write failed", r.error);
    }

    /// Flushes and closes the file, reporting failures. Closing twice does nothing.
    void close() {
        if (!fd_) return;
        tinman::detail::flush_and_close(fd_, where(), [&] { flush(); }, [&] { buffer_.clear(); });
    }

    [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
    /// Data records written (the codec record not counted).
    [[nodiscard]] std::uint64_t records_written() const noexcept { return records_; }

private:
    static constexpr std::size_t buffer_limit = std::size_t{1} << 16;

    [[nodiscard]] ErrorContext where() const { return {.channel = channel_, .path = path_}; }

    void check_open() const {
        if (!fd_) throw usage_error(where(), "the channel writer is closed");
    }

    void write_record(std::int64_t timestamp, std::span<const std::byte> head, std::span<const std::byte> body) {
        check_open();
        if (torn_at_)
            throw io_error({.channel = channel_, .path = path_, .offset = *torn_at_},
                           "a failed write left an incomplete record here, where the channel now ends; write a new "
                           "channel to continue",
                           EIO);
        if (timestamp < 0)
            throw usage_error(where(), "timestamp " + std::to_string(timestamp) +
                                           " cannot be stored (the format's is unsigned)");
        std::byte header[blog_header_size];
        tinman::detail::store_le<std::uint64_t>(header, static_cast<std::uint64_t>(timestamp));
        tinman::detail::store_le<std::uint64_t>(header + 8, head.size() + body.size());
        if (buffer_.size() + sizeof header + head.size() + body.size() <= buffer_limit) {
            buffer_.append(header);
            buffer_.append(head);
            buffer_.append(body);
        } else {  // large: after what is buffered, straight from the caller's memory
            flush();
            const std::span<const std::byte> parts[] = {header, head, body};
            const auto r = tinman::detail::write_all_at(fd_.get(), end_, parts);
            if (r.error != 0) {
                // The bytes that landed form a record that runs past the end of the file, which
                // readers stop before; anything written after them would be read as part of it.
                if (r.written != 0) torn_at_ = end_;
                throw io_error(where(), "write failed", r.error);
            }
            end_ += r.written;
        }
        ++records_;
    }

    std::string channel_;
    std::filesystem::path path_;
    tinman::detail::FileHandle fd_;
    std::uint64_t end_ = 0;  // file offset where buffer_ goes
    tinman::detail::ByteBuffer buffer_;
    EncodeScratch scratch_;
    std::uint64_t records_ = 0;
    std::optional<std::uint64_t> torn_at_;  // offset of a partly written large record: nothing may follow it
};

}  // namespace tinman::python
