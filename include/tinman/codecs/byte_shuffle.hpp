#pragma once
/// @file
/// The byte-shuffle filter: the elements' bytes regrouped by significance (all
/// first bytes, then all second bytes...), which lets a compressor find the
/// slowly varying high bytes of float and integer data.

#include <cstddef>

namespace tinman::detail {

/// Byte `k` of element `i` of `in` (`n` elements of `itemsize` bytes) goes to `out[k * n + i]`.
inline void shuffle_bytes(const std::byte* in, std::byte* out, std::size_t n, std::size_t itemsize) noexcept {
    if (n == 0) return;  // the pointers of an empty array may be null
    for (std::size_t k = 0; k < itemsize; ++k) {
        std::byte* plane = out + k * n;
        const std::byte* src = in + k;
        for (std::size_t i = 0; i < n; ++i) plane[i] = src[i * itemsize];
    }
}

/// The inverse of `shuffle_bytes`.
inline void unshuffle_bytes(const std::byte* in, std::byte* out, std::size_t n, std::size_t itemsize) noexcept {
    if (n == 0) return;
    for (std::size_t k = 0; k < itemsize; ++k) {
        const std::byte* plane = in + k * n;
        std::byte* dst = out + k;
        for (std::size_t i = 0; i < n; ++i) dst[i * itemsize] = plane[i];
    }
}

}  // namespace tinman::detail
