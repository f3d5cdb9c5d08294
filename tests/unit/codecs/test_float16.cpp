#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>

#include <tinman/codecs/float16.hpp>

using tinman::float16;

TEST_CASE("float16: every half converts to float and back unchanged") {
    for (std::uint32_t b = 0; b <= 0xFFFF; ++b) {
        const auto h = float16::from_bits(static_cast<std::uint16_t>(b));
        const float f = h;
        if (std::isnan(f)) {
            CHECK(std::isnan(float(float16(f))));
            continue;
        }
        CHECK(float16(f).bits == h.bits);
    }
}

TEST_CASE("float16: known values and rounding") {
    CHECK(float16(1.0f).bits == 0x3C00);
    CHECK(float16(-2.0f).bits == 0xC000);
    CHECK(float16(65504.0f).bits == 0x7BFF);
    CHECK(float16(65520.0f).bits == 0x7C00);  // rounds up past the largest finite half
    CHECK(float16(std::numeric_limits<float>::infinity()).bits == 0x7C00);
    CHECK(float16(5.960464477539063e-08f).bits == 0x0001);  // smallest subnormal
    CHECK(float16(2.98e-08f).bits == 0x0000);                // under half of it
    CHECK(float16(6.103515625e-05f).bits == 0x0400);         // smallest normal
    CHECK(float16(1.0f + 1.0f / 2048).bits == 0x3C00);       // tie: to even
    CHECK(float16(1.0f + 3.0f / 2048).bits == 0x3C02);       // tie: to even (up)
    CHECK(float(float16::from_bits(0x3555)) == doctest::Approx(0.333251953125));
    CHECK(float16(0.1f) + 1.0f == doctest::Approx(1.0999755859375f));
}
