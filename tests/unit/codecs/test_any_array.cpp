#include <doctest/doctest.h>

#include <complex>
#include <cstdint>
#include <vector>

#include <tinman/codecs/any_array.hpp>

using namespace tinman;

TEST_CASE("AnyArrayCodec: complex numbers swap each part when converting byte order") {
    // numpy: np.array([1+2j], dtype='>c8').tobytes()
    const unsigned char raw[] = {0x3f, 0x80, 0, 0, 0x40, 0, 0, 0};
    const AnyArray a(">c8", {1}, std::as_bytes(std::span{raw}));
    CHECK(a.copy_as<std::complex<float>>()(0) == std::complex<float>(1.f, 2.f));
}

TEST_CASE("AnyArray: sizes and dtypes are validated when built by hand") {
    const std::vector<std::byte> eight(8);
    CHECK_NOTHROW(AnyArray("<f8", {1}, eight));
    CHECK_THROWS_AS(AnyArray("<f8", {2}, eight), format_error);
    CHECK_THROWS_AS(AnyArray("float64", {1}, eight), format_error);
    CHECK_THROWS_AS(AnyArray("|O8", {1}, eight), format_error);
    // Empty, but the other dimensions would overflow xtensor's signed strides.
    CHECK_THROWS_WITH_AS(AnyArray("<f8", {0, std::size_t{1} << 40, std::size_t{1} << 40}, {}),
                         doctest::Contains("overflows"), format_error);
    CHECK_THROWS_WITH_AS(AnyArray("<f8", shape_type(65, 1), eight), doctest::Contains("ndim 65"), format_error);
}
