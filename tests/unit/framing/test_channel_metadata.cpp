#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <tinman/detail/endian.hpp>
#include <tinman/framing/channel_metadata.hpp>
#include <tinman/framing/file_header.hpp>

using namespace tinman;

TEST_CASE("ChannelMetadata: lookup, order and validation") {
    const ChannelMetadata m{{"units", "m/s^2"}, {"frame_id", "imu_link"}, {"note", "Grüße = ok"}};
    CHECK(m.size() == 3);
    CHECK(m.at("units") == "m/s^2");
    CHECK(m.find("note") == "Grüße = ok");
    CHECK_FALSE(m.find("missing"));
    CHECK_THROWS_AS((void)m.at("missing"), usage_error);
    CHECK(m.entries().front().first == "units");
    CHECK(m.to_string() == "{units=m/s^2, frame_id=imu_link, note=Grüße = ok}");
    CHECK(m.encode() == "units=m/s^2\nframe_id=imu_link\nnote=Grüße = ok\n");
    CHECK_THROWS_WITH_AS((ChannelMetadata{{"a b", "x"}}), doctest::Contains("key 'a b'"), usage_error);
    CHECK_THROWS_AS((ChannelMetadata{{"", "x"}}), usage_error);
    CHECK_THROWS_WITH_AS((ChannelMetadata{{"k", "1"}, {"k", "2"}}), doctest::Contains("repeated"), usage_error);
    CHECK_THROWS_AS((ChannelMetadata{{"k", "a\nb"}}), usage_error);
    CHECK_THROWS_AS((ChannelMetadata{{"k", std::string("a\0b", 3)}}), usage_error);
    CHECK_THROWS_WITH_AS((ChannelMetadata{{"k", "\xFF"}}), doctest::Contains("not UTF-8"), usage_error);
    CHECK_THROWS_AS((ChannelMetadata{{"k", std::string(format::max_metadata_size, 'x')}}), usage_error);
    CHECK_NOTHROW((ChannelMetadata{{"k", ""}}));
}

TEST_CASE("format: metadata in the file header round trips") {
    const CodecDescriptor codec{"ndarray", {{"dtype", "<f8"}}};
    const ChannelMetadata m{{"units", "m/s^2"}, {"frame_id", "imu_link"}};
    const auto h = format::encode_file_header(codec, m);
    CHECK(h.size() % 64 == 0);
    CHECK(detail::load_le<std::uint16_t>(&h[10]) == format::metadata_flag);
    CHECK(detail::load_le<std::uint32_t>(&h[32]) == m.encode().size());
    const std::string_view block(reinterpret_cast<const char*>(h.data()) + 64 + 18, m.encode().size());
    CHECK(block == "units=m/s^2\nframe_id=imu_link\n");
    const auto parsed = format::parse_file_header(h);
    CHECK(parsed.codec == codec);
    CHECK(parsed.metadata == m);
    CHECK(parsed.records_offset == h.size());
    // Without metadata: the v1 header, flag and fields zero.
    const auto plain = format::encode_file_header(codec);
    CHECK(detail::load_le<std::uint16_t>(&plain[10]) == 0);
    CHECK(detail::load_le<std::uint64_t>(&plain[32]) == 0);
    CHECK(format::parse_file_header(plain).metadata.empty());
    // A long block pushes the records out, to a multiple of 64.
    const ChannelMetadata big{{"urdf", std::string(1000, 'u')}};
    const auto hb = format::encode_file_header(codec, big);
    CHECK(format::parse_file_header(hb).metadata == big);
    CHECK(hb.size() == (64 + 18 + 1006 + 63) / 64 * 64);
}

TEST_CASE("format: damaged metadata is refused with a reason") {
    const ChannelMetadata m{{"units", "m/s^2"}};
    const auto good = format::encode_file_header({"bytes", {}}, m);
    const std::size_t block_at = 64 + 6, block_size = m.encode().size();
    const ErrorContext where{.channel = "imu"};
    SUBCASE("a flipped byte of the block: its own checksum") {
        auto bad = good;
        bad[block_at + 2] ^= std::byte{1};
        CHECK_THROWS_WITH_AS((void)format::parse_file_header(bad, where),
                             doctest::Contains("channel 'imu': channel metadata checksum mismatch"), format_error);
    }
    SUBCASE("a flipped bit of its size or checksum field: the header checksum") {
        for (std::size_t i = 32; i < 40; ++i) {
            auto bad = good;
            bad[i] ^= std::byte{4};
            CHECK_THROWS_WITH_AS((void)format::parse_file_header(bad), doctest::Contains("file header checksum"),
                                 format_error);
        }
    }
    SUBCASE("a size past the records, resealed") {
        auto bad = good;
        detail::store_le<std::uint32_t>(&bad[32], static_cast<std::uint32_t>(bad.size()));
        detail::store_le<std::uint32_t>(&bad[20], 0);
        detail::store_le<std::uint32_t>(&bad[20], crc32c(std::span(bad).first(64 + 6)));
        CHECK_THROWS_WITH_AS((void)format::parse_file_header(bad), doctest::Contains("records offset"), format_error);
    }
    SUBCASE("a malformed block with a matching checksum") {
        auto bad = good;
        bad[block_at + block_size - 1] = std::byte{'x'};  // no final newline
        detail::store_le<std::uint32_t>(&bad[36], crc32c(std::span(bad).subspan(block_at, block_size)));
        detail::store_le<std::uint32_t>(&bad[20], 0);
        detail::store_le<std::uint32_t>(&bad[20], crc32c(std::span(bad).first(64 + 6)));
        CHECK_THROWS_WITH_AS((void)format::parse_file_header(bad), doctest::Contains("malformed channel metadata"),
                             format_error);
    }
    for (std::size_t n = 0; n < block_at + block_size; ++n)
        CHECK_THROWS_AS((void)format::parse_file_header(std::span(good).first(n)), format_error);
}
