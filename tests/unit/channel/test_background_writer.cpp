#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <thread>
#include <vector>

#include <tinman.hpp>

#include "test_support.hpp"

using namespace tinman;
using test::TempDir;
using namespace std::chrono_literals;

namespace {

WriterOptions background(std::size_t queue_bytes = std::size_t{64} << 20,
                         QueueFullPolicy when_full = QueueFullPolicy::block) {
    WriterOptions o;
    o.mode = WriteMode::background;
    o.queue_bytes = queue_bytes;
    o.when_full = when_full;
    return o;
}

/// The first element of every record of channel `name`, in file order.
std::vector<double> firsts(const std::filesystem::path& dir, const std::string& name) {
    std::vector<double> out;
    ObLogReader reader{dir};
    for (auto&& [t, a] : reader.read_channel<NdArrayCodec<double>>(name)) out.push_back(a(0));
    return out;
}

bool counts_up(const std::vector<double>& v) {
    for (std::size_t i = 0; i < v.size(); ++i)
        if (v[i] != static_cast<double>(i)) return false;
    return true;
}

}  // namespace

TEST_CASE("Background writer: records from many threads and channels land in order, small and large") {
    TempDir dir;
    constexpr int small_records = 30000, large_records = 40;
    WriterStatistics stats;
    {
        ObLogWriter log{dir.path(), background(std::size_t{4} << 20)};
        auto imu = log.get_writer("imu", NdArrayCodec<double>{});
        auto camera = log.get_writer("camera", NdArrayCodec<double>{});
        auto huge = log.get_writer("huge", NdArrayCodec<double>{});
        std::thread a([&] {
            std::vector<double> v(7);
            for (int i = 0; i < small_records; ++i) {
                v[0] = i;
                imu.write(i, v);
            }
        });
        std::thread b([&] {
            std::vector<double> v(131072);  // 1 MiB
            for (int i = 0; i < large_records; ++i) {
                v[0] = i;
                camera.write(i, v);
            }
        });
        std::vector<double> too_large(std::size_t{3} << 18);  // 6 MiB: more than the queue holds
        for (int i = 0; i < 3; ++i) {
            too_large[0] = i;
            huge.write(i, too_large);  // written by this thread once the queue before it is written
        }
        a.join();
        b.join();
        stats = log.close();
    }
    CHECK(stats.records_queued == small_records + large_records);
    CHECK(stats.records_written == small_records + large_records + 3);
    CHECK(stats.records_dropped == 0);
    CHECK(stats.queue_high_water_bytes > 0);
    CHECK(stats.queue_high_water_bytes <= std::size_t{4} << 20);
    const auto imu = firsts(dir.path(), "imu");
    CHECK(imu.size() == small_records);
    CHECK(counts_up(imu));
    const auto camera = firsts(dir.path(), "camera");
    CHECK(camera.size() == large_records);
    CHECK(counts_up(camera));
    CHECK(counts_up(firsts(dir.path(), "huge")));
    ObLogReader reader{dir.path()};
    for (const auto& name : reader.channel_names()) CHECK(reader.verify(name).clean());
}

TEST_CASE("Background writer: flush() and sync() return once everything written before them is in the file") {
    TempDir dir;
    ObLogWriter log{dir.path(), background()};
    auto w = log.get_writer("c", NdArrayCodec<double>{});
    for (int round = 1; round <= 5; ++round) {
        for (int i = 0; i < 1000; ++i) w.write(i, std::vector<double>{double((round - 1) * 1000 + i)});
        if (round % 2 == 0) w.flush();
        else log.sync();
        const auto seen = firsts(dir.path(), "c");
        CHECK(seen.size() == static_cast<std::size_t>(round * 1000));
        CHECK(counts_up(seen));
    }
    CHECK(w.records_written() == 5000);
}

TEST_CASE("Background writer: the drop policy counts every record it drops, and keeps the rest in order") {
    TempDir dir;
    constexpr int attempts = 20000;
    WriterStatistics stats;
    {
        ObLogWriter log{dir.path(), background(4096, QueueFullPolicy::drop)};
        auto w = log.get_writer("c", NdArrayCodec<double>{});
        std::vector<double> v(200);  // 1.6 KB: two fit in the queue
        for (int i = 0; i < attempts; ++i) {
            v[0] = i;
            w.write(i, v);
        }
        stats = log.close();
    }
    CHECK(stats.records_queued + stats.records_dropped == attempts);
    CHECK(stats.records_written == stats.records_queued);
    const auto kept = firsts(dir.path(), "c");
    CHECK(kept.size() == stats.records_queued);
    CHECK(std::is_sorted(kept.begin(), kept.end()));
    MESSAGE("dropped " << stats.records_dropped << " of " << attempts);
}

TEST_CASE("Background writer: the block policy loses nothing through a tiny queue") {
    TempDir dir;
    {
        ObLogWriter log{dir.path(), background(4096, QueueFullPolicy::block)};
        auto w = log.get_writer("c", NdArrayCodec<double>{});
        std::vector<double> v(200);
        for (int i = 0; i < 20000; ++i) {
            v[0] = i;
            w.write(i, v);
        }
        CHECK(log.close().records_dropped == 0);
    }
    CHECK(counts_up(firsts(dir.path(), "c")));
    CHECK(firsts(dir.path(), "c").size() == 20000);
}

TEST_CASE("Background writer: an error met by the log's thread reaches the caller on the next call") {
    TempDir dir;
    ObLogWriter log{dir.path(), background()};
    auto w = log.get_writer("c", NdArrayCodec<double>{});
    w.write(0, std::vector<double>(10, 1.0));
    w.flush();
    const auto size = std::filesystem::file_size(dir / "c.tinman");
    {
        test::FileSizeLimit limit(size + 1000);  // the next large record cannot be written
        w.write(1, std::vector<double>(100000, 2.0));
        CHECK_THROWS_WITH_AS(w.flush(), doctest::Contains("channel 'c'"), io_error);
    }
    w.write(2, std::vector<double>(10, 3.0));  // the error was reported once; writing goes on
    CHECK_NOTHROW(log.close());
    const auto seen = firsts(dir.path(), "c");
    CHECK(seen == std::vector<double>{1.0, 3.0});
    CHECK(ObLogReader{dir.path()}.verify("c").clean());
}

TEST_CASE("Background writer: writing to a closed channel is an error, not a silent loss") {
    TempDir dir;
    ObLogWriter log{dir.path(), background()};
    auto w = log.get_writer("c", NdArrayCodec<double>{});
    w.write(0, 1.0);
    w.close();
    CHECK_THROWS_WITH_AS(w.write(1, 2.0), doctest::Contains("closed"), usage_error);
    auto again = log.get_writer("c", NdArrayCodec<double>{}, OpenMode::append);  // a channel may be reopened
    again.write(2, 3.0);
    log.close();
    CHECK(firsts(dir.path(), "c") == std::vector<double>{1.0, 3.0});
}

TEST_CASE("Timed flushes: a low-rate channel reaches the file without flush(), and survives SIGKILL") {
    TempDir dir;
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        WriterOptions o;
        o.flush_interval = 100ms;
        ObLogWriter log{dir.path(), o};
        auto events = log.get_writer("events", NdArrayCodec<double>{});
        for (int i = 0; i < 13; ++i) {
            events.write(i, double(i));
            std::this_thread::sleep_for(20ms);
        }
        std::this_thread::sleep_for(1s);  // ten timer periods after the last record
        ::kill(::getpid(), SIGKILL);
        ::_exit(3);
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    REQUIRE(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGKILL);
    const auto seen = firsts(dir.path(), "events");
    CHECK(seen.size() == 13);
    CHECK(counts_up(seen));
}

TEST_CASE("Timed flushes in background mode count, and stop with the log") {
    TempDir dir;
    WriterOptions o = background();
    o.flush_interval = 10ms;
    ObLogWriter log{dir.path(), o};
    auto w = log.get_writer("c", NdArrayCodec<double>{});
    w.write(0, 1.0);
    // Wait (bounded) until a timed flush has handed the record to the file.
    for (int i = 0; i < 1000 && firsts(dir.path(), "c").empty(); ++i) std::this_thread::sleep_for(10ms);
    CHECK(firsts(dir.path(), "c") == std::vector<double>{1.0});
    CHECK(log.statistics().automatic_flushes >= 1);
    log.close();
}

TEST_CASE("ObLogWriter: flush, sync and close from a supervisor thread while sensor threads write") {
    for (const WriteMode mode : {WriteMode::blocking, WriteMode::background}) {
        CAPTURE(static_cast<int>(mode));
        TempDir dir;
        constexpr int threads = 3, per_thread = 20000;
        {
            WriterOptions o;
            o.mode = mode;
            o.buffer_bytes = 4096;  // small buffers: flushes often meet records being written
            ObLogWriter log{dir.path(), o};
            std::vector<ChannelWriter<NdArrayCodec<double>>> writers;
            for (int t = 0; t < threads; ++t)
                writers.push_back(log.get_writer("s" + std::to_string(t), NdArrayCodec<double>{}));
            std::atomic<bool> done{false};
            std::thread supervisor([&] {
                for (int i = 0; !done.load(); ++i) {
                    if (i % 3 == 2) log.sync();
                    else log.flush();
                }
            });
            std::vector<std::thread> sensors;
            for (int t = 0; t < threads; ++t) {
                sensors.emplace_back([&, t] {
                    std::vector<double> v(6);
                    for (int i = 0; i < per_thread; ++i) {
                        v[0] = i;
                        writers[static_cast<std::size_t>(t)].write(i, v);
                    }
                });
            }
            for (auto& s : sensors) s.join();
            done = true;
            supervisor.join();
            log.close();
        }
        ObLogReader reader{dir.path()};
        for (int t = 0; t < threads; ++t) {
            const auto name = "s" + std::to_string(t);
            CHECK(reader.verify(name).clean());
            const auto seen = firsts(dir.path(), name);
            CHECK(seen.size() == per_thread);
            CHECK(counts_up(seen));
        }
    }
}

TEST_CASE("ChannelWriter: one channel written from two threads gets every record, intact") {
    for (const WriteMode mode : {WriteMode::blocking, WriteMode::background}) {
        TempDir dir;
        {
            WriterOptions o;
            o.mode = mode;
            ObLogWriter log{dir.path(), o};
            auto w = log.get_writer("shared", NdArrayCodec<double>{});
            auto body = [&](double sign) {
                std::vector<double> v(16, sign);
                for (int i = 0; i < 20000; ++i) {
                    v[1] = i;
                    w.write(i, v);
                }
            };
            std::thread a(body, 1.0), b(body, -1.0);
            a.join();
            b.join();
        }
        ObLogReader reader{dir.path()};
        CHECK(reader.verify("shared").clean());
        double next[2] = {0, 0};
        bool per_thread_order = true;
        std::size_t n = 0;
        for (auto&& [t, a] : reader.read_channel<NdArrayCodec<double>>("shared")) {
            double& expected = next[a(0) > 0 ? 0 : 1];
            per_thread_order = per_thread_order && a(1) == expected && a(15) == a(0);
            expected += 1;
            ++n;
        }
        CHECK(n == 40000);
        CHECK(per_thread_order);
    }
}

TEST_CASE("WriterOptions::create_sync reaches every channel the log creates, in both modes") {
    for (const auto mode : {WriteMode::blocking, WriteMode::background}) {
        CAPTURE(static_cast<int>(mode));
        TempDir dir;
        ObLogWriter log{dir.path(), WriterOptions{.mode = mode, .create_sync = CreateSync::on_first_sync}};
        auto imu = log.get_writer("imu", NdArrayCodec<double>{});
        auto pose = log.get_writer("pose", NdArrayCodec<double>{});
        imu(1, xt::xarray<double>{1.0, 2.0});
        pose(1, xt::xarray<double>{3.0});
        CHECK_FALSE(imu.record_writer().creation_synced());
        CHECK_FALSE(pose.record_writer().creation_synced());
        log.sync();
        CHECK(imu.record_writer().creation_synced());
        CHECK(pose.record_writer().creation_synced());
        log.close();
        const ObLogReader reader{dir.path()};
        CHECK((*reader.read_channel<NdArrayCodec<double>>("imu").begin()).value(1) == 2.0);
        CHECK((*reader.read_channel<NdArrayCodec<double>>("pose").begin()).value(0) == 3.0);
    }
    TempDir dir;
    ObLogWriter log{dir.path()};
    CHECK(log.get_writer("imu", NdArrayCodec<double>{}).record_writer().creation_synced());  // the default
}
