#include <doctest/doctest.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <ranges>
#include <stdexcept>
#include <string>
#include <type_traits>

#include <tinman/error.hpp>

#include <tinman.hpp>

#include "test_support.hpp"

using namespace tinman;
using test::TempDir;

static_assert(std::is_base_of_v<std::runtime_error, error>);
static_assert(std::is_base_of_v<error, io_error>);
static_assert(std::is_base_of_v<error, format_error>);
static_assert(std::is_base_of_v<error, codec_mismatch>);
static_assert(std::is_base_of_v<error, channel_error>);
static_assert(std::is_base_of_v<error, usage_error>);
static_assert(std::is_base_of_v<channel_error, log_not_found>);
static_assert(std::is_base_of_v<channel_error, channel_not_found>);
// The kinds are distinct: catching one never catches another by accident.
static_assert(!std::is_base_of_v<format_error, codec_mismatch>);
static_assert(!std::is_base_of_v<codec_mismatch, format_error>);
static_assert(!std::is_base_of_v<channel_error, usage_error>);
static_assert(!std::is_base_of_v<log_not_found, channel_not_found>);
static_assert(!std::is_base_of_v<channel_not_found, log_not_found>);
// Copying an exception (as throwing and catching by value do) never throws.
static_assert(std::is_nothrow_copy_constructible_v<error>);
static_assert(std::is_nothrow_copy_constructible_v<io_error>);
static_assert(std::is_nothrow_copy_constructible_v<channel_not_found>);

TEST_CASE("ErrorContext::describe: each combination of channel, path, record and offset") {
    struct Row {
        bool channel, path, record, offset;
        const char* expected;
    };
    const Row rows[] = {
        {false, false, false, false, ""},
        {true, false, false, false, "channel 'imu'"},
        {false, true, false, false, "'logs/imu.tinman'"},
        {true, true, false, false, "channel 'imu' ('logs/imu.tinman')"},
        {false, false, true, false, "record 3"},
        {true, false, true, false, "channel 'imu', record 3"},
        {false, true, true, false, "'logs/imu.tinman', record 3"},
        {true, true, true, false, "channel 'imu' ('logs/imu.tinman'), record 3"},
        {false, false, false, true, "offset 4160"},
        {true, false, false, true, "channel 'imu', offset 4160"},
        {false, true, false, true, "'logs/imu.tinman', offset 4160"},
        {true, true, false, true, "channel 'imu' ('logs/imu.tinman'), offset 4160"},
        {false, false, true, true, "record 3 at offset 4160"},
        {true, false, true, true, "channel 'imu', record 3 at offset 4160"},
        {false, true, true, true, "'logs/imu.tinman', record 3 at offset 4160"},
        {true, true, true, true, "channel 'imu' ('logs/imu.tinman'), record 3 at offset 4160"},
    };
    for (const auto& row : rows) {
        ErrorContext c;
        if (row.channel) c.channel = "imu";
        if (row.path) c.path = "logs/imu.tinman";
        if (row.record) c.record = 3;
        if (row.offset) c.offset = 4160;
        CAPTURE(row.expected);
        CHECK(c.describe() == row.expected);
    }
    SUBCASE("record 0 and offset 0 are set fields, not absent ones") {
        CHECK(ErrorContext{.record = 0, .offset = 0}.describe() == "record 0 at offset 0");
    }
}

TEST_CASE("error: what() is the context, a colon, then the reason") {
    SUBCASE("without a context, what() is the reason") {
        const error e("something broke");
        CHECK(std::string(e.what()) == "something broke");
        CHECK(e.reason() == "something broke");
        CHECK(e.context().describe().empty());
    }
    SUBCASE("with a context, the fields come first and stay readable as fields") {
        const format_error e({.channel = "imu", .record = 7, .offset = 512}, "payload checksum mismatch");
        CHECK(std::string(e.what()) == "channel 'imu', record 7 at offset 512: payload checksum mismatch");
        CHECK(e.reason() == "payload checksum mismatch");
        CHECK(e.context().channel == "imu");
        CHECK(e.context().record == 7u);
        CHECK(e.context().offset == 512u);
        CHECK(e.context().path.empty());
    }
    SUBCASE("a copy has the same message, context and reason") {
        const channel_error original({.path = "logs"}, "no log directory");
        const channel_error copy = original;
        CHECK(std::string(copy.what()) == "'logs': no log directory");
        CHECK(copy.context().path == "logs");
        CHECK(copy.reason() == "no log directory");
    }
    SUBCASE("io_error appends the system's message for its errno and keeps the code") {
        const io_error e({.path = "logs/imu.tinman"}, "cannot open", ENOENT);
        CHECK(e.code() == ENOENT);
        CHECK(e.reason() == std::string("cannot open: ") + std::strerror(ENOENT));
        CHECK(std::string(e.what()) == "'logs/imu.tinman': cannot open: " + std::string(std::strerror(ENOENT)));
        const io_error bare("cannot sync", EIO);
        CHECK(std::string(bare.what()) == std::string("cannot sync: ") + std::strerror(EIO));
    }
    SUBCASE("every kind is caught as tinman::error and as std::runtime_error") {
        CHECK_THROWS_AS(throw log_not_found({.path = "x"}, "no log directory"), channel_error);
        CHECK_THROWS_AS(throw channel_not_found({.channel = "c"}, "no such channel"), channel_error);
        CHECK_THROWS_AS(throw usage_error("closed"), error);
        CHECK_THROWS_AS(throw codec_mismatch("stored codec bytes"), std::runtime_error);
    }
}

TEST_CASE("with_context: format and codec errors are rethrown as the same kind with the new context") {
    const ErrorContext where{.channel = "imu", .path = "logs/imu.tinman", .record = 2, .offset = 320};
    SUBCASE("format_error: the caller's context replaces the decoder's, the prefix goes before the reason") {
        try {
            (void)with_context(where,
                               "cannot decode: ", []() -> int { throw format_error({.offset = 1}, "too short"); });
            FAIL("nothing thrown");
        } catch (const codec_mismatch&) {
            FAIL("a format_error came back as a codec_mismatch");
        } catch (const format_error& e) {
            CHECK(e.reason() == "cannot decode: too short");
            CHECK(e.context().channel == "imu");
            CHECK(e.context().path == "logs/imu.tinman");
            CHECK(e.context().record == 2u);
            CHECK(e.context().offset == 320u);
            CHECK(std::string(e.what()) ==
                  "channel 'imu' ('logs/imu.tinman'), record 2 at offset 320: cannot decode: too short");
        }
    }
    SUBCASE("codec_mismatch stays a codec_mismatch") {
        try {
            (void)with_context(where, "", []() -> int { throw codec_mismatch("stored dtype '<f4', requested '<f8'"); });
            FAIL("nothing thrown");
        } catch (const format_error&) {
            FAIL("a codec_mismatch came back as a format_error");
        } catch (const codec_mismatch& e) {
            CHECK(e.reason() == "stored dtype '<f4', requested '<f8'");
            CHECK(e.context().record == 2u);
        }
    }
    SUBCASE("other errors pass through untouched") {
        CHECK_THROWS_WITH_AS((void)with_context(where, "x: ", []() -> int { throw usage_error("closed"); }), "closed",
                             usage_error);
        CHECK_THROWS_WITH_AS((void)with_context(where, "x: ", []() -> int { throw channel_error("busy"); }), "busy",
                             channel_error);
        CHECK_THROWS_WITH_AS((void)with_context(where, "x: ", []() -> int { throw std::logic_error("bug"); }), "bug",
                             std::logic_error);
    }
    SUBCASE("the result passes through, references included") {
        CHECK(with_context(where, "", [] { return 42; }) == 42);
        int x = 1;
        int& r = with_context(where, "", [&]() -> int& { return x; });
        CHECK(&r == &x);
    }
}

TEST_CASE("reader errors: channel, path, record and offset are fields of the error") {
    TempDir dir;
    {
        ObLogWriter log{dir.path()};
        auto imu = log.get_writer("imu", NdArrayCodec<double>{});
        imu(xt::xarray<double>{1.0, 2.0});
        auto mixed = log.get_writer("mixed", AnyArrayCodec{});
        mixed(10, xt::xarray<double>{1.0});
        mixed(20, xt::xarray<float>{2.0f});
    }
    {
        RecordWriter w(dir.path(), "hostile", CodecDescriptor{"ndarray", {}});
        w.append(1, {{}, test::ndarray_payload("<f8", {1}, 8), 8});
        w.append(2, {{}, test::ndarray_payload("<f8", {3}, 8), 8});  // claims 24 bytes of data, holds 8
    }
    ObLogReader reader{dir.path()};

    SUBCASE("a missing log directory: log_not_found with the path") {
        try {
            ObLogReader missing{dir / "nope"};
            FAIL("nothing thrown");
        } catch (const log_not_found& e) {
            CHECK(e.context().path == dir / "nope");
            CHECK(e.context().channel.empty());
        }
    }
    SUBCASE("a missing channel: channel_not_found with the name and the directory") {
        try {
            (void)reader.read_channel<NdArrayCodec<double>>("gps");
            FAIL("nothing thrown");
        } catch (const channel_not_found& e) {
            CHECK(e.context().channel == "gps");
            CHECK(e.context().path == dir.path());
            CHECK_FALSE(e.context().record);
            CHECK(std::string(e.what()).starts_with(e.context().describe() + ": "));
        }
        CHECK_THROWS_AS((void)reader.info("gps"), channel_not_found);
        CHECK_THROWS_AS((void)reader.indexed_channel<BytesCodec>("gps"), channel_not_found);
    }
    SUBCASE("another dtype: codec_mismatch with channel and file, no record") {
        try {
            (void)reader.read_channel<NdArrayCodec<float>>("imu");
            FAIL("nothing thrown");
        } catch (const codec_mismatch& e) {
            CHECK(e.context().channel == "imu");
            CHECK(e.context().path == dir / "imu.tinman");
            CHECK_FALSE(e.context().record);
            CHECK(e.reason() == "stored dtype '<f8', requested '<f4'");
        }
    }
    SUBCASE("a record of another dtype: codec_mismatch with its record number and offset") {
        auto channel = reader.read_channel<NdArrayCodec<double>>("mixed");
        auto it = channel.begin();
        ++it;
        const auto record = it.record();
        try {
            (void)*it;
            FAIL("nothing thrown");
        } catch (const codec_mismatch& e) {
            CHECK(e.context().channel == "mixed");
            CHECK(e.context().record == 1u);
            CHECK(e.context().offset == record.offset);
            CHECK(e.reason().find("stored dtype '<f4', requested '<f8'") != std::string::npos);
        }
    }
    SUBCASE("a record that does not decode: format_error with its record number and offset") {
        auto channel = reader.read_channel<AnyArrayCodec>("hostile");
        auto it = channel.begin();
        CHECK((*it).value.size() == 1);
        ++it;
        const auto record = it.record();
        CHECK(record.offset > 0);
        try {
            (void)*it;
            FAIL("nothing thrown");
        } catch (const format_error& e) {
            CHECK(e.context().channel == "hostile");
            CHECK(e.context().path == dir / "hostile.tinman");
            CHECK(e.context().record == 1u);
            CHECK(e.context().offset == record.offset);
            CHECK(e.reason().find("array data is 8 bytes") != std::string::npos);
        }
        // Random access names the record too.
        const auto indexed = reader.indexed_channel<AnyArrayCodec>("hostile");
        try {
            (void)indexed[1];
            FAIL("nothing thrown");
        } catch (const format_error& e) {
            CHECK(e.context().channel == "hostile");
            CHECK(e.context().record == 1u);
        }
    }
    SUBCASE("a torn tail in a strict read: format_error with the channel and the file") {
        const auto file = dir / "imu.tinman";
        std::filesystem::resize_file(file, std::filesystem::file_size(file) - 3);
        auto strict = reader.read_channel<NdArrayCodec<double>>("imu", {}, ReadOptions::strict_mode());
        try {
            (void)std::ranges::distance(strict);
            FAIL("nothing thrown");
        } catch (const format_error& e) {
            CHECK(e.context().channel == "imu");
            CHECK(e.context().path == file);
        }
    }
}
