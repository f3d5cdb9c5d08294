#pragma once
/// @file
/// The iterator and the start of a single-pass range of records read by a
/// scanner (`ChannelReader`, `python::BlogChannel`). The range keeps its state
/// on the heap, so iterators survive moves of the range.

#include <cstddef>
#include <cstdint>
#include <iterator>

#include "../error.hpp"
#include "../framing/record_view.hpp"

namespace tinman::detail {

/// Iterates a range whose `State` has `current` (the record under the
/// iterator, an `optional<RecordView>`), `started`, `advance()`,
/// `decode_current()` and `where()` (an `ErrorContext` for errors).
template <class State, class Value>
class RecordInputIterator {
public:
    using iterator_concept = std::input_iterator_tag;
    using value_type = Value;
    using difference_type = std::ptrdiff_t;

    RecordInputIterator() = default;
    explicit RecordInputIterator(State* s) noexcept : state_(s) {}

    /// Decodes the current record; errors name the channel, record, offset and codec.
    [[nodiscard]] value_type operator*() const {
        (void)record();  // checks the position
        return state_->decode_current();
    }
    RecordInputIterator& operator++() {
        (void)record();
        state_->advance();
        return *this;
    }
    void operator++(int) { ++*this; }
    friend bool operator==(const RecordInputIterator& it, std::default_sentinel_t) noexcept {
        return it.state_ == nullptr || !it.state_->current;
    }
    /// The current record's framing: number, file offset, payload bytes.
    [[nodiscard]] const RecordView& record() const {
        if (state_ == nullptr) throw usage_error("a default-constructed record iterator was used");
        if (!state_->current) throw usage_error(state_->where(), "iterator used past the end");
        return *state_->current;
    }
    /// The current record's timestamp, without decoding it.
    [[nodiscard]] std::int64_t timestamp() const { return record().timestamp; }

private:
    State* state_ = nullptr;
};

/// Starts the pass over `s` the first time (later calls continue where it is).
template <class State>
State& start_pass(State& s) {
    if (!s.started) {
        s.started = true;
        s.advance();
    }
    return s;
}

}  // namespace tinman::detail
