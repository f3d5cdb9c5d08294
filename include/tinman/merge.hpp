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

/// What `Merge` and `MergeAll` share: the heap of the sources' current
/// timestamps, the pass, and the iterator. `Sources` holds the ranges and their
/// iterators (on the heap, so that iterators survive moves of the merge) and
/// provides `start(heap)`, `current(k)` and `advance(k, heap)` for source `k`.
template <class Sources>
class MergeRange {
    struct State;

public:
    using value_type = typename Sources::value_type;

    /// Decodes the record on top of the heap when dereferenced, moves past it on `++`.
    class iterator {
    public:
        using iterator_concept = std::input_iterator_tag;
        using value_type = MergeRange::value_type;
        using difference_type = std::ptrdiff_t;

        iterator() = default;
        explicit iterator(State* s) noexcept : state_(s) {}

        /// Decodes the current record.
        [[nodiscard]] value_type operator*() const { return checked().sources.current(checked().heap.top().source); }
        iterator& operator++() {
            State& s = checked();
            s.sources.advance(s.heap.top().source, s.heap);
            return *this;
        }
        void operator++(int) { ++*this; }
        /// The current record's timestamp and channel, without decoding it.
        [[nodiscard]] std::int64_t timestamp() const { return checked().heap.top().timestamp; }
        [[nodiscard]] std::size_t channel() const { return checked().heap.top().source; }
        friend bool operator==(const iterator& it, std::default_sentinel_t) noexcept {
            return it.state_ == nullptr || it.state_->heap.empty();
        }

    private:
        [[nodiscard]] State& checked() const {
            if (state_ == nullptr || state_->heap.empty()) throw usage_error("merged iterator used past the end");
            return *state_;
        }
        State* state_ = nullptr;
    };

    template <class... Args>
    explicit MergeRange(Args&&... args) : state_(std::make_unique<State>(std::forward<Args>(args)...)) {}

    /// Starts the pass (later calls continue where it is).
    [[nodiscard]] iterator begin() {
        State& s = state();
        if (!s.started) {
            s.started = true;
            s.sources.start(s.heap);
        }
        return iterator(&s);
    }
    [[nodiscard]] std::default_sentinel_t end() const noexcept { return {}; }

    /// The merged channels, in the order given.
    [[nodiscard]] auto& channels() { return state().sources.ranges; }

private:
    struct State {
        template <class... Args>
        explicit State(Args&&... args) : sources(std::forward<Args>(args)...) {}
        Sources sources;
        MergeHeap heap;
        bool started = false;
    };
    State& state() const {
        if (!state_) throw usage_error("merge was moved from");
        return *state_;
    }
    std::unique_ptr<State> state_;
};

/// The sources of a `Merge`: ranges of different types, dispatched by tables.
template <class... Rs>
struct TupleSources {
    using variant_type = std::variant<record_value_t<Rs>...>;
    using value_type = MergedRecord<variant_type>;

    explicit TupleSources(Rs... r) : ranges(std::move(r)...) {}

    void start(MergeHeap& heap) { start(heap, std::index_sequence_for<Rs...>{}); }
    [[nodiscard]] value_type current(std::size_t k) {
        static constexpr auto table = current_table(std::index_sequence_for<Rs...>{});
        return table[k](*this);
    }
    void advance(std::size_t k, MergeHeap& heap) {
        static constexpr auto table = advance_table(std::index_sequence_for<Rs...>{});
        table[k](*this, heap);
    }

    std::tuple<Rs...> ranges;
    std::tuple<iterator_of<Rs>...> its;

private:
    template <std::size_t... I>
    void start(MergeHeap& heap, std::index_sequence<I...>) {
        heap.reserve(sizeof...(Rs));
        ((std::get<I>(its) = std::ranges::begin(std::get<I>(ranges)),
          std::get<I>(its) != std::ranges::end(std::get<I>(ranges)) ? heap.push({timestamp_at(std::get<I>(its)), I})
                                                                     : void()),
         ...);
    }
    template <std::size_t I>
    static value_type current_of(TupleSources& s) {
        auto&& r = *std::get<I>(s.its);
        return {I, r.timestamp, variant_type(std::in_place_index<I>, std::move(r.value))};
    }
    template <std::size_t I>
    static void advance_of(TupleSources& s, MergeHeap& heap) {
        auto& it = std::get<I>(s.its);
        ++it;
        if (it != std::ranges::end(std::get<I>(s.ranges))) heap.replace_top({timestamp_at(it), I});
        else heap.pop();
    }
    template <std::size_t... I>
    static constexpr auto current_table(std::index_sequence<I...>) {
        return std::array<value_type (*)(TupleSources&), sizeof...(I)>{&current_of<I>...};
    }
    template <std::size_t... I>
    static constexpr auto advance_table(std::index_sequence<I...>) {
        return std::array<void (*)(TupleSources&, MergeHeap&), sizeof...(I)>{&advance_of<I>...};
    }
};

/// The sources of a `MergeAll`: any number of ranges of one type.
template <class R>
struct VectorSources {
    using value_type = MergedRecord<record_value_t<R>>;

    explicit VectorSources(std::vector<R> r) : ranges(std::move(r)) {}

    void start(MergeHeap& heap) {
        heap.reserve(ranges.size());
        its.reserve(ranges.size());
        for (std::size_t k = 0; k < ranges.size(); ++k) {
            its.push_back(std::ranges::begin(ranges[k]));
            if (its[k] != std::ranges::end(ranges[k])) heap.push({timestamp_at(its[k]), k});
        }
    }
    [[nodiscard]] value_type current(std::size_t k) {
        auto&& r = *its[k];
        return {k, r.timestamp, std::move(r.value)};
    }
    void advance(std::size_t k, MergeHeap& heap) {
        auto& it = its[k];
        ++it;
        if (it != std::ranges::end(ranges[k])) heap.replace_top({timestamp_at(it), k});
        else heap.pop();
    }

    std::vector<R> ranges;
    std::vector<iterator_of<R>> its;
};

}  // namespace detail

/// Channels of different codecs merged in timestamp order: a single-pass input
/// range of `MergedRecord<std::variant<V0, V1, ...>>` whose variant holds the
/// value in alternative `channel` (so `value.index() == channel`, even when two
/// channels have the same value type). Each channel keeps its own file order;
/// equal timestamps come in the order the channels were given, so the merge is
/// stable. A channel whose clock stepped back is not reordered: its records
/// still come in file order, merged with the others by their timestamps.
/// `channels()` gives the merged ranges as a tuple.
template <detail::input_range... Rs>
    requires(sizeof...(Rs) > 0)
class Merge : public detail::MergeRange<detail::TupleSources<Rs...>> {
public:
    /// Holds channel `k`'s value as alternative `k`.
    using variant_type = typename detail::TupleSources<Rs...>::variant_type;

    explicit Merge(Rs... sources) : detail::MergeRange<detail::TupleSources<Rs...>>(std::move(sources)...) {}
};

/// Any number of channels of one codec (or other record ranges of one type)
/// merged in timestamp order: an input range of `MergedRecord<V>`, `channel`
/// being the position in `sources`. Same order and stability as `Merge`.
/// `channels()` gives the merged ranges as a vector.
template <detail::input_range R>
class MergeAll : public detail::MergeRange<detail::VectorSources<R>> {
public:
    explicit MergeAll(std::vector<R> sources) : detail::MergeRange<detail::VectorSources<R>>(std::move(sources)) {}
};

/// Merges record ranges (e.g. `Channel`s, also time ranges of them) of any
/// codecs in timestamp order; the ranges are moved into the result.
template <detail::input_range... Rs>
    requires(sizeof...(Rs) > 0)
[[nodiscard]] Merge<std::remove_cvref_t<Rs>...> merge(Rs&&... sources) {
    return Merge<std::remove_cvref_t<Rs>...>(std::forward<Rs>(sources)...);
}

/// Merges any number of record ranges of one type in timestamp order.
template <detail::input_range R>
[[nodiscard]] MergeAll<R> merge(std::vector<R> sources) {
    return MergeAll<R>(std::move(sources));
}

}  // namespace tinman
