// JpegCodec: lossy round trips of RGB and gray images, quality, a channel, and hostile JPEGs.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include <tinman.hpp>
#include <tinman/codecs/jpeg_codec.hpp>

#include "encoded_support.hpp"
#include "image_samples.hpp"
#include "test_support.hpp"

using namespace tinman;

namespace {

std::vector<std::byte> stored(const Payload& p) { return {p.body.begin(), p.body.end()}; }

/// Mean absolute difference of two same-shape images.
double mean_error(const xt::xtensor<std::uint8_t, 3>& a, const xt::xtensor<std::uint8_t, 3>& b) {
    double sum = 0;
    for (std::size_t i = 0; i < a.size(); ++i) sum += std::abs(int(a.data()[i]) - int(b.data()[i]));
    return sum / static_cast<double>(a.size());
}

}  // namespace

TEST_CASE("JpegCodec: round trip of RGB and gray images, within JPEG's loss") {
    for (std::size_t c : {1u, 3u}) {
        CAPTURE(c);
        const auto img = test::smooth_image<std::uint8_t>(48, 64, c, 2);
        EncodeScratch scratch;
        const auto jpeg = stored(JpegCodec{95}.encode(img, scratch));
        CHECK(std::to_integer<int>(jpeg[0]) == 0xff);  // a complete JPEG file: SOI marker
        CHECK(std::to_integer<int>(jpeg[1]) == 0xd8);
        const auto back = JpegCodec{}.decode(jpeg);
        REQUIRE(back.shape() == img.shape());
        CHECK(mean_error(back, img) < 4.0);
    }
    SUBCASE("lower quality, smaller files") {
        const auto img = test::smooth_image<std::uint8_t>(64, 64, 3, 8);
        EncodeScratch a, b;
        CHECK(JpegCodec{30}.encode(img, a).body.size() < JpegCodec{95}.encode(img, b).body.size());
        CHECK_THROWS_AS(JpegCodec{0}, usage_error);
        CHECK_THROWS_AS(JpegCodec{101}, usage_error);
    }
    SUBCASE("decoding then re-encoding a decoded image is stable in shape") {
        const auto img = test::smooth_image<std::uint8_t>(17, 23, 3);
        EncodeScratch s1, s2;
        const auto once = JpegCodec{}.decode(stored(JpegCodec{}.encode(img, s1)));
        const auto twice = JpegCodec{}.decode(stored(JpegCodec{}.encode(once, s2)));
        CHECK(twice.shape() == img.shape());
        CHECK(mean_error(twice, once) < 5.0);
    }
}

TEST_CASE("JpegCodec: a channel of frames and what reads it") {
    test::TempDir dir;
    {
        ObLogWriter log{dir.path()};
        auto write = log.get_writer("cam", JpegCodec{80});
        for (unsigned i = 0; i < 5; ++i) write(10 * i, test::smooth_image<std::uint8_t>(32, 48, 3, 2, i));
        log.close();
    }
    const ObLogReader reader{dir.path()};
    CHECK(reader.codec("cam").to_string() == "image(encoding=jpeg, dtype=|u1)");
    const auto frames = reader.indexed_channel<JpegCodec>("cam");
    REQUIRE(frames.size() == 5);
    CHECK(mean_error(frames[3].value, test::smooth_image<std::uint8_t>(32, 48, 3, 2, 3)) < 6.0);
    CHECK_THROWS_WITH_AS((void)reader.read_channel<AnyArrayCodec>("cam"),
                         doctest::Contains("encoded with jpeg: use JpegCodec"), codec_mismatch);
}

TEST_CASE("JpegCodec: hostile JPEGs give clear errors before allocating") {
    EncodeScratch scratch;
    const auto jpeg = stored(JpegCodec{}.encode(test::smooth_image<std::uint8_t>(16, 16, 3), scratch));
    SUBCASE("a bomb: the frame header claims 65000 x 65000") {
        auto bomb = jpeg;
        bool patched = false;
        for (std::size_t i = 0; i + 8 < bomb.size() && !patched; ++i)
            if (bomb[i] == std::byte{0xff} && bomb[i + 1] == std::byte{0xc0}) {  // SOF0: length, precision, height, width
                for (std::size_t k : {i + 5, i + 7}) {
                    bomb[k] = std::byte{0xfd};
                    bomb[k + 1] = std::byte{0xe8};
                }
                patched = true;
            }
        REQUIRE(patched);
        CHECK_THROWS_WITH_AS((void)JpegCodec{}.decode(bomb), doctest::Contains("more than the limit"), format_error);
        CHECK_THROWS_WITH_AS((void)JpegCodec(90, JpegSubsampling::s420, SIZE_MAX).decode(bomb),
                             doctest::Contains("cannot decode from"), format_error);
        CHECK_THROWS_WITH_AS((void)JpegCodec(90, JpegSubsampling::s420, 100).decode(jpeg),
                             doctest::Contains("limit of 100"), format_error);
    }
    SUBCASE("truncated, empty, not a JPEG") {
        CHECK_THROWS_AS((void)JpegCodec{}.decode(std::span(jpeg).first(jpeg.size() * 2 / 3)), format_error);
        CHECK_THROWS_AS((void)JpegCodec{}.decode({}), format_error);
        CHECK_THROWS_AS((void)JpegCodec{}.decode(test::as_bytes("not a jpeg at all, not at all")), format_error);
    }
    SUBCASE("what cannot be written") {
        EncodeScratch s;
        CHECK_THROWS_AS((void)JpegCodec{}.encode(xt::xtensor<std::uint8_t, 3>::from_shape({4, 4, 4}), s), usage_error);
    }
}
