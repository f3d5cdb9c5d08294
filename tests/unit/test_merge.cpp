// Merging channels by time: order, ties, stability, different codecs, empty
// channels, time ranges, backward clock steps.
#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <string>
#include <tuple>
#include <variant>
#include <vector>

#include <tinman.hpp>

#include "test_support.hpp"

using namespace tinman;
using test::TempDir;

static_assert(std::ranges::input_range<Merge<ChannelReader<BytesCodec>, ChannelReader<NdArrayCodec<double>>>>);
static_assert(std::ranges::input_range<MergeAll<ChannelReader<BytesCodec>>>);

namespace {

void write_bytes(const std::filesystem::path& dir, const std::string& name, const std::vector<std::int64_t>& ts) {
    ObLogWriter log{dir};
    auto w = log.get_writer(name, BytesCodec{});
    for (std::size_t i = 0; i < ts.size(); ++i) w(ts[i], name + ":" + std::to_string(i));
}

/// Expected merge: all (timestamp, channel, record) sorted by timestamp, then channel, then record.
std::vector<std::tuple<std::int64_t, std::size_t, std::size_t>> expected(
    const std::vector<std::vector<std::int64_t>>& channels) {
    std::vector<std::tuple<std::int64_t, std::size_t, std::size_t>> out;
    for (std::size_t c = 0; c < channels.size(); ++c)
        for (std::size_t i = 0; i < channels[c].size(); ++i) out.emplace_back(channels[c][i], c, i);
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace

TEST_CASE("merge: channels of different codecs in timestamp order, dispatched by type") {
    TempDir dir;
    write_bytes(dir.path(), "events", {5, 10, 10, 40});
    {
        ObLogWriter log{dir.path()};
        auto w = log.get_writer("pose", NdArrayCodec<double>{});
        for (std::int64_t t : {0, 10, 20, 40}) w(t, static_cast<double>(t) / 10);
    }
    ObLogReader reader{dir.path()};
    auto merged = merge(reader.read_channel<NdArrayCodec<double>>("pose"), reader.read_channel<BytesCodec>("events"));
    std::vector<std::string> seen;
    for (auto&& [channel, t, value] : merged) {
        CHECK(value.index() == channel);
        std::visit(
            [&, t = t](const auto& v) {
                if constexpr (std::is_same_v<std::decay_t<decltype(v)>, BytesView>)
                    seen.push_back(std::to_string(t) + " " + std::string(v.str()));
                else
                    seen.push_back(std::to_string(t) + " pose " + std::to_string(static_cast<int>(v() * 10)));
            },
            value);
    }
    // Ties: pose (given first) before events; within a channel, file order.
    CHECK(seen == std::vector<std::string>{"0 pose 0", "5 events:0", "10 pose 10", "10 events:1", "10 events:2",
                                           "20 pose 20", "40 pose 40", "40 events:3"});
}

TEST_CASE("merge: the same value type twice keeps channels apart") {
    TempDir dir;
    write_bytes(dir.path(), "a", {1, 3});
    write_bytes(dir.path(), "b", {2, 3});
    ObLogReader reader{dir.path()};
    std::vector<std::string> seen;
    for (auto&& r : merge(reader.read_channel<BytesCodec>("a"), reader.read_channel<BytesCodec>("b"))) {
        const auto& v = r.channel == 0 ? std::get<0>(r.value) : std::get<1>(r.value);
        seen.emplace_back(v.str());
    }
    CHECK(seen == std::vector<std::string>{"a:0", "b:0", "a:1", "b:1"});
}

TEST_CASE("merge: many channels against a sort, with equal timestamps and empty channels") {
    TempDir dir;
    std::mt19937_64 rng(11);
    std::vector<std::vector<std::int64_t>> ts(9);
    for (std::size_t c = 0; c < ts.size(); ++c) {
        std::int64_t t = 0;
        const std::size_t n = c == 3 || c == 7 ? 0 : 50 + rng() % 100;  // two empty channels
        for (std::size_t i = 0; i < n; ++i) ts[c].push_back(t += static_cast<std::int64_t>(rng() % 3));  // many ties
        write_bytes(dir.path(), "c" + std::to_string(c), ts[c]);
    }
    ObLogReader reader{dir.path()};
    std::vector<ChannelReader<BytesCodec>> channels;
    for (std::size_t c = 0; c < ts.size(); ++c) channels.push_back(reader.read_channel<BytesCodec>("c" + std::to_string(c)));
    auto merged = merge(std::move(channels));
    std::vector<std::tuple<std::int64_t, std::size_t, std::size_t>> got;
    for (auto it = merged.begin(); it != merged.end(); ++it) {
        const auto r = *it;
        CHECK(it.timestamp() == r.timestamp);
        CHECK(it.channel() == r.channel);
        const std::string s(r.value.str());
        CHECK(s.starts_with("c" + std::to_string(r.channel) + ":"));
        got.emplace_back(r.timestamp, r.channel, std::stoul(s.substr(s.find(':') + 1)));
    }
    CHECK(got == expected(ts));
}

TEST_CASE("merge: time ranges, no channels with records, and a clock that stepped back") {
    TempDir dir;
    write_bytes(dir.path(), "a", {10, 20, 30, 40, 50});
    write_bytes(dir.path(), "b", {15, 25, 35, 45});
    write_bytes(dir.path(), "back", {12, 30, 14, 32});  // stepped back after 30
    write_bytes(dir.path(), "empty", {});
    ObLogReader reader{dir.path()};
    SUBCASE("time ranges of channels") {
        std::vector<std::int64_t> got;
        for (auto&& r : merge(reader.read_channel<BytesCodec>("a", TimeRange{20, 41}), reader.read_channel<BytesCodec>("b", TimeRange{20, 41})))
            got.push_back(r.timestamp);
        CHECK(got == std::vector<std::int64_t>{20, 25, 30, 35, 40});
    }
    SUBCASE("only empty channels") {
        auto m = merge(reader.read_channel<BytesCodec>("empty"), reader.read_channel<BytesCodec>("a", TimeRange{100, 200}));
        CHECK(m.begin() == m.end());
        CHECK_THROWS_AS((void)*m.begin(), usage_error);
    }
    SUBCASE("a channel whose clock stepped back keeps its file order") {
        std::vector<std::pair<std::size_t, std::int64_t>> got;
        for (auto&& r : merge(reader.read_channel<BytesCodec>("a"), reader.read_channel<BytesCodec>("back")))
            got.emplace_back(r.channel, r.timestamp);
        CHECK(got == std::vector<std::pair<std::size_t, std::int64_t>>{
                         {0, 10}, {1, 12}, {0, 20}, {0, 30}, {1, 30}, {1, 14}, {1, 32}, {0, 40}, {0, 50}});
    }
    SUBCASE("random-access views merge too") {
        const auto a = reader.indexed_channel<BytesCodec>("a");
        const auto b = reader.indexed_channel<BytesCodec>("b");
        std::vector<std::int64_t> got;
        for (auto&& r : merge(a, b)) got.push_back(r.timestamp);
        CHECK(got == std::vector<std::int64_t>{10, 15, 20, 25, 30, 35, 40, 45, 50});
    }
}
