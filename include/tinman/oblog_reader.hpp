#pragma once
/// @file
/// Layer 3, reading: `ObLogReader` opens a log directory; `Channel<C>` iterates
/// one channel as `(timestamp, value)` records, decoded by codec `C`.

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <iterator>
#include <limits>
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
#include "time_index.hpp"

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
    /// How the file will be read, told to the kernel before any page is: `random`
    /// when touching a few elements of large arrays (only those pages are read
    /// from disk), `sequential` for whole-channel scans.
    Access access = Access::normal;

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

/// Where a time-range read starts: the first record that may be in the range,
/// its number, the largest timestamp before it, and the range `[from, to)`.
struct TimeWindow {
    std::int64_t from = std::numeric_limits<std::int64_t>::min();
    std::int64_t to = std::numeric_limits<std::int64_t>::max();
    std::uint64_t start_offset = 0;
    std::uint64_t start_index = 0;
    std::int64_t max_before = std::numeric_limits<std::int64_t>::min();
};

namespace detail {

/// Decodes record `r` of channel `opened` with `codec`; errors name the channel,
/// record number, file offset and codec.
template <Codec C>
[[nodiscard]] Record<typename C::value_type> decode_record(const C& codec, const RecordView& r,
                                                           const OpenedChannel& opened) {
    auto context = [&] {
        return "cannot decode record " + std::to_string(r.index) + " (offset " + std::to_string(r.offset) +
               ") of channel '" + opened.name + "' with " + codec.descriptor().to_string() + ": ";
    };
    try {
        return {r.timestamp, codec.decode(r.payload, opened.segment)};
    } catch (const codec_mismatch& e) {
        throw codec_mismatch(context() + e.what());
    } catch (const format_error& e) {
        throw format_error(context() + e.what());
    }
}

}  // namespace detail

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
        /// The current record's timestamp, without decoding it.
        [[nodiscard]] std::int64_t timestamp() const { return state_->checked_current().timestamp; }

    private:
        friend class Channel;
        explicit iterator(State* s) : state_(s) {}
        State* state_ = nullptr;
    };

    Channel(OpenedChannel opened, C codec, ReadOptions options)
        : state_(std::make_unique<State>(std::move(opened), std::move(codec), options)) {}

    /// The records of `window`: from the record at `window.start_offset` on, in file
    /// order, those with timestamp >= `from`, until the first whose running
    /// maximum timestamp reaches `to` (see `ObLogReader::read_channel(name, from, to)`).
    Channel(OpenedChannel opened, C codec, ReadOptions options, const TimeWindow& window)
        : state_(std::make_unique<State>(std::move(opened), std::move(codec), options, window)) {}

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
        State(OpenedChannel o, C c, ReadOptions opt, const TimeWindow& w)
            : opened(std::move(o)), codec(std::move(c)), options(opt),
              scanner(opened.segment->bytes(), w.start_offset, opt.verify_max_bytes, 0, w.start_index),
              ranged(true), window(w), running_max(w.max_before) {}

        bool refresh() {
            if (current) return true;
            if (past_range) return false;
            started = true;
            const SegmentPtr& seg = opened.segment;
            const std::uint64_t from = scanner.status().intact_end;
            const std::uint64_t size = detail::file_size(opened.file.get(), seg->path());
            if (size > seg->offset() + seg->size()) {  // map from the page holding the first unread byte
                const std::uint64_t base = from / MappedSegment::page_size() * MappedSegment::page_size();
                opened.segment = MappedSegment::map(opened.file.get(), base, size - base, seg->path(), options.access);
            }
            // Rescan from the last intact record, also when nothing grew: a record being
            // written may have completed in place.
            scanner = RecordScanner(opened.segment->bytes(), from, options.verify_max_bytes, opened.segment->offset(),
                                    scanner.status().records);
            advance();
            return current.has_value();
        }

        void advance() {
            for (;;) {
                current = past_range ? std::nullopt : scanner.next();
                if (!current || !ranged) break;
                running_max = std::max(running_max, current->timestamp);
                if (running_max >= window.to) {  // no later record can be in the range
                    current.reset();
                    past_range = true;
                    return;
                }
                if (current->timestamp >= window.from) break;
            }
            if (!current && !past_range && options.strict && !scanner.status().clean())
                throw format_error("channel '" + opened.name + "' ('" + opened.segment->path().string() +
                                   "'): " + scanner.status().reason);
        }

        const RecordView& checked_current() const {
            if (!current) throw channel_error("channel '" + opened.name + "': iterator used past the end");
            return *current;
        }

        value_type decode_current() const { return detail::decode_record(codec, checked_current(), opened); }

        OpenedChannel opened;
        C codec;
        ReadOptions options;
        RecordScanner scanner;
        std::optional<RecordView> current;
        bool started = false;
        bool ranged = false;
        TimeWindow window;
        std::int64_t running_max = std::numeric_limits<std::int64_t>::min();
        bool past_range = false;
    };

    State& state() const {
        if (!state_) throw channel_error("Channel was moved from");
        return *state_;
    }

    std::unique_ptr<State> state_;
};

/// Random access to the records of one channel, decoded by `C` on access:
/// `view[i]`, `size()`, `front()`, `back()`, `seek(t)`, and iterators that make
/// it a `std::ranges::random_access_range`. Record `i` is found through the
/// channel's time index in O(1) (see `TimeIndex`); values are zero-copy views
/// of the mapping, as with `Channel`. The records are those the channel file
/// held when the view was made. Copies share one state: use a view (and its
/// copies and iterators) from one thread at a time; iterators stay valid while
/// a copy of the view lives.
///
///     auto imu = reader.channel<tinman::NdArrayCodec<double>>("imu");
///     auto [t, a] = imu[imu.seek(t0)];  // the first record at or after t0
template <Codec C>
class ChannelView {
    struct State;

public:
    using value_type = Record<typename C::value_type>;
    using size_type = std::uint64_t;
    using difference_type = std::ptrdiff_t;

    /// A random-access iterator; dereferencing decodes (and returns a value, not a reference).
    class iterator {
    public:
        using iterator_concept = std::random_access_iterator_tag;
        using iterator_category = std::input_iterator_tag;
        using value_type = ChannelView::value_type;
        using difference_type = std::ptrdiff_t;
        using reference = value_type;

        iterator() = default;
        [[nodiscard]] value_type operator*() const { return state_->decode(position()); }
        [[nodiscard]] value_type operator[](difference_type n) const { return *(*this + n); }
        /// The record's timestamp, from the index (nothing is decoded).
        [[nodiscard]] std::int64_t timestamp() const { return state_->index.entry(position()).timestamp; }
        /// The record's raw view: number, file offset, payload bytes.
        [[nodiscard]] RecordView record() const { return state_->index.record(position()); }
        /// The record's number in the channel.
        [[nodiscard]] std::uint64_t index() const noexcept { return static_cast<std::uint64_t>(i_); }

        iterator& operator++() noexcept { ++i_; return *this; }
        iterator operator++(int) noexcept { auto old = *this; ++i_; return old; }
        iterator& operator--() noexcept { --i_; return *this; }
        iterator operator--(int) noexcept { auto old = *this; --i_; return old; }
        iterator& operator+=(difference_type n) noexcept { i_ += n; return *this; }
        iterator& operator-=(difference_type n) noexcept { i_ -= n; return *this; }
        [[nodiscard]] friend iterator operator+(iterator it, difference_type n) noexcept { return it += n; }
        [[nodiscard]] friend iterator operator+(difference_type n, iterator it) noexcept { return it += n; }
        [[nodiscard]] friend iterator operator-(iterator it, difference_type n) noexcept { return it -= n; }
        [[nodiscard]] friend difference_type operator-(const iterator& a, const iterator& b) noexcept { return a.i_ - b.i_; }
        [[nodiscard]] friend bool operator==(const iterator& a, const iterator& b) noexcept { return a.i_ == b.i_; }
        [[nodiscard]] friend auto operator<=>(const iterator& a, const iterator& b) noexcept { return a.i_ <=> b.i_; }

    private:
        friend class ChannelView;
        iterator(State* s, difference_type i) noexcept : state_(s), i_(i) {}
        [[nodiscard]] std::uint64_t position() const {
            if (state_ == nullptr || i_ < 0) throw channel_error("ChannelView iterator used out of range");
            return static_cast<std::uint64_t>(i_);  // the upper bound is checked by the index
        }
        State* state_ = nullptr;
        difference_type i_ = 0;
    };
    using const_iterator = iterator;

    ChannelView(OpenedChannel opened, C codec, ReadOptions options)
        : state_(std::make_shared<State>(std::move(opened), std::move(codec), options)) {}

    [[nodiscard]] size_type size() const { return state().index.size(); }
    [[nodiscard]] bool empty() const { return size() == 0; }
    /// Record `i`, decoded; throws `channel_error` when `i >= size()` (checked, like `at`).
    [[nodiscard]] value_type operator[](size_type i) const { return state().decode(i); }
    [[nodiscard]] value_type at(size_type i) const { return state().decode(i); }
    [[nodiscard]] value_type front() const { return state().decode(0); }
    [[nodiscard]] value_type back() const {
        const auto n = size();
        if (n == 0) throw channel_error("channel '" + name() + "' has no records");
        return state().decode(n - 1);
    }
    /// Record `i`'s timestamp, from the index (nothing is decoded).
    [[nodiscard]] std::int64_t timestamp(size_type i) const { return state().index.entry(i).timestamp; }
    /// The number of the first record with timestamp >= t (`size()` if none), in O(log n).
    /// Exact also when timestamps go backwards (the index keeps the running maximum).
    [[nodiscard]] size_type seek(std::int64_t t) const { return state().index.seek(t); }
    /// An iterator to the first record with timestamp >= t.
    [[nodiscard]] iterator lower_bound(std::int64_t t) const { return begin() + static_cast<difference_type>(seek(t)); }

    [[nodiscard]] iterator begin() const { return iterator(&state(), 0); }
    [[nodiscard]] iterator end() const { return iterator(&state(), static_cast<difference_type>(size())); }

    [[nodiscard]] const std::string& name() const { return state().opened.name; }
    [[nodiscard]] const CodecDescriptor& stored_codec() const { return state().opened.header.codec; }
    /// The channel's index: how many records came from the index file, where the records end and why.
    [[nodiscard]] const TimeIndex& time_index() const { return state().index; }
    /// The mapping the values point into.
    [[nodiscard]] const SegmentPtr& segment() const { return state().opened.segment; }

private:
    struct State {
        State(OpenedChannel o, C c, ReadOptions opt)
            : opened(std::move(o)), codec(std::move(c)),
              index(opened.segment, opened.header, index_path_for(opened.segment->path()), opt.verify_max_bytes) {}

        value_type decode(std::uint64_t i) { return detail::decode_record(codec, index.record(i), opened); }

        OpenedChannel opened;
        C codec;
        TimeIndex index;
    };

    State& state() const {
        if (!state_) throw channel_error("ChannelView was moved from");
        return *state_;
    }

    std::shared_ptr<State> state_;
};

/// A channel's summary: codec, record count, time range and damage, if any.
struct ChannelInfo {
    std::string name;
    CodecDescriptor codec;
    std::uint64_t records = 0;
    std::uint64_t file_bytes = 0;
    std::optional<std::int64_t> first_timestamp;  ///< of the first record
    std::optional<std::int64_t> last_timestamp;   ///< of the last record
    std::optional<std::int64_t> max_timestamp;    ///< the largest (differs from the last after a clock step back)
    std::uint64_t indexed_records = 0;  ///< records found through the time index file (the rest were scanned)
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
    explicit ObLogReader(std::filesystem::path dir) : dir_(std::move(dir)) { require_log_directory(dir_); }

    [[nodiscard]] const std::filesystem::path& directory() const noexcept { return dir_; }

    /// Names of the channels in the directory, sorted.
    [[nodiscard]] std::vector<std::string> channel_names() const {
        return channel_names_in(dir_, format::channel_suffix);
    }

    [[nodiscard]] bool has_channel(std::string_view name) const {
        if (!channel_name_problem(name).empty()) return false;
        std::error_code ec;
        return std::filesystem::is_regular_file(std::filesystem::symlink_status(channel_path(dir_, name), ec));
    }

    /// The codec identity stored in channel `name`.
    [[nodiscard]] CodecDescriptor codec(std::string_view name) const { return open(name).header.codec; }

    /// Summary of channel `name`. With an intact time index this reads a few
    /// hundred bytes whatever the record count: the index's header and last entry,
    /// the first and last records' headers (checked against the index) and any
    /// records appended past the index; otherwise it scans the record headers.
    /// Records in the middle are not read: `verify()` checks them all.
    [[nodiscard]] ChannelInfo info(std::string_view name) const {
        auto opened = open(name);
        ChannelInfo info;
        info.name = opened.name;
        info.codec = opened.header.codec;
        info.file_bytes = opened.segment->size();
        TimeIndex index(opened.segment, opened.header, index_path_for(opened.segment->path()));
        if (const auto n = index.size(); n > 0) {
            info.first_timestamp = index.record(0).timestamp;
            info.last_timestamp = index.record(n - 1).timestamp;
            info.max_timestamp = index.entry(index.size() - 1).max_timestamp;
        }
        info.status = index.status();
        info.records = index.size();
        info.indexed_records = index.indexed_records();
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
        auto opened = open(name, codec, options.access);
        return Channel<C>(std::move(opened), std::move(codec), options);
    }

    /// The records of channel `name` with timestamps in `[from, to)`, found in
    /// O(log n) through the time index; only their pages are read. They come in
    /// file order, from the first record with timestamp >= `from` up to (not
    /// including) the first with timestamp >= `to`, skipping those before `from`.
    /// With timestamps that never go backwards that is every record in `[from, to)`.
    /// After a backward clock step, a record is yielded when `from <= timestamp`
    /// and no record before it reached `to` (its running maximum is < `to`).
    template <Codec C>
    [[nodiscard]] Channel<C> read_channel(std::string_view name, std::int64_t from, std::int64_t to, C codec = {},
                                          ReadOptions options = {}) const {
        auto opened = open(name, codec, options.access);
        TimeWindow window;
        window.from = from;
        window.to = to;
        {
            TimeIndex index(opened.segment, opened.header, index_path_for(opened.segment->path()),
                            options.verify_max_bytes);
            const auto first = index.seek(from);
            window.start_index = first;
            if (first < index.size()) {
                window.start_offset = index.record(first).offset;
            } else {  // past the end: where the intact records end (the tail, if any, is scanned from there)
                window.start_offset = index.status().intact_end;
            }
            if (first > 0) window.max_before = index.entry(first - 1).max_timestamp;
        }
        return Channel<C>(std::move(opened), std::move(codec), options, window);
    }

    /// Random access to channel `name`, decoded with `codec` (see `ChannelView`).
    template <Codec C>
    [[nodiscard]] ChannelView<C> channel(std::string_view name, C codec = {}, ReadOptions options = {}) const {
        auto opened = open(name, codec, options.access);
        return ChannelView<C>(std::move(opened), std::move(codec), options);
    }

private:
    /// Opens channel `name` for reading with `codec`, which must accept the stored codec.
    template <Codec C>
    [[nodiscard]] OpenedChannel open(std::string_view name, const C& codec, Access access) const {
        auto opened = open(name, access);
        if (auto why = codec.mismatch(opened.header.codec); !why.empty())
            throw codec_mismatch("cannot read channel '" + opened.name + "' in '" + dir_.string() + "': " + why);
        return opened;
    }

    [[nodiscard]] OpenedChannel open(std::string_view name, Access access = Access::normal) const {
        const auto path = channel_path(dir_, name);
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
        if (fd < 0) {
            if (errno == ENOENT) throw channel_error("no channel '" + std::string(name) + "' in '" + dir_.string() + "'");
            detail::throw_errno("channel '" + std::string(name) + "': cannot open '" + path.string() + "'");
        }
        detail::FileHandle file{fd};
        auto segment = MappedSegment::map(fd, detail::file_size(fd, path), path, access);
        auto header = format::parse_file_header(segment->bytes(), "channel '" + std::string(name) + "' ('" +
                                                                      path.string() + "')");
        return {std::string(name), std::move(file), std::move(segment), std::move(header)};
    }

    std::filesystem::path dir_;
};

}  // namespace tinman
