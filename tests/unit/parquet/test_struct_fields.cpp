// The struct descriptor's JSON, as docs/format.md writes it, and what it refuses.
#include <doctest/doctest.h>

#include <tinman/parquet/struct_fields.hpp>

using tinman::parquet::parse_struct_fields;

TEST_CASE("parquet::parse_struct_fields") {
    SUBCASE("names, formats with subarrays, offsets and itemsize") {
        const auto s = parse_struct_fields(
            R"({"names":["ax","acc","status"],"formats":["<f8","(3,4)<f4","<i4"],"offsets":[0,8,56],"itemsize":64})");
        REQUIRE(s.fields.size() == 3);
        CHECK(s.itemsize == 64);
        CHECK(s.fields[0].name == "ax");
        CHECK(s.fields[0].dtype.kind == 'f');
        CHECK(s.fields[0].shape.empty());
        CHECK(s.fields[1].dtype_text == "<f4");
        CHECK(s.fields[1].shape == std::vector<std::size_t>{3, 4});
        CHECK(s.fields[1].offset == 8);
        CHECK(s.fields[2].dtype.itemsize == 4);
        CHECK(s.fields[2].offset == 56);
    }
    SUBCASE("spaces between tokens are allowed") {
        CHECK(parse_struct_fields(R"({ "names": ["a"], "formats": ["|u1"], "offsets": [0], "itemsize": 1 })")
                  .fields.size() == 1);
    }
    SUBCASE("malformed or inconsistent descriptors are refused") {
        for (const char* bad : {
                 "",
                 "{}",
                 R"({"names":["a"],"formats":["<f8"],"offsets":[0]})",
                 R"({"names":["a"],"formats":["<f8"],"offsets":[0],"itemsize":4})",
                 R"({"names":["a","a"],"formats":["<f4","<f4"],"offsets":[0,4],"itemsize":8})",
                 R"({"names":["a-b"],"formats":["<f4"],"offsets":[0],"itemsize":4})",
                 R"({"names":["a"],"formats":["<x4"],"offsets":[0],"itemsize":4})",
                 R"({"names":["a"],"formats":["(0,)<f4"],"offsets":[0],"itemsize":4})",
                 R"({"names":["a"],"formats":["(3<f4"],"offsets":[0],"itemsize":12})",
                 R"({"names":["a"],"formats":["<f4"],"offsets":[0],"itemsize":4} x)",
                 R"({"names":["a\"b"],"formats":["<f4"],"offsets":[0],"itemsize":4})",
                 R"({"names":["a"],"formats":["(999999999,999999999,999999999)<f8"],"offsets":[0],"itemsize":8})",
             }) {
            CAPTURE(bad);
            CHECK_THROWS_AS((void)parse_struct_fields(bad), tinman::format_error);
        }
    }
}
