// PngCodec: lossless round trips of uint8 and uint16 images, through a channel, and hostile PNGs.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <tinman.hpp>
#include <tinman/codecs/png_codec.hpp>

#include TINMAN_XTENSOR_HEADER(misc, xmanipulation.hpp)
#include TINMAN_XTENSOR_HEADER(views, xview.hpp)

#include "encoded_support.hpp"
#include "image_samples.hpp"
#include "test_support.hpp"

using namespace tinman;

namespace {

std::vector<std::byte> stored(const Payload& p) { return {p.body.begin(), p.body.end()}; }

template <class T>
bool same(const xt::xtensor<T, 3>& a, const xt::xtensor<T, 3>& b) {
    return a.shape() == b.shape() && (a.size() == 0 || std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0);
}

}  // namespace

TEST_CASE_TEMPLATE("PngCodec: lossless round trip, 1 to 4 channels", T, std::uint8_t, std::uint16_t) {
    for (std::size_t c = 1; c <= 4; ++c) {
        CAPTURE(c);
        const auto img = test::smooth_image<T>(37, 53, c);
        const PngCodec<T> codec{1};
        EncodeScratch scratch;
        const auto png = stored(codec.encode(img, scratch));
        REQUIRE(png.size() > 8);
        CHECK(std::to_integer<int>(png[1]) == 'P');  // a complete PNG file: "\x89PNG"
        const auto back = codec.decode(png);
        CHECK(same(back, img));
        EncodeScratch again;
        CHECK(stored(codec.encode(back, again)) == png);  // encode -> decode -> encode: identical bytes
    }
    SUBCASE("H x W is one channel; a strided view is evaluated first") {
        const auto img = test::smooth_image<T>(20, 30, 1);
        const xt::xtensor<T, 2> gray = xt::view(img, xt::all(), xt::all(), 0);
        EncodeScratch scratch;
        CHECK(same(PngCodec<T>{}.decode(stored(PngCodec<T>{}.encode(gray, scratch))), img));
        const auto wide = test::smooth_image<T>(30, 20, 3);
        const auto t = xt::transpose(wide, {1, 0, 2});
        EncodeScratch s2;
        CHECK(same(PngCodec<T>{}.decode(stored(PngCodec<T>{}.encode(t, s2))), xt::xtensor<T, 3>(t)));
    }
}

TEST_CASE("PngCodec: a channel of frames, random access, decode_into, what reads it") {
    test::TempDir dir;
    {
        ObLogWriter log{dir.path()};
        auto write = log.get_writer("cam", PngCodec<>{});
        for (unsigned i = 0; i < 10; ++i) write(100 * i, test::smooth_image<std::uint8_t>(48, 64, 3, 3, i));
        auto depth = log.get_writer("depth", PngCodec<std::uint16_t>{});
        depth(1, test::smooth_image<std::uint16_t>(48, 64, 1));
        log.close();
    }
    const ObLogReader reader{dir.path()};
    CHECK(reader.codec("cam").to_string() == "image(encoding=png, dtype=|u1)");
    CHECK(reader.codec("depth").to_string() == "image(encoding=png, dtype=<u2)");
    const auto frames = reader.indexed_channel<PngCodec<>>("cam");
    REQUIRE(frames.size() == 10);
    CHECK(same(frames[7].value, test::smooth_image<std::uint8_t>(48, 64, 3, 3, 7)));
    CHECK(frames.seek(250) == 3);

    auto channel = reader.read_channel<PngCodec<>>("cam");
    xt::xtensor<std::uint8_t, 3> out;
    const std::uint8_t* memory = nullptr;
    unsigned i = 0;
    for (auto it = channel.begin(); it != channel.end(); ++it, ++i) {
        PngCodec<>{}.decode_into(it.record().payload, out);
        CHECK(same(out, test::smooth_image<std::uint8_t>(48, 64, 3, 3, i)));
        if (memory == nullptr) memory = out.data();
        CHECK(out.data() == memory);
    }
    CHECK_THROWS_WITH_AS((void)reader.read_channel<AnyArrayCodec>("cam"),
                         doctest::Contains("encoded with png: use PngCodec<T>"), codec_mismatch);
    CHECK_THROWS_WITH_AS((void)reader.read_channel<PngCodec<>>("depth"), doctest::Contains("stored image dtype '<u2'"),
                         codec_mismatch);
}

TEST_CASE("PngCodec: hostile PNGs give clear errors before allocating") {
    EncodeScratch scratch;
    const auto png = stored(PngCodec<>{}.encode(test::smooth_image<std::uint8_t>(16, 16, 3), scratch));
    auto set_be32 = [](std::vector<std::byte>& b, std::size_t at, std::uint32_t v) {
        for (int i = 0; i < 4; ++i) b[at + static_cast<std::size_t>(i)] = std::byte(static_cast<unsigned char>(v >> (24 - 8 * i)));
    };
    SUBCASE("a bomb: the header claims a huge image (IHDR checksum fixed)") {
        auto bomb = png;
        set_be32(bomb, 16, 60000);  // width
        set_be32(bomb, 20, 60000);  // height
        // IHDR's CRC covers type and data: bytes 12..29
        std::uint32_t crc = 0xffffffffu;
        for (std::size_t i = 12; i < 29; ++i) {
            crc ^= std::to_integer<std::uint32_t>(bomb[i]);
            for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
        }
        set_be32(bomb, 29, ~crc);
        CHECK_THROWS_WITH_AS((void)PngCodec<>{}.decode(bomb), doctest::Contains("more than the limit"), format_error);
        CHECK_THROWS_WITH_AS((void)PngCodec<>(6, SIZE_MAX).decode(bomb), doctest::Contains("cannot decode from"),
                             format_error);
        CHECK_THROWS_WITH_AS((void)PngCodec<>(6, 1000).decode(bomb), doctest::Contains("limit of 1000"), format_error);
    }
    SUBCASE("truncated, damaged, empty, not a PNG") {
        CHECK_THROWS_AS((void)PngCodec<>{}.decode(std::span(png).first(png.size() / 2)), format_error);
        auto damaged = png;
        damaged[png.size() / 2] ^= std::byte{0x40};
        CHECK_THROWS_AS((void)PngCodec<>{}.decode(damaged), format_error);
        CHECK_THROWS_AS((void)PngCodec<>{}.decode({}), format_error);
        CHECK_THROWS_AS((void)PngCodec<>{}.decode(test::as_bytes("GIF89a........................")), format_error);
    }
    SUBCASE("another bit depth") {
        CHECK_THROWS_WITH_AS((void)PngCodec<std::uint16_t>{}.decode(png), doctest::Contains("bit depth 8"),
                             codec_mismatch);
    }
    SUBCASE("what cannot be written") {
        EncodeScratch s;
        CHECK_THROWS_AS((void)PngCodec<>{}.encode(xt::xtensor<std::uint8_t, 3>::from_shape({4, 4, 5}), s), usage_error);
        CHECK_THROWS_AS((void)PngCodec<>{}.encode(xt::xtensor<std::uint8_t, 3>::from_shape({0, 4, 3}), s), usage_error);
    }
}
