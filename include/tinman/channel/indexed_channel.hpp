#pragma once
/// @file
/// `IndexedChannel<C>`: random access to the records of one channel through its
/// time index: record `i` in O(1), `seek(t)` in O(log n), random-access iterators.

#include <algorithm>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <string>

#include "../codecs/codec.hpp"
#include "../framing/record_scanner.hpp"
#include "../index/time_index.hpp"
#include "../io/read_ahead.hpp"
#include "opened_channel.hpp"
#include "read_options.hpp"
#include "record.hpp"

namespace tinman {

namespace detail {
struct IndexedChannelAccess;
}  // namespace detail

/// Random access to the records of one channel, decoded by `C` on access:
/// `view[i]`, `size()`, `front()`, `back()`, `seek(t)`, and iterators that make
/// it a `std::ranges::random_access_range`. Record `i` is found through the
/// channel's time index in O(1) (see `TimeIndex`); values are zero-copy views
/// of the mapping, as with `ChannelReader`. The records are those the channel file
/// held when the view was made, and `size()` stays their number. Records are checked
/// when read: if one turns out damaged (the index vouched for records that have since
/// been damaged on disk), reading it or any record after it throws `format_error`
/// ("damaged or past damage"), so a loop never sees records past damage, nor a
/// changing size; `tinman verify` finds such damage without reading values. With
/// `ReadOptions::verify_all` the view verifies the channel whole when made, and its
/// records are then exactly the intact prefix. Copies share one state: use a view (and its
/// copies and iterators) from one thread at a time; iterators stay valid while
/// a copy of the view lives.
///
///     auto imu = reader.indexed_channel<tinman::NdArrayCodec<double>>("imu");
///     auto [t, a] = imu[imu.seek(t0)];  // the first record at or after t0
template <Codec C>
class IndexedChannel {
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
        using value_type = IndexedChannel::value_type;
        using difference_type = std::ptrdiff_t;
        using reference = value_type;

        iterator() = default;
        [[nodiscard]] value_type operator*() const { return state_->decode(position()); }
        [[nodiscard]] value_type operator[](difference_type n) const { return *(*this + n); }
        /// The record's timestamp, from the index (nothing is decoded).
        [[nodiscard]] std::int64_t timestamp() const { return state_->timestamp(position()); }
        /// The record's raw view: number, file offset, payload bytes.
        [[nodiscard]] RecordView record() const {
            const auto i = position();
            return state_->checked(i, [&] { return state_->index.record(i); });
        }
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
        friend class IndexedChannel;
        iterator(State* s, difference_type i) noexcept : state_(s), i_(i) {}
        [[nodiscard]] std::uint64_t position() const {
            if (state_ == nullptr || i_ < 0) throw usage_error("IndexedChannel iterator used out of range");
            return static_cast<std::uint64_t>(i_);  // the upper bound is checked by the index
        }
        State* state_ = nullptr;
        difference_type i_ = 0;
    };
    using const_iterator = iterator;

    IndexedChannel(OpenedChannel opened, C codec, ReadOptions options)
        : state_(std::make_shared<State>(std::move(opened), std::move(codec), options)) {}

    /// The number of records when the view was made; it never changes (see the class comment).
    [[nodiscard]] size_type size() const { return state().size; }
    [[nodiscard]] bool empty() const { return size() == 0; }
    /// Record `i`, decoded; throws `usage_error` when `i >= size()` (checked, like `at`).
    [[nodiscard]] value_type operator[](size_type i) const { return state().decode(i); }
    [[nodiscard]] value_type at(size_type i) const { return state().decode(i); }
    [[nodiscard]] value_type front() const { return state().decode(0); }
    [[nodiscard]] value_type back() const {
        const auto n = size();
        if (n == 0) throw usage_error(state().opened.where(), "the channel has no records");
        return state().decode(n - 1);
    }
    /// Record `i`'s timestamp, from the index (nothing is decoded).
    [[nodiscard]] std::int64_t timestamp(size_type i) const { return state().timestamp(i); }
    /// The number of the first record with timestamp >= t (`size()` if none), in O(log n).
    /// Exact also when timestamps go backwards (the index keeps the running maximum).
    [[nodiscard]] size_type seek(std::int64_t t) const { return std::min(state().index.seek(t), size()); }
    /// An iterator to the first record with timestamp >= t.
    [[nodiscard]] iterator lower_bound(std::int64_t t) const { return begin() + static_cast<difference_type>(seek(t)); }

    [[nodiscard]] iterator begin() const { return iterator(&state(), 0); }
    [[nodiscard]] iterator end() const { return iterator(&state(), static_cast<difference_type>(size())); }

    [[nodiscard]] const std::string& name() const { return state().opened.name; }
    [[nodiscard]] const CodecDescriptor& stored_codec() const { return state().opened.header.codec; }
    /// The metadata stored when the channel was created (empty if none).
    [[nodiscard]] const ChannelMetadata& metadata() const { return state().opened.header.metadata; }
    /// The channel's index: how many records came from the index file, where the records end and why.
    [[nodiscard]] const TimeIndex& time_index() const { return state().index; }
    /// The mapping the values point into.
    [[nodiscard]] const SegmentPtr& segment() const { return state().opened.segment; }

private:
    friend struct detail::IndexedChannelAccess;  // the whole-channel views of tinman/stacked.hpp

    struct State {
        State(OpenedChannel o, C c, ReadOptions opt)
            : opened(std::move(o)), codec(std::move(c)),
              index(opened.segment, opened.header, index_path_for(opened.segment->path()), opt.verify_max_bytes),
              size(opt.verify_all ? intact_prefix(opt) : index.size()), advise_on_jump(opt.access == ReadAhead::normal) {}

        /// The records of the index before the first damage, every checksum verified
        /// (`ReadOptions::verify_all`); with `strict`, damage raises instead.
        [[nodiscard]] std::uint64_t intact_prefix(const ReadOptions& opt) {
            const auto& seg = opened.segment;
            seg->populate(0, seg->size());  // read whole: one system call instead of a fault per page
            RecordScanner scanner(seg->bytes(), opened.header.records_offset, SIZE_MAX);
            while (scanner.next()) {
            }
            const ScanStatus& status = scanner.status();
            if (opt.strict && !status.clean())
                throw format_error({.channel = opened.name, .path = seg->path(), .record = status.records,
                                    .offset = status.intact_end},
                                   status.reason);
            return std::min(index.size(), status.records);
        }

        value_type decode(std::uint64_t i) {
            // The first jump (not the next record) says the access is random: from then on the
            // kernel reads only the pages touched, not a read-ahead window around each.
            if (advise_on_jump && i != next && next != 0) {
                opened.segment->advise(ReadAhead::random);
                advise_on_jump = false;
            }
            next = i + 1;
            return detail::decode_record(codec, decoder, checked_record(i), opened);
        }

        std::int64_t timestamp(std::uint64_t i) {
            return checked(i, [&] { return index.entry(i).timestamp; });
        }

        /// Record `i` from the index, errors naming the channel (see `checked`).
        [[nodiscard]] RecordView checked_record(std::uint64_t i) {
            return checked(i, [&] { return index.record(i); });
        }

        [[nodiscard]] ErrorContext where(std::uint64_t i) const {
            return {.channel = opened.name, .path = opened.segment->path(), .record = i};
        }

        /// `get()` for record `i` of the view, with the channel and record in errors. Once
        /// the index found damage (it then holds fewer records than the view), records
        /// from there on are past damage, whatever a later read of them would find.
        template <class Get>
        auto checked(std::uint64_t i, Get&& get) {
            // The context is built only on failure: nothing is allocated per record.
            if (i >= size) throw usage_error(where(i), "out of range: the channel has " + std::to_string(size) + " records");
            try {
                if (index.size() < size && i >= index.size())
                    throw format_error("damaged or past damage: the intact records end at record " +
                                       std::to_string(index.size()) + ": " + index.status().reason);
                return get();
            } catch (const usage_error& e) {
                throw usage_error(where(i), e.reason());
            } catch (const format_error& e) {
                throw format_error(where(i), e.reason());
            }
        }

        OpenedChannel opened;
        C codec;
        detail::decoder_t<C> decoder;
        TimeIndex index;
        std::uint64_t size;  // fixed when the view is made
        bool advise_on_jump;
        std::uint64_t next = 0;  // the record after the last one decoded
    };

    State& state() const {
        if (!state_) throw usage_error("IndexedChannel was moved from");
        return *state_;
    }

    std::shared_ptr<State> state_;
};

/// The 0.1 name of `IndexedChannel`.
template <Codec C>
using ChannelView [[deprecated("use tinman::IndexedChannel")]] = IndexedChannel<C>;

}  // namespace tinman
