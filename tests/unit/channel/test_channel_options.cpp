#include <doctest/doctest.h>

#include <cstdint>
#include <string>

#include <tinman.hpp>

#include "test_support.hpp"

using namespace tinman;

namespace {
const ChannelMetadata imu_metadata{{"units", "m/s^2"}, {"frame_id", "imu_link"}};
}

TEST_CASE("ChannelOptions: metadata is stored at creation and read by every reader") {
    test::TempDir dir;
    {
        ObLogWriter log{dir.path()};
        auto w = log.get_writer("imu", NdArrayCodec<double>{},
                                {.metadata = {{"units", "m/s^2"}, {"frame_id", "imu_link"}}});
        w(std::int64_t{1}, std::vector<double>{1, 2, 3});
        auto plain = log.get_writer("plain", BytesCodec{});
        plain(std::string_view("x"));
    }
    ObLogReader reader{dir.path()};
    CHECK(reader.metadata("imu") == imu_metadata);
    CHECK(reader.metadata("imu").at("frame_id") == "imu_link");
    CHECK(reader.read_channel<NdArrayCodec<double>>("imu").metadata() == imu_metadata);
    CHECK(reader.read_channel<NdArrayCodec<double>>("imu", TimeRange{0, 10}).metadata() == imu_metadata);
    CHECK(reader.indexed_channel<AnyArrayCodec>("imu").metadata() == imu_metadata);
    CHECK(reader.info("imu").metadata == imu_metadata);
    CHECK(reader.metadata("plain").empty());
    // The records are where they always were: after the header, which grew to hold the block.
    auto imu = reader.indexed_channel<NdArrayCodec<double>>("imu");
    REQUIRE(imu.size() == 1);
    CHECK(imu[0].value(2) == 3.0);
}

TEST_CASE("ChannelOptions: appending keeps the stored metadata and refuses other metadata") {
    test::TempDir dir;
    {
        ObLogWriter log{dir.path()};
        auto w = log.get_writer("imu", BytesCodec{}, {.metadata = imu_metadata});
        w(std::int64_t{1}, std::string_view("a"));
    }
    ObLogWriter log{dir.path()};
    SUBCASE("none given: kept") {
        auto w = log.get_writer("imu", BytesCodec{}, OpenMode::append);
        w(std::int64_t{2}, std::string_view("b"));
    }
    SUBCASE("the same: accepted") {
        auto w = log.get_writer("imu", BytesCodec{}, {.mode = OpenMode::append, .metadata = imu_metadata});
        w(std::int64_t{2}, std::string_view("b"));
    }
    SUBCASE("other metadata: refused, naming both") {
        const ChannelMetadata other{{"units", "g"}, {"frame_id", "imu_link"}};
        CHECK_THROWS_WITH_AS(
            (void)log.get_writer("imu", BytesCodec{}, {.mode = OpenMode::append, .metadata = other}),
            doctest::Contains("stores metadata {units=m/s^2, frame_id=imu_link}, cannot append with metadata "
                              "{units=g, frame_id=imu_link}"),
            channel_error);
        const ChannelMetadata reordered{{"frame_id", "imu_link"}, {"units", "m/s^2"}};
        CHECK_THROWS_AS((void)log.get_writer("imu", BytesCodec{}, {.mode = OpenMode::append, .metadata = reordered}),
                        channel_error);
    }
    SUBCASE("truncate: replaced") {
        (void)log.get_writer("imu", BytesCodec{}, {.mode = OpenMode::truncate, .metadata = {{"units", "g"}}});
        log.close();
        CHECK(ObLogReader{dir.path()}.metadata("imu") == ChannelMetadata{{"units", "g"}});
        return;
    }
    log.close();
    ObLogReader reader{dir.path()};
    CHECK(reader.metadata("imu") == imu_metadata);
    CHECK(reader.info("imu").records >= 1);
}

TEST_CASE("ChannelOptions: appending creates a missing channel with the metadata given") {
    test::TempDir dir;
    {
        ObLogWriter log{dir.path()};
        auto w = log.get_writer("imu", BytesCodec{}, {.mode = OpenMode::append, .metadata = imu_metadata});
        w(std::int64_t{1}, std::string_view("a"));
    }
    CHECK(ObLogReader{dir.path()}.metadata("imu") == imu_metadata);
}

TEST_CASE("ChannelOptions: corrupt metadata is a format_error naming the channel") {
    test::TempDir dir;
    {
        ObLogWriter log{dir.path()};
        (void)log.get_writer("imu", BytesCodec{}, {.metadata = imu_metadata});
    }
    const auto file = dir.path() / "imu.tinman";
    auto bytes = test::read_file(file);
    bytes[64 + 6 + 3] ^= std::byte{0x20};  // inside the block, after the "bytes\n" descriptor
    test::write_file(file, bytes);
    ObLogReader reader{dir.path()};
    CHECK_THROWS_WITH_AS((void)reader.read_channel<BytesCodec>("imu"),
                         doctest::Contains("channel 'imu'"), format_error);
    CHECK_THROWS_WITH_AS((void)reader.metadata("imu"), doctest::Contains("channel metadata checksum mismatch"),
                         format_error);
    const auto infos = reader.channel_infos();
    REQUIRE(infos.size() == 1);
    CHECK(infos[0].error.find("metadata checksum") != std::string::npos);
}

TEST_CASE("ChannelOptions: a version 1 file without metadata reads as before") {
    // The header of a file written before metadata existed, laid out by hand.
    test::TempDir dir;
    const std::string desc = "bytes\n";
    std::vector<std::byte> h(128);
    const unsigned char magic[] = {0x89, 'T', 'I', 'N', 'M', 'A', 'N', '\n'};
    for (std::size_t i = 0; i < 8; ++i) h[i] = std::byte{magic[i]};
    h[8] = std::byte{1};     // version 1
    h[12] = std::byte{128};  // records offset
    h[16] = std::byte{6};    // codec size
    std::memcpy(&h[64], desc.data(), desc.size());
    const std::uint32_t crc = crc32c(std::span(h).first(64 + desc.size()));
    for (int i = 0; i < 4; ++i) h[20 + i] = std::byte(static_cast<unsigned char>(crc >> (8 * i)));
    test::write_file(dir.path() / "old.tinman", h);
    {
        RecordWriter w(dir.path(), "old", {"bytes", {}}, OpenMode::append);
        w.append(5, Payload{{}, test::as_bytes("hello"), 8});
    }
    ObLogReader reader{dir.path()};
    CHECK(reader.metadata("old").empty());
    auto records = reader.indexed_channel<BytesCodec>("old");
    REQUIRE(records.size() == 1);
    CHECK(records[0].value.str() == "hello");
}
