#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <tinman.hpp>
#include <tinman/codecs/json_codec.hpp>

#include "encoded_support.hpp"
#include "test_support.hpp"

using namespace tinman;
using nlohmann::json;

TEST_CASE("JsonCodec: documents round trip, nested and unicode, stored compactly") {
    test::TempDir dir;
    const std::vector<json> docs{
        json{{"kind", "grasp"}, {"ok", true}, {"force", 12.5}},
        json{{"nested", {{"a", {1, 2, {{"b", nullptr}}}}, {"empty", json::object()}}}},
        json{{"text", "Grüße, 世界 🤖 \"quoted\"\n"}},
        json::array(),
        json(42),
        json("just a string"),
    };
    {
        ObLogWriter log{dir.path()};
        auto w = log.get_writer("events", JsonCodec{});
        for (std::size_t i = 0; i < docs.size(); ++i) w(static_cast<std::int64_t>(i), docs[i]);
        auto geo = log.get_writer("places", JsonCodec{"application/geo+json"});
        geo(json{{"type", "Point"}, {"coordinates", {8.5, 47.4}}});
    }
    ObLogReader reader{dir.path()};
    CHECK(reader.codec("events") == CodecDescriptor{"json", {{"content_type", "application/json"}}});
    CHECK(reader.codec("places").param("content_type") == "application/geo+json");
    std::vector<JsonDocument> got;
    auto channel = reader.read_channel<JsonCodec>("events");
    for (auto&& [t, doc] : channel) got.push_back(doc);
    REQUIRE(got.size() == docs.size());
    for (std::size_t i = 0; i < docs.size(); ++i) {
        CHECK(got[i].value == docs[i]);
        CHECK(got[i].text == docs[i].dump());  // compact, as nlohmann writes it
    }
    CHECK(got[0].text == R"({"force":12.5,"kind":"grasp","ok":true})");
    // The text view is in the mapping.
    const auto file = channel.segment()->bytes();
    CHECK(reinterpret_cast<const std::byte*>(got[2].text.data()) >= file.data());
    CHECK(got[2].owner == channel.segment());
    // TextCodec reads the same records as text, without parsing.
    auto texts = reader.indexed_channel<TextCodec>("events");
    CHECK(texts[1].value == docs[1].dump());
    CHECK(reader.indexed_channel<JsonCodec>("places")[0].value.value["type"] == "Point");
    CHECK_THROWS_AS((void)reader.read_channel<JsonCodec>("missing"), channel_not_found);
}

TEST_CASE("JsonCodec: a string that is not UTF-8 is refused on write") {
    test::TempDir dir;
    ObLogWriter log{dir.path()};
    auto w = log.get_writer("events", JsonCodec{});
    CHECK_THROWS_WITH_AS(w(json{{"bad", "\xFF"}}), doctest::Contains("cannot write JSON"), usage_error);
    CHECK_THROWS_WITH_AS(w(json{{"bad", "\xFF"}}), doctest::Contains("channel 'events'"), usage_error);
    w(json{{"good", 1}});
    CHECK(w.records_written() == 1);
}

TEST_CASE("JsonCodec: a payload that is not JSON is a format_error naming channel and record") {
    test::TempDir dir;
    {
        ObLogWriter log{dir.path()};
        auto w = log.get_writer("events", test::RawPayloadCodec{JsonCodec{}.descriptor()});
        for (const std::string_view s : {R"({"ok":1})", R"({"cut":)", "\xFF", R"({"s":"\xC3"})", ""})
            w(std::as_bytes(std::span{s.data(), s.size()}));
    }
    ObLogReader reader{dir.path()};
    auto docs = reader.indexed_channel<JsonCodec>("events");
    CHECK(docs[0].value.value["ok"] == 1);
    for (std::uint64_t i = 1; i < docs.size(); ++i) {
        CAPTURE(i);
        CHECK_THROWS_WITH_AS((void)docs[i], doctest::Contains(doctest::String(("record " + std::to_string(i)).c_str())), format_error);
        CHECK_THROWS_WITH_AS((void)docs[i], doctest::Contains("channel 'events'"), format_error);
        CHECK_THROWS_WITH_AS((void)docs[i], doctest::Contains("not a JSON document"), format_error);
    }
    CHECK_THROWS_AS(
        [&] {
            for (auto&& r : reader.read_channel<JsonCodec>("events")) (void)r;
        }(),
        format_error);
}

TEST_CASE("JsonCodec: writing reuses the scratch memory") {
    JsonCodec codec;
    EncodeScratch scratch;
    const json doc{{"kind", "grasp"}, {"n", 3}};
    const auto first = codec.encode(doc, scratch);
    const auto* data = first.body.data();
    const std::string expected = doc.dump();
    for (int i = 0; i < 100; ++i) {
        const auto p = codec.encode(doc, scratch);
        CHECK(p.body.data() == data);  // same buffer: no reallocation once warm
        CHECK(std::string_view(reinterpret_cast<const char*>(p.body.data()), p.body.size()) == expected);
    }
    CHECK(codec.mismatch(TextCodec{}.descriptor()).find("TextCodec") != std::string::npos);
    CHECK(codec.mismatch(JsonCodec{"application/geo+json"}.descriptor()).empty());
}
