// Which columns a channel's records become (docs/parquet.md, "Columns").
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include <tinman/parquet/channel_table.hpp>

using namespace tinman;
using namespace tinman::parquet;

namespace {
std::vector<std::string> names(const ChannelTable& t) {
    std::vector<std::string> out;
    for (const auto& c : t.columns()) out.push_back(c.name);
    return out;
}
ArraySurvey survey(std::string dtype, shape_type shape, bool uniform = true) {
    ArraySurvey s;
    s.records = 1;
    s.dtype = std::move(dtype);
    s.shape = std::move(shape);
    s.uniform = uniform;
    return s;
}
}  // namespace

TEST_CASE("parquet::ChannelTable: columns") {
    SUBCASE("a 0-d array is one column named after the channel") {
        const auto t = ChannelTable::arrays("speed", survey("<u4", {}));
        CHECK(names(t) == std::vector<std::string>{"timestamp", "speed"});
        CHECK(t.columns()[0].logical.kind == LogicalType::Kind::timestamp_ns_utc);
        CHECK(t.columns()[1].type == PhysicalType::int32);
        CHECK(t.columns()[1].logical.kind == LogicalType::Kind::integer);
        CHECK_FALSE(t.columns()[1].logical.is_signed);
    }
    SUBCASE("small arrays: one column per element, in C order") {
        const auto t = ChannelTable::arrays("m", survey(">f4", {2, 2}));
        CHECK(names(t) == std::vector<std::string>{"timestamp", "v_0_0", "v_0_1", "v_1_0", "v_1_1"});
        CHECK(t.per_element());
    }
    SUBCASE("complex numbers: real and imaginary parts") {
        const auto t = ChannelTable::arrays("z", survey("<c16", {1}));
        CHECK(names(t) == std::vector<std::string>{"timestamp", "v_0_re", "v_0_im"});
        CHECK(t.columns()[1].type == PhysicalType::double_);
    }
    SUBCASE("struct fields by name, subarray fields per element") {
        const auto t = ChannelTable::arrays(
            "imu", survey("|V24", {}),
            R"({"names":["ax","flags","q"],"formats":["<f8","(2,)|u1","<f4"],"offsets":[0,8,12],"itemsize":24})");
        CHECK(names(t) == std::vector<std::string>{"timestamp", "ax", "flags_0", "flags_1", "q"});
        CHECK_THROWS_AS((void)ChannelTable::arrays("imu", survey("|V16", {}),
                                                   R"({"names":["a"],"formats":["<f8"],"offsets":[0],"itemsize":24})"),
                        format_error);
    }
    SUBCASE("large, varying or unknown arrays keep their bytes, dtype and shape") {
        for (const auto& s : {survey("|u1", {480, 640, 3}), survey("<f8", {3}, false), ArraySurvey{}}) {
            const auto t = ChannelTable::arrays("frames", s);
            CHECK(names(t) == std::vector<std::string>{"timestamp", "data", "dtype", "shape"});
            CHECK_FALSE(t.per_element());
        }
    }
    SUBCASE("a column that would be called timestamp gets a trailing underscore") {
        CHECK(names(ChannelTable::arrays("timestamp", survey("<i8", {}))) ==
              std::vector<std::string>{"timestamp", "timestamp_"});
    }
    SUBCASE("payloads: a STRING column for text, BYTE_ARRAY otherwise") {
        const auto text = ChannelTable::payloads("text", true);
        CHECK(names(text) == std::vector<std::string>{"timestamp", "text"});
        CHECK(text.columns()[1].logical.kind == LogicalType::Kind::string);
        CHECK(ChannelTable::payloads("data", false).columns()[1].logical.kind == LogicalType::Kind::none);
    }
}

TEST_CASE("parquet::ChannelTable: rows") {
    std::vector<std::byte> file;
    const auto t0 = ChannelTable::arrays("v", survey("<i2", {2}));
    auto t = t0;
    Writer w(t.columns(), [&](std::span<const std::byte> b) { file.insert(file.end(), b.begin(), b.end()); });
    const std::int16_t values[2] = {-1, 7};
    t.add(w, 5, AnyArray("<i2", {2}, std::as_bytes(std::span{values})));
    CHECK(w.rows() == 1);
    SUBCASE("a record of another shape is refused") {
        const std::int16_t three[3] = {};
        CHECK_THROWS_AS(t.add(w, 6, AnyArray("<i2", {3}, std::as_bytes(std::span{three}))), codec_mismatch);
    }
    SUBCASE("a payload is not an array") {
        CHECK_THROWS_AS(t.add(w, 6, std::span<const std::byte>{}), usage_error);
    }
}

TEST_CASE("parquet::ChannelTable: add_rows writes the file that add writes row by row") {
    struct Case {
        std::string dtype;
        shape_type shape;
        std::size_t itemsize;
    };
    const std::vector<Case> cases = {
        {"<f8", {3}, 8}, {"<f4", {2, 2}, 4}, {">f8", {2}, 8}, {"<f2", {3}, 2}, {"|i1", {5}, 1}, {"|u1", {4}, 1},
        {"<i2", {3}, 2}, {">u2", {2}, 2}, {"<i4", {}, 4}, {"<u4", {2}, 4}, {"<i8", {2}, 8}, {">u8", {1}, 8},
        {"|b1", {3}, 1}, {"|S3", {2}, 3}, {"<c8", {2}, 8},
    };
    for (const auto& c : cases) {
        for (const std::uint64_t group_rows : {std::uint64_t{1} << 20, std::uint64_t{7}, std::uint64_t{1}}) {
            CAPTURE(c.dtype);
            CAPTURE(group_rows);
            std::size_t elements = 1;
            for (const auto d : c.shape) elements *= d;
            const std::size_t rows = 1000;
            std::vector<std::byte> data(rows * elements * c.itemsize);
            for (std::size_t i = 0; i < data.size(); ++i)
                data[i] = static_cast<std::byte>(c.dtype == "|b1" ? (i * 7 % 3 == 0) : (i * 131 + i / 7) & 0xFF);
            std::vector<AnyArray> arrays;
            std::vector<std::int64_t> times;
            for (std::size_t r = 0; r < rows; ++r) {
                arrays.emplace_back(c.dtype, c.shape,
                                    std::span<const std::byte>(data).subspan(r * elements * c.itemsize,
                                                                             elements * c.itemsize));
                times.push_back(static_cast<std::int64_t>(r * r) - 5000);
            }
            WriterOptions options;
            options.row_group_rows = group_rows;
            options.page_bytes = 100;  // many pages, split inside batches
            const auto write = [&](bool batched) {
                std::vector<std::byte> file;
                auto t = ChannelTable::arrays("ch", survey(c.dtype, c.shape));
                REQUIRE(t.per_element());
                Writer w(t.columns(), [&](std::span<const std::byte> b) { file.insert(file.end(), b.begin(), b.end()); },
                         options);
                if (batched) {
                    for (std::size_t r = 0; r < rows; r += 333) {  // batches that do not divide the groups
                        const std::size_t n = std::min<std::size_t>(333, rows - r);
                        t.add_rows(w, std::span(times).subspan(r, n), std::span(arrays).subspan(r, n));
                    }
                } else {
                    for (std::size_t r = 0; r < rows; ++r) t.add(w, times[r], arrays[r]);
                }
                CHECK(w.rows() == rows);
                w.finish();
                return file;
            };
            const auto by_row = write(false);
            CHECK(by_row.size() > 1000);
            CHECK(write(true) == by_row);
        }
    }
    // A record of another shape in a batch is refused before anything is written.
    auto t = ChannelTable::arrays("v", survey("<i2", {2}));
    std::vector<std::byte> file;
    Writer w(t.columns(), [&](std::span<const std::byte> b) { file.insert(file.end(), b.begin(), b.end()); });
    const std::int16_t two[2] = {1, 2}, three[3] = {};
    const std::vector<AnyArray> mixed{AnyArray("<i2", {2}, std::as_bytes(std::span{two})),
                                      AnyArray("<i2", {3}, std::as_bytes(std::span{three}))};
    const std::vector<std::int64_t> times{1, 2};
    CHECK_THROWS_AS(t.add_rows(w, times, mixed), codec_mismatch);
    CHECK(w.rows() == 0);
    CHECK_THROWS_AS(t.add_rows(w, std::span(times).first(1), mixed), usage_error);
}
