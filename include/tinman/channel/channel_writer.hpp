#pragma once
/// @file
/// `ChannelWriter<C>`: writes the values of one channel through codec `C`.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "../codecs/codec.hpp"
#include "../framing/timestamp.hpp"
#include "record_writer.hpp"

namespace tinman {

class ObLogWriter;

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
    void write(const V& value) {
        write(now_ns(), value);
    }

    /// Appends `value` with `timestamp` (ns since the Unix epoch).
    template <class V>
    void write(std::int64_t timestamp, const V& value) {
        detail::assert_writable<C, V>();
        State& s = state();
        s.records.append(timestamp, s.codec.encode(value, s.scratch));
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

    /// Hands buffered records to the OS.
    void flush() { state().records.flush(); }
    /// Flushes and waits until the records are on the storage device.
    void sync() { state().records.sync(); }
    /// Flushes and closes the channel, reporting errors; the log's other channels stay open.
    void close() { state().records.close(); }

    [[nodiscard]] const std::string& channel() const { return state().records.channel(); }
    [[nodiscard]] std::uint64_t records_written() const { return state().records.records_written(); }
    /// The underlying record writer (file size, bytes cut on append, ...).
    [[nodiscard]] const RecordWriter& record_writer() const { return state().records; }
    [[deprecated("use record_writer()")]] [[nodiscard]] const RecordWriter& blob() const { return record_writer(); }

private:
    friend class ObLogWriter;
    struct State {
        State(const std::filesystem::path& dir, std::string_view name, C c, OpenMode mode, std::size_t buffer,
              bool time_index)
            : codec(std::move(c)), records(dir, std::string(name), codec.descriptor(), mode, buffer, time_index) {}
        C codec;
        RecordWriter records;
        EncodeScratch scratch;
    };
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
