#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include <tinman.hpp>
#include TINMAN_XTENSOR_HEADER(generators, xrandom.hpp)

#include "test_support.hpp"

using namespace tinman;
using test::TempDir;

static_assert(std::is_nothrow_destructible_v<ObLogWriter>);
static_assert(std::is_nothrow_destructible_v<ChannelWriter<NdArrayCodec<double>>>);

TEST_CASE("ObLogWriter: the quick-start round trip") {
    TempDir dir;
    std::vector<xt::xarray<double>> written;
    {
        ObLogWriter log{dir / "logs"};  // created on demand
        auto write = log.get_writer("sensor_data", NdArrayCodec<double>{});
        for (int i = 0; i < 100; ++i) {
            written.push_back(xt::random::rand<double>({1000}));
            write(written.back());
        }
        CHECK(write.records_written() == 100);
        log.close();
    }
    ObLogReader reader{dir / "logs"};
    std::size_t i = 0;
    std::int64_t previous = 0;
    for (auto&& [timestamp, arr] : reader.read_channel<NdArrayCodec<double>>("sensor_data")) {
        REQUIRE(i < written.size());
        CHECK(arr == written[i]);
        CHECK(timestamp >= previous);
        previous = timestamp;
        ++i;
    }
    CHECK(i == 100);
}

TEST_CASE("ObLogWriter: timestamps are taken now, or given as ns or a time point") {
    TempDir dir;
    const auto before = now_ns();
    {
        ObLogWriter log{dir.path()};
        auto w = log.get_writer("t", NdArrayCodec<std::int32_t>{});
        w(std::int32_t{1});
        w(std::int64_t{-5}, std::int32_t{2});
        w.write(std::chrono::system_clock::time_point(std::chrono::seconds(3)), std::int32_t{3});
    }
    ObLogReader reader{dir.path()};
    std::vector<std::int64_t> ts;
    for (auto&& [t, a] : reader.read_channel<NdArrayCodec<std::int32_t>>("t")) ts.push_back(t);
    REQUIRE(ts.size() == 3);
    CHECK(ts[0] >= before);
    CHECK(ts[0] <= now_ns());
    CHECK(ts[1] == -5);
    CHECK(ts[2] == 3'000'000'000);
}

TEST_CASE("ObLogWriter: existing channels need an explicit mode") {
    TempDir dir;
    {
        ObLogWriter log{dir.path()};
        log.get_writer("c", NdArrayCodec<double>{})(1.0);
    }
    auto values = [&] {
        std::vector<double> v;
        for (auto&& [t, a] : ObLogReader{dir.path()}.read_channel<NdArrayCodec<double>>("c")) v.push_back(a());
        return v;
    };
    ObLogWriter log{dir.path()};
    CHECK_THROWS_WITH_AS((void)log.get_writer("c", NdArrayCodec<double>{}), doctest::Contains("already exists"),
                         channel_error);
    CHECK(values() == std::vector<double>{1.0});
    SUBCASE("append") {
        log.get_writer("c", NdArrayCodec<double>{}, OpenMode::append)(2.0);
        log.close();
        CHECK(values() == std::vector<double>{1.0, 2.0});
    }
    SUBCASE("truncate") {
        log.get_writer("c", NdArrayCodec<double>{}, OpenMode::truncate)(3.0);
        log.close();
        CHECK(values() == std::vector<double>{3.0});
    }
    SUBCASE("append with another dtype") {
        CHECK_THROWS_AS((void)log.get_writer("c", NdArrayCodec<float>{}, OpenMode::append), codec_mismatch);
    }
}

TEST_CASE("ObLogWriter: a second writer for a channel is refused, here and in another process") {
    TempDir dir;
    ObLogWriter log{dir.path()};
    auto w = log.get_writer("c", NdArrayCodec<double>{});
    CHECK_THROWS_WITH_AS((void)log.get_writer("c", NdArrayCodec<double>{}, OpenMode::append),
                         doctest::Contains("channel 'c'"), channel_error);
    ObLogWriter other{dir.path()};
    CHECK_THROWS_WITH_AS((void)other.get_writer("c", NdArrayCodec<double>{}, OpenMode::append),
                         doctest::Contains("channel 'c'"), channel_error);
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        int code = 1;
        try {
            ObLogWriter in_child{dir.path()};
            (void)in_child.get_writer("c", NdArrayCodec<double>{}, OpenMode::append);
        } catch (const channel_error&) {
            code = 0;
        } catch (...) {
            code = 2;
        }
        ::_exit(code);
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    w.close();  // now another writer may continue the channel
    auto again = other.get_writer("c", NdArrayCodec<double>{}, OpenMode::append);
    again(1.0);
}

TEST_CASE("ObLogWriter: writers of different channels work from different threads") {
    TempDir dir;
    constexpr int threads = 4, per_thread = 20000;
    {
        ObLogWriter log{dir.path()};
        std::vector<std::thread> pool;
        for (int k = 0; k < threads; ++k) {
            pool.emplace_back([&log, k] {
                auto w = log.get_writer("ch" + std::to_string(k), NdArrayCodec<std::int64_t>{});
                for (std::int64_t i = 0; i < per_thread; ++i) w(i, xt::xarray<std::int64_t>{i, k});
            });
        }
        for (auto& t : pool) t.join();
        log.close();
    }
    ObLogReader reader{dir.path()};
    for (int k = 0; k < threads; ++k) {
        std::int64_t i = 0;
        bool ok = true;
        for (auto&& [t, a] : reader.read_channel<NdArrayCodec<std::int64_t>>("ch" + std::to_string(k))) {
            ok = ok && t == i && a(0) == i && a(1) == k;
            ++i;
        }
        CHECK(ok);
        CHECK(i == per_thread);
    }
}

TEST_CASE("ObLogWriter: bad channel names never create files") {
    TempDir dir;
    ObLogWriter log{dir / "logs"};
    for (const char* bad : {"", "..", "../escape", "a/b", "/abs"}) {
        CAPTURE(bad);
        CHECK_THROWS_AS((void)log.get_writer(bad, BytesCodec{}), channel_error);
    }
    CHECK(std::filesystem::is_empty(dir / "logs"));
    CHECK(std::distance(std::filesystem::directory_iterator(dir.path()), {}) == 1);
}

TEST_CASE("ObLogWriter: channel handles report use after close") {
    TempDir dir;
    ObLogWriter log{dir.path()};
    auto w = log.get_writer("c", NdArrayCodec<double>{});
    w(1.0);
    log.close();
    CHECK_THROWS_WITH_AS(w(2.0), doctest::Contains("closed"), usage_error);
    ChannelWriter<NdArrayCodec<double>> empty;
    CHECK_THROWS_AS(empty(1.0), usage_error);
}
