#include <doctest/doctest.h>

#include <random>
#include <string_view>
#include <vector>

#include <tinman/framing/crc32c.hpp>

namespace {
std::span<const std::byte> bytes(std::string_view s) { return std::as_bytes(std::span{s.data(), s.size()}); }
}  // namespace

TEST_CASE("crc32c: known values") {
    CHECK(tinman::crc32c(bytes("")) == 0u);
    CHECK(tinman::crc32c(bytes("123456789")) == 0xE3069283u);
    const std::vector<std::byte> zeros(32, std::byte{0}), ones(32, std::byte{0xFF});
    CHECK(tinman::crc32c(zeros) == 0x8A9136AAu);  // RFC 3720, B.4
    CHECK(tinman::crc32c(ones) == 0x62A8AB43u);
}

TEST_CASE("crc32c: hardware and table agree, and extending equals one pass") {
    std::mt19937_64 rng(42);
    std::vector<std::byte> data(20000 + 17);
    for (auto& b : data) b = static_cast<std::byte>(rng());
    for (std::size_t offset : {0, 1, 3, 7}) {
        for (std::size_t n : {0, 1, 7, 8, 9, 63, 64, 65, 1000, 1535, 1536, 1537, 2047, 2048, 2049, 2063, 2303, 2304,
                              2575, 3079, 4096, 20000}) {
            const auto part = std::span<const std::byte>(data).subspan(offset, n);
            const auto sw = ~tinman::detail::crc32c_update_sw(~0u, part.data(), part.size());
            CHECK(tinman::crc32c(part) == sw);
            const std::size_t cut = n / 3;
            CHECK(tinman::crc32c(part.subspan(cut), tinman::crc32c(part.first(cut))) == sw);
        }
    }
    MESSAGE("crc32c runs in " << (tinman::crc32c_is_hardware() ? "hardware" : "software"));
}

#if TINMAN_HAS_SSE42_CRC32C
TEST_CASE("crc32c: every folding path the CPU has agrees with the table") {
    std::mt19937_64 rng(7);
    std::vector<std::byte> data(70000);
    for (auto& b : data) b = static_cast<std::byte>(rng());
    const int level = tinman::detail::crc32c_cpu_level;
    MESSAGE("crc32c CPU level " << level);
    for (std::size_t n = 256; n < data.size(); n = n * 5 / 4 + 13) {
        CAPTURE(n);
        const std::uint32_t seed = static_cast<std::uint32_t>(rng());
        const auto sw = tinman::detail::crc32c_update_sw(seed, data.data() + 3, n);
        if (level >= 1) CHECK(tinman::detail::crc32c_update_hw(seed, data.data() + 3, n) == sw);
        if (level >= 2 && n >= 64) CHECK(tinman::detail::crc32c_update_clmul(seed, data.data() + 3, n) == sw);
        if (level >= 3) CHECK(tinman::detail::crc32c_update_vpclmul(seed, data.data() + 3, n) == sw);
    }
}
#endif

TEST_CASE("crc32c_pair: the checksums of both inputs, for every size it takes") {
    std::mt19937_64 rng(11);
    std::vector<std::byte> data(2 * tinman::detail::crc32c_pair_max_bytes + 8);
    for (auto& b : data) b = static_cast<std::byte>(rng());
    const auto all = std::span<const std::byte>(data);
    for (std::size_t n = 0; n < tinman::detail::crc32c_pair_max_bytes; ++n) {
        CAPTURE(n);
        const auto a = all.subspan(1, 28);
        const auto b = all.subspan(40 + n % 8, n);
        const auto [ca, cb] = tinman::crc32c_pair(a, b);
        CHECK(ca == ~tinman::detail::crc32c_update_sw(~0u, a.data(), a.size()));
        CHECK(cb == ~tinman::detail::crc32c_update_sw(~0u, b.data(), b.size()));
    }
}
