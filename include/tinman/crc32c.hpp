#pragma once
/// @file
/// CRC32C (Castagnoli), the checksum of every record: SSE4.2 `crc32` where the
/// CPU has it (checked once at run time), a slicing-by-8 table otherwise.

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "config.hpp"
#include "detail/endian.hpp"

#if TINMAN_HAS_SSE42_CRC32C
#include <nmmintrin.h>
#endif

namespace tinman {
namespace detail {

inline constexpr std::uint32_t crc32c_poly = 0x82F63B78u;  // reflected Castagnoli polynomial

constexpr std::array<std::array<std::uint32_t, 256>, 8> make_crc32c_tables() {
    std::array<std::array<std::uint32_t, 256>, 8> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
        std::uint32_t c = i;
        for (int k = 0; k < 8; ++k) c = (c & 1u) ? (c >> 1) ^ crc32c_poly : c >> 1;
        t[0][i] = c;
    }
    for (std::size_t s = 1; s < 8; ++s)
        for (std::size_t i = 0; i < 256; ++i) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xFFu];
    return t;
}

inline constexpr auto crc32c_tables = make_crc32c_tables();

/// Raw (not pre/post-inverted) CRC update, portable.
inline std::uint32_t crc32c_update_sw(std::uint32_t c, const std::byte* p, std::size_t n) noexcept {
    const auto& t = crc32c_tables;
    while (n >= 8) {
        const std::uint64_t w = load_le<std::uint64_t>(p) ^ c;
        c = t[7][w & 0xFF] ^ t[6][(w >> 8) & 0xFF] ^ t[5][(w >> 16) & 0xFF] ^ t[4][(w >> 24) & 0xFF] ^
            t[3][(w >> 32) & 0xFF] ^ t[2][(w >> 40) & 0xFF] ^ t[1][(w >> 48) & 0xFF] ^ t[0][w >> 56];
        p += 8;
        n -= 8;
    }
    while (n--) c = (c >> 8) ^ t[0][(c ^ std::to_integer<std::uint32_t>(*p++)) & 0xFF];
    return c;
}

#if TINMAN_HAS_SSE42_CRC32C
__attribute__((target("sse4.2"))) inline std::uint32_t crc32c_update_hw(std::uint32_t c, const std::byte* p,
                                                                         std::size_t n) noexcept {
    std::uint64_t c64 = c;
    while (n >= 8) {
        std::uint64_t w;
        std::memcpy(&w, p, 8);
        c64 = _mm_crc32_u64(c64, w);
        p += 8;
        n -= 8;
    }
    c = static_cast<std::uint32_t>(c64);
    while (n--) c = _mm_crc32_u8(c, std::to_integer<std::uint8_t>(*p++));
    return c;
}

inline bool cpu_has_sse42() noexcept {
    static const bool has = __builtin_cpu_supports("sse4.2");
    return has;
}
#endif

inline std::uint32_t crc32c_update(std::uint32_t c, const std::byte* p, std::size_t n) noexcept {
#if TINMAN_HAS_SSE42_CRC32C
    if (cpu_has_sse42()) return crc32c_update_hw(c, p, n);
#endif
    return crc32c_update_sw(c, p, n);
}

}  // namespace detail

/// CRC32C of `data`, continuing from `crc`, the CRC32C of the bytes before it
/// (so `crc32c(b, crc32c(a)) == crc32c(a ++ b)`).
[[nodiscard]] inline std::uint32_t crc32c(std::span<const std::byte> data, std::uint32_t crc = 0) noexcept {
    return ~detail::crc32c_update(~crc, data.data(), data.size());
}

/// True when CRC32C runs on the CPU's `crc32` instruction.
[[nodiscard]] inline bool crc32c_is_hardware() noexcept {
#if TINMAN_HAS_SSE42_CRC32C
    return detail::cpu_has_sse42();
#else
    return false;
#endif
}

}  // namespace tinman
