// Writing Python tinman `.blog` files, byte for byte as Python does.
#include <doctest/doctest.h>

#include <filesystem>
#include <ranges>
#include <vector>

#include <tinman/python/blog_reader.hpp>
#include <tinman/python/blog_writer.hpp>

#include "test_support.hpp"

using namespace tinman;
using namespace tinman::python;

TEST_CASE("python blog: the writer produces byte-exact files that read back") {
    test::TempDir dir;
    const test::BlogSample f{numpy_codec_pickle};
    {
        BlogWriter w{dir.path(), "imu", OpenMode::create, 1000};
        for (std::size_t i = 0; i < f.values.size(); ++i) {
            xt::xarray<double> a = xt::adapt(f.values[i], shape_type(f.shapes[i].begin(), f.shapes[i].end()));
            w.write(static_cast<std::int64_t>(2000 + i), a);
        }
        CHECK(w.records_written() == 5);
        w.close();
    }
    CHECK(test::read_file(dir / "imu.blog") == f.bytes);

    SUBCASE("create refuses an existing channel, truncate replaces it") {
        CHECK_THROWS_AS(BlogWriter(dir.path(), "imu"), channel_error);
        CHECK_THROWS_AS(BlogWriter(dir.path(), "imu", OpenMode::append), usage_error);
        BlogReader reader{dir.path()};
        auto old = reader.read_channel<double>("imu");  // maps the file about to be replaced
        BlogWriter w{dir.path(), "imu", OpenMode::truncate, 5};
        w.write(6, 2.5);  // a 0-d array
        w.close();
        std::vector<std::byte> want;
        test::put_blog_record(want, 5, numpy_codec_pickle);
        const double v = 2.5;
        test::put_blog_record(want, 6, test::ndarray_payload("<f8", {}, std::as_bytes(std::span{&v, 1})));
        CHECK(test::read_file(dir / "imu.blog") == want);
        CHECK(std::ranges::distance(old) == 5);  // the replaced file stays intact for its reader
        CHECK(old.status().clean());
        CHECK(std::distance(std::filesystem::directory_iterator(dir.path()), {}) == 1);  // no temporary left
    }
    SUBCASE("AnyArray, big-endian, empty, large (unbuffered) arrays and column-major input round-trip") {
        BlogWriter w{dir.path(), "mixed", OpenMode::create, 1};
        const unsigned char be[] = {0, 0, 0, 1, 0, 0, 1, 0};
        w.write(2, AnyArray(">i4", {2}, std::as_bytes(std::span{be})));
        w.write(3, xt::xarray<float>::from_shape({0, 3}));
        xt::xarray<std::uint16_t> big = xt::arange<std::uint16_t>(0, 50000);
        w.write(4, big);
        xt::xarray<int, xt::layout_type::column_major> cm = {{1, 2, 3}, {4, 5, 6}};
        w.write(5, cm);
        w.close();
        BlogReader reader{dir.path()};
        auto ch = reader.read_channel("mixed");
        auto it = ch.begin();
        CHECK((*it).value.copy_as<std::int32_t>() == xt::xarray<std::int32_t>{1, 256});
        ++it;
        CHECK((*it).value.shape() == shape_type{0, 3});
        ++it;
        CHECK((*it).value.copy_as<std::uint16_t>() == big);
        ++it;
        CHECK((*it).value.copy_as<int>() == xt::xarray<int>{{1, 2, 3}, {4, 5, 6}});
        ++it;
        CHECK(it == ch.end());
        CHECK(ch.status().clean());
    }
    SUBCASE("negative timestamps cannot be stored") {
        BlogWriter w{dir.path(), "neg", OpenMode::create, 0};
        CHECK_THROWS_AS(w.write(-1, 1.0), error);
    }
}

TEST_CASE("python blog: a full disk never leaves bytes that later records follow") {
    test::TempDir dir;
    const auto read_all = [&] {
        std::vector<double> out;
        BlogReader reader{dir.path()};
        auto ch = reader.read_channel<double>("full");
        for (auto&& [t, a] : ch) out.push_back(a.visit([](const auto& v) { return static_cast<double>(v()); }));
        return out;
    };
    SUBCASE("buffered records: a retried flush writes only what did not land") {
        BlogWriter w{dir.path(), "full", OpenMode::create, 0};
        {
            test::FileSizeLimit limit(1000);  // lands part way into a record
            for (int i = 0; i < 40; ++i) w.write(i, static_cast<double>(i));
            CHECK_THROWS_AS(w.flush(), io_error);
        }
        w.close();
        std::vector<double> want(40);
        for (int i = 0; i < 40; ++i) want[static_cast<std::size_t>(i)] = i;
        CHECK(read_all() == want);
    }
    SUBCASE("a large record that failed part way ends the channel") {
        BlogWriter w{dir.path(), "full", OpenMode::create, 0};
        for (int i = 0; i < 3; ++i) w.write(i, static_cast<double>(i));
        w.flush();
        {
            test::FileSizeLimit limit(40000);
            CHECK_THROWS_AS(w.write(3, xt::xarray<double>(xt::ones<double>({20000}))), io_error);
        }
        // Space is back, but what follows the bytes that landed would be read as their record.
        CHECK_THROWS_AS(w.write(4, 4.0), io_error);
        w.close();
        CHECK(read_all() == std::vector<double>{0, 1, 2});
        BlogReader reader{dir.path()};
        auto ch = reader.read_channel<double>("full");
        CHECK(std::ranges::distance(ch) == 3);
        CHECK(ch.status().stop == ScanStop::torn);
    }
}
