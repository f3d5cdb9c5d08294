#pragma once
/// @file
/// Layer 3, reading: `ObLogReader` opens a log directory; `Channel<C>` iterates
/// one channel as `(timestamp, value)` records, decoded by codec `C`.

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "blob_reader.hpp"
#include "channel_name.hpp"
#include "codec.hpp"
#include "format.hpp"
#include "mapped_segment.hpp"

namespace tinman {

/// One record as the reader yields it; binds as `auto&& [timestamp, value]`.
template <class V>
struct Record {
    std::int64_t timestamp;  ///< ns since the Unix epoch
    V value;
};

/// How a channel is read.
struct ReadOptions {
    /// Payloads up to this size are checksum-verified as they are read; larger
    /// ones are not (their pages are not even touched unless the caller reads them).
    std::size_t verify_max_bytes = default_verify_max_bytes;
    /// Raise `format_error` on a torn or corrupt record instead of stopping quietly before it.
    bool strict = false;

    /// Verifies every payload and raises on any damage.
    [[nodiscard]] static ReadOptions strict_mode() noexcept { return {SIZE_MAX, true}; }
};

/// A channel opened for reading: its file, current mapping and header.
struct OpenedChannel {
    std::string name;
    detail::FileHandle file;  ///< kept open so that `Channel::refresh` can map what was appended
    SegmentPtr segment;
    format::FileHeader header;
};

/// The records of one channel, decoded by `C`: a single-pass input range.
/// By default iteration stops quietly at the end of the intact records (a torn
/// tail, or the first corrupt record); `status()` then says what was skipped.
/// With `ReadOptions::strict`, damage raises `format_error` instead.
/// The range holds the channel's mapping; values it yields share it. Iterators
/// stay valid when the `Channel` is moved (its state lives on the heap).
///
/// To follow a channel that a writer (in any process) is appending to:
///
///     auto channel = reader.read_channel<tinman::NdArrayCodec<float>>("imu");
///     while (running) {
///         for (auto&& [t, imu] : channel) use(t, imu);  // every complete record so far
///         if (!channel.refresh()) std::this_thread::sleep_for(1ms);
///     }
template <Codec C>
class Channel {
    struct State;

public:
    using value_type = Record<typename C::value_type>;

    class iterator {
    public:
        using iterator_concept = std::input_iterator_tag;
        using value_type = Channel::value_type;
        using difference_type = std::ptrdiff_t;

        iterator() = default;
        /// Decodes the current record; throws `format_error`/`codec_mismatch` naming channel and record.
        [[nodiscard]] value_type operator*() const { return state_->decode_current(); }
        iterator& operator++() {
            state_->advance();
            return *this;
        }
        void operator++(int) { ++*this; }
        friend bool operator==(const iterator& it, std::default_sentinel_t) noexcept {
            return it.state_ == nullptr || !it.state_->current;
        }
        /// The current record's raw view: index from 0, file offset, payload bytes.
        [[nodiscard]] const RecordView& record() const { return state_->checked_current(); }

    private:
        friend class Channel;
        explicit iterator(State* s) : state_(s) {}
        State* state_ = nullptr;
    };

    Channel(OpenedChannel opened, C codec, ReadOptions options)
        : state_(std::make_unique<State>(std::move(opened), std::move(codec), options)) {}

    /// Starts the pass (a channel is read once; later calls continue where it is).
    [[nodiscard]] iterator begin() {
        State& s = state();
        if (!s.started) {
            s.started = true;
            s.advance();
        }
        return iterator{&s};
    }
    [[nodiscard]] std::default_sentinel_t end() const noexcept { return {}; }

    /// Looks for records appended since the channel was opened or last refreshed,
    /// mapping the file's new bytes; returns true when one is ready (iterate again
    /// to get it). Only complete, checksum-verified records are ever yielded. Follows
    /// the file that was opened: if the channel is replaced (`OpenMode::truncate`),
    /// reopen it to see the new one. With `ReadOptions::strict`, a record still
    /// being written counts as damage: follow live channels in the default mode.
    bool refresh() { return state().refresh(); }

    [[nodiscard]] const std::string& name() const { return state().opened.name; }
    /// The codec identity stored in the channel file.
    [[nodiscard]] const CodecDescriptor& stored_codec() const { return state().opened.header.codec; }
    /// Records read so far, where the intact data ends and why reading stopped.
    [[nodiscard]] const ScanStatus& status() const { return state().scanner.status(); }
    /// The mapping the values point into.
    [[nodiscard]] const SegmentPtr& segment() const { return state().opened.segment; }

private:
    struct State {
        State(OpenedChannel o, C c, ReadOptions opt)
            : opened(std::move(o)), codec(std::move(c)), options(opt),
              scanner(opened.segment->bytes(), opened.header.records_offset, opt.verify_max_bytes) {}

        bool refresh() {
            if (current) return true;
            started = true;
            const SegmentPtr& seg = opened.segment;
            const std::uint64_t from = scanner.status().intact_end;
            const std::uint64_t size = detail::file_size(opened.file.get(), seg->path());
            if (size > seg->offset() + seg->size()) {  // map from the page holding the first unread byte
                const std::uint64_t base = from / MappedSegment::page_size() * MappedSegment::page_size();
                opened.segment = MappedSegment::map(opened.file.get(), base, size - base, seg->path());
            }
            // Rescan from the last intact record, also when nothing grew: a record being
            // written may have completed in place.
            scanner = RecordScanner(opened.segment->bytes(), from, options.verify_max_bytes, opened.segment->offset(),
                                    scanner.status().records);
            advance();
            return current.has_value();
        }

        void advance() {
            current = scanner.next();
            if (!current && options.strict && !scanner.status().clean())
                throw format_error("channel '" + opened.name + "' ('" + opened.segment->path().string() +
                                   "'): " + scanner.status().reason);
        }

        const RecordView& checked_current() const {
            if (!current) throw channel_error("channel '" + opened.name + "': iterator used past the end");
            return *current;
        }

        value_type decode_current() const {
            const RecordView& r = checked_current();
            try {
                return {r.timestamp, codec.decode(r.payload, opened.segment)};
            } catch (const codec_mismatch& e) {
                throw codec_mismatch(context(r) + e.what());
            } catch (const format_error& e) {
                throw format_error(context(r) + e.what());
            }
        }

        std::string context(const RecordView& r) const {
            return "cannot decode record " + std::to_string(r.index) + " (offset " + std::to_string(r.offset) +
                   ") of channel '" + opened.name + "' with " + codec.descriptor().to_string() + ": ";
        }

        OpenedChannel opened;
        C codec;
        ReadOptions options;
        RecordScanner scanner;
        std::optional<RecordView> current;
        bool started = false;
    };

    State& state() const {
        if (!state_) throw channel_error("Channel was moved from");
        return *state_;
    }

    std::unique_ptr<State> state_;
};

/// A channel's summary: codec, record count, time range and damage, if any.
struct ChannelInfo {
    std::string name;
    CodecDescriptor codec;
    std::uint64_t records = 0;
    std::uint64_t file_bytes = 0;
    std::optional<std::int64_t> first_timestamp;
    std::optional<std::int64_t> last_timestamp;
    ScanStatus status;  ///< where the intact records end and why
    std::string error;  ///< set (and the rest left empty) when the file could not be opened as a channel
};

/// A log directory opened for reading.
///
///     tinman::ObLogReader reader{"logs"};
///     for (auto&& [t, arr] : reader.read_channel<tinman::NdArrayCodec<double>>("sensor_data"))
///         std::cout << t << ": " << xt::mean(arr)() << '\n';
///
/// Readers never modify files. The reader itself holds only the directory name,
/// so it may be shared across threads; each `Channel` is used by one thread at a time.
class ObLogReader {
public:
    /// Opens the log directory `dir`; throws `channel_error` if it is not a directory.
    explicit ObLogReader(std::filesystem::path dir) : dir_(std::move(dir)) {
        std::error_code ec;
        if (!std::filesystem::is_directory(dir_, ec)) throw channel_error("no log directory '" + dir_.string() + "'");
    }

    [[nodiscard]] const std::filesystem::path& directory() const noexcept { return dir_; }

    /// Names of the channels in the directory, sorted.
    [[nodiscard]] std::vector<std::string> channel_names() const {
        std::vector<std::string> names;
        const auto suffix = format::channel_suffix;
        for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
            const std::string file = entry.path().filename().string();
            if (file.size() <= suffix.size() || !file.ends_with(suffix)) continue;
            std::string name = file.substr(0, file.size() - suffix.size());
            if (channel_name_problem(name).empty()) names.push_back(std::move(name));
        }
        std::sort(names.begin(), names.end());
        return names;
    }

    [[nodiscard]] bool has_channel(std::string_view name) const {
        if (!channel_name_problem(name).empty()) return false;
        std::error_code ec;
        return std::filesystem::is_regular_file(channel_path(dir_, name), ec);
    }

    /// The codec identity stored in channel `name`.
    [[nodiscard]] CodecDescriptor codec(std::string_view name) const { return open(name).header.codec; }

    /// Summary of channel `name`, from a scan of its record headers.
    [[nodiscard]] ChannelInfo info(std::string_view name) const {
        auto opened = open(name);
        ChannelInfo info;
        info.name = opened.name;
        info.codec = opened.header.codec;
        info.file_bytes = opened.segment->size();
        RecordScanner scanner(opened.segment->bytes(), opened.header.records_offset);
        while (auto r = scanner.next()) {
            if (!info.first_timestamp) info.first_timestamp = r->timestamp;
            info.last_timestamp = r->timestamp;
        }
        info.status = scanner.status();
        info.records = info.status.records;
        return info;
    }

    /// Summaries of every channel; a file that cannot be read as a channel gets
    /// an entry with `error` set instead of failing the whole listing.
    [[nodiscard]] std::vector<ChannelInfo> channels() const {
        std::vector<ChannelInfo> out;
        for (const auto& name : channel_names()) {
            try {
                out.push_back(info(name));
            } catch (const error& e) {
                ChannelInfo broken;
                broken.name = name;
                broken.error = e.what();
                out.push_back(std::move(broken));
            }
        }
        return out;
    }

    /// Verifies every checksum of channel `name`, large payloads included.
    [[nodiscard]] ScanStatus verify(std::string_view name) const {
        auto opened = open(name);
        RecordScanner scanner(opened.segment->bytes(), opened.header.records_offset, SIZE_MAX);
        while (scanner.next()) {
        }
        return scanner.status();
    }

    /// The records of channel `name` decoded with `codec`. Throws `codec_mismatch`
    /// if the channel stores another codec or dtype, `channel_error` if it does not exist.
    template <Codec C>
    [[nodiscard]] Channel<C> read_channel(std::string_view name, C codec = {}, ReadOptions options = {}) const {
        auto opened = open(name);
        if (auto why = codec.mismatch(opened.header.codec); !why.empty())
            throw codec_mismatch("cannot read channel '" + opened.name + "' in '" + dir_.string() + "': " + why);
        return Channel<C>(std::move(opened), std::move(codec), options);
    }

private:
    [[nodiscard]] OpenedChannel open(std::string_view name) const {
        const auto path = channel_path(dir_, name);
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
        if (fd < 0) {
            if (errno == ENOENT) throw channel_error("no channel '" + std::string(name) + "' in '" + dir_.string() + "'");
            detail::throw_errno("channel '" + std::string(name) + "': cannot open '" + path.string() + "'");
        }
        detail::FileHandle file{fd};
        auto segment = MappedSegment::map(fd, detail::file_size(fd, path), path);
        auto header = format::parse_file_header(segment->bytes(), "channel '" + std::string(name) + "' ('" +
                                                                      path.string() + "')");
        return {std::string(name), std::move(file), std::move(segment), std::move(header)};
    }

    std::filesystem::path dir_;
};

}  // namespace tinman
