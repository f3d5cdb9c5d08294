#include <doctest/doctest.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <tinman.hpp>

#include "test_support.hpp"

using namespace tinman;
using test::TempDir;

namespace {

/// Record `i` of the test channels: `n` doubles i*1000 + k.
xt::xarray<double> row(std::size_t i, std::size_t n) {
    xt::xarray<double> a = xt::xarray<double>::from_shape({n});
    for (std::size_t k = 0; k < n; ++k) a(k) = double(i * 1000 + k);
    return a;
}

void write_rows(const std::filesystem::path& dir, const std::string& name, std::size_t records, std::size_t n,
                OpenMode mode = OpenMode::create, std::size_t first = 0) {
    ObLogWriter log{dir};
    auto w = log.get_writer(name, NdArrayCodec<double>{}, mode);
    for (std::size_t i = first; i < first + records; ++i) w(static_cast<std::int64_t>(10 * i + 5), row(i, n));
}

/// Checks `all` (shape (N, n)) against what `write_rows` wrote.
void check_rows(const StackedView<double>& all, std::size_t records, std::size_t n) {
    REQUIRE(all.dimension() == 2);
    REQUIRE(all.shape()[0] == records);
    REQUIRE(all.shape()[1] == n);
    bool equal = true;
    for (std::size_t i = 0; i < records; ++i)
        for (std::size_t k = 0; k < n; ++k) equal = equal && all(i, k) == double(i * 1000 + k);
    CHECK(equal);
}

/// A channel file written byte by byte: `NdArrayCodec<double>` records of `n`
/// doubles, record `irregular` (if any) with 64 more bytes of padding than the
/// writer would choose, as a failed write or another writer may leave.
std::vector<std::byte> crafted_channel(std::size_t records, std::size_t n, std::size_t irregular) {
    auto file = format::encode_file_header(NdArrayCodec<double>{}.descriptor());
    for (std::size_t i = 0; i < records; ++i) {
        const auto values = row(i, n);
        const auto payload =
            test::ndarray_payload("<f8", {n}, std::as_bytes(std::span(values.data(), values.size())));
        const std::size_t head = payload.size() - 8 * n;
        std::size_t padding = (64 - (file.size() + 32 + head) % 64) % 64;
        if (i == irregular) padding += 64;
        const std::size_t at = file.size();
        file.resize(at + 32 + padding);
        format::encode_record_header({static_cast<std::int64_t>(10 * i + 5), payload.size(),
                                      static_cast<std::uint32_t>(padding), crc32c(payload), 0},
                                     file.data() + at);
        file.insert(file.end(), payload.begin(), payload.end());
    }
    return file;
}

}  // namespace

TEST_CASE("stacked: a uniform channel is one strided array over the mapping, with its timestamps") {
    TempDir dir;
    // 8 doubles: bodies of 64 bytes; 9: not a multiple of the 64-byte alignment, so
    // record 0's header is off the stride; 3: small records aligned to 8.
    for (std::size_t n : {8u, 9u, 3u, 1u, 5000u}) {  // 5000: 40 KB records, written past the buffer
        CAPTURE(n);
        const std::string name = "rows" + std::to_string(n);
        write_rows(dir.path(), name, 50, n);
        ObLogReader reader{dir.path()};
        auto ch = reader.indexed_channel<NdArrayCodec<double>>(name);
        const auto claim = ch.time_index().uniform_claim();
        REQUIRE(claim);
        CHECK(claim->records == 50);
        const auto all = tinman::stacked(ch);
        check_rows(all, 50, n);
        // In place: record 7's elements are where the record view has them.
        CHECK(&all(7, 0) == ch[7].value.data());
        CHECK(xt::xarray<double>(all) == tinman::stack(ch));
        const auto t = tinman::timestamps(ch);
        REQUIRE(t.size() == 50);
        for (std::size_t i = 0; i < 50; ++i) CHECK(t(i) == std::int64_t(10 * i + 5));
        CHECK(xt::xtensor<std::int64_t, 1>(t) == tinman::copy_timestamps(ch));
        for (auto check : {StackCheck::headers, StackCheck::payloads}) check_rows(tinman::stacked(ch, check), 50, n);
    }
}

TEST_CASE("stacked: the view keeps the mapping alive and cannot be written through") {
    TempDir dir;
    write_rows(dir.path(), "c", 20, 8);
    std::optional<StackedView<double>> kept;
    std::optional<TimestampsView> times;
    {
        ObLogReader reader{dir.path()};
        auto ch = reader.indexed_channel<NdArrayCodec<double>>("c");
        kept = tinman::stacked(ch);
        times = tinman::timestamps(ch);
    }
    check_rows(*kept, 20, 8);
    CHECK((*times)(19) == 195);
    static_assert(std::is_const_v<std::remove_reference_t<decltype((*kept)(0, 0))>>);
}

TEST_CASE("stacked: 0-d records, n-d records, other element types, AnyArrayCodec") {
    TempDir dir;
    {
        ObLogWriter log{dir.path()};
        auto scalars = log.get_writer("scalars", NdArrayCodec<float>{});
        auto grids = log.get_writer("grids", NdArrayCodec<std::int16_t>{});
        for (int i = 0; i < 30; ++i) {
            scalars(i, float(i) / 2);
            xt::xarray<std::int16_t> g = xt::arange<std::int16_t>(12).reshape({3, 4}) + std::int16_t(i);
            grids(i, g);
        }
    }
    ObLogReader reader{dir.path()};
    const auto s = tinman::stacked(reader.indexed_channel<NdArrayCodec<float>>("scalars"));
    REQUIRE(s.dimension() == 1);
    REQUIRE(s.size() == 30);
    for (std::size_t i = 0; i < 30; ++i) CHECK(s(i) == float(i) / 2);

    auto grids = reader.indexed_channel<NdArrayCodec<std::int16_t>>("grids");
    const auto g = tinman::stacked(grids);
    REQUIRE(g.shape() == shape_type{30, 3, 4});
    CHECK(g(29, 2, 3) == 29 + 11);
    CHECK(xt::xarray<std::int16_t>(g) == tinman::stack(grids));

    auto any = reader.indexed_channel<AnyArrayCodec>("grids");
    CHECK(tinman::stacked<std::int16_t>(any) == g);
    CHECK_THROWS_AS((void)tinman::stacked<std::int32_t>(any), codec_mismatch);
    CHECK(tinman::stack<std::int16_t>(any) == tinman::stack(grids));
}

TEST_CASE("stacked: an empty channel has shape (0,)") {
    TempDir dir;
    write_rows(dir.path(), "none", 0, 8);
    ObLogReader reader{dir.path()};
    auto ch = reader.indexed_channel<NdArrayCodec<double>>("none");
    CHECK(tinman::stacked(ch).shape() == shape_type{0});
    CHECK(tinman::stack(ch).size() == 0);
    CHECK(tinman::timestamps(ch).size() == 0);
}

TEST_CASE("stacked: a channel whose shape changes names the first record that differs - stack() too") {
    TempDir dir;
    {
        ObLogWriter log{dir.path()};
        auto w = log.get_writer("c", NdArrayCodec<double>{});
        for (std::size_t i = 0; i < 10; ++i) w(std::int64_t(i), row(i, i < 6 ? 8 : 4));
    }
    ObLogReader reader{dir.path()};
    auto ch = reader.indexed_channel<NdArrayCodec<double>>("c");
    REQUIRE(ch.time_index().uniform_claim());
    CHECK(ch.time_index().uniform_claim()->records == 6);  // the writer's claim stops before record 6
    for (auto check : {StackCheck::claim, StackCheck::headers}) {
        try {
            (void)tinman::stacked(ch, check);
            FAIL("not refused");
        } catch (const not_uniform& e) {
            CHECK(e.context().channel == "c");
            CHECK(e.context().record == 6);
            const std::string what = e.what();
            CHECK(what.find("shape (4,) differs from record 0's (8,)") != std::string::npos);
            CHECK(what.find("tinman::stack(channel)") != std::string::npos);
        }
    }
    CHECK_THROWS_AS((void)tinman::stack(ch), not_uniform);
    // The timestamps do not depend on the shapes.
    CHECK(tinman::timestamps(ch)(9) == 9);
}

TEST_CASE("stacked: appending keeps the claim, over records of the earlier and the later writer") {
    TempDir dir;
    write_rows(dir.path(), "c", 7, 8);
    write_rows(dir.path(), "c", 5, 8, OpenMode::append, 7);
    {
        ObLogReader reader{dir.path()};
        auto ch = reader.indexed_channel<NdArrayCodec<double>>("c");
        REQUIRE(ch.time_index().uniform_claim());
        CHECK(ch.time_index().uniform_claim()->records == 12);
        check_rows(tinman::stacked(ch), 12, 8);
        CHECK(tinman::timestamps(ch)(11) == 115);
    }
    // Appending another shape ends the claim there.
    {
        ObLogWriter log{dir.path()};
        auto w = log.get_writer("c", NdArrayCodec<double>{}, OpenMode::append);
        w(std::int64_t{200}, row(12, 3));
    }
    ObLogReader reader{dir.path()};
    auto ch = reader.indexed_channel<NdArrayCodec<double>>("c");
    CHECK(ch.time_index().uniform_claim()->records == 12);
    CHECK_THROWS_AS((void)tinman::stacked(ch), not_uniform);
}

TEST_CASE("stacked: without an index file every record is checked once - timestamps are then copied") {
    TempDir dir;
    write_rows(dir.path(), "c", 40, 9);
    std::filesystem::remove(dir / "c.tinman-index");
    ObLogReader reader{dir.path()};
    auto ch = reader.indexed_channel<NdArrayCodec<double>>("c");
    CHECK_FALSE(ch.time_index().uniform_claim());
    check_rows(tinman::stacked(ch), 40, 9);
    CHECK_THROWS_AS((void)tinman::timestamps(ch), usage_error);
    const auto t = tinman::copy_timestamps(ch);
    CHECK(t(39) == 395);
}

TEST_CASE("stacked: an index without a claim (another writer's) is checked record by record") {
    TempDir dir;
    write_rows(dir.path(), "c", 30, 8);
    // Zero the claim and fix the header checksum, as a writer that makes no claim leaves it.
    auto index = test::read_file(dir / "c.tinman-index");
    std::fill(index.begin() + 24, index.begin() + 60, std::byte{0});
    detail::store_le<std::uint32_t>(index.data() + 60, crc32c(std::span(index).first(60)));
    test::write_file(dir / "c.tinman-index", index);
    ObLogReader reader{dir.path()};
    auto ch = reader.indexed_channel<NdArrayCodec<double>>("c");
    CHECK(ch.time_index().indexed_records() == 30);
    CHECK_FALSE(ch.time_index().uniform_claim());
    check_rows(tinman::stacked(ch), 30, 8);
    CHECK(tinman::timestamps(ch)(29) == 295);
}

TEST_CASE("stacked: irregular padding (a v1 file laid out by another writer) is refused, stack() copies") {
    TempDir dir;
    test::write_file(dir / "c.tinman", crafted_channel(10, 9, 4));
    test::write_file(dir / "ok.tinman", crafted_channel(10, 9, 99));
    ObLogReader reader{dir.path()};
    auto ch = reader.indexed_channel<NdArrayCodec<double>>("c");
    try {
        (void)tinman::stacked(ch);
        FAIL("not refused");
    } catch (const not_uniform& e) {
        CHECK(e.context().record == 4);
        CHECK(std::string(e.what()).find("padding before it is irregular") != std::string::npos);
    }
    const auto copied = tinman::stack(ch);
    REQUIRE(copied.shape() == shape_type{10, 9});
    CHECK(copied(4, 8) == 4008.0);
    // The same bytes with the writer's padding: viewed after checking every record.
    check_rows(tinman::stacked(reader.indexed_channel<NdArrayCodec<double>>("ok")), 10, 9);
}

TEST_CASE("stacked: a torn tail leaves the intact records - mid-file damage is found by the checks that look") {
    TempDir dir;
    write_rows(dir.path(), "c", 20, 8);
    const auto path = dir / "c.tinman";
    SUBCASE("torn tail") {
        std::filesystem::resize_file(path, std::filesystem::file_size(path) - 10);
        ObLogReader reader{dir.path()};
        auto ch = reader.indexed_channel<NdArrayCodec<double>>("c");
        check_rows(tinman::stacked(ch), 19, 8);
        CHECK(tinman::timestamps(ch).size() == 19);
    }
    SUBCASE("a payload byte of record 12 flipped") {
        ObLogReader probe{dir.path()};
        const auto at = (probe.indexed_channel<NdArrayCodec<double>>("c").begin() + 12).record().offset;
        auto bytes = test::read_file(path);
        bytes[at + 32 + 40] ^= std::byte{1};
        test::write_file(path, bytes);
        ObLogReader reader{dir.path()};
        auto ch = reader.indexed_channel<NdArrayCodec<double>>("c");
        // The O(1) path reads records 0 and 19 only: the damage is not seen (documented).
        CHECK(tinman::stacked(ch).shape()[0] == 20);
        try {
            (void)tinman::stacked(ch, StackCheck::payloads);
            FAIL("not refused");
        } catch (const format_error& e) {
            CHECK(e.context().channel == "c");
            CHECK(e.context().record == 12);
        }
    }
    SUBCASE("a header byte of record 12 flipped, no index file") {
        ObLogReader probe{dir.path()};
        const auto at = (probe.indexed_channel<NdArrayCodec<double>>("c").begin() + 12).record().offset;
        auto bytes = test::read_file(path);
        bytes[at + 9] ^= std::byte{1};
        test::write_file(path, bytes);
        std::filesystem::remove(dir / "c.tinman-index");
        ObLogReader reader{dir.path()};
        auto ch = reader.indexed_channel<NdArrayCodec<double>>("c");
        try {
            (void)tinman::stacked(ch);
            FAIL("not refused");
        } catch (const format_error& e) {
            CHECK(e.context().record == 12);
            CHECK(std::string(e.what()).find("damaged") != std::string::npos);
        }
    }
    SUBCASE("a header byte of record 12 flipped, checked through the index") {
        ObLogReader probe{dir.path()};
        const auto at = (probe.indexed_channel<NdArrayCodec<double>>("c").begin() + 12).record().offset;
        auto bytes = test::read_file(path);
        bytes[at + 9] ^= std::byte{1};
        test::write_file(path, bytes);
        ObLogReader reader{dir.path()};
        auto ch = reader.indexed_channel<NdArrayCodec<double>>("c");
        CHECK_THROWS_AS((void)tinman::stacked(ch, StackCheck::headers), format_error);
    }
}

TEST_CASE("stacked: a claim that does not describe the file is not trusted") {
    TempDir dir;
    write_rows(dir.path(), "c", 20, 8);
    // Rewrite the claim to say a stride of 64 bytes more, checksum fixed: records 0 and
    // 19 no longer match it, so every record is checked (and found uniform).
    auto index = test::read_file(dir / "c.tinman-index");
    auto claim = format::load_uniform_claim(index.data());
    REQUIRE(claim);
    claim->stride += 64;
    format::store_uniform_claim(index.data(), *claim);
    detail::store_le<std::uint32_t>(index.data() + 60, crc32c(std::span(index).first(60)));
    test::write_file(dir / "c.tinman-index", index);
    ObLogReader reader{dir.path()};
    auto ch = reader.indexed_channel<NdArrayCodec<double>>("c");
    REQUIRE(ch.time_index().uniform_claim());
    CHECK_THROWS_AS((void)tinman::stacked(ch), not_uniform);  // record 19 is not where the claim says
    check_rows(tinman::stacked(ch, StackCheck::headers), 20, 8);
}

TEST_CASE("uniform claim: the tracker keeps the longest uniform prefix") {
    format::UniformTracker t;
    const std::byte head[3]{std::byte{1}, std::byte{2}, std::byte{3}};
    const std::byte other[3]{std::byte{1}, std::byte{2}, std::byte{4}};
    t.add(128, head, 67);
    CHECK(t.claim(5) == format::UniformClaim{1, 128, 0, 67, 3, crc32c(head)});
    t.add(256, head, 67);
    t.add(384, head, 67);
    CHECK(t.claim(5).records == 3);
    CHECK(t.claim(5).stride == 128);
    CHECK(t.claim(1).stride == 0);
    t.add(512 + 64, head, 67);  // irregular padding
    t.add(640 + 64, head, 67);
    CHECK(t.claim(9).records == 3);
    format::UniformTracker u;
    u.add(128, head, 67);
    u.add(256, other, 67);
    CHECK(u.claim(9).records == 1);
    std::array<std::byte, 64> h{};
    format::store_uniform_claim(h.data(), t.claim(9));
    CHECK(format::load_uniform_claim(h.data()) == t.claim(9));
    format::store_uniform_claim(h.data(), {});
    CHECK_FALSE(format::load_uniform_claim(h.data()));
}
