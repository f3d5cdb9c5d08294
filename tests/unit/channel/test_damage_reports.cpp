// Damage reports and recovery (channel/recovery.hpp, framing/damage_report.hpp,
// BlogReader::damage_report): what `tinman verify` and `tinman recover` rely on.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <ranges>
#include <string>
#include <vector>

#include <tinman.hpp>
#include <tinman/python/blog.hpp>

#include "test_support.hpp"

using namespace tinman;
using test::TempDir;

namespace {

/// Writes channel "ch" of `n` records and returns each record's file offset.
std::vector<std::uint64_t> write_channel(const std::filesystem::path& dir, int n) {
    {
        ObLogWriter log{dir};
        auto w = log.get_writer("ch", NdArrayCodec<double>{});
        for (int i = 0; i < n; ++i) w(i, xt::xarray<double>{i * 1.0, i + 0.5});
        log.close();
    }
    std::vector<std::uint64_t> offsets;
    auto records = ObLogReader{dir}.read_channel<NdArrayCodec<double>>("ch");
    for (auto it = records.begin(); it != records.end(); ++it) offsets.push_back(it.record().offset);
    return offsets;
}

}  // namespace

TEST_CASE("ObLogReader::damage_report") {
    TempDir dir;
    const auto offsets = write_channel(dir.path(), 5);
    const auto path = dir / "ch.tinman";
    auto bytes = test::read_file(path);

    SUBCASE("a clean channel") {
        std::uint64_t last = 0;
        const auto report = ObLogReader{dir.path()}.damage_report("ch", [&](std::uint64_t at) { last = at; });
        CHECK(report.clean());
        CHECK_FALSE(report.tail_only());
        CHECK(report.records == 5);
        CHECK(report.file_bytes == bytes.size());
        CHECK(last == bytes.size());  // progress reaches the end
    }
    SUBCASE("damage in the middle and a torn tail are separate regions") {
        bytes[offsets[1] + 3] ^= std::byte{0x10};  // record 1's header
        test::write_file(path, std::span(bytes).first(bytes.size() - 4));
        const auto report = ObLogReader{dir.path()}.damage_report("ch");
        REQUIRE(report.damage.size() == 2);
        CHECK(report.records == 3);  // 0, 2, 3
        CHECK(report.damage[0].kind == ScanStop::corrupt);
        CHECK(report.damage[0].offset == offsets[1]);
        CHECK(report.damage[0].end == offsets[2]);
        CHECK(report.damage[1].kind == ScanStop::torn);
        CHECK(report.damage[1].offset == offsets[4]);
        CHECK(report.damage[1].end == bytes.size() - 4);
        CHECK_FALSE(report.tail_only());
    }
    SUBCASE("an unreadable header is a format_error") {
        bytes[0] ^= std::byte{1};
        test::write_file(path, bytes);
        CHECK_THROWS_AS((void)ObLogReader{dir.path()}.damage_report("ch"), format_error);
    }
}

TEST_CASE("recover_channel") {
    TempDir dir;
    const auto offsets = write_channel(dir.path(), 4);
    const auto path = dir / "ch.tinman";
    const auto bytes = test::read_file(path);

    SUBCASE("a clean, fully indexed channel is left alone") {
        const Recovery r = recover_channel(dir.path(), "ch");
        CHECK(r.action == Recovery::Action::none);
        CHECK(r.records_kept == 4);
        CHECK(test::read_file(path) == bytes);
    }
    SUBCASE("a missing time index is rebuilt, records untouched") {
        std::filesystem::remove(index_path_for(path));
        const Recovery r = recover_channel(dir.path(), "ch");
        CHECK(r.action == Recovery::Action::index_rebuilt);
        CHECK(r.indexed_before == 0);
        CHECK(r.records_kept == 4);
        CHECK(ObLogReader{dir.path()}.info("ch").indexed_records == 4);
        CHECK(test::read_file(path) == bytes);
    }
    SUBCASE("a torn tail is cut at the last intact record") {
        test::write_file(path, std::span(bytes).first(bytes.size() - 5));
        const Recovery r = recover_channel(dir.path(), "ch");
        CHECK(r.action == Recovery::Action::tail_cut);
        CHECK(r.report.tail_only());
        CHECK(r.cut_offset == offsets[3]);
        CHECK(r.cut_bytes == bytes.size() - 5 - offsets[3]);
        CHECK(r.records_kept == 3);
        // The intact records are untouched, and the cut tail stays as one skip record.
        const auto now = test::read_file(path);
        CHECK(now.size() == bytes.size() - 5);
        CHECK(std::equal(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(offsets[3]), now.begin()));
        CHECK(ObLogReader{dir.path()}.damage_report("ch").clean());
    }
    SUBCASE("damage followed by intact records is refused, the file untouched") {
        auto damaged = bytes;
        damaged[offsets[1] + 3] ^= std::byte{0x10};
        test::write_file(path, damaged);
        const Recovery r = recover_channel(dir.path(), "ch");
        CHECK(r.action == Recovery::Action::refused);
        CHECK(r.report.damage.size() == 1);
        CHECK(test::read_file(path) == damaged);
    }
    SUBCASE("a channel locked by a writer is a channel_error, the file untouched") {
        std::filesystem::remove(index_path_for(path));
        const int writer = ::open(path.c_str(), O_RDONLY);  // as a writer in another process locks it
        REQUIRE(writer >= 0);
        REQUIRE(::flock(writer, LOCK_EX) == 0);
        CHECK_THROWS_AS((void)recover_channel(dir.path(), "ch"), channel_error);
        ::close(writer);
        CHECK(test::read_file(path) == bytes);
    }
}

TEST_CASE("BlogReader::damage_report") {
    TempDir dir;
    {
        python::BlogWriter out{dir.path(), "py", OpenMode::create, 1};
        for (int i = 0; i < 3; ++i) out.write(i, xt::xarray<float>{1.0f * static_cast<float>(i), 2.0f});
        out.close();
    }
    const auto path = dir / "py.blog";
    const auto bytes = test::read_file(path);
    const python::BlogReader reader{dir.path()};

    SUBCASE("a clean file counts data records only") {
        const auto report = reader.damage_report("py");
        CHECK(report.clean());
        CHECK(report.records == 3);
        CHECK(report.file_bytes == bytes.size());
    }
    SUBCASE("a torn tail is one region to the end of the file") {
        test::write_file(path, std::span(bytes).first(bytes.size() - 3));
        const auto report = reader.damage_report("py");
        CHECK(report.records == 2);
        REQUIRE(report.damage.size() == 1);
        CHECK(report.damage[0].kind == ScanStop::torn);
        CHECK(report.damage[0].end == bytes.size() - 3);
        CHECK(report.tail_only());
    }
    SUBCASE("no codec record is a format_error, no file a channel_not_found") {
        test::write_file(path, std::span(bytes).first(10));
        CHECK_THROWS_AS((void)reader.damage_report("py"), format_error);
        CHECK_THROWS_AS((void)reader.damage_report("nope"), channel_not_found);
    }
}

TEST_CASE("Mid-file damage behind an intact index: every reader stops at it, and a view's size never changes") {
    TempDir dir;
    const auto offsets = write_channel(dir.path(), 1000);
    // A payload byte of record 300 flips after the index was written: the index still vouches for all 1000.
    const auto file = dir / "ch.tinman";
    auto bytes = test::read_file(file);
    bytes[offsets[300] + 64] ^= std::byte{0x40};
    test::write_file(file, bytes);
    const ObLogReader reader{dir.path()};

    const DamageReport report = reader.damage_report("ch");
    CHECK(report.records == 999);
    CHECK(report.intact_prefix == 300);

    auto records = reader.read_channel<NdArrayCodec<double>>("ch");
    CHECK(std::ranges::distance(records) == 300);
    CHECK(records.status().stop == ScanStop::corrupt);

    auto view = reader.indexed_channel<NdArrayCodec<double>>("ch");
    const auto size = view.size();
    std::uint64_t read = 0;
    std::string error;
    for (std::uint64_t i = 0; i < view.size(); ++i) {
        try {
            (void)view[i];
            ++read;
        } catch (const format_error& e) {
            error = e.what();
            break;
        }
    }
    CHECK(read == 300);
    CHECK(view.size() == size);  // unchanged by what the loop found
    CHECK(error.find("'ch'") != std::string::npos);
    CHECK(error.find("record 300") != std::string::npos);
    CHECK_THROWS_AS((void)view[301], format_error);  // past damage, although intact itself
    CHECK_THROWS_AS((void)view.timestamp(500), format_error);
    CHECK(view[299].value(1) == 299.5);  // before the damage, still there

    // A time range that crosses the damage stops at it.
    std::vector<std::uint64_t> in_range;
    auto range = reader.read_channel<NdArrayCodec<double>>("ch", TimeRange{250, 400});
    for (auto it = range.begin(); it != range.end(); ++it) in_range.push_back(it.record().index);
    CHECK(in_range.size() == 50);
    CHECK(in_range.back() == 299);
    CHECK(range.status().stop == ScanStop::corrupt);
}

TEST_CASE("ReadOptions::verify_all: every read, time ranges and whole-channel views included, ends at the intact prefix") {
    TempDir dir;
    const auto offsets = write_channel(dir.path(), 1000);
    const auto file = dir / "ch.tinman";
    auto bytes = test::read_file(file);
    bytes[offsets[300] + 64] ^= std::byte{0x40};  // behind an index that vouches for all 1000
    test::write_file(file, bytes);
    const ObLogReader reader{dir.path()};
    ReadOptions all;
    all.verify_all = true;

    // By default a range starting past undiscovered damage yields its records (O(log n), nothing before it read).
    CHECK(std::ranges::distance(reader.read_channel<NdArrayCodec<double>>("ch", TimeRange{500, 600})) == 100);
    CHECK(reader.indexed_channel<NdArrayCodec<double>>("ch").size() == 1000);

    auto view = reader.indexed_channel<NdArrayCodec<double>>("ch", {}, all);
    CHECK(view.size() == 300);  // what verify and info count
    CHECK(view.size() == reader.damage_report("ch").intact_prefix);
    CHECK(view.seek(500) == 300);
    CHECK(view.seek(299) == 299);
    CHECK(std::ranges::distance(view) == 300);
    std::uint64_t n = 0;
    for (const auto& [t, a] : view) n += a(0) == static_cast<double>(t);  // no read throws
    CHECK(n == 300);
    CHECK_THROWS_AS((void)view[300], usage_error);
    CHECK(stacked(view).shape()[0] == 300);
    CHECK(timestamps(view).size() == 300);
    CHECK(timestamps(view, StackCheck::headers)(299) == 299);

    auto after = reader.read_channel<NdArrayCodec<double>>("ch", TimeRange{500, 600}, {}, all);
    CHECK(std::ranges::distance(after) == 0);
    CHECK(after.status().stop == ScanStop::corrupt);
    CHECK(after.status().records == 300);
    auto across = reader.read_channel<NdArrayCodec<double>>("ch", TimeRange{250, 400}, {}, all);
    CHECK(std::ranges::distance(across) == 50);
    auto before = reader.read_channel<NdArrayCodec<double>>("ch", TimeRange{10, 20}, {}, all);
    CHECK(std::ranges::distance(before) == 10);
    CHECK(before.status().stop != ScanStop::corrupt);  // the range ended before the damage

    all.strict = true;
    try {
        (void)reader.indexed_channel<NdArrayCodec<double>>("ch", {}, all);
        FAIL("strict verify_all accepted a damaged channel");
    } catch (const format_error& e) {
        CHECK(std::string(e.what()).find("'ch'") != std::string::npos);
        CHECK(std::string(e.what()).find("record 300") != std::string::npos);
    }
}

TEST_CASE("ReadOptions::verify_all verifies large payloads, which default reads trust to their header") {
    TempDir dir;
    {
        ObLogWriter log{dir.path()};
        auto w = log.get_writer("big", NdArrayCodec<double>{});
        for (int i = 0; i < 20; ++i) w(i, xt::xarray<double>(std::vector<std::size_t>{4000}, i * 1.0));
        log.close();
    }
    auto records = ObLogReader{dir.path()}.read_channel<NdArrayCodec<double>>("big");
    std::uint64_t offset7 = 0;
    for (auto it = records.begin(); it != records.end(); ++it)
        if (it.record().index == 7) offset7 = it.record().offset;
    const auto file = dir / "big.tinman";
    auto bytes = test::read_file(file);
    bytes[offset7 + 20000] ^= std::byte{0x01};  // inside record 7's 32000-byte payload
    test::write_file(file, bytes);
    const ObLogReader reader{dir.path()};
    ReadOptions all;
    all.verify_all = true;

    CHECK(std::ranges::distance(reader.read_channel<NdArrayCodec<double>>("big")) == 20);
    auto checked = reader.read_channel<NdArrayCodec<double>>("big", {}, all);
    CHECK(std::ranges::distance(checked) == 7);
    CHECK(checked.status().stop == ScanStop::corrupt);
    CHECK(reader.indexed_channel<NdArrayCodec<double>>("big", {}, all).size() == 7);
    CHECK(std::ranges::distance(reader.read_channel<NdArrayCodec<double>>("big", TimeRange{10, 15}, {}, all)) == 0);
}
