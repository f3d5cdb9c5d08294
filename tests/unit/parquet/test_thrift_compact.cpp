// The compact protocol's bytes, computed by hand from the Thrift specification.
#include <doctest/doctest.h>

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <vector>

#include <tinman/parquet/thrift_compact.hpp>

using tinman::parquet::CompactType;
using tinman::parquet::CompactWriter;

namespace {
std::vector<std::byte> bytes(std::initializer_list<int> v) {
    std::vector<std::byte> out;
    for (const int b : v) out.push_back(static_cast<std::byte>(b));
    return out;
}
}  // namespace

TEST_CASE("parquet::CompactWriter: varints and zigzag") {
    std::vector<std::byte> out;
    CompactWriter w{out};
    SUBCASE("unsigned varints, 7 bits a byte, least significant first") {
        w.varint(0);
        w.varint(1);
        w.varint(127);
        w.varint(128);
        w.varint(300);
        w.varint(std::numeric_limits<std::uint64_t>::max());
        CHECK(out == bytes({0x00, 0x01, 0x7F, 0x80, 0x01, 0xAC, 0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                            0xFF, 0x01}));
    }
    SUBCASE("zigzag interleaves signs") {
        CHECK(CompactWriter::zigzag(0) == 0);
        CHECK(CompactWriter::zigzag(-1) == 1);
        CHECK(CompactWriter::zigzag(1) == 2);
        CHECK(CompactWriter::zigzag(-2) == 3);
        CHECK(CompactWriter::zigzag(std::numeric_limits<std::int32_t>::max()) == 4294967294u);
        CHECK(CompactWriter::zigzag(std::numeric_limits<std::int32_t>::min()) == 4294967295u);
        CHECK(CompactWriter::zigzag(std::numeric_limits<std::int64_t>::min()) == std::numeric_limits<std::uint64_t>::max());
        w.value_i64(-65);  // zigzag 129
        CHECK(out == bytes({0x81, 0x01}));
    }
}

TEST_CASE("parquet::CompactWriter: field headers") {
    std::vector<std::byte> out;
    CompactWriter w{out};
    w.begin_struct();
    SUBCASE("short form: id delta and type in one byte") {
        w.field_i32(1, 5);    // delta 1, i32 (5): 0x15, zigzag 10
        w.field_i32(3, -1);   // delta 2: 0x25, zigzag 1
        w.field_i64(18, 1);   // delta 15, i64 (6): 0xF6, zigzag 2
        w.end_struct();
        CHECK(out == bytes({0x15, 0x0A, 0x25, 0x01, 0xF6, 0x02, 0x00}));
    }
    SUBCASE("long form: a delta above 15 or a smaller id writes the type, then the id") {
        w.field_i64(20, 1);  // 0x06, zigzag(20) = 40, then the value
        w.field_i32(2, 0);   // id going down: 0x05, zigzag(2) = 4
        w.end_struct();
        CHECK(out == bytes({0x06, 0x28, 0x02, 0x05, 0x04, 0x00, 0x00}));
    }
    SUBCASE("booleans live in the field header, i8 is one raw byte, binary is length-prefixed") {
        w.field_bool(1, true);
        w.field_bool(2, false);
        w.field_i8(3, -1);
        w.field_binary(4, "ab");
        w.end_struct();
        CHECK(out == bytes({0x11, 0x12, 0x13, 0xFF, 0x18, 0x02, 'a', 'b', 0x00}));
    }
}

TEST_CASE("parquet::CompactWriter: lists and nested structs") {
    std::vector<std::byte> out;
    CompactWriter w{out};
    SUBCASE("a short list: size and element type in one byte") {
        w.begin_struct();
        w.field_list(1, CompactType::i32, 3);
        w.value_i64(1);
        w.value_i64(-1);
        w.value_i64(2);
        w.end_struct();
        CHECK(out == bytes({0x19, 0x35, 0x02, 0x01, 0x04, 0x00}));
    }
    SUBCASE("15 elements or more: 0xF plus type, then the size as a varint") {
        w.list_header(CompactType::binary, 15);
        w.list_header(CompactType::struct_, 200);
        CHECK(out == bytes({0xF8, 0x0F, 0xFC, 0xC8, 0x01}));
    }
    SUBCASE("a nested struct counts its field ids from zero and restores the outer ones") {
        w.begin_struct();
        w.field_i32(5, 1);  // 0x55 0x02
        w.field_struct(6);  // 0x1C
        w.field_i32(1, 2);  // 0x15 0x04
        w.end_struct();     // 0x00
        w.field_i32(7, 3);  // delta from 6: 0x15 0x06
        w.field_list(8, CompactType::struct_, 1);  // 0x19 0x1C
        w.begin_struct();
        w.field_i32(2, 0);  // the element's own ids: 0x25 0x00
        w.end_struct();
        w.end_struct();
        CHECK(out == bytes({0x55, 0x02, 0x1C, 0x15, 0x04, 0x00, 0x15, 0x06, 0x19, 0x1C, 0x25, 0x00, 0x00, 0x00}));
    }
    SUBCASE("ending a struct that was not begun is an error") {
        CHECK_THROWS_AS(w.end_struct(), tinman::usage_error);
    }
}
