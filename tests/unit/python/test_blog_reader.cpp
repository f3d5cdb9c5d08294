// Python tinman .blog interop: framing, codec pickle, reading (view or copy), writing.
#include <doctest/doctest.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <tinman/python/blog.hpp>

#include "test_support.hpp"

using namespace tinman;
using namespace tinman::python;
using namespace std::string_literals;

namespace {

void put_u32(std::vector<std::byte>& out, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::byte>(v >> (8 * i)));
}
void put_u64(std::vector<std::byte>& out, std::uint64_t v) {
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::byte>(v >> (8 * i)));
}
void put_bytes(std::vector<std::byte>& out, const void* p, std::size_t n) {
    const auto* b = static_cast<const std::byte*>(p);
    out.insert(out.end(), b, b + n);
}

/// A NumpyArrayCodec payload built from the documented layout, independently of the library.
std::vector<std::byte> payload(std::string_view dtype, std::vector<std::uint64_t> shape, const void* data,
                               std::size_t nbytes) {
    std::vector<std::byte> p;
    put_u32(p, static_cast<std::uint32_t>(dtype.size()));
    put_bytes(p, dtype.data(), dtype.size());
    put_u32(p, static_cast<std::uint32_t>(shape.size()));
    for (auto d : shape) put_u64(p, d);
    put_bytes(p, data, nbytes);
    return p;
}

/// Appends one `<QQ` record.
void record(std::vector<std::byte>& file, std::uint64_t ts, std::span<const std::byte> data) {
    put_u64(file, ts);
    put_u64(file, data.size());
    file.insert(file.end(), data.begin(), data.end());
}

std::span<const std::byte> pickle_bytes() { return numpy_codec_pickle; }

std::string as_string(std::span<const std::byte> b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

/// A channel of five float64 records whose data lands at file offsets 4, 7, 2, 5
/// and 0 modulo 8 (each record adds 27 bytes modulo 8): only the last is aligned.
struct SampleFile {
    std::vector<std::byte> bytes;
    std::vector<std::vector<double>> values{{1.5, -2.0, 3.25}, {4.0}, {5.0, 6.0, 7.0, 8.0, 9.0, 10.0}, {11, 12}, {13}};
    std::vector<std::vector<std::uint64_t>> shapes{{3}, {1, 1}, {2, 3}, {2}, {}};

    SampleFile() {
        record(bytes, 1000, pickle_bytes());
        for (std::size_t i = 0; i < values.size(); ++i)
            record(bytes, 2000 + i, payload("<f8", shapes[i], values[i].data(), values[i].size() * 8));
    }
};

}  // namespace

TEST_CASE("python blog: the NumpyArrayCodec pickle is the documented 57 bytes") {
    CHECK(numpy_codec_pickle.size() == 57);
    const std::string s = as_string(pickle_bytes());
    CHECK(s.substr(0, 2) == std::string("\x80\x04", 2));                       // PROTO 4
    CHECK(s.substr(2, 9) == std::string("\x95\x2e\0\0\0\0\0\0\0", 9));         // FRAME 46
    CHECK(s.substr(11, 21) == std::string("\x8c\x13tinman.codecs.numpy", 21));  // SHORT_BINUNICODE
    CHECK(s.substr(33, 17) == std::string("\x8c\x0fNumpyArrayCodec", 17));
    CHECK(s.substr(51) == std::string("\x93\x94)\x81\x94.", 6));  // STACK_GLOBAL MEMOIZE EMPTY_TUPLE NEWOBJ MEMOIZE STOP
    const auto cls = pickled_class(pickle_bytes());
    CHECK(cls.is_numpy_codec());
    CHECK(cls.qualified() == "tinman.codecs.numpy.NumpyArrayCodec");

    SUBCASE("other codecs are named, protocol 2 GLOBAL included") {
        const std::string other = "\x80\x02\x63mypkg.codecs\nPickleCodec\n)\x81.";
        const auto c = pickled_class(std::as_bytes(std::span{other.data(), other.size()}));
        CHECK(c.module == "mypkg.codecs");
        CHECK(c.name == "PickleCodec");
        CHECK_FALSE(c.is_numpy_codec());
    }
    SUBCASE("anything else is a format_error, and every truncation of the pickle too") {
        const std::string junk = "\x80\x04K\x05.";
        CHECK_THROWS_AS((void)pickled_class(std::as_bytes(std::span{junk.data(), junk.size()})), format_error);
        for (std::size_t n = 0; n < 52; ++n)
            CHECK_THROWS_AS((void)pickled_class(pickle_bytes().first(n)), format_error);
    }
}

TEST_CASE("python blog: reading hand-built files, views where aligned, copies elsewhere") {
    test::TempDir dir;
    SampleFile f;
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
    record(file, 1, pickle_bytes());
    const unsigned char be[] = {0, 0, 0, 1, 0, 0, 1, 0};  // >i4: 1, 256
    record(file, 2, payload(">i4", {2}, be, sizeof be));
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

TEST_CASE("python blog: every truncation yields the complete records, then stops (strict: raises)") {
    test::TempDir dir;
    SampleFile f;
    std::vector<std::uint64_t> ends;  // file offset after each record
    for (std::uint64_t pos = 0; pos < f.bytes.size();) {
        std::uint64_t len = 0;
        std::memcpy(&len, f.bytes.data() + pos + 8, 8);
        pos += 16 + len;
        ends.push_back(pos);
    }
    for (std::size_t n = 1; n < f.bytes.size(); ++n) {
        test::write_file(dir / "t.blog", std::span(f.bytes).first(n));
        BlogReader reader{dir.path()};
        if (n < ends[0]) {
            CHECK_THROWS_WITH_AS((void)reader.read_channel("t"), doctest::Contains("no codec record"), format_error);
            continue;
        }
        const auto complete = static_cast<std::size_t>(std::count_if(ends.begin(), ends.end(), [&](auto e) { return e <= n; }));
        auto channel = reader.read_channel<double>("t");
        std::size_t got = 0;
        for (auto&& [t, a] : channel) {
            (void)t;
            (void)a;
            ++got;
        }
        CHECK(got == complete - 1);
        const bool at_boundary = std::find(ends.begin(), ends.end(), n) != ends.end();
        CHECK(channel.status().clean() == at_boundary);
        if (!at_boundary) {
            CHECK(channel.status().stop == ScanStop::torn);
            CHECK(channel.status().reason.find("truncated") != std::string::npos);
            auto strict = reader.read_channel<double>("t", {CopyPolicy::view_or_copy, true});
            CHECK_THROWS_AS((void)std::ranges::distance(strict), format_error);
        }
    }
}

TEST_CASE("python blog: unknown codecs, non-pickles, empty and missing files are clear errors") {
    test::TempDir dir;
    BlogReader reader{dir.path()};
    std::vector<std::byte> file;
    const std::string other = "\x80\x04\x95\x1d\0\0\0\0\0\0\0\x8c\x0btinman.test\x94\x8c\x0aJsonCodec\x94\x93\x94)\x81\x94."s;
    record(file, 1, std::as_bytes(std::span{other.data(), other.size()}));
    test::write_file(dir / "json.blog", file);
    CHECK_THROWS_WITH_AS((void)reader.read_channel("json"), doctest::Contains("stores Python codec tinman.test.JsonCodec"),
                         codec_mismatch);
    file.clear();
    record(file, 1, std::as_bytes(std::span{"hello", 5}));
    test::write_file(dir / "junk.blog", file);
    CHECK_THROWS_WITH_AS((void)reader.read_channel("junk"), doctest::Contains("not a pickled codec"), format_error);
    test::write_file(dir / "empty.blog", {});
    CHECK_THROWS_WITH_AS((void)reader.read_channel("empty"), doctest::Contains("empty file"), format_error);
    CHECK_THROWS_AS((void)reader.read_channel("missing"), channel_error);
    CHECK_THROWS_AS((void)reader.read_channel("../escape"), channel_error);
    CHECK_THROWS_AS(BlogReader{dir / "nope"}, channel_error);
}

TEST_CASE("python blog: the writer produces byte-exact files that read back") {
    test::TempDir dir;
    SampleFile f;
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
        record(want, 5, pickle_bytes());
        const double v = 2.5;
        record(want, 6, payload("<f8", {}, &v, 8));
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
