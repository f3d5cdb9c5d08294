#pragma once
/// @file
/// Layer 3, writing: `ObLogWriter`, a log directory, hands out typed `ChannelWriter`s.

#include <chrono>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <system_error>

#include "blob_writer.hpp"
#include "channel_name.hpp"
#include "codec.hpp"

namespace tinman {

/// Nanoseconds since the Unix epoch by `std::chrono::system_clock`: the default record timestamp.
[[nodiscard]] inline std::int64_t now_ns() noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

/// How an `ObLogWriter` opens its channels.
struct WriterOptions {
    std::size_t buffer_bytes = default_write_buffer_bytes;  ///< per-channel write buffer
    /// Keep each channel's time index (`<channel>.tinman-index`, 32 bytes per record)
    /// as records are written. Without it, readers index a channel by one scan when
    /// they need to (seek, random access, time ranges, summaries).
    bool time_index = true;
};

/// Writes the values of one channel with codec `C`. A cheap handle: copies
/// share the channel. Not thread-safe; different channels may be written from
/// different threads.
///
///     auto write = log.get_writer("pose", tinman::NdArrayCodec<float>{});
///     write(xt::xtensor<float, 1>{1, 2, 3});           // timestamped now
///     write(tinman::now_ns(), xt::xtensor<float, 1>{4, 5, 6});
template <Codec C>
class ChannelWriter {
public:
    using codec_type = C;

    /// Appends `value`, timestamped with `now_ns()`.
    template <class V>
        requires CodecFor<C, V>
    void write(const V& value) {
        write(now_ns(), value);
    }

    /// Appends `value` with `timestamp` (ns since the Unix epoch).
    template <class V>
        requires CodecFor<C, V>
    void write(std::int64_t timestamp, const V& value) {
        State& s = state();
        s.blob.append(timestamp, s.codec.encode(value, s.scratch));
    }

    /// Appends `value` with a `system_clock` time point.
    template <class Duration, class V>
        requires CodecFor<C, V>
    void write(std::chrono::time_point<std::chrono::system_clock, Duration> t, const V& value) {
        write(std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count(), value);
    }

    /// Same as `write`.
    template <class... Args>
    auto operator()(const Args&... args) -> decltype(this->write(args...)) {
        return write(args...);
    }

    /// Hands buffered records to the OS.
    void flush() { state().blob.flush(); }
    /// Flushes and waits until the records are on the storage device.
    void sync() { state().blob.sync(); }
    /// Flushes and closes the channel, reporting errors; the log's other channels stay open.
    void close() { state().blob.close(); }

    [[nodiscard]] const std::string& channel() const { return state().blob.channel(); }
    [[nodiscard]] std::uint64_t records_written() const { return state().blob.records_written(); }
    /// The underlying record writer (file size, bytes cut on append, ...).
    [[nodiscard]] const BlobWriter& blob() const { return state().blob; }

private:
    friend class ObLogWriter;
    struct State {
        State(const std::filesystem::path& dir, std::string_view name, C c, OpenMode mode, std::size_t buffer,
              bool time_index)
            : codec(std::move(c)), blob(dir, std::string(name), codec.descriptor(), mode, buffer, time_index) {}
        C codec;
        BlobWriter blob;
        EncodeScratch scratch;
    };
    explicit ChannelWriter(std::shared_ptr<State> s) : state_(std::move(s)) {}
    State& state() const {
        if (!state_) throw channel_error("ChannelWriter was default-constructed or moved from");
        return *state_;
    }
    std::shared_ptr<State> state_;

public:
    ChannelWriter() = default;
};

/// A log directory being written: one append-only file per channel.
///
///     tinman::ObLogWriter log{"logs"};
///     auto write = log.get_writer("sensor_data", tinman::NdArrayCodec<double>{});
///     write(xt::random::rand<double>({1000}));
///     log.close();  // or let the destructor close (it never throws)
class ObLogWriter {
public:
    /// Opens (and creates, if needed) the log directory `dir`.
    explicit ObLogWriter(std::filesystem::path dir, WriterOptions options = {})
        : dir_(std::move(dir)), options_(options) {
        std::error_code ec;
        std::filesystem::create_directories(dir_, ec);
        if (ec) throw io_error("cannot create log directory '" + dir_.string() + "'", ec.value());
    }
    ObLogWriter(const ObLogWriter&) = delete;
    ObLogWriter& operator=(const ObLogWriter&) = delete;
    ~ObLogWriter() {
        try {
            close();
        } catch (...) {  // destructors never throw: call close() to see errors
        }
    }

    /// A writer for channel `name` with `codec`. `mode` says what to do if the
    /// channel exists: by default that is an error. A channel has at most one
    /// writer at a time, in this process or any other (`channel_error` otherwise).
    template <Codec C>
    [[nodiscard]] ChannelWriter<C> get_writer(std::string_view name, C codec = {}, OpenMode mode = OpenMode::create) {
        validate_channel_name(name);
        std::lock_guard lock(mutex_);
        if (auto it = channels_.find(name); it != channels_.end()) {
            if (it->second->is_open()) throw channel_error("Channel '" + std::string(name) + "' already has a writer");
            channels_.erase(it);
        }
        auto state = std::make_shared<typename ChannelWriter<C>::State>(dir_, name, std::move(codec), mode,
                                                                         options_.buffer_bytes, options_.time_index);
        channels_.emplace(std::string(name), std::shared_ptr<BlobWriter>(state, &state->blob));
        return ChannelWriter<C>(std::move(state));
    }

    /// Hands every channel's buffered records to the OS. Like `sync` and `close`,
    /// it acts on every channel: no other thread may be writing meanwhile.
    void flush() {
        for_each_open([](BlobWriter& b) { b.flush(); });
    }
    /// Flushes every channel and waits for its records to reach the storage device.
    void sync() {
        for_each_open([](BlobWriter& b) { b.sync(); });
    }
    /// Closes every channel (writing from another thread must have stopped);
    /// all are closed even if one fails, and the first failure is thrown.
    void close() {
        for_each_open([](BlobWriter& b) { b.close(); });
        std::lock_guard lock(mutex_);
        channels_.clear();
    }

    [[nodiscard]] const std::filesystem::path& directory() const noexcept { return dir_; }

private:
    template <class F>
    void for_each_open(F f) {
        std::lock_guard lock(mutex_);
        std::exception_ptr first;
        for (auto& [name, blob] : channels_) {
            if (!blob->is_open()) continue;
            try {
                f(*blob);
            } catch (...) {
                if (!first) first = std::current_exception();
            }
        }
        if (first) std::rethrow_exception(first);
    }

    std::filesystem::path dir_;
    WriterOptions options_;
    std::mutex mutex_;
    std::map<std::string, std::shared_ptr<BlobWriter>, std::less<>> channels_;
};

}  // namespace tinman
