#include <doctest/doctest.h>

#include <cstring>
#include <vector>

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

TEST_CASE("check_record: every outcome, for payloads on both sides of the two-checksum path and of verify_max") {
    for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{64}, std::size_t{511}, std::size_t{512},
                             std::size_t{600}}) {
        for (std::size_t verify_max : {std::size_t{0}, std::size_t{100}, std::size_t{4096}}) {
            CAPTURE(size);
            CAPTURE(verify_max);
            constexpr std::uint32_t padding = 8;
            std::vector<std::byte> payload(size);
            for (std::size_t i = 0; i < size; ++i) payload[i] = static_cast<std::byte>(i * 7 + 1);
            auto make = [&](std::uint32_t flags) {
                std::vector<std::byte> file(16 + 32 + padding + size);  // 16 bytes before the record
                format::encode_record_header({42, size, padding, crc32c(payload), flags}, file.data() + 16);
                if (size > 0) std::memcpy(file.data() + 16 + 32 + padding, payload.data(), size);
                return file;
            };
            const bool verified = size <= verify_max;

            const auto good = make(0);
            auto r = format::check_record(good, 16, verify_max);
            CHECK(r.check == format::RecordCheck::intact);
            CHECK(r.header.timestamp == 42);
            CHECK(r.payload.data() == good.data() + 16 + 32 + padding);
            CHECK(r.payload.size() == size);

            if (size > 0) {
                auto bad = good;
                bad[16 + 32 + padding + size / 2] ^= std::byte{4};
                CHECK(format::check_record(bad, 16, verify_max).check ==
                      (verified ? format::RecordCheck::bad_payload : format::RecordCheck::intact));
            }
            auto bad_header = good;
            bad_header[16 + 3] ^= std::byte{1};
            CHECK(format::check_record(bad_header, 16, verify_max).check == format::RecordCheck::bad_header);
            for (std::byte flip : {std::byte{1}, std::byte{2}}) {  // sizes that fit the file or not
                auto bad_size = good;
                bad_size[16 + 8] ^= flip;
                CHECK(format::check_record(bad_size, 16, verify_max).check == format::RecordCheck::bad_header);
            }

            r = format::check_record(make(2), 16, verify_max);
            CHECK(r.check == format::RecordCheck::unknown_flags);
            CHECK(r.payload.empty());
            CHECK(format::check_record(make(format::record_flag_skip), 16, verify_max).check ==
                  format::RecordCheck::intact);

            const auto cut = std::span<const std::byte>(good).first(good.size() - 1);
            CHECK(format::check_record(cut, 16, verify_max).check == format::RecordCheck::past_end);
            CHECK(format::check_record(good, good.size() - 31, verify_max).check == format::RecordCheck::short_header);
            const std::vector<std::byte> zeros(64 + size);
            CHECK(format::check_record(zeros, 16, verify_max).check == format::RecordCheck::zero_header);
        }
    }
}
