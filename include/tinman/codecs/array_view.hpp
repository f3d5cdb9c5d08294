#pragma once
/// @file
/// `ArrayView<T>`: a read-only xtensor adaptor over memory a mapping owns, and
/// the checks that make viewing a stored array in place safe.

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <type_traits>

#include "../error.hpp"
#include "../io/mapped_segment.hpp"
#include "../xtensor.hpp"
#include "array_shape.hpp"
#include "dtype.hpp"
#include "ndarray_payload.hpp"

namespace tinman {

/// The buffer of a read-only view: `const T*` plus the owner that keeps the memory mapped.
template <Element T>
using ViewBuffer = xt::xbuffer_adaptor<const T*, xt::smart_ownership, SegmentPtr>;

/// A read-only n-d array over memory owned by `SegmentPtr` (usually a mapped
/// channel file), row-major: an `xt::xarray_adaptor` over `const T*`, or with a
/// fixed `Rank` an `xt::xtensor_adaptor` (cheaper to make: no dynamic shape).
/// Copying it copies the shape and shares the memory; the mapping stays alive as
/// long as any copy does. Writing through it does not compile.
template <Element T, std::size_t Rank = dynamic_rank>
using ArrayView = std::conditional_t<Rank == dynamic_rank,
                                     xt::xarray_adaptor<ViewBuffer<T>, xt::layout_type::row_major, shape_type>,
                                     xt::xtensor_adaptor<ViewBuffer<T>, Rank, xt::layout_type::row_major>>;

namespace detail {

/// True when every byte is 0 or 1: any other byte read as `bool` is undefined
/// behaviour. (This makes decoding a bool array O(n), eight bytes per step.)
[[nodiscard]] inline bool bool_bytes_valid(std::span<const std::byte> bytes) noexcept {
    std::uint64_t high = 0;
    std::size_t i = 0;
    for (; i + 8 <= bytes.size(); i += 8) {
        std::uint64_t w;
        std::memcpy(&w, bytes.data() + i, 8);
        high |= w & 0xFEFEFEFEFEFEFEFEull;
    }
    for (; i < bytes.size(); ++i) high |= std::to_integer<std::uint64_t>(bytes[i]) & 0xFEu;
    return high == 0;
}

/// Checks a parsed payload (`ArrayHead` or `ArrayPayload`) holds a `T` array (of
/// rank `Rank`) that can be viewed in place, then views it.
template <Element T, std::size_t Rank = dynamic_rank, class A>
[[nodiscard]] ArrayView<T, Rank> view_array(const A& a, const SegmentPtr& owner) {
    if constexpr (Rank != dynamic_rank) {
        if (a.rank() != Rank)
            throw codec_mismatch("stored array has " + std::to_string(a.rank()) + " dimensions, requested " +
                                 std::to_string(Rank));
    }
    check_array_size(a, sizeof(T));
    // No element, nothing to misalign: a view of zero elements is always possible.
    const auto* data = a.count == 0 ? nullptr : a.data.data();
    if (reinterpret_cast<std::uintptr_t>(data) % alignof(T) != 0)
        throw format_error("array data is not aligned to " + std::to_string(alignof(T)) +
                           " bytes, so it cannot be viewed in place; read it with AnyArrayCodec and copy_as()");
    if constexpr (std::is_same_v<T, bool>)
        if (!bool_bytes_valid(a.data)) throw format_error("bool array holds a byte other than 0 or 1");
    ViewBuffer<T> buffer(reinterpret_cast<const T*>(data), a.count, owner);
    if constexpr (Rank == dynamic_rank && requires { { a.shape } -> std::convertible_to<const shape_type&>; }) {
        return ArrayView<T, Rank>(std::move(buffer), a.shape);  // the shape as it is, no element-wise copy
    } else {
        using shape = std::conditional_t<Rank == dynamic_rank, shape_type, std::array<std::size_t, Rank>>;
        shape s{};
        if constexpr (Rank == dynamic_rank) s.resize(a.rank());
        for (std::size_t i = 0; i < s.size(); ++i) s[i] = a.dim(i);
        return ArrayView<T, Rank>(std::move(buffer), s);
    }
}

}  // namespace detail
}  // namespace tinman
