#include <doctest/doctest.h>

#include <tinman/framing/record_scanner.hpp>
#include <tinman/channel/record_writer.hpp>

#include "test_support.hpp"

using namespace tinman;
using test::TempDir;

namespace {

struct SmallLog {
    std::vector<std::byte> file;
    std::vector<std::vector<std::byte>> bodies;
    std::vector<std::uint64_t> ends;  // offset just past each record
    std::uint64_t records_offset = 0;
};

SmallLog make_small_log() {
    TempDir dir;
    SmallLog log;
    {
        RecordWriter w(dir.path(), "c", {"bytes", {}});
        for (unsigned i = 0; i < 8; ++i) {
            std::vector<std::byte> body(i * 13 + 1);
            for (std::size_t k = 0; k < body.size(); ++k) body[k] = static_cast<std::byte>(i * 31 + k);
            w.append(1000 + i, {{}, body, i % 2 ? std::size_t{8} : std::size_t{64}});
            log.bodies.push_back(std::move(body));
            log.ends.push_back(w.size());
        }
    }
    log.file = test::read_file(dir / "c.tinman");
    log.records_offset = format::parse_file_header(log.file).records_offset;
    return log;
}

/// Scans `file`, checking every yielded record is exactly the original one at that index.
ScanStatus scan_checked(std::span<const std::byte> file, const SmallLog& log, std::size_t verify = SIZE_MAX) {
    RecordScanner scanner(file, log.records_offset, verify);
    while (auto r = scanner.next()) {
        REQUIRE(r->index < log.bodies.size());
        CHECK(r->timestamp == static_cast<std::int64_t>(1000 + r->index));
        const auto& want = log.bodies[r->index];
        REQUIRE(r->payload.size() == want.size());
        CHECK(std::equal(want.begin(), want.end(), r->payload.begin()));
    }
    return scanner.status();
}

}  // namespace

TEST_CASE("RecordScanner: every truncation yields exactly the whole records before it") {
    const auto log = make_small_log();
    for (std::uint64_t cut = log.records_offset; cut <= log.file.size(); ++cut) {
        CAPTURE(cut);
        // A copy of exactly `cut` bytes, so that ASan sees any read past it.
        const std::vector<std::byte> prefix(log.file.begin(), log.file.begin() + static_cast<std::ptrdiff_t>(cut));
        const auto status = scan_checked(prefix, log);
        const auto whole = static_cast<std::uint64_t>(
            std::count_if(log.ends.begin(), log.ends.end(), [&](auto e) { return e <= cut; }));
        CHECK(status.records == whole);
        CHECK(status.intact_end == (whole ? log.ends[whole - 1] : log.records_offset));
        CHECK(status.skipped_bytes == cut - status.intact_end);
        CHECK(status.clean() == (status.skipped_bytes == 0));
        if (!status.clean()) CHECK(status.stop == ScanStop::torn);
    }
}

TEST_CASE("RecordScanner: every single bit flip stops the scan before any wrong value") {
    const auto log = make_small_log();
    std::size_t stopped = 0;
    for (std::size_t i = log.records_offset; i < log.file.size(); ++i) {
        for (int bit = 0; bit < 8; ++bit) {
            auto bad = log.file;
            bad[i] ^= std::byte(1u << bit);
            const auto status = scan_checked(bad, log);
            stopped += !status.clean();
        }
    }
    MESSAGE(stopped << " of " << (log.file.size() - log.records_offset) * 8 << " flips detected (the rest hit padding)");
    CHECK(stopped > 0);
}

TEST_CASE("RecordScanner: a zero-filled tail is detected") {
    auto log = make_small_log();
    log.file.resize(log.file.size() + 4096);
    const auto status = scan_checked(log.file, log);
    CHECK(status.records == log.bodies.size());
    CHECK(status.stop == ScanStop::torn);
    CHECK(status.skipped_bytes == 4096);
    CHECK(status.reason.find("unwritten (zero) bytes") != std::string::npos);
}

TEST_CASE("RecordScanner: payloads above the verify limit are checked only on request") {
    auto log = make_small_log();
    auto count = [&](std::size_t verify) {
        RecordScanner scanner(log.file, log.records_offset, verify);
        while (scanner.next()) {
        }
        return scanner.status();
    };
    log.file[log.ends[6] - 1] ^= std::byte{1};  // last byte of record 6's (79-byte) payload
    CHECK(count(64).records == 8);               // above the limit, and a record follows: not verified
    const auto strict = count(SIZE_MAX);
    CHECK(strict.records == 6);
    CHECK(strict.stop == ScanStop::corrupt);
    CHECK(strict.reason.find("payload checksum mismatch") != std::string::npos);
    log.file[log.ends[6] - 1] ^= std::byte{1};
    log.file[log.ends.back() - 1] ^= std::byte{1};  // the last record is what a crash damages: always verified
    const auto last = count(64);
    CHECK(last.records == 7);
    CHECK(last.stop == ScanStop::corrupt);
    log.file.resize(log.file.size() + 100);  // followed by zeros, not by a record: the same
    CHECK(count(64).records == 7);
    log.file.resize(log.file.size() - 100);
    log.file[log.ends[0] - 1] ^= std::byte{1};  // the 1-byte payload of record 0: under the limit
    CHECK(count(64).records == 0);
}

TEST_CASE("find_next_record: finds the next intact header after damage") {
    const auto log = make_small_log();
    auto bad = log.file;
    bad[log.ends[2] + 5] ^= std::byte{1};  // header of record 3
    RecordScanner scanner(bad, log.records_offset);
    while (scanner.next()) {
    }
    CHECK(scanner.status().records == 3);
    const auto next = find_next_record(bad, scanner.status().intact_end);
    REQUIRE(next);
    CHECK(*next == log.ends[3]);
    CHECK_FALSE(find_next_record(log.file, log.ends.back() - 1));
}
