#include <doctest/doctest.h>

#include <tinman/framing/codec_descriptor.hpp>

using namespace tinman;

TEST_CASE("format: codec descriptors") {
    CHECK(format::encode_codec_descriptor({"bytes", {}}) == "bytes\n");
    CHECK(format::parse_codec_descriptor("ndarray\ndtype=<f8\n")->param("dtype") == "<f8");
    CHECK_FALSE(format::parse_codec_descriptor(""));
    CHECK_FALSE(format::parse_codec_descriptor("ndarray"));
    CHECK_FALSE(format::parse_codec_descriptor("nd array\n"));
    CHECK_FALSE(format::parse_codec_descriptor("ndarray\nnoequals\n"));
    CHECK_THROWS_AS((void)format::encode_codec_descriptor({"bad name", {}}), error);
    CHECK_THROWS_AS((void)format::encode_codec_descriptor({"x", {{"k", "multi\nline"}}}), error);
}
