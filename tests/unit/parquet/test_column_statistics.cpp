// Column chunk statistics: the sort order each type defines (parquet.thrift ColumnOrder).
#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include <tinman/parquet/column_statistics.hpp>

using namespace tinman::parquet;

namespace {
template <class T>
void add(ColumnStatistics& s, T v) {
    std::byte b[sizeof(T)];
    tinman::detail::store_le(b, std::bit_cast<std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>>(v));
    s.add(b);
}
template <class T>
T decode(const std::string& s) {
    REQUIRE(s.size() == sizeof(T));
    using U = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
    return std::bit_cast<T>(tinman::detail::load_le<U>(reinterpret_cast<const std::byte*>(s.data())));
}
}  // namespace

TEST_CASE("parquet::ColumnStatistics: each type's order") {
    SUBCASE("signed and unsigned integers") {
        ColumnStatistics i32(SortOrder::signed_int, 4), u32(SortOrder::unsigned_int, 4);
        for (const std::int32_t v : {5, -3, 2'000'000'000, 0}) {
            add(i32, v);
            add(u32, v);
        }
        const auto si = i32.encoded(), su = u32.encoded();
        REQUIRE(si);
        REQUIRE(su);
        CHECK(decode<std::int32_t>(si->first) == -3);
        CHECK(decode<std::int32_t>(si->second) == 2'000'000'000);
        CHECK(decode<std::uint32_t>(su->first) == 0);
        CHECK(decode<std::uint32_t>(su->second) == static_cast<std::uint32_t>(-3));  // the largest unsigned
        ColumnStatistics i64(SortOrder::signed_int, 8);
        add(i64, std::numeric_limits<std::int64_t>::min());
        add(i64, std::int64_t{7});
        CHECK(decode<std::int64_t>(i64.encoded()->first) == std::numeric_limits<std::int64_t>::min());
        CHECK(decode<std::int64_t>(i64.encoded()->second) == 7);
    }
    SUBCASE("floating point: NaN left out, zeros signed as the specification asks") {
        ColumnStatistics d(SortOrder::floating, 8);
        add(d, std::nan(""));
        CHECK_FALSE(d.encoded());  // only NaN: no minimum or maximum
        add(d, 0.0);
        add(d, -0.0);
        const auto z = d.encoded();
        REQUIRE(z);
        CHECK(std::signbit(decode<double>(z->first)));    // a zero minimum is -0.0
        CHECK_FALSE(std::signbit(decode<double>(z->second)));  // a zero maximum is +0.0
        add(d, -2.5);
        add(d, std::numeric_limits<double>::infinity());
        CHECK(decode<double>(d.encoded()->first) == -2.5);
        CHECK(decode<double>(d.encoded()->second) == std::numeric_limits<double>::infinity());
        ColumnStatistics f(SortOrder::floating, 4);
        add(f, 1.5f);
        add(f, -4.0f);
        CHECK(decode<float>(f.encoded()->first) == -4.0f);
        CHECK(decode<float>(f.encoded()->second) == 1.5f);
    }
    SUBCASE("booleans and byte arrays") {
        ColumnStatistics b(SortOrder::boolean, 1);
        b.add_bool(true);
        CHECK(b.encoded()->first == std::string(1, '\1'));
        b.add_bool(false);
        CHECK(b.encoded()->first == std::string(1, '\0'));
        CHECK(b.encoded()->second == std::string(1, '\1'));

        ColumnStatistics s(SortOrder::bytes, 0);
        const auto add_text = [&](std::string_view t) { s.add_bytes(std::as_bytes(std::span{t.data(), t.size()})); };
        add_text("pear");
        add_text("\xC3\xA9t\xC3\xA9");  // bytes over 0x7F sort after ASCII (unsigned)
        add_text("apple");
        CHECK(s.encoded()->first == "apple");
        CHECK(s.encoded()->second == "\xC3\xA9t\xC3\xA9");
        add_text(std::string(ColumnStatistics::max_bytes + 1, 'z'));
        CHECK_FALSE(s.encoded());  // a value too long to keep: no statistics for the chunk
        s.clear();
        add_text("b");
        CHECK(s.encoded()->first == "b");  // the next chunk starts afresh
    }
}

TEST_CASE("parquet::ColumnStatistics: a batch of values gives what one value at a time gives") {
    const double values[] = {std::nan(""), 3.5, -1.0, std::nan(""), 0.0, 7.25, -0.0};
    ColumnStatistics one(SortOrder::floating, 8), batch(SortOrder::floating, 8);
    std::byte bytes[sizeof values];
    for (std::size_t i = 0; i < std::size(values); ++i) {
        add(one, values[i]);
        tinman::detail::store_le(bytes + 8 * i, std::bit_cast<std::uint64_t>(values[i]));
    }
    batch.add_values(std::span<const std::byte>(bytes).first(8));  // NaN alone: nothing yet
    CHECK_FALSE(batch.encoded());
    batch.add_values(std::span<const std::byte>(bytes).subspan(8));
    CHECK(batch.encoded() == one.encoded());
    CHECK(decode<double>(batch.encoded()->first) == -1.0);
    CHECK(decode<double>(batch.encoded()->second) == 7.25);

    const std::uint32_t u[] = {7, 0xFFFFFFF0u, 3};
    ColumnStatistics us(SortOrder::unsigned_int, 4), is(SortOrder::signed_int, 4);
    us.add_values(std::as_bytes(std::span{u}));
    is.add_values(std::as_bytes(std::span{u}));
    CHECK(decode<std::uint32_t>(us.encoded()->second) == 0xFFFFFFF0u);
    CHECK(decode<std::int32_t>(is.encoded()->first) == -16);
    CHECK(decode<std::int32_t>(is.encoded()->second) == 7);
}
