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

#include "../error.hpp"
#include "endian.hpp"
#include "xtensor.hpp"

namespace tinman {

/// Shape of a decoded array (no heap allocation up to 4 dimensions).
using shape_type = xt::svector<std::size_t, 4>;

/// Most dimensions an array may have (numpy 2's limit).
inline constexpr std::size_t max_ndim = 64;
/// Longest dtype string accepted.
inline constexpr std::size_t max_dtype_size = 32;

namespace detail {

/// The parts of an array payload, checked to lie inside it.
struct ArrayPayload {
    std::string_view dtype;
    shape_type shape;
    std::size_t count = 1;  ///< number of elements (product of the shape)
    std::span<const std::byte> data;
};

/// The product of `shape`; throws `format_error` if it overflows.
template <class Shape>
[[nodiscard]] std::size_t checked_product(const Shape& shape) {
    std::size_t n = 1;
    for (auto d : shape)
        if (__builtin_mul_overflow(n, static_cast<std::size_t>(d), &n)) throw format_error("shape product overflows");
    return n;
}

/// Splits `payload` into dtype, shape and data, checking every length against the
/// payload before using it; allocates nothing proportional to a claimed size.
[[nodiscard]] inline ArrayPayload parse_array_payload(std::span<const std::byte> p) {
    auto need = [&](std::size_t n, const char* what) {
        if (p.size() < n)
            throw format_error("payload of " + std::to_string(p.size()) + " bytes is too short for its " + what);
    };
    need(4, "dtype length");
    const std::uint32_t dlen = load_le<std::uint32_t>(p.data());
    if (dlen == 0 || dlen > max_dtype_size) throw format_error("dtype length " + std::to_string(dlen) + " is out of range");
    need(std::size_t{8} + dlen, "dtype and ndim");
    ArrayPayload a;
    a.dtype = {reinterpret_cast<const char*>(p.data() + 4), dlen};
    const std::uint32_t ndim = load_le<std::uint32_t>(p.data() + 4 + dlen);
    if (ndim > max_ndim)
        throw format_error("ndim " + std::to_string(ndim) + " exceeds the limit of " + std::to_string(max_ndim));
    const std::size_t data_offset = 8 + std::size_t{dlen} + 8 * std::size_t{ndim};
    need(data_offset, "shape");
    std::size_t dims[max_ndim];  // filled below up to ndim; built into the shape in one step
    bool empty = false;
    for (std::uint32_t i = 0; i < ndim; ++i) {
        const std::uint64_t d = load_le<std::uint64_t>(p.data() + 8 + dlen + 8 * std::size_t{i});
        if constexpr (sizeof(std::size_t) < sizeof(std::uint64_t))
            if (d > SIZE_MAX) throw format_error("dimension " + std::to_string(d) + " is too large");
        dims[i] = static_cast<std::size_t>(d);
        empty |= d == 0;
    }
    a.shape = shape_type(dims, dims + ndim);
    // As numpy does, the nonzero dimensions must multiply to at most PTRDIFF_MAX
    // even when another is 0: xtensor computes signed strides from them.
    std::size_t nonzero_product = 1;
    for (std::uint32_t i = 0; i < ndim; ++i)
        if (dims[i] != 0 && (__builtin_mul_overflow(nonzero_product, dims[i], &nonzero_product) ||
                             nonzero_product > static_cast<std::size_t>(PTRDIFF_MAX)))
            throw format_error("shape product overflows");
    a.count = empty ? 0 : nonzero_product;
    a.data = p.subspan(data_offset);
    return a;
}

/// Throws unless `a.data` holds exactly `count * itemsize` bytes.
inline void check_array_size(const ArrayPayload& a, std::size_t itemsize) {
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
    if (ndim > max_ndim) throw error("cannot store an array of " + std::to_string(ndim) + " dimensions");
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
