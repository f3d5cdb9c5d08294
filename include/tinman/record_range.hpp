#pragma once
/// @file
/// Ranges of records, as merge and replay take them: any input range whose
/// elements have a `timestamp` and a `value` (channel readers, time ranges,
/// merges).

#include <concepts>
#include <cstdint>
#include <iterator>
#include <type_traits>
#include <utility>

namespace tinman {
namespace detail {

// The range vocabulary merge and replay need, from <iterator> (which provides
// `std::ranges::begin` and `end`): <ranges> would cost every user of tinman
// compile time for views that tinman does not use.

/// The iterator type of range `R`.
template <class R>
using iterator_of = decltype(std::ranges::begin(std::declval<R&>()));

/// What `*it` gives for an iterator of range `R`.
template <class R>
using reference_of = std::iter_reference_t<iterator_of<R>>;

/// `std::ranges::input_range`, spelled with <iterator>'s names.
template <class R>
concept input_range = requires(R& r) {
    std::ranges::begin(r);
    std::ranges::end(r);
} && std::input_iterator<iterator_of<R>>;

}  // namespace detail

/// An input range of records: its elements have an `int64` `timestamp` and a `value`.
template <class R>
concept RecordRange = detail::input_range<R> && requires(detail::reference_of<R> r) {
    { r.timestamp } -> std::convertible_to<std::int64_t>;
    r.value;
};

namespace detail {

/// The timestamp of the record at `it`, without decoding it when the iterator can tell.
template <class It>
[[nodiscard]] std::int64_t timestamp_at(const It& it) {
    if constexpr (requires { { it.timestamp() } -> std::convertible_to<std::int64_t>; }) return it.timestamp();
    else return (*it).timestamp;
}

/// The value type of a range of records (`Record<V>`: `V`).
template <class R>
using record_value_t = std::remove_cvref_t<decltype(std::declval<reference_of<R>>().value)>;

}  // namespace detail
}  // namespace tinman
