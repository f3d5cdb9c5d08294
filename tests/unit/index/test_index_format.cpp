#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <vector>

#include <tinman/index/index_format.hpp>

using namespace tinman;

namespace {
template <class U>
U load(const std::byte* p) {
    U v = 0;
    for (std::size_t i = 0; i < sizeof(U); ++i) v |= static_cast<U>(static_cast<U>(p[i]) << (8 * i));
    return v;
}
}  // namespace

TEST_CASE("index header: the documented layout, bound to one channel file") {
    const auto h = format::encode_index_header(0xCAFEF00Du, 128);
    static_assert(sizeof(h) == format::index_header_size);
    CHECK(std::equal(format::index_magic.begin(), format::index_magic.end(), h.begin()));
    CHECK(load<std::uint16_t>(&h[8]) == format::index_version);
    CHECK(load<std::uint16_t>(&h[10]) == format::index_entry_size);
    CHECK(load<std::uint32_t>(&h[12]) == 0xCAFEF00Du);
    CHECK(load<std::uint64_t>(&h[16]) == 128);
    CHECK(std::all_of(h.begin() + 24, h.begin() + 60, [](std::byte b) { return b == std::byte{0}; }));
    CHECK(load<std::uint32_t>(&h[60]) == crc32c(std::span(h).first(60)));

    CHECK(format::index_header_matches(h, 0xCAFEF00Du, 128));
    CHECK_FALSE(format::index_header_matches(h, 0xCAFEF00Eu, 128));  // another channel file's header
    CHECK_FALSE(format::index_header_matches(h, 0xCAFEF00Du, 192));
    CHECK_FALSE(format::index_header_matches(std::span(h).first(63), 0xCAFEF00Du, 128));
    for (std::size_t i = 0; i < h.size() * 8; ++i) {
        auto bad = h;
        bad[i / 8] ^= std::byte(1u << (i % 8));
        CAPTURE(i);
        CHECK_FALSE(format::index_header_matches(bad, 0xCAFEF00Du, 128));
    }
}

TEST_CASE("index entries: round trip, fields where documented, checksum bound to the entry number") {
    const format::IndexEntry e{-7, 1'700'000'000'000'000'000, 0x123456789A, 0xDEADBEEF};
    std::array<std::byte, format::index_entry_size> b{};
    format::encode_index_entry(e, 41, b.data());
    CHECK(load<std::uint64_t>(&b[0]) == static_cast<std::uint64_t>(e.timestamp));
    CHECK(load<std::uint64_t>(&b[8]) == static_cast<std::uint64_t>(e.max_timestamp));
    CHECK(load<std::uint64_t>(&b[16]) == e.offset);
    CHECK(load<std::uint32_t>(&b[24]) == e.record_crc);
    // The entry checksum covers bytes [0, 28) followed by the entry number as a u64.
    std::vector<std::byte> covered(b.begin(), b.begin() + 28);
    for (int k = 0; k < 8; ++k) covered.push_back(static_cast<std::byte>(std::uint64_t{41} >> (8 * k)));
    CHECK(load<std::uint32_t>(&b[28]) == crc32c(covered));
    CHECK(format::index_entry_crc(b.data(), 41) == crc32c(covered));

    CHECK(format::decode_index_entry(b.data(), 41) == e);
    CHECK(format::stored_max_timestamp(b.data()) == e.max_timestamp);
    // The same bytes at another place in the index are refused: entries cannot be moved or swapped.
    CHECK_FALSE(format::decode_index_entry(b.data(), 40));
    CHECK_FALSE(format::decode_index_entry(b.data(), 41 + (std::uint64_t{1} << 32)));
    for (std::size_t i = 0; i < b.size() * 8; ++i) {
        auto bad = b;
        bad[i / 8] ^= std::byte(1u << (i % 8));
        CAPTURE(i);
        CHECK_FALSE(format::decode_index_entry(bad.data(), 41));
    }
}

TEST_CASE("index entries: entry numbers above 2^32 and extreme values round trip") {
    const format::IndexEntry lowest{INT64_MIN, INT64_MIN, 0, 0};
    const format::IndexEntry highest{INT64_MAX, INT64_MAX, UINT64_MAX, UINT32_MAX};
    for (const std::uint64_t number : {std::uint64_t{0}, std::uint64_t{1} << 32, UINT64_MAX}) {
        for (const auto& e : {lowest, highest}) {
            std::array<std::byte, format::index_entry_size> b{};
            format::encode_index_entry(e, number, b.data());
            CAPTURE(number);
            CHECK(format::decode_index_entry(b.data(), number) == e);
        }
    }
}
