#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

#include <tinman/framing/file_header.hpp>

using namespace tinman;

TEST_CASE("format: file header round trip") {
    const CodecDescriptor codec{"ndarray", {{"dtype", "<f8"}}};
    const auto h = format::encode_file_header(codec);
    CHECK(h.size() % 64 == 0);
    CHECK(std::equal(format::magic.begin(), format::magic.end(), h.begin()));
    const auto parsed = format::parse_file_header(h);
    CHECK(parsed.version == 1);
    CHECK(parsed.records_offset == h.size());
    CHECK(parsed.codec == codec);
    const std::string_view text(reinterpret_cast<const char*>(h.data()) + 64, 18);
    CHECK(text == "ndarray\ndtype=<f8\n");
}

TEST_CASE("format: every damaged header byte is refused") {
    const auto good = format::encode_file_header({"ndarray", {{"dtype", "<f8"}}});
    for (std::size_t i = 0; i < 64 + 18; ++i) {
        for (int bit = 0; bit < 8; ++bit) {
            auto bad = good;
            bad[i] ^= std::byte(1u << bit);
            CAPTURE(i);
            CHECK_THROWS_AS((void)format::parse_file_header(bad), format_error);
        }
    }
    for (std::size_t n = 0; n < 64 + 18; ++n)
        CHECK_THROWS_AS((void)format::parse_file_header(std::span(good).first(n)), format_error);
}

TEST_CASE("format: version and required flags are checked") {
    auto h = format::encode_file_header({"bytes", {}});
    auto reseal = [&] {
        detail::store_le<std::uint32_t>(&h[20], 0);
        const auto desc_size = detail::load_le<std::uint32_t>(&h[16]);
        detail::store_le<std::uint32_t>(&h[20], crc32c(std::span(h).first(64 + desc_size)));
    };
    detail::store_le<std::uint16_t>(&h[8], 2);
    reseal();
    CHECK_THROWS_WITH_AS((void)format::parse_file_header(h), doctest::Contains("unsupported format version 2"),
                         format_error);
    detail::store_le<std::uint16_t>(&h[8], 1);
    detail::store_le<std::uint16_t>(&h[10], 0x0100);
    reseal();
    CHECK_THROWS_WITH_AS((void)format::parse_file_header(h), doctest::Contains("requires features"),
                         format_error);
    detail::store_le<std::uint16_t>(&h[10], 0x0001);  // optional feature: ignored
    reseal();
    CHECK(format::parse_file_header(h).flags == 1);
}

TEST_CASE("format: codec descriptors up to max_codec_descriptor_size") {
    // "x\nk=" + value + "\n": the whole descriptor is value + 5 bytes.
    auto with_size = [](std::size_t n) { return CodecDescriptor{"x", {{"k", std::string(n - 5, 'v')}}}; };
    SUBCASE("over the old 4096-byte limit, up to the limit: written and read back") {
        for (std::size_t n : {std::size_t{4097}, std::size_t{100000}, format::max_codec_descriptor_size}) {
            CAPTURE(n);
            const auto h = format::encode_file_header(with_size(n));
            CHECK(detail::load_le<std::uint32_t>(&h[16]) == n);
            CHECK(h.size() == (64 + n + 63) / 64 * 64);
            const auto parsed = format::parse_file_header(h);
            CHECK(parsed.codec == with_size(n));
            CHECK(parsed.records_offset == h.size());
        }
    }
    SUBCASE("one byte over: refused by the writer and, in a resealed header, by readers") {
        CHECK_THROWS_AS((void)format::encode_codec_descriptor(with_size(format::max_codec_descriptor_size + 1)),
                        usage_error);
        auto h = format::encode_file_header(with_size(format::max_codec_descriptor_size));
        h.resize(h.size() + 64, std::byte{'\n'});
        const auto over = static_cast<std::uint32_t>(format::max_codec_descriptor_size + 1);
        detail::store_le<std::uint32_t>(&h[16], over);
        detail::store_le<std::uint32_t>(&h[20], 0);
        detail::store_le<std::uint32_t>(&h[20], crc32c(std::span(h).first(64 + over)));
        CHECK_THROWS_WITH_AS((void)format::parse_file_header(h), doctest::Contains("codec descriptor size"),
                             format_error);
    }
    SUBCASE("a size past the end of the file is refused before it is read") {
        auto h = format::encode_file_header(with_size(5000));
        detail::store_le<std::uint32_t>(&h[16], static_cast<std::uint32_t>(h.size() - 63));
        CHECK_THROWS_WITH_AS((void)format::parse_file_header(h), doctest::Contains("out of range"), format_error);
    }
}
