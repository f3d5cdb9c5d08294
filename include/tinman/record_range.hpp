#pragma once
/// @file
/// Ranges of records, as merge and replay take them: any input range whose
/// elements have a `timestamp` and a `value` (channel readers, time ranges,
/// merges).

#include <concepts>
#include <cstdint>
#include <ranges>
#include <type_traits>
#include <utility>

namespace tinman {

/// An input range of records: its elements have an `int64` `timestamp` and a `value`.
template <class R>
concept RecordRange = std::ranges::input_range<R> && requires(std::ranges::range_reference_t<R> r) {
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
using record_value_t = std::remove_cvref_t<decltype(std::declval<std::ranges::range_reference_t<R>>().value)>;

}  // namespace detail
}  // namespace tinman
