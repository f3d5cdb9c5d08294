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
