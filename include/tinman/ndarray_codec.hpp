#pragma once
/// @file
/// Layer 4: `NdArrayCodec<T>`, n-d arrays of one element type. Reading hands back
/// a read-only xtensor adaptor over the mapped file: O(1), no copy.

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <array>

#include "codec.hpp"
#include "detail/ndarray_payload.hpp"
#include "dtype.hpp"

namespace tinman {

/// The rank of arrays whose number of dimensions is known only at run time.
inline constexpr std::size_t dynamic_rank = static_cast<std::size_t>(-1);

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
    const auto* data = a.data.data();
    if (reinterpret_cast<std::uintptr_t>(data) % alignof(T) != 0)
        throw format_error("array data is not aligned to " + std::to_string(alignof(T)) +
                           " bytes, so it cannot be viewed in place; read it with AnyArrayCodec and copy_as()");
    if constexpr (std::is_same_v<T, bool>)
        if (!bool_bytes_valid(a.data)) throw format_error("bool array holds a byte other than 0 or 1");
    ViewBuffer<T> buffer(reinterpret_cast<const T*>(data), a.count, owner);
    using shape = std::conditional_t<Rank == dynamic_rank, shape_type, std::array<std::size_t, Rank>>;
    shape s{};
    if constexpr (Rank == dynamic_rank) s.resize(a.rank());
    for (std::size_t i = 0; i < s.size(); ++i) s[i] = a.dim(i);
    return ArrayView<T, Rank>(std::move(buffer), s);
}

template <class E>
inline constexpr bool is_xexpression_v = xt::is_xexpression<E>::value;

/// Where `e` keeps its elements, if they are contiguous and in C order; nullptr otherwise.
template <class T, class E>
[[nodiscard]] const T* c_order_data(const E& e) {
    if constexpr (xt::has_data_interface<E>::value && requires { e.data_offset(); e.strides(); }) {
        std::ptrdiff_t expected = 1;
        const auto& shape = e.shape();
        const auto& strides = e.strides();
        for (std::size_t i = shape.size(); i-- > 0;) {
            if (shape[i] != 1 && static_cast<std::ptrdiff_t>(strides[i]) != expected) return nullptr;
            expected *= static_cast<std::ptrdiff_t>(shape[i]);
        }
        return e.data() + e.data_offset();
    } else {
        return nullptr;
    }
}

}  // namespace detail

/// Stores n-d arrays of element type `T` as the Python NumpyArrayCodec does,
/// with the element data 64-byte aligned in the file. With a fixed `Rank`,
/// reading yields `ArrayView<T, Rank>` and checks each record's rank, and
/// writing checks it too; the file is the same either way.
///
/// Writes any xtensor expression whose `value_type` is `T` (containers, fixed
/// tensors, views, adaptors, lazy expressions; any layout), in C order, and
/// plain `T` values as 0-d arrays. Contiguous row-major input is written from
/// its own memory; anything else is evaluated into reused scratch memory.
/// Reads `ArrayView<T>`; the stored dtype must be exactly `dtype_of<T>`.
template <Element T, std::size_t Rank = dynamic_rank>
class NdArrayCodec {
public:
    using value_type = ArrayView<T, Rank>;
    using element_type = T;

    [[nodiscard]] CodecDescriptor descriptor() const { return {"ndarray", {{"dtype", std::string(dtype_of<T>)}}}; }

    [[nodiscard]] std::string mismatch(const CodecDescriptor& stored) const {
        if (stored.name != "ndarray") return codec_kind_mismatch(stored, descriptor());
        if (auto dt = stored.param("dtype"); dt && *dt != dtype_of<T>) return dtype_mismatch(*dt);
        return {};
    }

    [[nodiscard]] value_type decode(std::span<const std::byte> payload, const SegmentPtr& owner) const {
        const auto a = detail::parse_array_head(payload);
        if (a.dtype != dtype_of<T>) throw codec_mismatch(dtype_mismatch(a.dtype));
        return detail::view_array<T, Rank>(a, owner);
    }

    /// Expressions whose `value_type` is exactly `T` (convert others with `xt::cast<T>(...)`).
    template <class E>
        requires detail::is_xexpression_v<E> && std::same_as<typename E::value_type, T>
    [[nodiscard]] Payload encode(const E& e, EncodeScratch& scratch) const {
        if constexpr (Rank != dynamic_rank) {
            if (e.dimension() != Rank)
                throw error("cannot write an array of " + std::to_string(e.dimension()) + " dimensions with a rank " +
                            std::to_string(Rank) + " NdArrayCodec");
        }
        detail::write_array_head(scratch.head, dtype_of<T>, e.shape());
        const std::size_t n = static_cast<std::size_t>(e.size());
        const T* data = detail::c_order_data<T>(e);
        if (data == nullptr && n != 0) {
            scratch.body.resize(n * sizeof(T));
            const shape_type shape(e.shape().begin(), e.shape().end());
            auto out = xt::adapt(reinterpret_cast<T*>(scratch.body.data()), n, xt::no_ownership(), shape);
            xt::noalias(out) = e;
            data = reinterpret_cast<const T*>(scratch.body.data());
        }
        return payload(scratch, data, n);
    }

    /// A single value of exactly type `T` (no silent conversion), stored as a 0-d array.
    template <class V>
        requires std::same_as<V, T> && (Rank == 0 || Rank == dynamic_rank)
    [[nodiscard]] Payload encode(const V& value, EncodeScratch& scratch) const {
        detail::write_array_head(scratch.head, dtype_of<T>, std::array<std::size_t, 0>{});
        return payload(scratch, &value, 1);
    }

private:
    static Payload payload(const EncodeScratch& scratch, const T* data, std::size_t n) {
        const std::size_t nbytes = n * sizeof(T);
        return {scratch.head, {reinterpret_cast<const std::byte*>(data), nbytes},
                detail::array_data_alignment(nbytes, alignof(T))};
    }

    static std::string dtype_mismatch(std::string_view stored) {
        return "stored dtype '" + std::string(stored) + "', requested '" + std::string(dtype_of<T>) + "'";
    }
};

static_assert(Codec<NdArrayCodec<double>>);
static_assert(CodecFor<NdArrayCodec<double>, xt::xarray<double>>);
static_assert(CodecFor<NdArrayCodec<double>, double>);
static_assert(!CodecFor<NdArrayCodec<double>, xt::xarray<float>>);
static_assert(!CodecFor<NdArrayCodec<double>, float>);
static_assert(Codec<NdArrayCodec<float, 2>>);
static_assert(!CodecFor<NdArrayCodec<double, 1>, double>);

}  // namespace tinman
