#include <doctest/doctest.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <tinman.hpp>

#include "test_support.hpp"

using namespace tinman;
using test::TempDir;

namespace {

/// Writes `records` arrays of `n` doubles to channel `name` (timestamps 1000, 1010, ...,
/// with one step back at record 2), the last one `last_n` doubles long.
void write_channel(const std::filesystem::path& dir, const std::string& name, std::size_t records, std::size_t n,
                   std::size_t last_n, ChannelMetadata metadata = {}) {
    ObLogWriter log{dir};
    auto w = log.get_writer(name, NdArrayCodec<double>{}, {.metadata = std::move(metadata)});
    for (std::size_t i = 0; i < records; ++i) {
        const std::int64_t t = i == 2 ? 995 : 1000 + 10 * static_cast<std::int64_t>(i);
        w(t, xt::xarray<double>(xt::xarray<double>::shape_type{i + 1 == records ? last_n : n}, double(i)));
    }
}

std::optional<ChannelInfo> by_reads(const std::filesystem::path& dir, const std::string& name) {
    const auto path = channel_path(dir, name);
    const auto file = detail::open_channel_file(dir, name, path);
    return detail::summarize_by_reads(name, file.get(), path);
}

ChannelInfo by_mapping(const std::filesystem::path& dir, const std::string& name) {
    return detail::summarize_channel(detail::open_channel(dir, name));
}

void check_same(const ChannelInfo& a, const ChannelInfo& b) {
    CHECK(a.name == b.name);
    CHECK(a.codec == b.codec);
    CHECK(a.metadata == b.metadata);
    CHECK(a.records == b.records);
    CHECK(a.file_bytes == b.file_bytes);
    CHECK(a.first_timestamp == b.first_timestamp);
    CHECK(a.last_timestamp == b.last_timestamp);
    CHECK(a.max_timestamp == b.max_timestamp);
    CHECK(a.indexed_records == b.indexed_records);
    CHECK(a.status.records == b.status.records);
    CHECK(a.status.intact_end == b.status.intact_end);
    CHECK(a.status.skipped_bytes == b.status.skipped_bytes);
    CHECK(a.status.stop == b.status.stop);
    CHECK(a.status.reason == b.status.reason);
    CHECK(a.being_written == b.being_written);
    CHECK(a.error == b.error);
}

void flip_byte(const std::filesystem::path& file, std::uint64_t offset) {
    auto bytes = test::read_file(file);
    bytes.at(offset) ^= std::byte{0x40};
    test::write_file(file, bytes);
}

}  // namespace

TEST_CASE("summarize_by_reads: answers as the mapped summary does where the index covers the file") {
    TempDir dir;
    SUBCASE("small records, a clock step back") { write_channel(dir.path(), "c", 50, 8, 8); }
    SUBCASE("one record") { write_channel(dir.path(), "c", 1, 8, 8); }
    SUBCASE("a last payload of 2 MB, verified whole") { write_channel(dir.path(), "c", 5, 8, 250'000); }
    SUBCASE("a header longer than one read (metadata of 10 kB)") {
        write_channel(dir.path(), "c", 7, 8, 8, ChannelMetadata{{"calibration", std::string(10'000, 'k')}});
    }
    const auto quick = by_reads(dir.path(), "c");
    REQUIRE(quick);
    check_same(*quick, by_mapping(dir.path(), "c"));
    CHECK(quick->status.clean());
    CHECK(quick->max_timestamp >= quick->last_timestamp);
}

TEST_CASE("summarize_by_reads: declines every other case, which the mapped summary answers") {
    TempDir dir;
    const auto channel = dir / "c.tinman";
    const auto index = dir / "c.tinman-index";
    write_channel(dir.path(), "c", 20, 8, 8);
    const auto size = std::filesystem::file_size(channel);
    const auto index_bytes = test::read_file(index);
    std::uint64_t first = 0;  // the offset in the first entry (after the 64-byte index header)
    for (int b = 7; b >= 0; --b) first = first << 8 | std::to_integer<std::uint64_t>(index_bytes.at(64 + 16 + b));
    const auto record = (size - first) / 20;  // every record has the same extent

    SUBCASE("no records") {
        ObLogWriter log{dir.path()};
        (void)log.get_writer("c", NdArrayCodec<double>{}, OpenMode::truncate);
    }
    SUBCASE("no index file") { std::filesystem::remove(index); }
    SUBCASE("records past the index") {
        ObLogWriter log{dir.path(), WriterOptions{.time_index = false}};
        auto w = log.get_writer("c", NdArrayCodec<double>{}, OpenMode::append);
        w(5000, xt::xarray<double>{1.0, 2.0});
    }
    SUBCASE("a torn tail") {
        auto bytes = test::read_file(channel);
        bytes.resize(bytes.size() + 20, std::byte{7});
        test::write_file(channel, bytes);
    }
    SUBCASE("the last record's payload damaged") { flip_byte(channel, size - 8); }
    SUBCASE("the first record's header damaged") { flip_byte(channel, first + 3); }
    SUBCASE("the index header damaged") { flip_byte(index, 20); }
    SUBCASE("the last index entry damaged") { flip_byte(index, std::filesystem::file_size(index) - 30); }
    SUBCASE("the channel file cut short under its index") { std::filesystem::resize_file(channel, size - record); }
    SUBCASE("the index of another channel file") {
        write_channel(dir.path(), "other", 20, 8, 8, ChannelMetadata{{"k", "v"}});
        std::filesystem::copy_file(dir / "other.tinman-index", index, std::filesystem::copy_options::overwrite_existing);
    }
    CHECK_FALSE(by_reads(dir.path(), "c"));
    const ObLogReader reader{dir.path()};
    check_same(reader.info("c"), by_mapping(dir.path(), "c"));
}

TEST_CASE("summarize_by_reads: a live writer is seen, as through a mapping") {
    TempDir dir;
    ObLogWriter log{dir.path()};
    auto w = log.get_writer("c", NdArrayCodec<double>{});
    for (int i = 0; i < 3; ++i) w(i, xt::xarray<double>{1.0 * i});
    log.flush();
    const auto quick = by_reads(dir.path(), "c");
    REQUIRE(quick);
    CHECK(quick->being_written);
    CHECK(quick->records == 3);
    check_same(*quick, by_mapping(dir.path(), "c"));
}

TEST_CASE("ObLogReader::info maps no file when the index covers the channel, and maps it when it must scan") {
    TempDir dir;
    write_channel(dir.path(), "c", 100, 8, 8);
    {
        const ObLogReader reader{dir.path()};
        CHECK(reader.info("c").records == 100);
        CHECK(reader.channel_infos().at(0).records == 100);
        CHECK_FALSE(test::is_mapped(dir / "c.tinman"));  // a mapping would stay in the reader's cache
        CHECK_FALSE(test::is_mapped(dir / "c.tinman-index"));
    }
    std::filesystem::remove(dir / "c.tinman-index");
    const ObLogReader reader{dir.path()};
    CHECK(reader.info("c").records == 100);
    CHECK(test::is_mapped(dir / "c.tinman"));
}
