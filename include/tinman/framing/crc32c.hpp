#pragma once
/// @file
/// CRC32C (Castagnoli), the checksum of every record: SSE4.2 `crc32` where the
/// CPU has it (checked once at run time), a slicing-by-8 table otherwise.

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "../config.hpp"
#include "../detail/endian.hpp"

#if TINMAN_HAS_SSE42_CRC32C
#include <nmmintrin.h>
#include <immintrin.h>
#include <wmmintrin.h>
#endif

namespace tinman {
namespace detail {

inline constexpr std::uint32_t crc32c_poly = 0x82F63B78u;  // reflected Castagnoli polynomial

inline std::array<std::array<std::uint32_t, 256>, 8> make_crc32c_tables() noexcept {
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

/// Raw (not pre/post-inverted) CRC update, portable.
inline std::uint32_t crc32c_update_sw(std::uint32_t c, const std::byte* p, std::size_t n) noexcept {
    // Built on first use rather than at compile time: constant-evaluating the 8 KiB of
    // tables cost every translation unit that includes tinman a noticeable part of its build.
    static const auto tables = make_crc32c_tables();
    const auto& t = tables;
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
    if (n & 4) {
        std::uint32_t w;
        std::memcpy(&w, p, 4);
        c = _mm_crc32_u32(c, w);
        p += 4;
    }
    if (n & 2) {
        std::uint16_t w;
        std::memcpy(&w, p, 2);
        c = _mm_crc32_u16(c, w);
        p += 2;
    }
    if (n & 1) c = _mm_crc32_u8(c, std::to_integer<std::uint8_t>(*p));
    return c;
}

/// The 64-bit operand that multiplies a lane half by x^e mod P. A carry-less
/// product of two reflected operands comes out one degree high (times x), so
/// the operand is x^(e-1) mod P, reflected: bit j holds the coefficient of x^(63-j).
constexpr std::uint64_t crc32c_fold_constant(unsigned e) {
    std::uint32_t r = 0x80000000u;  // the polynomial 1, reflected
    for (unsigned i = 0; i + 1 < e; ++i) r = (r >> 1) ^ ((r & 1u) ? crc32c_poly : 0u);
    return std::uint64_t{r} << 32;
}

__attribute__((target("sse4.2,pclmul"))) inline __m128i crc32c_fold(__m128i x, __m128i k) noexcept {
    return _mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00), _mm_clmulepi64_si128(x, k, 0x11));
}

// Long inputs are folded with carry-less multiplication: the crc32 instruction
// handles 8 bytes per 3 cycles at best on some CPUs, folding 64 bytes per few.
// The 128-bit lanes hold message chunks reduced mod P (bit t: x^(127-t)); a lane
// moves D bits forward as lo64 * (x^(D+64) mod P) + hi64 * (x^D mod P); the last
// lane is reduced to the CRC by the crc32 instruction over its 16 bytes.
__attribute__((target("sse4.2,pclmul"))) inline std::uint32_t crc32c_update_clmul(std::uint32_t c, const std::byte* p,
                                                                                   std::size_t n) noexcept {
    static constexpr std::uint64_t k512[2] = {crc32c_fold_constant(512 + 64), crc32c_fold_constant(512)};
    static constexpr std::uint64_t k128[2] = {crc32c_fold_constant(128 + 64), crc32c_fold_constant(128)};
    const __m128i fold512 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(k512));
    const __m128i fold128 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(k128));
    auto load = [](const std::byte* q) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(q)); };
    __m128i x0 = _mm_xor_si128(load(p), _mm_cvtsi32_si128(static_cast<int>(c)));  // the running state enters here
    __m128i x1 = load(p + 16), x2 = load(p + 32), x3 = load(p + 48);
    p += 64;
    n -= 64;
    for (; n >= 64; p += 64, n -= 64) {
        x0 = _mm_xor_si128(crc32c_fold(x0, fold512), load(p));
        x1 = _mm_xor_si128(crc32c_fold(x1, fold512), load(p + 16));
        x2 = _mm_xor_si128(crc32c_fold(x2, fold512), load(p + 32));
        x3 = _mm_xor_si128(crc32c_fold(x3, fold512), load(p + 48));
    }
    x1 = _mm_xor_si128(crc32c_fold(x0, fold128), x1);
    x2 = _mm_xor_si128(crc32c_fold(x1, fold128), x2);
    x3 = _mm_xor_si128(crc32c_fold(x2, fold128), x3);
    for (; n >= 16; p += 16, n -= 16) x3 = _mm_xor_si128(crc32c_fold(x3, fold128), load(p));
    std::uint64_t c64 = _mm_crc32_u64(0, static_cast<std::uint64_t>(_mm_cvtsi128_si64(x3)));
    c64 = _mm_crc32_u64(c64, static_cast<std::uint64_t>(_mm_extract_epi64(x3, 1)));
    return crc32c_update_hw(static_cast<std::uint32_t>(c64), p, n);
}

#define TINMAN_CRC32C_AVX512_TARGET "sse4.2,pclmul,avx512f,avx512vl,vpclmulqdq"

__attribute__((target(TINMAN_CRC32C_AVX512_TARGET))) inline __m512i crc32c_fold(__m512i x, __m512i k) noexcept {
    return _mm512_xor_si512(_mm512_clmulepi64_epi128(x, k, 0x00), _mm512_clmulepi64_epi128(x, k, 0x11));
}

// The same folding, sixteen 128-bit lanes at a time (four 512-bit registers, 256
// bytes per step, each lane moving 2048 bits forward), on CPUs with VPCLMULQDQ:
// twice the speed of the 128-bit loop, which large writes feel (checksum, then copy).
__attribute__((target(TINMAN_CRC32C_AVX512_TARGET))) inline std::uint32_t crc32c_update_vpclmul(
    std::uint32_t c, const std::byte* p, std::size_t n) noexcept {
    // Lane constants, as in the 128-bit loop, repeated for the four lanes of a register.
    static constexpr std::uint64_t k2048[8] = {
        crc32c_fold_constant(2048 + 64), crc32c_fold_constant(2048), crc32c_fold_constant(2048 + 64),
        crc32c_fold_constant(2048),      crc32c_fold_constant(2048 + 64), crc32c_fold_constant(2048),
        crc32c_fold_constant(2048 + 64), crc32c_fold_constant(2048)};
    static constexpr std::uint64_t k512[8] = {
        crc32c_fold_constant(512 + 64), crc32c_fold_constant(512), crc32c_fold_constant(512 + 64),
        crc32c_fold_constant(512),      crc32c_fold_constant(512 + 64), crc32c_fold_constant(512),
        crc32c_fold_constant(512 + 64), crc32c_fold_constant(512)};
    const __m512i fold2048 = _mm512_loadu_si512(k2048);
    const __m512i fold512 = _mm512_loadu_si512(k512);
    __m512i z0 = _mm512_xor_si512(_mm512_loadu_si512(p), _mm512_zextsi128_si512(_mm_cvtsi32_si128(static_cast<int>(c))));
    __m512i z1 = _mm512_loadu_si512(p + 64), z2 = _mm512_loadu_si512(p + 128), z3 = _mm512_loadu_si512(p + 192);
    p += 256;
    n -= 256;
    for (; n >= 256; p += 256, n -= 256) {
        z0 = _mm512_xor_si512(crc32c_fold(z0, fold2048), _mm512_loadu_si512(p));
        z1 = _mm512_xor_si512(crc32c_fold(z1, fold2048), _mm512_loadu_si512(p + 64));
        z2 = _mm512_xor_si512(crc32c_fold(z2, fold2048), _mm512_loadu_si512(p + 128));
        z3 = _mm512_xor_si512(crc32c_fold(z3, fold2048), _mm512_loadu_si512(p + 192));
    }
    z1 = _mm512_xor_si512(crc32c_fold(z0, fold512), z1);
    z2 = _mm512_xor_si512(crc32c_fold(z1, fold512), z2);
    z3 = _mm512_xor_si512(crc32c_fold(z2, fold512), z3);
    // Four 128-bit lanes left, 16 bytes apart: fold each onto the last.
    static constexpr std::uint64_t k384[2] = {crc32c_fold_constant(384 + 64), crc32c_fold_constant(384)};
    static constexpr std::uint64_t k256[2] = {crc32c_fold_constant(256 + 64), crc32c_fold_constant(256)};
    static constexpr std::uint64_t k128[2] = {crc32c_fold_constant(128 + 64), crc32c_fold_constant(128)};
    auto k = [](const std::uint64_t* q) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(q)); };
    __m128i lanes[4];  // (through memory: GCC 12's lane-extract intrinsic trips -Wuninitialized)
    _mm512_storeu_si512(lanes, z3);
    __m128i x = lanes[3];
    x = _mm_xor_si128(x, crc32c_fold(lanes[0], k(k384)));
    x = _mm_xor_si128(x, crc32c_fold(lanes[1], k(k256)));
    x = _mm_xor_si128(x, crc32c_fold(lanes[2], k(k128)));
    for (; n >= 16; p += 16, n -= 16) x = _mm_xor_si128(crc32c_fold(x, k(k128)), _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    std::uint64_t c64 = _mm_crc32_u64(0, static_cast<std::uint64_t>(_mm_cvtsi128_si64(x)));
    c64 = _mm_crc32_u64(c64, static_cast<std::uint64_t>(_mm_extract_epi64(x, 1)));
    return crc32c_update_hw(static_cast<std::uint32_t>(c64), p, n);
}

// Read once at start-up (plain loads on the hot path, no guard): 0 software, 1 crc32,
// 2 crc32 and pclmul, 3 also 512-bit vpclmulqdq.
inline const int crc32c_cpu_level =
    (__builtin_cpu_init(), __builtin_cpu_supports("sse4.2"))
        ? (__builtin_cpu_supports("pclmul")
               ? (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
                          __builtin_cpu_supports("vpclmulqdq")
                      ? 3
                      : 2)
               : 1)
        : 0;
#endif

/// Inputs from this size on are folded with carry-less multiplication.
inline constexpr std::size_t crc32c_clmul_min_bytes = 512;
/// Inputs from this size on are folded 512 bits at a time where the CPU can.
inline constexpr std::size_t crc32c_vpclmul_min_bytes = 2048;

inline std::uint32_t crc32c_update(std::uint32_t c, const std::byte* p, std::size_t n) noexcept {
#if TINMAN_HAS_SSE42_CRC32C
    if (crc32c_cpu_level > 0) {
        if (n >= crc32c_vpclmul_min_bytes && crc32c_cpu_level > 2) return crc32c_update_vpclmul(c, p, n);
        if (n >= crc32c_clmul_min_bytes && crc32c_cpu_level > 1) return crc32c_update_clmul(c, p, n);
        return crc32c_update_hw(c, p, n);
    }
#endif
    return crc32c_update_sw(c, p, n);
}

}  // namespace detail

/// CRC32C of `data`, continuing from `crc`, the CRC32C of the bytes before it
/// (so `crc32c(b, crc32c(a)) == crc32c(a ++ b)`).
[[nodiscard]] inline std::uint32_t crc32c(std::span<const std::byte> data, std::uint32_t crc = 0) noexcept {
    return ~detail::crc32c_update(~crc, data.data(), data.size());
}

namespace detail {
/// Inputs below this size fit `crc32c_pair`'s two interleaved chains.
inline constexpr std::size_t crc32c_pair_max_bytes = crc32c_clmul_min_bytes;

#if TINMAN_HAS_SSE42_CRC32C
__attribute__((target("sse4.2"))) inline std::array<std::uint32_t, 2> crc32c_pair_hw(
    std::span<const std::byte> a, std::span<const std::byte> b) noexcept {
    // Two independent chains in one function: the CPU runs them side by side.
    const std::uint32_t ca = crc32c_update_hw(~0u, a.data(), a.size());
    const std::uint32_t cb = crc32c_update_hw(~0u, b.data(), b.size());
    return {~ca, ~cb};
}
#endif
}  // namespace detail

/// The CRC32Cs of `a` and of `b`, each under `detail::crc32c_pair_max_bytes` bytes,
/// computed side by side: a record's header and small payload cost little more than one.
[[nodiscard]] inline std::array<std::uint32_t, 2> crc32c_pair(std::span<const std::byte> a,
                                                             std::span<const std::byte> b) noexcept {
#if TINMAN_HAS_SSE42_CRC32C
    if (detail::crc32c_cpu_level > 0) return detail::crc32c_pair_hw(a, b);
#endif
    return {crc32c(a), crc32c(b)};
}

/// True when CRC32C runs on the CPU's `crc32` instruction.
[[nodiscard]] inline bool crc32c_is_hardware() noexcept {
#if TINMAN_HAS_SSE42_CRC32C
    return detail::crc32c_cpu_level > 0;
#else
    return false;
#endif
}

}  // namespace tinman
