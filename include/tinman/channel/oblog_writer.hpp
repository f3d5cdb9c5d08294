#pragma once
/// @file
/// `ObLogWriter`, a log directory being written, hands out typed `ChannelWriter`s.

#include <cstdint>
#include <exception>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <system_error>

#include "../framing/channel_files.hpp"
#include "channel_writer.hpp"

namespace tinman {

/// How an `ObLogWriter` opens its channels.
struct WriterOptions {
    std::size_t buffer_bytes = default_write_buffer_bytes;  ///< per-channel write buffer
    /// Keep each channel's time index (`<channel>.tinman-index`, 32 bytes per record)
    /// as records are written. Without it, readers index a channel by one scan when
    /// they need to (seek, random access, time ranges, summaries).
    bool time_index = true;
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
        if (ec) throw io_error({.path = dir_}, "cannot create the log directory", ec.value());
        (void)detail::remove_stale_temporaries(dir_);  // left by writers killed while creating a file
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
            if (it->second->is_open())
                throw channel_error({.channel = std::string(name)}, "already has a writer");
            channels_.erase(it);
        }
        auto state = std::make_shared<typename ChannelWriter<C>::State>(dir_, name, std::move(codec), mode,
                                                                         options_.buffer_bytes, options_.time_index);
        channels_.emplace(std::string(name), std::shared_ptr<RecordWriter>(state, &state->records));
        return ChannelWriter<C>(std::move(state));
    }

    /// Hands every channel's buffered records to the OS. Like `sync` and `close`,
    /// it acts on every channel: no other thread may be writing meanwhile.
    void flush() {
        for_each_open([](RecordWriter& b) { b.flush(); });
    }
    /// Flushes every channel and waits for its records to reach the storage device.
    void sync() {
        for_each_open([](RecordWriter& b) { b.sync(); });
    }
    /// Closes every channel (writing from another thread must have stopped);
    /// all are closed even if one fails, and the first failure is thrown.
    void close() {
        for_each_open([](RecordWriter& b) { b.close(); });
        std::lock_guard lock(mutex_);
        channels_.clear();
    }

    [[nodiscard]] const std::filesystem::path& directory() const noexcept { return dir_; }

private:
    template <class F>
    void for_each_open(F f) {
        std::lock_guard lock(mutex_);
        std::exception_ptr first;
        for (auto& [name, records] : channels_) {
            if (!records->is_open()) continue;
            try {
                f(*records);
            } catch (...) {
                if (!first) first = std::current_exception();
            }
        }
        if (first) std::rethrow_exception(first);
    }

    std::filesystem::path dir_;
    WriterOptions options_;
    std::mutex mutex_;
    std::map<std::string, std::shared_ptr<RecordWriter>, std::less<>> channels_;
};

}  // namespace tinman
