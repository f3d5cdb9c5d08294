#include <doctest/doctest.h>

#include <tinman.hpp>

#include "test_support.hpp"

using namespace tinman;

TEST_CASE("BytesCodec: byte strings round trip in place, aligned") {
    test::TempDir dir;
    struct Pose {
        double x, y, z;
        std::int64_t frame;
    };
    const Pose pose{1.0, 2.0, 3.0, 42};
    {
        ObLogWriter log{dir.path()};
        auto w = log.get_writer("b", BytesCodec{});
        w(std::string_view("hello"));
        w(std::as_bytes(std::span{&pose, 1}));
        w(std::string_view{});
        auto w64 = log.get_writer("b64", BytesCodec{64});
        w64(std::string_view("x"));
    }
    ObLogReader reader{dir.path()};
    std::vector<BytesView> got;
    for (auto&& [t, b] : reader.read_channel<BytesCodec>("b")) got.push_back(b);
    REQUIRE(got.size() == 3);
    CHECK(got[0].str() == "hello");
    REQUIRE(got[1].bytes.size() == sizeof(Pose));
    CHECK(reinterpret_cast<std::uintptr_t>(got[1].bytes.data()) % 8 == 0);
    Pose back;
    std::memcpy(&back, got[1].bytes.data(), sizeof back);
    CHECK(back.frame == 42);
    CHECK(got[2].bytes.empty());
    for (auto&& [t, b] : reader.read_channel<BytesCodec>("b64"))
        CHECK(reinterpret_cast<std::uintptr_t>(b.bytes.data()) % 64 == 0);
    CHECK_THROWS_AS(BytesCodec{3}, error);
    CHECK_THROWS_AS((void)reader.read_channel<AnyArrayCodec>("b"), codec_mismatch);
}
