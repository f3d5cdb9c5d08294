#include <doctest/doctest.h>

#include <cstdint>
#include <filesystem>
#include <ranges>
#include <string>
#include <vector>

#include <tinman/channel/recovery.hpp>

#include <tinman/channel/oblog_writer.hpp>
#include <tinman/codecs/bytes_codec.hpp>

#include "test_support.hpp"

using namespace tinman;
using test::TempDir;

namespace {

/// Channel "c" of `dir`: ten records of 200 bytes each, with its time index.
void write_channel(const std::filesystem::path& dir) {
    ObLogWriter log{dir};
    auto w = log.get_writer("c", BytesCodec{});
    for (int i = 0; i < 10; ++i) w(i, std::string(200, static_cast<char>('a' + i)));
}

/// File offset of each record of channel "c".
std::vector<std::uint64_t> record_offsets(const std::filesystem::path& dir) {
    std::vector<std::uint64_t> out;
    const ObLogReader reader{dir};
    auto channel = reader.read_channel<BytesCodec>("c");
    for (auto it = channel.begin(); it != channel.end(); ++it) out.push_back(it.record().offset);
    return out;
}

}  // namespace

TEST_CASE("recover_channel: a clean channel with its whole index is left alone") {
    TempDir dir;
    write_channel(dir.path());
    const auto before = test::read_file(dir / "c.tinman");
    const auto r = recover_channel(dir.path(), "c");
    CHECK(r.action == Recovery::Action::none);
    CHECK(r.report.clean());
    CHECK(r.records_kept == 10);
    CHECK(r.indexed_before == 10);
    CHECK(r.cut_bytes == 0);
    CHECK(test::read_file(dir / "c.tinman") == before);
}

TEST_CASE("recover_channel: a missing or short time index is rebuilt, the records untouched") {
    TempDir dir;
    write_channel(dir.path());
    const auto before = test::read_file(dir / "c.tinman");
    const auto index = dir / "c.tinman-index";
    SUBCASE("missing") { std::filesystem::remove(index); }
    SUBCASE("short") { std::filesystem::resize_file(index, std::filesystem::file_size(index) - 40); }
    const auto r = recover_channel(dir.path(), "c");
    CHECK(r.action == Recovery::Action::index_rebuilt);
    CHECK(r.indexed_before < 10);
    CHECK(r.records_kept == 10);
    CHECK(r.cut_bytes == 0);
    CHECK(test::read_file(dir / "c.tinman") == before);
    CHECK(ObLogReader{dir.path()}.info("c").indexed_records == 10);
}

TEST_CASE("recover_channel: a torn tail is cut at the end of the last intact record") {
    TempDir dir;
    write_channel(dir.path());
    const auto offsets = record_offsets(dir.path());
    const auto file = dir / "c.tinman";
    const auto full = std::filesystem::file_size(file);
    std::filesystem::resize_file(file, full - 50);  // inside record 9
    const auto r = recover_channel(dir.path(), "c");
    CHECK(r.action == Recovery::Action::tail_cut);
    CHECK(r.report.tail_only());
    CHECK(r.records_kept == 9);
    CHECK(r.cut_offset == offsets[9]);
    CHECK(r.cut_bytes == full - 50 - offsets[9]);
    // The tail is now one skip record: the file keeps its size (a reader may have it mapped).
    CHECK(std::filesystem::file_size(file) == full - 50);
    const ObLogReader reader{dir.path()};
    const auto info = reader.info("c");
    CHECK(info.status.clean());
    CHECK(info.records == 9);
    CHECK(info.indexed_records == 9);
    CHECK(recover_channel(dir.path(), "c").action == Recovery::Action::none);  // nothing left to do
}

TEST_CASE("recover_channel: damage followed by intact records is refused, and the file left as it was") {
    TempDir dir;
    write_channel(dir.path());
    const auto offsets = record_offsets(dir.path());
    auto bytes = test::read_file(dir / "c.tinman");
    bytes[offsets[4] + 3] ^= std::byte{0x01};  // record 4's header
    test::write_file(dir / "c.tinman", bytes);
    const auto r = recover_channel(dir.path(), "c");
    CHECK(r.action == Recovery::Action::refused);
    REQUIRE(r.report.damage.size() == 1);
    CHECK(r.report.damage[0].offset == offsets[4]);
    CHECK(r.records_kept == 9);
    CHECK(test::read_file(dir / "c.tinman") == bytes);
}

TEST_CASE("recover_channel: a channel with a writer is refused") {
    TempDir dir;
    ObLogWriter log{dir.path()};
    auto w = log.get_writer("c", BytesCodec{});
    w(1, std::string("x"));
    w.flush();
    std::filesystem::remove(dir / "c.tinman-index");  // work to do, which needs the writer's lock
    CHECK_THROWS_WITH_AS((void)recover_channel(dir.path(), "c"), doctest::Contains("already has a writer"),
                         channel_error);
    CHECK_THROWS_AS((void)recover_channel(dir.path(), "missing"), channel_not_found);
}

TEST_CASE("recover_channel: a reader that mapped the torn tail keeps a valid mapping, and follows what comes next") {
    TempDir dir;
    write_channel(dir.path());
    const auto file = dir / "c.tinman";
    const auto full = std::filesystem::file_size(file);
    std::filesystem::resize_file(file, full - 50);  // inside record 9
    const ObLogReader reader{dir.path()};
    auto follower = reader.read_channel<BytesCodec>("c");
    CHECK(std::ranges::distance(follower) == 9);
    const SegmentPtr mapped = follower.segment();
    REQUIRE(mapped->offset() + mapped->size() == full - 50);  // the torn bytes are mapped

    CHECK(recover_channel(dir.path(), "c").action == Recovery::Action::tail_cut);
    // Every mapped byte can still be read: cutting the file would make this a SIGBUS.
    unsigned sum = 0;
    for (const std::byte b : mapped->bytes()) sum += static_cast<unsigned>(b);
    CHECK(sum > 0);
    CHECK(std::filesystem::file_size(file) >= mapped->offset() + mapped->size());

    {
        ObLogWriter log{dir.path()};
        log.get_writer("c", BytesCodec{}, OpenMode::append)(42, std::string("after"));
    }
    CHECK(follower.refresh());
    auto it = follower.begin();
    REQUIRE(it != follower.end());
    CHECK((*it).timestamp == 42);
    CHECK(++it == follower.end());
    CHECK(follower.status().clean());
    CHECK(ObLogReader{dir.path()}.damage_report("c").clean());
    CHECK(ObLogReader{dir.path()}.info("c").records == 10);
}

TEST_CASE("recover_channel: a channel whose only record is torn is replaced by a new file") {
    TempDir dir;
    {
        ObLogWriter log{dir.path()};
        log.get_writer("c", BytesCodec{})(1, std::string(300, 'x'));
    }
    const auto file = dir / "c.tinman";
    std::filesystem::resize_file(file, std::filesystem::file_size(file) - 10);
    const ObLogReader reader{dir.path()};
    auto follower = reader.read_channel<BytesCodec>("c");
    CHECK(std::ranges::distance(follower) == 0);
    const SegmentPtr mapped = follower.segment();
    const auto r = recover_channel(dir.path(), "c");
    CHECK(r.action == Recovery::Action::tail_cut);
    CHECK(r.records_kept == 0);
    unsigned sum = 0;
    for (const std::byte b : mapped->bytes()) sum += static_cast<unsigned>(b);  // the old file is still there
    CHECK(sum > 0);
    CHECK(ObLogReader{dir.path()}.damage_report("c").clean());
    CHECK(ObLogReader{dir.path()}.info("c").records == 0);
}
