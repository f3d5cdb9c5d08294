#pragma once
/// @file
/// Several channels as one stream in timestamp order, as
/// `(channel, timestamp, value)`; ties go to the channel given first. Memory is
/// O(number of channels): a heap of the channels' current timestamps.
///
///     auto merged = tinman::merge(reader.read_channel<tinman::NdArrayCodec<float>>("pose"),
///                                 reader.read_channel<tinman::BytesCodec>("events"));
///     for (auto&& [channel, t, value] : merged)
///         std::visit([&](const auto& v) { use(channel, t, v); }, value);  // value.index() == channel

#include <array>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <ranges>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "error.hpp"
#include "record_range.hpp"

namespace tinman {

/// One record of a merged stream: the position of its channel among those
/// merged, its timestamp and its value. Binds as `auto&& [channel, timestamp, value]`.
template <class V>
struct MergedRecord {
    std::size_t channel;
    std::int64_t timestamp;
    V value;
};

namespace detail {

/// A binary min-heap of (timestamp, source); on equal timestamps the smaller source comes first.
class MergeHeap {
public:
    struct Head {
        std::int64_t timestamp;
        std::size_t source;
    };

    void reserve(std::size_t n) { heap_.reserve(n); }
    [[nodiscard]] bool empty() const noexcept { return heap_.empty(); }
    [[nodiscard]] const Head& top() const noexcept { return heap_.front(); }

    void push(Head h) {
        heap_.push_back(h);
        std::size_t i = heap_.size() - 1;
        while (i > 0) {
            const std::size_t parent = (i - 1) / 2;
            if (!before(heap_[i], heap_[parent])) break;
            std::swap(heap_[i], heap_[parent]);
            i = parent;
        }
    }
    /// Replaces the top with `h` (the top source's next record).
    void replace_top(Head h) noexcept {
        heap_.front() = h;
        sift_down(0);
    }
    void pop() noexcept {
        heap_.front() = heap_.back();
        heap_.pop_back();
        if (!heap_.empty()) sift_down(0);
    }

private:
    static bool before(const Head& a, const Head& b) noexcept {
        return a.timestamp < b.timestamp || (a.timestamp == b.timestamp && a.source < b.source);
    }
    void sift_down(std::size_t i) noexcept {
        const std::size_t n = heap_.size();
        for (;;) {
            std::size_t best = i;
            const std::size_t l = 2 * i + 1, r = l + 1;
            if (l < n && before(heap_[l], heap_[best])) best = l;
            if (r < n && before(heap_[r], heap_[best])) best = r;
            if (best == i) return;
            std::swap(heap_[i], heap_[best]);
            i = best;
        }
    }
    std::vector<Head> heap_;
};

/// The iterator of `Merge` and `MergeAll`: decodes the record on top of the heap, moves past it.
template <class State>
class MergeIterator {
public:
    using iterator_concept = std::input_iterator_tag;
    using value_type = typename State::value_type;
    using difference_type = std::ptrdiff_t;

    MergeIterator() = default;
    explicit MergeIterator(const State* s) noexcept : state_(s) {}

    /// Decodes the current record.
    [[nodiscard]] value_type operator*() const { return state_->current(); }
    MergeIterator& operator++() {
        state_->advance();
        return *this;
    }
    void operator++(int) { ++*this; }
    /// The current record's timestamp and channel, without decoding it.
    [[nodiscard]] std::int64_t timestamp() const { return state_->top().timestamp; }
    [[nodiscard]] std::size_t channel() const { return state_->top().source; }
    friend bool operator==(const MergeIterator& it, std::default_sentinel_t) noexcept { return it.done(); }

private:
    [[nodiscard]] bool done() const noexcept { return state_ == nullptr || state_->at_end(); }

    const State* state_ = nullptr;
};

}  // namespace detail

/// Channels of different codecs merged in timestamp order: a single-pass input
/// range of `MergedRecord<std::variant<V0, V1, ...>>` whose variant holds the
/// value in alternative `channel` (so `value.index() == channel`, even when two
/// channels have the same value type). Each channel keeps its own file order;
/// equal timestamps come in the order the channels were given, so the merge is
/// stable. A channel whose clock stepped back is not reordered: its records
/// still come in file order, merged with the others by their timestamps.
template <std::ranges::input_range... Rs>
    requires(sizeof...(Rs) > 0)
class Merge {
public:
    /// Holds channel `k`'s value as alternative `k`.
    using variant_type = std::variant<detail::record_value_t<Rs>...>;
    using value_type = MergedRecord<variant_type>;
    using iterator = detail::MergeIterator<Merge>;

    explicit Merge(Rs... sources) : state_(std::make_unique<Sources>(std::move(sources)...)) {}

    /// Starts the pass (later calls continue where it is).
    [[nodiscard]] iterator begin() {
        Sources& s = sources();
        if (!s.started) {
            s.started = true;
            s.heap.reserve(sizeof...(Rs));
            start(std::index_sequence_for<Rs...>{});
        }
        return iterator(this);
    }
    [[nodiscard]] std::default_sentinel_t end() const noexcept { return {}; }

    /// The merged channels, in the order given.
    [[nodiscard]] std::tuple<Rs...>& channels() { return sources().ranges; }

private:
    friend iterator;
    struct Sources {
        explicit Sources(Rs... r) : ranges(std::move(r)...) {}
        std::tuple<Rs...> ranges;
        std::tuple<std::ranges::iterator_t<Rs>...> its;
        detail::MergeHeap heap;
        bool started = false;
    };

    Sources& sources() const {
        if (!state_) throw usage_error("Merge was moved from");
        return *state_;
    }

    template <std::size_t... I>
    void start(std::index_sequence<I...>) {
        Sources& s = *state_;
        ((std::get<I>(s.its) = std::ranges::begin(std::get<I>(s.ranges)),
          std::get<I>(s.its) != std::ranges::end(std::get<I>(s.ranges))
              ? s.heap.push({detail::timestamp_at(std::get<I>(s.its)), I})
              : void()),
         ...);
    }

    template <std::size_t I>
    static value_type current_of(Sources& s) {
        auto&& r = *std::get<I>(s.its);
        return {I, r.timestamp, variant_type(std::in_place_index<I>, std::move(r.value))};
    }
    template <std::size_t I>
    static void advance_of(Sources& s) {
        auto& it = std::get<I>(s.its);
        ++it;
        if (it != std::ranges::end(std::get<I>(s.ranges))) s.heap.replace_top({detail::timestamp_at(it), I});
        else s.heap.pop();
    }
    template <std::size_t... I>
    static constexpr auto current_table(std::index_sequence<I...>) {
        return std::array<value_type (*)(Sources&), sizeof...(I)>{&current_of<I>...};
    }
    template <std::size_t... I>
    static constexpr auto advance_table(std::index_sequence<I...>) {
        return std::array<void (*)(Sources&), sizeof...(I)>{&advance_of<I>...};
    }

    // For MergeIterator.
    [[nodiscard]] const detail::MergeHeap::Head& top() const { return checked().heap.top(); }
    [[nodiscard]] value_type current() const {
        static constexpr auto table = current_table(std::index_sequence_for<Rs...>{});
        Sources& s = checked();
        return table[s.heap.top().source](s);
    }
    void advance() const {
        static constexpr auto table = advance_table(std::index_sequence_for<Rs...>{});
        Sources& s = checked();
        table[s.heap.top().source](s);
    }
    [[nodiscard]] Sources& checked() const {
        Sources& s = sources();
        if (s.heap.empty()) throw usage_error("merged iterator used past the end");
        return s;
    }

    [[nodiscard]] bool at_end() const noexcept { return !state_ || state_->heap.empty(); }

    std::unique_ptr<Sources> state_;
};

/// Any number of channels of one codec (or other record ranges of one type)
/// merged in timestamp order: an input range of `MergedRecord<V>`, `channel`
/// being the position in `sources`. Same order and stability as `Merge`.
template <std::ranges::input_range R>
class MergeAll {
public:
    using value_type = MergedRecord<detail::record_value_t<R>>;
    using iterator = detail::MergeIterator<MergeAll>;

    explicit MergeAll(std::vector<R> sources) : state_(std::make_unique<Sources>(std::move(sources))) {}

    [[nodiscard]] iterator begin() {
        Sources& s = sources();
        if (!s.started) {
            s.started = true;
            s.heap.reserve(s.ranges.size());
            s.its.reserve(s.ranges.size());
            for (std::size_t k = 0; k < s.ranges.size(); ++k) {
                s.its.push_back(std::ranges::begin(s.ranges[k]));
                if (s.its[k] != std::ranges::end(s.ranges[k])) s.heap.push({detail::timestamp_at(s.its[k]), k});
            }
        }
        return iterator(this);
    }
    [[nodiscard]] std::default_sentinel_t end() const noexcept { return {}; }

    /// The merged channels, in the order given.
    [[nodiscard]] std::vector<R>& channels() { return sources().ranges; }

private:
    friend iterator;
    struct Sources {
        explicit Sources(std::vector<R> r) : ranges(std::move(r)) {}
        std::vector<R> ranges;
        std::vector<std::ranges::iterator_t<R>> its;
        detail::MergeHeap heap;
        bool started = false;
    };

    Sources& sources() const {
        if (!state_) throw usage_error("MergeAll was moved from");
        return *state_;
    }
    [[nodiscard]] Sources& checked() const {
        Sources& s = sources();
        if (s.heap.empty()) throw usage_error("merged iterator used past the end");
        return s;
    }

    [[nodiscard]] const detail::MergeHeap::Head& top() const { return checked().heap.top(); }
    [[nodiscard]] value_type current() const {
        Sources& s = checked();
        const std::size_t k = s.heap.top().source;
        auto&& r = *s.its[k];
        return {k, r.timestamp, std::move(r.value)};
    }
    void advance() const {
        Sources& s = checked();
        const std::size_t k = s.heap.top().source;
        auto& it = s.its[k];
        ++it;
        if (it != std::ranges::end(s.ranges[k])) s.heap.replace_top({detail::timestamp_at(it), k});
        else s.heap.pop();
    }

    [[nodiscard]] bool at_end() const noexcept { return !state_ || state_->heap.empty(); }

    std::unique_ptr<Sources> state_;
};

/// Merges record ranges (e.g. `Channel`s, also time ranges of them) of any
/// codecs in timestamp order; the ranges are moved into the result.
template <std::ranges::input_range... Rs>
    requires(sizeof...(Rs) > 0)
[[nodiscard]] Merge<std::remove_cvref_t<Rs>...> merge(Rs&&... sources) {
    return Merge<std::remove_cvref_t<Rs>...>(std::forward<Rs>(sources)...);
}

/// Merges any number of record ranges of one type in timestamp order.
template <std::ranges::input_range R>
[[nodiscard]] MergeAll<R> merge(std::vector<R> sources) {
    return MergeAll<R>(std::move(sources));
}

}  // namespace tinman
