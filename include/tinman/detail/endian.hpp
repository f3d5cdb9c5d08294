#pragma once
/// @file
/// Little-endian loads and stores through memcpy: safe at any alignment.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace tinman::detail {

template <class T>
[[nodiscard]] constexpr T byteswap(T v) noexcept {
    static_assert(std::is_unsigned_v<T>);
    if constexpr (sizeof(T) == 1) return v;
    else if constexpr (sizeof(T) == 2) return static_cast<T>(__builtin_bswap16(v));
    else if constexpr (sizeof(T) == 4) return static_cast<T>(__builtin_bswap32(v));
    else return static_cast<T>(__builtin_bswap64(v));
}

/// Reads an unsigned little-endian integer from possibly unaligned memory.
template <class T>
[[nodiscard]] inline T load_le(const std::byte* p) noexcept {
    T v;
    std::memcpy(&v, p, sizeof v);
    if constexpr (std::endian::native == std::endian::big) v = byteswap(v);
    return v;
}

/// Writes an unsigned little-endian integer to possibly unaligned memory.
template <class T>
inline void store_le(std::byte* p, T v) noexcept {
    if constexpr (std::endian::native == std::endian::big) v = byteswap(v);
    std::memcpy(p, &v, sizeof v);
}

}  // namespace tinman::detail
