#include <doctest/doctest.h>

#include <tinman/codecs/dtype.hpp>

using tinman::dtype_of;
using tinman::parse_dtype;

TEST_CASE("dtype_of: numpy's dtype.str for each element type") {
    CHECK(dtype_of<bool> == "|b1");
    CHECK(dtype_of<std::int8_t> == "|i1");
    CHECK(dtype_of<std::uint8_t> == "|u1");
    CHECK(dtype_of<std::int16_t> == "<i2");
    CHECK(dtype_of<std::int32_t> == "<i4");
    CHECK(dtype_of<std::int64_t> == "<i8");
    CHECK(dtype_of<std::uint16_t> == "<u2");
    CHECK(dtype_of<std::uint32_t> == "<u4");
    CHECK(dtype_of<std::uint64_t> == "<u8");
    CHECK(dtype_of<tinman::float16> == "<f2");
    CHECK(dtype_of<float> == "<f4");
    CHECK(dtype_of<double> == "<f8");
    CHECK(dtype_of<std::complex<float>> == "<c8");
    CHECK(dtype_of<std::complex<double>> == "<c16");
}

TEST_CASE("parse_dtype: accepts numpy dtype strings") {
    auto d = parse_dtype("<f8");
    REQUIRE(d);
    CHECK(d->byte_order == '<');
    CHECK(d->kind == 'f');
    CHECK(d->itemsize == 8);
    CHECK(d->is_native());
    CHECK_FALSE(parse_dtype(">i4")->is_native());
    CHECK(parse_dtype("|u1")->is_native());
    CHECK(parse_dtype("<c16")->itemsize == 16);
    CHECK(parse_dtype("<U3")->itemsize == 12);
    CHECK(parse_dtype("|S10")->itemsize == 10);
    CHECK(parse_dtype("|V12")->itemsize == 12);
    CHECK(parse_dtype("<M8[ns]")->itemsize == 8);
    CHECK(parse_dtype("<m8[us]")->kind == 'm');
}

TEST_CASE("parse_dtype: rejects malformed and unstorable dtypes") {
    for (const char* bad : {"", "f8", "<f", "<f3", "<i3", "|O", "|O8", "<f8x", "=f8", "<x8", "<f08", "<f0", "|S0",
                            "<f8[ns]", "<M8[", "<M8[n s]", "|S99999999999", "<b2", "<c4"}) {
        CAPTURE(bad);
        CHECK_FALSE(parse_dtype(bad));
    }
}
