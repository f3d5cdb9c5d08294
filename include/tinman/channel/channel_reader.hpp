#pragma once
/// @file
/// `ChannelReader<C>`: the records of one channel in file order, decoded by codec
/// `C`, as a single-pass input range; also a time window of them, and following
/// a channel that is still being written.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "../codecs/codec.hpp"
#include "../framing/record_scanner.hpp"
#include "opened_channel.hpp"
#include "read_options.hpp"
#include "record_input_iterator.hpp"
#include "record.hpp"

namespace tinman {

/// Where a time-range read starts: the first record that may be in the range,
/// its number, the largest timestamp before it, and the range `[from, to)`.
struct TimeWindow {
    std::int64_t from = std::numeric_limits<std::int64_t>::min();
    std::int64_t to = std::numeric_limits<std::int64_t>::max();
    std::uint64_t start_offset = 0;
    std::uint64_t start_index = 0;
    std::int64_t max_before = std::numeric_limits<std::int64_t>::min();
};

/// The records of one channel, decoded by `C`: a single-pass input range.
/// By default iteration stops quietly at the end of the intact records (a torn
/// tail, or the first corrupt record); `status()` then says what was skipped.
/// With `ReadOptions::strict`, damage raises `format_error` instead.
/// The range holds the channel's mapping; values it yields share it. Iterators
/// stay valid when the `ChannelReader` is moved (its state lives on the heap).
///
/// To follow a channel that a writer (in any process) is appending to:
///
///     auto channel = reader.read_channel<tinman::NdArrayCodec<float>>("imu");
///     while (running) {
///         for (auto&& [t, imu] : channel) use(t, imu);  // every complete record so far
///         if (!channel.refresh()) std::this_thread::sleep_for(1ms);
///     }
template <Codec C>
class ChannelReader {
    struct State;

public:
    using value_type = Record<typename C::value_type>;

    using iterator = detail::RecordInputIterator<State, value_type>;

    ChannelReader(OpenedChannel opened, C codec, ReadOptions options)
        : state_(std::make_unique<State>(std::move(opened), std::move(codec), options)) {}

    /// The records of `window`: from the record at `window.start_offset` on, in file
    /// order, those with timestamp >= `from`, until the first whose running
    /// maximum timestamp reaches `to` (see `ObLogReader::read_channel(name, TimeRange{from, to})`).
    ChannelReader(OpenedChannel opened, C codec, ReadOptions options, const TimeWindow& window)
        : state_(std::make_unique<State>(std::move(opened), std::move(codec), options, window)) {}

    /// Starts the pass (a channel is read once; later calls continue where it is).
    [[nodiscard]] iterator begin() { return iterator{&detail::start_pass(state())}; }
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
    /// The metadata stored when the channel was created (empty if none).
    [[nodiscard]] const ChannelMetadata& metadata() const { return state().opened.header.metadata; }
    /// Records read so far, where the intact data ends and why reading stopped.
    [[nodiscard]] const ScanStatus& status() const { return state().scanner.status(); }
    /// The bytes the values point into: the channel's mapping, or while the scan is
    /// in the channel's first 4 KiB, those bytes read into memory (see `ObLogReader::read_channel`).
    [[nodiscard]] const SegmentPtr& segment() const { return state().opened.segment; }

private:
    struct State {
        State(OpenedChannel o, C c, ReadOptions opt)
            : opened(std::move(o)), codec(std::move(c)), options(opt),
              scanner(opened.segment->bytes(), opened.header.records_offset, opt.payload_verify_max()) {}
        State(OpenedChannel o, C c, ReadOptions opt, const TimeWindow& w)
            : opened(std::move(o)), codec(std::move(c)), options(opt),
              scanner(opened.segment->bytes(), w.start_offset, opt.payload_verify_max(), 0, w.start_index),
              ranged(true), window(w), running_max(w.max_before) {}

        bool refresh() {
            if (current) return true;
            if (past_range) return false;
            started = true;
            const SegmentPtr& seg = opened.segment;
            const std::uint64_t from = scanner.status().intact_end;
            const std::uint64_t size = detail::file_size(opened.file.get(), seg->path());
            if (size > seg->offset() + seg->size() || !seg->mapped()) {
                // The same mapping when it has room (pages already mapped stay mapped), else a
                // new one from the page holding the first unread byte, with room to grow. Bytes
                // that were read are mapped now: only a mapping sees a record completed in place.
                auto grown = seg->mapped() ? seg->grown(size - seg->offset()) : nullptr;
                if (!grown) {
                    const std::uint64_t base = from / MappedSegment::page_size() * MappedSegment::page_size();
                    grown = MappedSegment::map(opened.file.get(), base, size - base, seg->path(), options.access,
                                               detail::mapping_capacity_for(size - base));
                }
                opened.segment = std::move(grown);
                populated_to = 0;
                populate_from = 0;
                read_ahead_window = std::size_t{64} << 10;
            }
            // Rescan from the last intact record, also when nothing grew: a record being
            // written may have completed in place.
            scanner = RecordScanner(opened.segment->bytes(), from, options.payload_verify_max(), opened.segment->offset(),
                                    scanner.status().records);
            advance();
            return current.has_value();
        }

        void advance() {
            for (;;) {
                current = past_range ? std::nullopt : next_record();
                if (current) read_ahead(*current);
                if (!current || !ranged) break;
                running_max = std::max(running_max, current->timestamp);
                if (running_max >= window.to) {  // no later record can be in the range
                    current.reset();
                    past_range = true;
                    return;
                }
                if (current->timestamp >= window.from) break;
            }
        }

        /// The scan's next record; when the scan started on the channel's first bytes
        /// read into memory (see `detail::open_channel_head`) and ends with them, the
        /// file is mapped and the scan goes on from its first record not yielded.
        std::optional<RecordView> next_record() {
            if (!opened.segment->mapped()) {
                if (auto r = scanner.next()) return r;
                map_rest();  // also after damage: the bytes past them may tell a torn record from damage
            }
            return detail::next_record(scanner, options.strict, [this] { return opened.where(); });
        }

        /// Maps what the file held when it was opened, as a reader that mapped it then
        /// would see (records appended since wait for `refresh()`), and scans on from
        /// the first record not yielded. The bytes read stay alive with the reader, like
        /// the mapping, so that record payloads taken from them stay valid.
        void map_rest() {
            const SegmentPtr& seg = opened.segment;
            const std::uint64_t size =
                std::min(opened.size_at_open, detail::file_size(opened.file.get(), seg->path()));
            if (size <= seg->offset() + seg->size()) return;  // they were the whole file
            const std::uint64_t from = scanner.status().intact_end;
            SegmentPtr mapped = opened.mappings ? opened.mappings->map(opened.file.get(), seg->path(), options.access)
                                                : MappedSegment::map(opened.file.get(), 0, size, seg->path(),
                                                                     options.access, detail::mapping_capacity_for(size));
            if (mapped->size() > size) mapped = mapped->grown(size);
            head = std::exchange(opened.segment, std::move(mapped));
            scanner = RecordScanner(opened.segment->bytes(), from, options.payload_verify_max(), 0,
                                    scanner.status().records);
        }

        /// Maps the next window of the file in one system call before the scan reaches
        /// it, instead of faulting its pages in one by one; done while the scan reads
        /// every byte anyway (records it verifies whole), or when asked to (`sequential`).
        void read_ahead(const RecordView& r) {
            const std::size_t end = static_cast<std::size_t>(scanner.status().intact_end - opened.segment->offset());
            if (end + read_ahead_window / 2 <= populated_to) return;
            if (r.payload.size() > options.payload_verify_max() && options.access != ReadAhead::sequential) return;
            if (populated_to == 0) {  // the first window faults in as usual: one record costs no system call
                populate_from = static_cast<std::size_t>(r.offset - opened.segment->offset());
                populated_to = end + read_ahead_window;
                return;
            }
            // From where the last call ended (the first call also covers the first window,
            // so that a mapping populated from the start is known to be, see `populate`).
            populated_to = end + read_ahead_window;
            opened.segment->populate(populate_from, populated_to);
            populate_from = populated_to;
            // Small at first, so that the first records come quickly; then larger, fewer calls.
            read_ahead_window = std::min(read_ahead_window * 2, max_read_ahead_window);
        }

        [[nodiscard]] value_type decode_current() const { return detail::decode_record(codec, decoder, *current, opened); }
        [[nodiscard]] ErrorContext where() const { return opened.where(); }

        OpenedChannel opened;
        SegmentPtr head;  // the first bytes read, once the scan went on in the mapping (see map_rest)
        C codec;
        mutable detail::decoder_t<C> decoder;
        ReadOptions options;
        RecordScanner scanner;
        std::optional<RecordView> current;
        bool started = false;
        bool ranged = false;
        TimeWindow window;
        std::int64_t running_max = std::numeric_limits<std::int64_t>::min();
        bool past_range = false;
        std::size_t populate_from = 0;  // segment offsets: where the next populate starts,
        std::size_t populated_to = 0;   // and where the last one ended (0: none yet)
        std::size_t read_ahead_window = std::size_t{64} << 10;
        static constexpr std::size_t max_read_ahead_window = std::size_t{4} << 20;
    };

    State& state() const {
        if (!state_) throw usage_error("ChannelReader was moved from");
        return *state_;
    }

    std::unique_ptr<State> state_;
};

/// The 0.1 name of `ChannelReader`.
template <Codec C>
using Channel [[deprecated("use tinman::ChannelReader")]] = ChannelReader<C>;

}  // namespace tinman
