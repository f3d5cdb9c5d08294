#pragma once
/// @file
/// The NdArrayCodec payload, exactly the Python NumpyArrayCodec layout:
/// u32 dtype length, dtype string (numpy `dtype.str`), u32 ndim, u64 shape[ndim],
/// then the elements in C order. All little-endian; no padding.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "../detail/endian.hpp"
#include "../error.hpp"
#include "array_shape.hpp"

namespace tinman {

namespace detail {

/// The parts of an array payload, checked to lie inside it. The dimensions are
/// read from the payload when asked for, so parsing copies and allocates nothing.
struct ArrayHead {
    std::string_view dtype;
    std::size_t ndim = 0;
    const std::byte* dims = nullptr;  ///< `ndim` little-endian u64s inside the payload
    std::size_t count = 0;            ///< number of elements (product of the shape)
    std::span<const std::byte> data;

    [[nodiscard]] std::size_t rank() const noexcept { return ndim; }
    [[nodiscard]] std::size_t dim(std::size_t i) const noexcept {
        return static_cast<std::size_t>(load_le<std::uint64_t>(dims + 8 * i));
    }
};

/// The same parts with the shape copied out (what `AnyArray` keeps).
struct ArrayPayload {
    std::string_view dtype;
    shape_type shape;
    std::size_t count = 1;  ///< number of elements (product of the shape)
    std::span<const std::byte> data;

    [[nodiscard]] std::size_t rank() const noexcept { return shape.size(); }
    [[nodiscard]] std::size_t dim(std::size_t i) const noexcept { return shape[i]; }
};

/// The number of elements of an array of `ndim` dimensions `dim(0)`.. . Like
/// numpy, refuses more than `max_ndim` dimensions and shapes whose nonzero
/// dimensions multiply past PTRDIFF_MAX, even when another is 0: xtensor computes
/// signed strides from them. Throws `format_error`.
template <class Dim>
[[nodiscard]] std::size_t checked_element_count(std::size_t ndim, Dim dim) {
    if (ndim > max_ndim)
        throw format_error("ndim " + std::to_string(ndim) + " exceeds the limit of " + std::to_string(max_ndim));
    bool empty = false;
    std::size_t nonzero_product = 1;
    for (std::size_t i = 0; i < ndim; ++i) {
        const std::uint64_t d = dim(i);
        if (d == 0) {
            empty = true;
        } else if (d > static_cast<std::uint64_t>(PTRDIFF_MAX) ||
                   __builtin_mul_overflow(nonzero_product, static_cast<std::size_t>(d), &nonzero_product) ||
                   nonzero_product > static_cast<std::size_t>(PTRDIFF_MAX)) {
            throw format_error("shape product overflows");
        }
    }
    return empty ? 0 : nonzero_product;
}

/// Splits `payload` into dtype, shape and data, checking every length against the
/// payload before using it; allocates nothing proportional to a claimed size.
[[nodiscard]] inline ArrayHead parse_array_head(std::span<const std::byte> p) {
    auto need = [&](std::size_t n, const char* what) {
        if (p.size() < n)
            throw format_error("payload of " + std::to_string(p.size()) + " bytes is too short for its " + what);
    };
    need(4, "dtype length");
    const std::uint32_t dlen = load_le<std::uint32_t>(p.data());
    if (dlen == 0 || dlen > max_dtype_size) throw format_error("dtype length " + std::to_string(dlen) + " is out of range");
    need(std::size_t{8} + dlen, "dtype and ndim");
    ArrayHead a;
    a.dtype = {reinterpret_cast<const char*>(p.data() + 4), dlen};
    const std::uint32_t ndim = load_le<std::uint32_t>(p.data() + 4 + dlen);
    if (ndim > max_ndim)  // before the length check, so that the error says why
        throw format_error("ndim " + std::to_string(ndim) + " exceeds the limit of " + std::to_string(max_ndim));
    const std::size_t data_offset = 8 + std::size_t{dlen} + 8 * std::size_t{ndim};
    need(data_offset, "shape");
    a.ndim = ndim;
    a.dims = p.data() + 8 + dlen;
    a.count = checked_element_count(a.ndim, [&](std::size_t i) { return load_le<std::uint64_t>(a.dims + 8 * i); });
    a.data = p.subspan(data_offset);
    return a;
}

/// `parse_array_head` with the shape copied out.
[[nodiscard]] inline ArrayPayload parse_array_payload(std::span<const std::byte> p) {
    const ArrayHead h = parse_array_head(p);
    shape_type shape(h.ndim);
    for (std::size_t i = 0; i < h.ndim; ++i) shape[i] = h.dim(i);
    return {h.dtype, std::move(shape), h.count, h.data};
}

/// Throws unless `a.data` holds exactly `count * itemsize` bytes (`A`: `ArrayHead` or `ArrayPayload`).
template <class A>
void check_array_size(const A& a, std::size_t itemsize) {
    std::size_t expected = 0;
    if (__builtin_mul_overflow(a.count, itemsize, &expected) || a.data.size() != expected)
        throw format_error("array data is " + std::to_string(a.data.size()) + " bytes, dtype '" +
                           std::string(a.dtype) + "' and shape need " +
                           (expected == 0 && a.count != 0 ? std::string("more than fit in memory")
                                                          : std::to_string(a.count) + " x " + std::to_string(itemsize)));
}

/// Writes the payload head (everything before the data) into `head`.
template <class Shape>
void write_array_head(std::vector<std::byte>& head, std::string_view dtype, const Shape& shape) {
    const std::size_t ndim = std::size(shape);
    if (ndim > max_ndim) throw usage_error("cannot store an array of " + std::to_string(ndim) + " dimensions");
    head.resize(8 + dtype.size() + 8 * ndim);
    std::byte* out = head.data();
    store_le<std::uint32_t>(out, static_cast<std::uint32_t>(dtype.size()));
    std::memcpy(out + 4, dtype.data(), dtype.size());
    out += 4 + dtype.size();
    store_le<std::uint32_t>(out, static_cast<std::uint32_t>(ndim));
    out += 4;
    for (auto d : shape) {
        store_le<std::uint64_t>(out, static_cast<std::uint64_t>(d));
        out += 8;
    }
}

/// Alignment the writer gives array data: 64 bytes (a cache line, and what SIMD
/// loads like) for arrays of 64 bytes or more, the element's own for smaller ones.
[[nodiscard]] constexpr std::size_t array_data_alignment(std::size_t nbytes, std::size_t element_alignment) noexcept {
    return nbytes >= 64 ? 64 : element_alignment;
}

}  // namespace detail
}  // namespace tinman
