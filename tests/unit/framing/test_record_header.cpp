#include <doctest/doctest.h>

#include <cstring>

#include <tinman/framing/record_header.hpp>

using namespace tinman;

TEST_CASE("format: record header round trip and checksum") {
    std::byte buf[32];
    const format::RecordHeader h{-5, 1234, 17, 0xDEADBEEF, 0};
    format::encode_record_header(h, buf);
    const auto back = format::decode_record_header(buf);
    REQUIRE(back);
    CHECK(back->timestamp == -5);
    CHECK(back->payload_size == 1234);
    CHECK(back->padding == 17);
    CHECK(back->payload_crc == 0xDEADBEEF);
    for (int i = 0; i < 32 * 8; ++i) {
        std::byte bad[32];
        std::memcpy(bad, buf, 32);
        bad[i / 8] ^= std::byte(1u << (i % 8));
        CHECK_FALSE(format::decode_record_header(bad));
    }
    const std::byte zeros[32]{};
    CHECK_FALSE(format::decode_record_header(zeros));
}
