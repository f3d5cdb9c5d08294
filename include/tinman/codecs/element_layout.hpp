#pragma once
/// @file
/// `ElementLayout` and the `StackableCodec` concept: codecs whose payloads are a
/// head followed by a C-order array of one element type, so that the records of
/// a channel can be viewed in place as one strided array (`IndexedChannel::stacked`).

#include <concepts>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "../error.hpp"
#include "array_shape.hpp"
#include "ndarray_payload.hpp"

namespace tinman {

/// Where a payload keeps its elements: after `head_size` bytes, a C-order array of `shape`.
struct ElementLayout {
    std::size_t head_size = 0;
    shape_type shape;
};

/// A codec whose payloads each hold a C-order array of elements `T` after a head.
/// Either the codec fixes the element type (`C::element_type` is `T`, and
/// `c.element_layout(payload)` returns the payload's `ElementLayout`), or the
/// caller names it (`c.template element_layout_as<T>(payload)`, e.g. for
/// `AnyArrayCodec`). Both throw (`codec_mismatch`, `format_error`) when the
/// payload does not hold exactly such an array. A codec of another library plugs
/// in by providing one of the two.
template <class C, class T>
concept StackableCodec = requires(const C& c, std::span<const std::byte> payload) {
    { c.template element_layout_as<T>(payload) } -> std::same_as<ElementLayout>;
} || (requires { typename C::element_type; } && std::same_as<typename C::element_type, T> &&
      requires(const C& c, std::span<const std::byte> payload) {
          { c.element_layout(payload) } -> std::same_as<ElementLayout>;
      });

/// The `ElementLayout` of `payload` as elements `T`, asked of `codec` as `StackableCodec` says.
template <class T, class C>
    requires StackableCodec<C, T>
[[nodiscard]] ElementLayout element_layout_of(const C& codec, std::span<const std::byte> payload) {
    if constexpr (requires { codec.template element_layout_as<T>(payload); })
        return codec.template element_layout_as<T>(payload);
    else
        return codec.element_layout(payload);
}

namespace detail {

/// The layout of an ndarray payload whose dtype must be `dtype` (of items of `itemsize` bytes).
[[nodiscard]] inline ElementLayout ndarray_element_layout(std::span<const std::byte> payload, std::string_view dtype,
                                                          std::size_t itemsize) {
    const auto a = parse_array_head(payload);
    if (a.dtype != dtype)
        throw codec_mismatch("stored dtype '" + std::string(a.dtype) + "', requested '" + std::string(dtype) + "'");
    check_array_size(a, itemsize);
    ElementLayout l{payload.size() - a.data.size(), shape_type(a.ndim)};
    for (std::size_t i = 0; i < a.ndim; ++i) l.shape[i] = a.dim(i);
    return l;
}

}  // namespace detail
}  // namespace tinman
