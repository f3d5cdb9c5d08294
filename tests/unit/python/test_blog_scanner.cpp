// Scanning `.blog` files: complete records up to a torn tail, never past it.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <ranges>
#include <vector>

#include <tinman/python/blog_reader.hpp>
#include <tinman/python/blog_scanner.hpp>

#include "test_support.hpp"

using namespace tinman;
using namespace tinman::python;

TEST_CASE("python blog: every truncation yields the complete records, then stops (strict: raises)") {
    test::TempDir dir;
    const test::BlogSample f{numpy_codec_pickle};
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

TEST_CASE("BlogScanner: records from the codec record on, each with its offset, and where it stops") {
    const test::BlogSample f{numpy_codec_pickle};
    SUBCASE("a whole file: six records back to back, then a clean end") {
        BlogScanner scanner(f.bytes);
        std::uint64_t expected_offset = 0;
        std::vector<std::int64_t> timestamps;
        while (auto r = scanner.next()) {
            CHECK(r->index == timestamps.size());
            CHECK(r->offset == expected_offset);
            std::uint64_t length = 0;
            std::memcpy(&length, f.bytes.data() + r->offset + 8, 8);
            CHECK(r->payload.size() == length);
            CHECK(r->payload.data() == f.bytes.data() + r->offset + 16);
            expected_offset += 16 + length;
            timestamps.push_back(r->timestamp);
        }
        CHECK(timestamps == std::vector<std::int64_t>{1000, 2000, 2001, 2002, 2003, 2004});
        CHECK(scanner.status().clean());
        CHECK(scanner.status().records == 6);
        CHECK(scanner.status().intact_end == f.bytes.size());
        CHECK_FALSE(scanner.next());
    }
    SUBCASE("a cut header and cut data are torn, named with their offset") {
        const auto first_end = 16 + numpy_codec_pickle.size();
        BlogScanner in_header(std::span(f.bytes).first(first_end + 9));
        CHECK(in_header.next());
        CHECK_FALSE(in_header.next());
        CHECK(in_header.status().stop == ScanStop::torn);
        CHECK(in_header.status().intact_end == first_end);
        CHECK(in_header.status().skipped_bytes == 9);
        CHECK(in_header.status().reason == "truncated header (9 of 16 bytes) at offset " + std::to_string(first_end));
        BlogScanner in_data(std::span(f.bytes).first(first_end + 20));
        CHECK(in_data.next());
        CHECK_FALSE(in_data.next());
        CHECK(in_data.status().stop == ScanStop::torn);
        CHECK(in_data.status().reason.starts_with("truncated data"));
    }
    SUBCASE("a timestamp above INT64_MAX is damage, not a negative time") {
        std::vector<std::byte> file;
        test::put_blog_record(file, 1, numpy_codec_pickle);
        test::put_blog_record(file, std::uint64_t{1} << 63, test::as_bytes("x"));
        BlogScanner scanner(file);
        CHECK(scanner.next());
        CHECK_FALSE(scanner.next());
        CHECK(scanner.status().stop == ScanStop::corrupt);
        CHECK(scanner.status().records == 1);
        CHECK(scanner.status().reason.find("out of range") != std::string::npos);
    }
    SUBCASE("an empty file ends at once") {
        BlogScanner scanner(std::span<const std::byte>{});
        CHECK_FALSE(scanner.next());
        CHECK(scanner.status().clean());
        CHECK(scanner.status().records == 0);
    }
}
