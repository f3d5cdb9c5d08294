#pragma once
/// @file
/// `ChannelWriter<C>`: writes the values of one channel through codec `C`.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "../codecs/codec.hpp"
#include "../framing/timestamp.hpp"
#include "channel_options.hpp"
#include "log_worker.hpp"
#include "record_writer.hpp"

namespace tinman {

class ObLogWriter;

/// Writes the values of one channel with codec `C`. A cheap handle: copies
/// share the channel. Thread-safe: records written from several threads are
/// appended one after the other, and `ObLogWriter::flush/sync/close` may be called
/// from any thread meanwhile (each channel has a lock, uncontended in the usual one
/// thread per channel). In `WriteMode::background`, `write()` only encodes and
/// queues the record (see `WriterOptions`); errors met writing it are thrown by
/// the channel's or the log's next call.
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
    void write(const V& value) {
        write(now_ns(), value);
    }

    /// Appends `value` with `timestamp` (ns since the Unix epoch).
    template <class V>
    void write(std::int64_t timestamp, const V& value) {
        detail::assert_writable<C, V>();
        State& s = state();
        if (s.worker && s.worker->background()) {
            // Encoded here, written by the log's thread; the I/O lock is not taken.
            std::lock_guard lock(s.encoding);
            if (!s.slot->accepting.load(std::memory_order_relaxed))
                throw usage_error({.channel = std::string(channel())}, "the channel writer is closed");
            s.worker->write(*s.slot, timestamp, encode(s, value));
        } else {
            std::lock_guard lock(s.slot->io);
            s.slot->records.append(timestamp, encode(s, value));
        }
    }

    /// Appends `value` with a `system_clock` time point.
    template <class Duration, class V>
    void write(std::chrono::time_point<std::chrono::system_clock, Duration> t, const V& value) {
        write(std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count(), value);
    }

    /// Same as `write`.
    template <class... Args>
    void operator()(const Args&... args) {
        write(args...);
    }

    /// Hands the records written so far (queued ones included) to the OS.
    void flush() {
        with_records([](RecordWriter& r) { r.flush(); });
    }
    /// Flushes and waits until the records are on the storage device.
    void sync() {
        with_records([](RecordWriter& r) { r.sync(); });
    }
    /// Flushes and closes the channel, reporting errors; the log's other channels stay open.
    void close() {
        state().slot->accepting.store(false);
        with_records([](RecordWriter& r) { r.close(); });
    }

    [[nodiscard]] const std::string& channel() const { return state().slot->records.channel(); }
    /// Records appended to the channel so far (in background mode, those the log's thread has taken).
    [[nodiscard]] std::uint64_t records_written() const {
        std::lock_guard lock(state().slot->io);
        return state().slot->records.records_written();
    }
    /// The underlying record writer (file size, bytes cut on append, ...); read it
    /// while no other thread writes the channel.
    [[nodiscard]] const RecordWriter& record_writer() const { return state().slot->records; }
    [[deprecated("use record_writer()")]] [[nodiscard]] const RecordWriter& blob() const { return record_writer(); }

private:
    friend class ObLogWriter;
    struct State {
        State(const std::filesystem::path& dir, std::string_view name, C c, const ChannelOptions& options,
              const WriterOptions& log, std::shared_ptr<detail::LogWorker> w)
            : codec(std::move(c)),
              slot(std::make_shared<detail::ChannelSlot>(dir, std::string(name), codec.descriptor(), options.mode,
                                                         log.buffer_bytes, log.time_index, options.metadata,
                                                         log.create_sync)),
              worker(std::move(w)) {}
        C codec;
        EncodeScratch scratch;
        std::mutex encoding;  // background mode: guards `scratch` (the I/O lock guards it otherwise)
        std::shared_ptr<detail::ChannelSlot> slot;
        std::shared_ptr<detail::LogWorker> worker;  // null: blocking mode without timed flushes
    };

    /// The value's payload; a value the codec refuses (`usage_error`) is reported with the channel.
    template <class V>
    static Payload encode(State& s, const V& value) {
        try {
            return s.codec.encode(value, s.scratch);
        } catch (const usage_error& e) {
            throw usage_error({.channel = s.slot->records.channel()}, e.reason());
        }
    }

    /// Runs `f` on the record writer once everything queued is written, then
    /// reports any error the log's thread met.
    template <class F>
    void with_records(F f) {
        State& s = state();
        if (s.worker) s.worker->drain();
        {
            std::lock_guard lock(s.slot->io);
            f(s.slot->records);
        }
        if (s.worker) s.worker->rethrow_error();
    }
    explicit ChannelWriter(std::shared_ptr<State> s) : state_(std::move(s)) {}
    State& state() const {
        if (!state_) throw usage_error("ChannelWriter was default-constructed or moved from");
        return *state_;
    }
    std::shared_ptr<State> state_;

public:
    ChannelWriter() = default;
};

}  // namespace tinman
