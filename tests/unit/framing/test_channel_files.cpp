#include <doctest/doctest.h>

#include <string>

#include <tinman/framing/channel_files.hpp>

TEST_CASE("channel names: valid names map to a file inside the log directory") {
    for (const char* good : {"imu", "camera.left", "a-b_c", "x1", "Sensor Data", "naïve"}) {
        CAPTURE(good);
        CHECK(tinman::channel_name_problem(good).empty());
        CHECK(tinman::channel_path("logs", good).parent_path() == "logs");
    }
    CHECK(tinman::channel_path("logs", "imu") == std::filesystem::path("logs/imu.tinman"));
}

TEST_CASE("channel names: names that could escape or confuse are refused") {
    using namespace std::string_literals;
    for (const std::string& bad : {""s, "."s, ".."s, "../x"s, "a/b"s, "/etc/passwd"s, "a\\b"s, ".hidden"s, "a..b"s,
                                   "a\0b"s, "tab\there"s, "del\x7f"s, std::string(201, 'x')}) {
        CAPTURE(bad);
        CHECK_FALSE(tinman::channel_name_problem(bad).empty());
        CHECK_THROWS_AS(tinman::validate_channel_name(bad), tinman::channel_error);
    }
    CHECK(tinman::channel_name_problem(std::string(200, 'x')).empty());
}
