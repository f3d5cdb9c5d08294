#include <doctest/doctest.h>

#include <algorithm>
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
