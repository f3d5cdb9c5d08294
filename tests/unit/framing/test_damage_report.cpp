#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include <tinman/channel/record_writer.hpp>
#include <tinman/framing/damage_report.hpp>
#include <tinman/framing/file_header.hpp>

#include "test_support.hpp"

using namespace tinman;
using test::TempDir;

namespace {

/// A channel file of ten records, with where each record starts and ends.
struct Sample {
    std::vector<std::byte> file;
    std::uint64_t records_offset = 0;
    std::vector<std::uint64_t> offsets;   // of each record header
    std::vector<std::uint64_t> payloads;  // of each payload
    std::vector<std::uint64_t> ends;      // just past each record
};

Sample make_sample() {
    TempDir dir;
    {
        RecordWriter w(dir.path(), "c", {"bytes", {}});
        for (unsigned i = 0; i < 10; ++i) {
            // Record 6 is larger than the payloads a reader verifies by default.
            std::vector<std::byte> body(i == 6 ? 3 * default_verify_max_bytes : 100 + i * 17);
            for (std::size_t k = 0; k < body.size(); ++k) body[k] = static_cast<std::byte>(i * 29 + k * 3);
            w.append(i, {{}, body, 8});
        }
    }
    Sample s;
    s.file = test::read_file(dir / "c.tinman");
    s.records_offset = format::parse_file_header(s.file).records_offset;
    RecordScanner scanner(s.file, s.records_offset, SIZE_MAX);
    while (auto r = scanner.next()) {
        s.offsets.push_back(r->offset);
        s.payloads.push_back(static_cast<std::uint64_t>(r->payload.data() - s.file.data()));
        s.ends.push_back(scanner.status().intact_end);
    }
    REQUIRE(scanner.status().clean());
    REQUIRE(s.offsets.size() == 10);
    return s;
}

}  // namespace

TEST_CASE("find_damage: a clean file has no damaged region") {
    const auto s = make_sample();
    std::vector<std::uint64_t> progress;
    const auto report = find_damage(s.file, s.records_offset, [&](std::uint64_t at) { progress.push_back(at); });
    CHECK(report.clean());
    CHECK_FALSE(report.tail_only());
    CHECK(report.records == 10);
    CHECK(report.file_bytes == s.file.size());
    CHECK(report.damage.empty());
    REQUIRE_FALSE(progress.empty());
    CHECK(std::is_sorted(progress.begin(), progress.end()));
    CHECK(progress.back() == s.file.size());
}

TEST_CASE("find_damage: damage in the middle and a torn tail are reported as two regions with their offsets") {
    const auto s = make_sample();
    auto bad = s.file;
    bad[s.payloads[3] + 20] ^= std::byte{0x04};  // payload of record 3
    bad.resize(s.payloads[9] + 10);              // record 9 cut short
    const auto report = find_damage(bad, s.records_offset);
    CHECK(report.records == 8);  // all but records 3 and 9
    CHECK(report.file_bytes == bad.size());
    REQUIRE(report.damage.size() == 2);
    CHECK(report.damage[0].offset == s.offsets[3]);
    CHECK(report.damage[0].end == s.offsets[4]);
    CHECK(report.damage[0].kind == ScanStop::corrupt);
    CHECK(report.damage[0].reason.find("payload checksum mismatch") != std::string::npos);
    CHECK(report.damage[1].offset == s.offsets[9]);
    CHECK(report.damage[1].end == bad.size());
    CHECK(report.damage[1].kind == ScanStop::torn);
    CHECK(report.damage[1].reason.find("extends past the end of the file") != std::string::npos);
    CHECK_FALSE(report.clean());
    CHECK_FALSE(report.tail_only());  // appending would cut record 9 only, but record 3 stays lost
}

TEST_CASE("find_damage: every payload is verified, large ones included, and damaged headers are regions too") {
    const auto s = make_sample();
    auto bad = s.file;
    bad[s.ends[6] - 1] ^= std::byte{0x80};     // last byte of record 6's large payload
    bad[s.offsets[8] + 2] ^= std::byte{0x01};  // record 8's header (its timestamp)
    const auto report = find_damage(bad, s.records_offset);
    CHECK(report.records == 8);
    REQUIRE(report.damage.size() == 2);
    CHECK(report.damage[0].offset == s.offsets[6]);
    CHECK(report.damage[0].end == s.offsets[7]);
    CHECK(report.damage[0].kind == ScanStop::corrupt);
    CHECK(report.damage[1].offset == s.offsets[8]);
    CHECK(report.damage[1].end == s.offsets[9]);
    CHECK(report.damage[1].kind == ScanStop::corrupt);
    CHECK(report.damage[1].reason.find("record header checksum mismatch") != std::string::npos);
}

TEST_CASE("DamageReport::tail_only: damage only at the end, which appending cuts without loss") {
    const auto s = make_sample();
    SUBCASE("a torn last record") {
        const std::vector<std::byte> torn(s.file.begin(), s.file.begin() + static_cast<std::ptrdiff_t>(s.ends[9] - 1));
        const auto report = find_damage(torn, s.records_offset);
        CHECK(report.records == 9);
        REQUIRE(report.damage.size() == 1);
        CHECK(report.damage[0].offset == s.offsets[9]);
        CHECK(report.damage[0].kind == ScanStop::torn);
        CHECK(report.tail_only());
    }
    SUBCASE("zeros after the last record, as a power loss can leave") {
        auto zeroed = s.file;
        zeroed.resize(zeroed.size() + 4096);
        const auto report = find_damage(zeroed, s.records_offset);
        CHECK(report.records == 10);
        REQUIRE(report.damage.size() == 1);
        CHECK(report.damage[0].offset == s.file.size());
        CHECK(report.damage[0].end == zeroed.size());
        CHECK(report.damage[0].kind == ScanStop::torn);
        CHECK(report.tail_only());
    }
    SUBCASE("damage in the middle is not tail only, even with nothing after it torn") {
        auto bad = s.file;
        bad[s.payloads[2]] ^= std::byte{0x10};
        const auto report = find_damage(bad, s.records_offset);
        REQUIRE(report.damage.size() == 1);
        CHECK(report.damage[0].end == s.offsets[3]);
        CHECK_FALSE(report.tail_only());
    }
}

TEST_CASE("RangeCrc: the CRC32C of any range equals hashing that range") {
    std::vector<std::byte> data(3 * RangeCrc::block + 777);
    for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::byte>((i * 2654435761u) >> 13);
    RangeCrc crcs(data);
    for (std::uint64_t begin : {0u, 1u, 4095u, 4096u, 4097u, 9000u, 12288u})
        for (std::uint64_t end : {begin, begin + 1, begin + 4096, begin + 4097, std::uint64_t{data.size()}}) {
            if (end > data.size() || end < begin) continue;
            CAPTURE(begin);
            CAPTURE(end);
            CHECK(crcs.of(begin, end) == crc32c(std::span(data).subspan(begin, end - begin)));
        }
    const auto a = std::span(data).first(5000), b = std::span(data).subspan(5000);
    CHECK(crc32c_combine(crc32c(a), crc32c(b), b.size()) == crc32c(data));
}

TEST_CASE("find_damage: linear on a file where every 32 bytes hold a valid header claiming the rest of the file") {
    Sample s = make_sample();
    // After the records: 1 MiB of forged headers, each with a valid header checksum and a
    // payload reaching the end of the file whose checksum does not match.
    const std::uint64_t forged_from = s.file.size();
    const std::uint64_t size = forged_from + (std::uint64_t{1} << 20);
    s.file.resize(size);
    for (std::uint64_t pos = forged_from; pos + format::record_header_size <= size; pos += 32)
        format::encode_record_header({.timestamp = 1, .payload_size = size - pos - format::record_header_size,
                                      .padding = 0, .payload_crc = 0x12345678, .flags = 0},
                                     s.file.data() + pos);
    const DamageReport report = find_damage(s.file, s.records_offset);
    CHECK(report.records == 10);
    REQUIRE(report.damage.size() == 1);
    CHECK(report.damage[0].offset == forged_from);
    CHECK(report.damage[0].end == size);
    // Checking each of the 32768 candidates by hashing what it claims would be ~16 GiB
    // (quadratic); through the prefix CRCs it is at most two blocks per candidate.
    CHECK(report.checked_bytes <= size + (size / 32 + 16) * 2 * RangeCrc::block);
}
