#pragma once
/// @file
/// `tinman::float16`: IEEE 754 binary16 storage (numpy's `float16`, dtype `<f2`),
/// converted to and from float for arithmetic.

#include <bit>
#include <cstdint>

namespace tinman {

/// A 2-byte IEEE half-precision number. Stored bits are kept exactly; arithmetic
/// goes through `float` (conversion is implicit, rounding to nearest even on the way back).
struct float16 {
    std::uint16_t bits = 0;

    constexpr float16() = default;
    /// Rounds `f` to the nearest half (ties to even); overflow gives infinity, NaN stays NaN.
    constexpr explicit float16(float f) noexcept : bits(from_float(f)) {}
    /// The half with exactly these bits.
    [[nodiscard]] static constexpr float16 from_bits(std::uint16_t b) noexcept {
        float16 h;
        h.bits = b;
        return h;
    }

    /// The exact value as a float (every half is representable).
    constexpr operator float() const noexcept { return to_float(bits); }

    friend constexpr bool operator==(float16 a, float16 b) noexcept { return float(a) == float(b); }

private:
    static constexpr float to_float(std::uint16_t h) noexcept {
        const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
        std::uint32_t exp = (h >> 10) & 0x1Fu, man = h & 0x3FFu;
        if (exp == 0x1F) return std::bit_cast<float>(sign | 0x7F800000u | (man << 13));  // inf, NaN
        if (exp == 0) {
            if (man == 0) return std::bit_cast<float>(sign);  // +-0
            int shift = 0;                                    // subnormal: normalise
            while ((man & 0x400u) == 0) {
                man <<= 1;
                ++shift;
            }
            man &= 0x3FFu;
            exp = static_cast<std::uint32_t>(1 - shift);
            return std::bit_cast<float>(sign | ((exp + 112u) << 23) | (man << 13));
        }
        return std::bit_cast<float>(sign | ((exp + 112u) << 23) | (man << 13));
    }

    static constexpr std::uint16_t from_float(float f) noexcept {
        const std::uint32_t x = std::bit_cast<std::uint32_t>(f);
        const auto sign = static_cast<std::uint16_t>((x >> 16) & 0x8000u);
        const std::uint32_t abs = x & 0x7FFFFFFFu;
        if (abs > 0x7F800000u) return static_cast<std::uint16_t>(sign | 0x7E00u | ((abs >> 13) & 0x3FFu));  // NaN
        if (abs >= 0x477FF000u) return static_cast<std::uint16_t>(sign | 0x7C00u);  // rounds past 65504: inf
        if (abs < 0x38800000u) {  // below the smallest normal half: subnormal or zero
            if (abs < 0x33000000u) return sign;  // under half the smallest subnormal
            const std::uint32_t man = (abs & 0x7FFFFFu) | 0x800000u;
            const int shift = 126 - static_cast<int>(abs >> 23);  // 14..24
            std::uint32_t r = man >> shift;
            const std::uint32_t rem = man & ((1u << shift) - 1), half = 1u << (shift - 1);
            if (rem > half || (rem == half && (r & 1u))) ++r;
            return static_cast<std::uint16_t>(sign | r);
        }
        std::uint32_t r = ((abs >> 13) - (112u << 10));
        const std::uint32_t rem = abs & 0x1FFFu;
        if (rem > 0x1000u || (rem == 0x1000u && (r & 1u))) ++r;  // carries into the exponent correctly
        return static_cast<std::uint16_t>(sign | r);
    }
};

static_assert(sizeof(float16) == 2);

}  // namespace tinman
