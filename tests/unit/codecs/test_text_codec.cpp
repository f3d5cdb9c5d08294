#include <doctest/doctest.h>

#include <string>
#include <vector>

#include <tinman.hpp>
#include <tinman/codecs/text_codec.hpp>

#include "test_support.hpp"

using namespace tinman;

TEST_CASE("TextCodec: text round trips zero-copy, empty and multibyte included") {
    test::TempDir dir;
    const std::string long_text(5000, 'x');
    const std::vector<std::string> texts{"gripper closed", "", "Grüße, 世界 🤖", long_text, "tab\tand\nnewline"};
    {
        ObLogWriter log{dir.path()};
        auto w = log.get_writer("events", TextCodec{});
        w(std::int64_t{1}, texts[0]);                     // std::string
        w(std::int64_t{2}, std::string_view(texts[1]));   // std::string_view
        w(std::int64_t{3}, texts[2].c_str());             // const char*
        w(std::int64_t{4}, texts[3]);
        w(std::int64_t{5}, "tab\tand\nnewline");          // a literal
    }
    ObLogReader reader{dir.path()};
    CHECK(reader.codec("events") == CodecDescriptor{"text", {{"encoding", "utf-8"}}});
    auto channel = reader.read_channel<TextCodec>("events");
    std::vector<TextView> got;
    for (auto&& [t, text] : channel) got.push_back(text);
    REQUIRE(got.size() == texts.size());
    for (std::size_t i = 0; i < texts.size(); ++i) CHECK(got[i] == texts[i]);
    // In the mapping, which the value keeps alive.
    const auto file = channel.segment()->bytes();
    const auto* p = reinterpret_cast<const std::byte*>(got[3].text.data());
    CHECK(p >= file.data());
    CHECK(p + got[3].text.size() <= file.data() + file.size());
    CHECK(got[0].owner == channel.segment());
    auto indexed = reader.indexed_channel<TextCodec>("events");
    CHECK(std::string_view(indexed[2].value) == texts[2]);
}

TEST_CASE("TextCodec: invalid UTF-8 is refused on write and on read") {
    test::TempDir dir;
    ObLogWriter log{dir.path()};
    auto w = log.get_writer("events", TextCodec{});
    for (const std::string bad : {"\xFF", "ok \xC3", "\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "abcdefgh\x80"}) {
        CAPTURE(bad);
        CHECK_THROWS_WITH_AS(w(bad), doctest::Contains("not well-formed UTF-8"), usage_error);
    }
    CHECK_THROWS_WITH_AS(w("\xFF"), doctest::Contains("channel 'events'"), usage_error);
    CHECK(w.records_written() == 0);
    log.close();
    {
        // Text records written below the codec, as another writer could have.
        RecordWriter raw(dir.path(), "forged", TextCodec{}.descriptor());
        raw.append(1, Payload{{}, test::as_bytes("fine"), 1});
        raw.append(2, Payload{{}, test::as_bytes("bad \xFE"), 1});
    }
    ObLogReader reader{dir.path()};
    auto records = reader.indexed_channel<TextCodec>("forged");
    CHECK(records[0].value == "fine");
    CHECK_THROWS_WITH_AS((void)records[1], doctest::Contains("record 1"), format_error);
    CHECK_THROWS_WITH_AS((void)records[1], doctest::Contains("channel 'forged'"), format_error);
}

TEST_CASE("TextCodec: UTF-8 validation agrees with a byte-by-byte reference") {
    // Every 1..3-byte string over an alphabet of boundary bytes, and every position of a bad byte in long ASCII.
    const unsigned char alphabet[] = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2,
                                      0xDF, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF};
    const auto reference = [](const std::string& s) {
        // Decode code points and check ranges (RFC 3629), independently of the fast path.
        std::size_t i = 0;
        while (i < s.size()) {
            const auto b = static_cast<unsigned char>(s[i]);
            std::size_t len = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
            if (len == 0 || i + len > s.size()) return false;
            std::uint32_t cp = len == 1 ? b : b & (0x7F >> len);
            for (std::size_t k = 1; k < len; ++k) {
                const auto c = static_cast<unsigned char>(s[i + k]);
                if ((c & 0xC0) != 0x80) return false;
                cp = cp << 6 | (c & 0x3F);
            }
            const std::uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
            if (cp < min[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
            i += len;
        }
        return true;
    };
    std::size_t checked = 0;
    for (unsigned char a : alphabet)
        for (unsigned char b : alphabet)
            for (unsigned char c : alphabet) {
                for (const std::string& s : {std::string{char(a)}, std::string{char(a), char(b)},
                                            std::string{char(a), char(b), char(c)},
                                            std::string{char(a), char(b), char(c), char(0x80)},
                                            std::string{char(a), char(b), char(c), char(0xBF)}}) {
                    CHECK(detail::is_utf8(s) == reference(s));
                    ++checked;
                }
            }
    for (std::size_t at = 0; at < 40; ++at) {
        std::string s(40, 'a');
        s[at] = '\x80';
        CHECK(detail::utf8_error_offset(s) == at);
    }
    CHECK(checked > 8000);
}
