#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include <tinman.hpp>

#include "test_support.hpp"

using namespace tinman;

namespace {
const std::string urdf = "<robot name=\"arm\"><link name=\"base\"/></robot>\n";
}

TEST_CASE("attachments: round trip, listing, zero-copy") {
    test::TempDir dir;
    std::vector<std::byte> calibration(100000);
    for (std::size_t i = 0; i < calibration.size(); ++i) calibration[i] = std::byte(i * 7 % 251);
    {
        ObLogWriter log{dir.path()};
        auto w = log.get_writer("imu", BytesCodec{});
        w(std::string_view("x"));
        log.attach("robot.urdf", urdf);
        log.attach("camera_calibration", calibration);
        log.attach("empty", std::string_view{});
        CHECK_THROWS_WITH_AS(log.attach("empty", "again"), doctest::Contains("already exists"), channel_error);
        log.attach("empty", "replaced", true);
    }
    CHECK(std::filesystem::is_regular_file(dir.path() / "robot.urdf.tinman-attachment"));
    ObLogReader reader{dir.path()};
    // Attachments are not channels, and channels are not attachments.
    CHECK(reader.channel_names() == std::vector<std::string>{"imu"});
    CHECK(reader.attachment_names() == std::vector<std::string>{"camera_calibration", "empty", "robot.urdf"});
    CHECK_FALSE(reader.has_channel("robot.urdf"));
    const auto robot = reader.attachment("robot.urdf");
    CHECK(robot.str() == urdf);
    CHECK(robot.name == "robot.urdf");
    const auto file = robot.owner->bytes();
    CHECK(robot.bytes.data() == file.data() + format::attachment_header_size);
    const auto calib = reader.attachment("camera_calibration");
    CHECK(std::equal(calib.bytes.begin(), calib.bytes.end(), calibration.begin(), calibration.end()));
    CHECK(reinterpret_cast<std::uintptr_t>(calib.bytes.data()) % 64 == 0);
    CHECK(reader.attachment("empty").str() == "replaced");
    const auto list = reader.attachments();
    REQUIRE(list.size() == 3);
    CHECK(list[0].name == "camera_calibration");
    CHECK(list[0].size == calibration.size());
    CHECK(list[0].intact);
    CHECK(list[2].size == urdf.size());
    CHECK_THROWS_AS((void)reader.attachment("missing"), channel_not_found);
    // No temporary file is left.
    std::size_t files = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir.path())) files += e.path().filename().string()[0] == '.';
    CHECK(files == 0);
}

TEST_CASE("attachments: names are checked like channel names") {
    test::TempDir dir;
    ObLogWriter log{dir.path()};
    for (const std::string& bad : std::vector<std::string>{"", "../escape", "a/b", ".hidden", std::string("nul\0", 4), "ctl\x01"}) {
        CAPTURE(bad);
        CHECK_THROWS_WITH_AS(log.attach(bad, "x"), doctest::Contains("invalid attachment name"), channel_error);
    }
    CHECK_THROWS_AS((void)ObLogReader{dir.path()}.attachment("../x"), channel_error);
    CHECK(ObLogReader{dir.path()}.attachment_names().empty());
}

TEST_CASE("attachments: damage is found and named") {
    test::TempDir dir;
    {
        ObLogWriter log{dir.path()};
        log.attach("robot.urdf", urdf);
        log.attach("other", "fine");
    }
    const auto path = dir.path() / "robot.urdf.tinman-attachment";
    const auto good = test::read_file(path);
    ObLogReader reader{dir.path()};
    SUBCASE("a flipped data byte") {
        auto bad = good;
        bad[format::attachment_header_size + 5] ^= std::byte{1};
        test::write_file(path, bad);
        CHECK_THROWS_WITH_AS((void)reader.attachment("robot.urdf"),
                             doctest::Contains("attachment 'robot.urdf': data checksum mismatch"), format_error);
    }
    SUBCASE("a flipped header byte") {
        for (std::size_t i = 0; i < format::attachment_header_size; ++i) {
            auto bad = good;
            bad[i] ^= std::byte{0x10};
            test::write_file(path, bad);
            CAPTURE(i);
            CHECK_THROWS_WITH_AS((void)reader.attachment("robot.urdf"), doctest::Contains("attachment 'robot.urdf'"),
                                 format_error);
        }
    }
    SUBCASE("cut short, or grown") {
        for (std::size_t n : {std::size_t{0}, std::size_t{10}, std::size_t{64}, good.size() - 1}) {
            test::write_file(path, std::span(good).first(n));
            CAPTURE(n);
            CHECK_THROWS_AS((void)reader.attachment("robot.urdf"), format_error);
        }
        auto longer = good;
        longer.push_back(std::byte{0});
        test::write_file(path, longer);
        CHECK_THROWS_WITH_AS((void)reader.attachment("robot.urdf"), doctest::Contains("is in a file of"), format_error);
    }
    const auto list = reader.attachments();
    REQUIRE(list.size() == 2);
    CHECK(list[0].name == "other");
    CHECK(list[0].intact);
    CHECK_FALSE(list[1].intact);
    CHECK_FALSE(list[1].error.empty());
    CHECK(reader.attachment("other").str() == "fine");
}
