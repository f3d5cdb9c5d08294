// Paced replay against a fake clock: due times, speed factors, start offsets,
// stopping, and clocks that stepped back in the log.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <tinman.hpp>

#include "test_support.hpp"

using namespace tinman;
using test::TempDir;

namespace {

/// A clock that only moves when slept on (or by hand), recording every sleep.
struct FakeClock {
    std::int64_t t = 1'000'000;
    std::vector<std::int64_t> sleeps;
    [[nodiscard]] std::int64_t now() const { return t; }
    void sleep_until(std::int64_t until) {
        sleeps.push_back(until);
        t = std::max(t, until);
    }
};
static_assert(ReplayClock<FakeClock>);

void write_bytes(const std::filesystem::path& dir, const std::string& name, const std::vector<std::int64_t>& ts) {
    ObLogWriter log{dir};
    auto w = log.get_writer(name, BytesCodec{});
    for (std::size_t i = 0; i < ts.size(); ++i) w(ts[i], name + std::to_string(i));
}

}  // namespace

TEST_CASE("replay: records are delivered at their due times on the clock") {
    TempDir dir;
    write_bytes(dir.path(), "a", {5000, 5000, 6000, 9000});
    ObLogReader reader{dir.path()};
    FakeClock clock;
    std::vector<std::pair<std::int64_t, std::int64_t>> got;  // (clock time, timestamp)
    SUBCASE("real time") {
        const auto r = replay(reader.read_channel<BytesCodec>("a"),
                              [&](auto&& rec) { got.emplace_back(clock.now(), rec.timestamp); }, {}, clock);
        CHECK(r.delivered == 4);
        CHECK(got == std::vector<std::pair<std::int64_t, std::int64_t>>{
                         {1'000'000, 5000}, {1'000'000, 5000}, {1'001'000, 6000}, {1'004'000, 9000}});
        CHECK(clock.sleeps == std::vector<std::int64_t>{1'001'000, 1'004'000});
    }
    SUBCASE("twice as fast, and a quarter") {
        (void)replay(reader.read_channel<BytesCodec>("a"), [&](auto&& rec) { got.emplace_back(clock.now(), rec.timestamp); },
                     {.speed = 2.0}, clock);
        CHECK(clock.sleeps == std::vector<std::int64_t>{1'000'500, 1'002'000});
        clock = FakeClock{};
        (void)replay(reader.read_channel<BytesCodec>("a"), [](auto&&) {}, {.speed = 0.25}, clock);
        CHECK(clock.sleeps == std::vector<std::int64_t>{1'004'000, 1'016'000});
    }
    SUBCASE("speed 0 or infinity: as fast as possible") {
        for (double speed : {0.0, std::numeric_limits<double>::infinity()}) {
            clock = FakeClock{};
            const auto r = replay(reader.read_channel<BytesCodec>("a"), [](auto&&) {}, {.speed = speed}, clock);
            CHECK(r.delivered == 4);
            CHECK(clock.sleeps.empty());
        }
        CHECK_THROWS_AS((void)replay(reader.read_channel<BytesCodec>("a"), [](auto&&) {}, {.speed = -1}, clock), error);
        CHECK_THROWS_AS(
            (void)replay(reader.read_channel<BytesCodec>("a"), [](auto&&) {}, {.speed = std::nan("")}, clock), error);
    }
    SUBCASE("a start offset skips what comes before it and starts the clock there") {
        const auto r = replay(reader.read_channel<BytesCodec>("a"),
                              [&](auto&& rec) { got.emplace_back(clock.now(), rec.timestamp); },
                              {.speed = 1.0, .start_offset = 500}, clock);
        CHECK(r.skipped == 2);
        CHECK(r.delivered == 2);
        // Log time 5500 is the start: 6000 is due 500 ns later, 9000 at 3500.
        CHECK(got == std::vector<std::pair<std::int64_t, std::int64_t>>{{1'000'500, 6000}, {1'003'500, 9000}});
    }
    SUBCASE("an offset past the end delivers nothing") {
        const auto r = replay(reader.read_channel<BytesCodec>("a"), [](auto&&) {}, {.start_offset = 1'000'000}, clock);
        CHECK(r.delivered == 0);
        CHECK(r.skipped == 4);
    }
    SUBCASE("the callback can stop the replay") {
        int calls = 0;
        const auto r = replay(reader.read_channel<BytesCodec>("a"), [&](auto&&) { return ++calls < 2; }, {}, clock);
        CHECK(r.stopped);
        CHECK(r.delivered == 2);
    }
    SUBCASE("a slow callback does not make the pacing drift") {
        (void)replay(reader.read_channel<BytesCodec>("a"), [&](auto&&) { clock.t += 700; }, {}, clock);
        // Two calls took until 1'001'400, past 6000's due time (1'001'000): no sleep for it.
        // 9000 stays due at 1'004'000 (not 3000 ns after the late record).
        CHECK(clock.sleeps == std::vector<std::int64_t>{1'004'000});
    }
}

TEST_CASE("replay: a merged stream, and a log whose clock stepped back") {
    TempDir dir;
    write_bytes(dir.path(), "a", {100, 300});
    write_bytes(dir.path(), "b", {200, 150, 400});  // stepped back: 150 is due at once
    ObLogReader reader{dir.path()};
    FakeClock clock;
    std::vector<std::string> got;
    (void)replay(
        merge(reader.read_channel<BytesCodec>("a"), reader.read_channel<BytesCodec>("b")),
        [&](auto&& r) {
            std::visit([&](const BytesView& v) { got.push_back(std::to_string(clock.now()) + " " + std::string(v.str())); },
                       r.value);
        },
        {}, clock);
    CHECK(got == std::vector<std::string>{"1000000 a0", "1000100 b0", "1000100 b1", "1000200 a1", "1000300 b2"});
    CHECK(clock.sleeps == std::vector<std::int64_t>{1'000'100, 1'000'200, 1'000'300});
}

TEST_CASE("replay: the steady clock paces for real (no timing asserted)") {
    TempDir dir;
    write_bytes(dir.path(), "a", {0, 1000, 2000});
    ObLogReader reader{dir.path()};
    const auto r = replay(reader.read_channel<BytesCodec>("a"), [](auto&&) {});
    CHECK(r.delivered == 3);
}
