// The `.blog` codec record: the NumpyArrayCodec pickle, and finding the class any codec pickle names.
#include <doctest/doctest.h>

#include <string>

#include <tinman/python/blog_format.hpp>

using namespace tinman;
using namespace tinman::python;

namespace {
std::span<const std::byte> pickle_bytes() { return numpy_codec_pickle; }
std::string as_string(std::span<const std::byte> b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }
}  // namespace

TEST_CASE("python blog: the NumpyArrayCodec pickle is the documented 57 bytes") {
    CHECK(numpy_codec_pickle.size() == 57);
    const std::string s = as_string(pickle_bytes());
    CHECK(s.substr(0, 2) == std::string("\x80\x04", 2));                       // PROTO 4
    CHECK(s.substr(2, 9) == std::string("\x95\x2e\0\0\0\0\0\0\0", 9));         // FRAME 46
    CHECK(s.substr(11, 21) == std::string("\x8c\x13tinman.codecs.numpy", 21));  // SHORT_BINUNICODE
    CHECK(s.substr(33, 17) == std::string("\x8c\x0fNumpyArrayCodec", 17));
    CHECK(s.substr(51) == std::string("\x93\x94)\x81\x94.", 6));  // STACK_GLOBAL MEMOIZE EMPTY_TUPLE NEWOBJ MEMOIZE STOP
    const auto cls = pickled_class(pickle_bytes());
    CHECK(cls.is_numpy_codec());
    CHECK(cls.qualified() == "tinman.codecs.numpy.NumpyArrayCodec");

    SUBCASE("other codecs are named, protocol 2 GLOBAL included") {
        const std::string other = "\x80\x02\x63mypkg.codecs\nPickleCodec\n)\x81.";
        const auto c = pickled_class(std::as_bytes(std::span{other.data(), other.size()}));
        CHECK(c.module == "mypkg.codecs");
        CHECK(c.name == "PickleCodec");
        CHECK_FALSE(c.is_numpy_codec());
    }
    SUBCASE("anything else is a format_error, and every truncation of the pickle too") {
        const std::string junk = "\x80\x04K\x05.";
        CHECK_THROWS_AS((void)pickled_class(std::as_bytes(std::span{junk.data(), junk.size()})), format_error);
        for (std::size_t n = 0; n < 52; ++n)
            CHECK_THROWS_AS((void)pickled_class(pickle_bytes().first(n)), format_error);
    }
}
