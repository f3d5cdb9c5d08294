#pragma once
/// @file
/// `ObLogWriter`, a log directory being written, hands out typed `ChannelWriter`s.

#include <cstdint>
#include <exception>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "../framing/channel_files.hpp"
#include "attachments.hpp"
#include "channel_options.hpp"
#include "channel_writer.hpp"
#include "log_worker.hpp"
#include "writer_options.hpp"

namespace tinman {

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
        if (options_.mode == WriteMode::background || options_.flush_interval.count() > 0)
            worker_ = std::make_shared<detail::LogWorker>(options_);
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
        return get_writer(name, std::move(codec), ChannelOptions{.mode = mode});
    }

    /// A writer for channel `name` with `codec`, opened as `options` say; a channel
    /// it creates stores `options.metadata` (see `ChannelOptions`).
    ///
    ///     auto imu = log.get_writer("imu", tinman::NdArrayCodec<double>{},
    ///                               {.metadata = {{"units", "m/s^2"}, {"frame_id", "imu_link"}}});
    template <Codec C>
    [[nodiscard]] ChannelWriter<C> get_writer(std::string_view name, C codec, const ChannelOptions& options) {
        validate_channel_name(name);
        std::lock_guard lock(mutex_);
        if (closed_) {  // opened again after close(): its thread, if any, was stopped
            closed_ = false;
            if (worker_) worker_ = std::make_shared<detail::LogWorker>(options_);
        }
        if (auto it = channels_.find(name); it != channels_.end()) {
            std::lock_guard io(it->second->io);
            if (it->second->records.is_open())
                throw channel_error({.channel = std::string(name)}, "already has a writer");
            channels_.erase(it);
        }
        auto state = std::make_shared<typename ChannelWriter<C>::State>(
            dir_, name, std::move(codec), options, options_, worker_);
        channels_.emplace(std::string(name), state->slot);
        if (worker_) worker_->add(state->slot);
        return ChannelWriter<C>(std::move(state));
    }

    /// Stores `data` as attachment `name` of the log (a calibration file, a robot
    /// description): complete and on disk when this returns, or not there at all.
    /// An attachment of that name is replaced if `replace` is set (`channel_error` otherwise).
    ///
    ///     log.attach("robot.urdf", urdf_text);
    void attach(std::string_view name, std::span<const std::byte> data, bool replace = false) {
        detail::write_attachment(dir_, name, data, replace);
    }
    void attach(std::string_view name, std::string_view text, bool replace = false) {
        attach(name, std::as_bytes(std::span{text.data(), text.size()}), replace);
    }

    /// Hands every channel's records written so far (queued ones included) to the
    /// OS. Safe to call from any thread while channels are being written, as are
    /// `sync` and `close`.
    void flush() {
        for_each_open([](RecordWriter& r) { r.flush(); });
    }
    /// Flushes every channel and waits for its records to reach the storage device.
    void sync() {
        for_each_open([](RecordWriter& r) { r.sync(); });
    }
    /// Closes every channel: writes everything queued, stops the log's thread, and
    /// closes all channels even if one fails (the first failure is thrown). Later
    /// writes to its channels throw `usage_error`. Returns what was done, records
    /// dropped by `QueueFullPolicy::drop` included.
    WriterStatistics close() {
        {
            std::lock_guard lock(mutex_);
            closed_ = true;
            for (auto& [name, slot] : channels_) slot->accepting.store(false);
        }
        std::exception_ptr first;
        try {
            if (worker_) worker_->drain();
        } catch (...) {
            first = std::current_exception();
        }
        if (worker_) worker_->stop();
        try {
            for_each_open([](RecordWriter& r) { r.close(); });
        } catch (...) {
            if (!first) first = std::current_exception();
        }
        const auto stats = statistics();
        {
            std::lock_guard lock(mutex_);
            channels_.clear();
        }
        if (first) std::rethrow_exception(first);
        return stats;
    }

    /// Records queued, written and dropped so far, and the queue's high-water mark.
    [[nodiscard]] WriterStatistics statistics() const {
        return worker_ ? worker_->statistics() : WriterStatistics{};
    }

    [[nodiscard]] const std::filesystem::path& directory() const noexcept { return dir_; }

private:
    /// Runs `f` on every open channel, each under its lock, after everything
    /// queued is written; reports the first failure (or the log thread's error).
    template <class F>
    void for_each_open(F f) {
        if (worker_) worker_->drain();
        std::vector<std::shared_ptr<detail::ChannelSlot>> slots;
        {
            std::lock_guard lock(mutex_);
            for (auto& [name, slot] : channels_) slots.push_back(slot);
        }
        std::exception_ptr first;
        for (auto& slot : slots) {
            try {
                std::lock_guard io(slot->io);
                if (slot->records.is_open()) f(slot->records);
            } catch (...) {
                if (!first) first = std::current_exception();
            }
        }
        if (worker_) {
            try {
                worker_->rethrow_error();
            } catch (...) {
                if (!first) first = std::current_exception();
            }
        }
        if (first) std::rethrow_exception(first);
    }

    std::filesystem::path dir_;
    WriterOptions options_;
    std::shared_ptr<detail::LogWorker> worker_;  // null: blocking mode without timed flushes
    std::mutex mutex_;
    bool closed_ = false;
    std::map<std::string, std::shared_ptr<detail::ChannelSlot>, std::less<>> channels_;
};

}  // namespace tinman
