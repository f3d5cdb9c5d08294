// The writer's file layout: magic, pages behind their headers, footer and its length.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <span>
#include <vector>

#include <tinman/parquet/parquet_writer.hpp>

using namespace tinman::parquet;

namespace {
std::vector<std::byte> bytes(std::initializer_list<int> v) {
    std::vector<std::byte> out;
    for (const int b : v) out.push_back(static_cast<std::byte>(b));
    return out;
}
std::vector<std::byte> slice(const std::vector<std::byte>& v, std::size_t at, std::size_t n) {
    REQUIRE(at + n <= v.size());
    return {v.begin() + static_cast<std::ptrdiff_t>(at), v.begin() + static_cast<std::ptrdiff_t>(at + n)};
}
std::uint32_t le32(const std::vector<std::byte>& v, std::size_t at) {
    std::uint32_t x = 0;
    for (int i = 3; i >= 0; --i) x = x << 8 | std::to_integer<std::uint32_t>(v.at(at + static_cast<std::size_t>(i)));
    return x;
}
Sink into(std::vector<std::byte>& file) {
    return [&file](std::span<const std::byte> b) { file.insert(file.end(), b.begin(), b.end()); };
}
}  // namespace

TEST_CASE("parquet::Writer: file layout") {
    std::vector<std::byte> file;
    Writer w({{"x", PhysicalType::int64, {}}}, into(file));
    for (std::int64_t v : {1, -2, 300}) {
        w.put_int64(0, v);
        w.end_row();
    }
    w.finish();
    CHECK(w.rows() == 3);
    CHECK(w.row_groups() == 1);

    const auto magic = bytes({'P', 'A', 'R', '1'});
    CHECK(slice(file, 0, 4) == magic);
    CHECK(slice(file, file.size() - 4, 4) == magic);

    // PageHeader{type DATA_PAGE, sizes 24 and 24, DataPageHeader{3 values, PLAIN, RLE, RLE}}, then the values.
    CHECK(slice(file, 4, 17) ==
          bytes({0x15, 0x00, 0x15, 0x30, 0x15, 0x30, 0x2C, 0x15, 0x06, 0x15, 0x00, 0x15, 0x06, 0x15, 0x06, 0x00, 0x00}));
    CHECK(slice(file, 21, 24) == bytes({1, 0, 0, 0, 0, 0, 0, 0, 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                        0x2C, 0x01, 0, 0, 0, 0, 0, 0}));

    // The footer: FileMetaData ends 8 bytes before the end, its length in the 4 bytes before "PAR1".
    const std::uint32_t footer = le32(file, file.size() - 8);
    CHECK(footer == file.size() - 8 - 45);
    // version 1; schema: 2 elements, the root "schema" with 1 child, then x: INT64 REQUIRED; num_rows 3.
    CHECK(slice(file, 45, 25) == bytes({0x15, 0x02, 0x19, 0x2C, 0x48, 0x06, 's', 'c', 'h', 'e', 'm', 'a', 0x15, 0x02,
                                        0x00, 0x15, 0x04, 0x25, 0x00, 0x18, 0x01, 'x', 0x00, 0x16, 0x06}));
    CHECK(std::to_integer<int>(file[file.size() - 9]) == 0);  // FileMetaData's stop byte
}

TEST_CASE("parquet::Writer: booleans are bit-packed, first value in the lowest bit") {
    std::vector<std::byte> file;
    Writer w({{"b", PhysicalType::boolean, {}}}, into(file));
    for (int i = 0; i < 10; ++i) {
        w.put_bool(0, i % 3 == 0);  // 1001001001
        w.end_row();
    }
    w.finish();
    // The header (uncompressed and compressed size 2, 10 values), then the 2 bytes.
    CHECK(slice(file, 4, 19) == bytes({0x15, 0x00, 0x15, 0x04, 0x15, 0x04, 0x2C, 0x15, 0x14, 0x15, 0x00, 0x15, 0x06,
                                       0x15, 0x06, 0x00, 0x00, 0x49, 0x02}));
}

TEST_CASE("parquet::Writer: row groups and pages end at their limits") {
    std::vector<std::byte> file;
    WriterOptions o;
    o.row_group_rows = 4;
    o.page_bytes = 16;  // two int64 values a page
    std::size_t sink_calls = 0;
    Writer w({{"t", PhysicalType::int64, LogicalType::timestamp_ns()}, {"s", PhysicalType::byte_array,
                                                                        LogicalType::string()}},
             [&](std::span<const std::byte> b) {
                 ++sink_calls;
                 file.insert(file.end(), b.begin(), b.end());
             },
             o);
    for (std::int64_t i = 0; i < 10; ++i) {
        w.put_int64(0, i);
        w.put_bytes(1, std::string_view("abc").substr(0, static_cast<std::size_t>(i % 4)));
        w.end_row();
    }
    CHECK(w.row_groups() == 2);  // 4 + 4 rows written, 2 still buffered
    const std::size_t written = file.size();
    CHECK(written > 4 + 8 * 8);  // the two row groups are in the file: memory holds one at most
    w.finish();
    CHECK(w.row_groups() == 3);
    CHECK(w.rows() == 10);
    CHECK(file.size() > written);
    // The magic; a header and the data of each page (t: 2 + 2 + 1 pages of two values; s: one
    // a row group, the 16 bytes reached on a group's last row); the footer and its tail.
    CHECK(sink_calls == 1 + 2 * (5 + 3) + 2);
    CHECK(le32(file, file.size() - 8) < file.size());
    CHECK_THROWS_AS(w.finish(), tinman::usage_error);
}

TEST_CASE("parquet::Writer: a row missing a value is an error, not a file") {
    std::vector<std::byte> file;
    Writer w({{"a", PhysicalType::int32, {}}, {"b", PhysicalType::int32, {}}}, into(file));
    w.put_int32(0, 1);
    w.end_row();
    CHECK_THROWS_AS(w.finish(), tinman::usage_error);
}

TEST_CASE("parquet::Writer: compressed pages state both sizes") {
    std::vector<std::byte> file;
    WriterOptions o;
    // A stand-in codec that keeps the first byte: the header must carry 8 and 1.
    o.compression = {CompressionCodec::zstd, [](std::span<const std::byte> in, std::vector<std::byte>& out) {
                         out.assign(in.begin(), in.begin() + 1);
                         return std::size_t{1};
                     }};
    Writer w({{"x", PhysicalType::double_, {}}}, into(file), o);
    w.put_double(0, 1.0);
    w.end_row();
    w.finish();
    CHECK(slice(file, 4, 7) == bytes({0x15, 0x00, 0x15, 0x10, 0x15, 0x02, 0x2C}));
}

TEST_CASE("parquet::Writer: put_plain and end_rows write what value-by-value appending writes") {
    WriterOptions o;
    o.page_bytes = 20;     // pages of 3 int64 values: batches split across them
    o.row_group_rows = 7;  // groups end inside a batch unless the caller splits it
    const auto write = [&](bool batched) {
        std::vector<std::byte> file;
        Writer w({{"t", PhysicalType::int64, {}}, {"v", PhysicalType::int32, {}}}, into(file), o);
        std::vector<std::int64_t> t(50);
        std::vector<std::int32_t> v(50);
        for (std::size_t i = 0; i < t.size(); ++i) {
            t[i] = static_cast<std::int64_t>(i * i) - 30;
            v[i] = static_cast<std::int32_t>(i) * -7;
        }
        if (!batched) {
            for (std::size_t i = 0; i < t.size(); ++i) {
                w.put_int64(0, t[i]);
                w.put_int32(1, v[i]);
                w.end_row();
            }
        } else {
            for (std::size_t done = 0; done < t.size();) {
                const std::size_t n = std::min<std::size_t>({11, t.size() - done, w.rows_left_in_group()});
                w.put_plain(0, std::as_bytes(std::span(t).subspan(done, n)), 8);
                w.put_plain(1, std::as_bytes(std::span(v).subspan(done, n)), 4);
                w.end_rows(n);
                done += n;
            }
        }
        w.finish();
        CHECK(w.row_groups() == 8);
        return file;
    };
    CHECK(write(true) == write(false));  // (this machine is little-endian, as put_plain's values must be)

    std::vector<std::byte> file;
    Writer w({{"t", PhysicalType::int64, {}}}, into(file));
    const std::byte odd[12]{};
    CHECK_THROWS_AS(w.put_plain(0, odd, 8), tinman::usage_error);
    CHECK_THROWS_AS(w.put_plain(0, odd, 0), tinman::usage_error);
}
