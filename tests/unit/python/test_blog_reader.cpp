// Reading Python tinman log directories: views where aligned, copies elsewhere, and clear errors.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

#include <tinman/python/blog_reader.hpp>

#include "test_support.hpp"

using namespace tinman;
using namespace tinman::python;
using namespace std::string_literals;

TEST_CASE("python blog: reading hand-built files, views where aligned, copies elsewhere") {
    test::TempDir dir;
    const test::BlogSample f{numpy_codec_pickle};
    test::write_file(dir / "imu.blog", f.bytes);
    BlogReader reader{dir.path()};
    CHECK(reader.channel_names() == std::vector<std::string>{"imu"});
    CHECK(reader.codec("imu").is_numpy_codec());

    SUBCASE("typed: the value says whether it is a view") {
        std::size_t i = 0, views = 0;
        auto channel = reader.read_channel<double>("imu");
        for (auto it = channel.begin(); it != channel.end(); ++it, ++i) {
            auto [t, a] = *it;
            CHECK(t == static_cast<std::int64_t>(2000 + i));
            CHECK(it.record().index == i + 1);  // data records count from 1, as in Python
            const std::uint64_t data_offset = it.record().offset + 16 + 8 + 3 + 8 * f.shapes[i].size();
            CHECK(a.is_view() == (data_offset % 8 == 0));
            views += a.is_view();
            const auto flat = a.visit([](const auto& arr) { return std::vector<double>(arr.begin(), arr.end()); });
            CHECK(flat == f.values[i]);
            CHECK(a.shape() == shape_type(f.shapes[i].begin(), f.shapes[i].end()));
            if (a.is_view()) {
                CHECK(channel.segment()->contains(a.view().data()));
                CHECK_THROWS_AS((void)a.copy(), error);
            } else {
                CHECK_THROWS_AS((void)a.view(), error);
            }
        }
        CHECK(i == 5);
        CHECK(channel.status().clean());
        CHECK(channel.status().records == 6);  // the codec record counts
        CHECK(views == 1);
    }
    SUBCASE("zero-copy only: a misaligned record is a clear error naming record and offset") {
        auto channel = reader.read_channel<double>("imu", {CopyPolicy::zero_copy_only});
        bool raised = false;
        for (auto it = channel.begin(); it != channel.end(); ++it) {
            try {
                auto [t, a] = *it;
                CHECK(a.is_view());
            } catch (const format_error& e) {
                raised = true;
                const std::string what = e.what();
                CHECK(what.find("record " + std::to_string(it.record().index)) != std::string::npos);
                CHECK(what.find("offset " + std::to_string(it.record().offset)) != std::string::npos);
                CHECK(what.find("channel 'imu'") != std::string::npos);
                CHECK(what.find("not aligned to 8 bytes") != std::string::npos);
            }
        }
        CHECK(raised);
    }
    SUBCASE("untyped: AnyArray always points into the mapping") {
        std::size_t i = 0;
        auto channel = reader.read_channel("imu");
        for (auto&& [t, a] : channel) {
            CHECK(a.dtype() == "<f8");
            CHECK(channel.segment()->contains(a.bytes().data()));
            const xt::xarray<double> c = a.copy_as<double>();
            CHECK(std::vector<double>(c.begin(), c.end()) == f.values[i++]);
        }
    }
    SUBCASE("a wrong element type is a codec_mismatch naming both dtypes") {
        auto channel = reader.read_channel<float>("imu");
        auto it = channel.begin();
        CHECK_THROWS_WITH_AS((void)*it, doctest::Contains("stored dtype '<f8', requested '<f4'"), codec_mismatch);
    }
}

TEST_CASE("python blog: big-endian arrays are copied, or refused in zero-copy-only mode") {
    test::TempDir dir;
    std::vector<std::byte> file;
    test::put_blog_record(file, 1, numpy_codec_pickle);
    const unsigned char be[] = {0, 0, 0, 1, 0, 0, 1, 0};  // >i4: 1, 256
    test::put_blog_record(file, 2, test::ndarray_payload(">i4", {2}, std::as_bytes(std::span{be})));
    test::write_file(dir / "be.blog", file);
    BlogReader reader{dir.path()};
    for (auto&& [t, a] : reader.read_channel<std::int32_t>("be")) {
        CHECK_FALSE(a.is_view());
        CHECK(a.copy() == xt::xarray<std::int32_t>{1, 256});
    }
    auto strict = reader.read_channel<std::int32_t>("be", {CopyPolicy::zero_copy_only});
    CHECK_THROWS_WITH_AS((void)*strict.begin(), doctest::Contains("non-native byte order"), codec_mismatch);
    auto any = reader.read_channel("be", {CopyPolicy::zero_copy_only});
    CHECK_THROWS_AS((void)*any.begin(), codec_mismatch);
}

TEST_CASE("python blog: unknown codecs, non-pickles, empty and missing files are clear errors") {
    test::TempDir dir;
    BlogReader reader{dir.path()};
    std::vector<std::byte> file;
    const std::string other = "\x80\x04\x95\x1d\0\0\0\0\0\0\0\x8c\x0btinman.test\x94\x8c\x0aJsonCodec\x94\x93\x94)\x81\x94."s;
    test::put_blog_record(file, 1, std::as_bytes(std::span{other.data(), other.size()}));
    test::write_file(dir / "json.blog", file);
    CHECK_THROWS_WITH_AS((void)reader.read_channel("json"), doctest::Contains("stores Python codec tinman.test.JsonCodec"),
                         codec_mismatch);
    file.clear();
    test::put_blog_record(file, 1, std::as_bytes(std::span{"hello", 5}));
    test::write_file(dir / "junk.blog", file);
    CHECK_THROWS_WITH_AS((void)reader.read_channel("junk"), doctest::Contains("not a pickled codec"), format_error);
    test::write_file(dir / "empty.blog", {});
    CHECK_THROWS_WITH_AS((void)reader.read_channel("empty"), doctest::Contains("empty file"), format_error);
    CHECK_THROWS_AS((void)reader.read_channel("missing"), channel_error);
    CHECK_THROWS_AS((void)reader.read_channel("../escape"), channel_error);
    CHECK_THROWS_AS(BlogReader{dir / "nope"}, channel_error);
}
