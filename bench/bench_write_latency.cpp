// What a real-time thread pays to call write(): the latency of each write() of a
// small record (an IMU sample: 7 doubles, 5 kHz) while another thread of the same
// log streams 1 MiB frames to another channel as fast as they are taken, in
// blocking mode (write() does the I/O when its buffer fills) against background
// mode (write() queues, the log's thread writes; block policy: nothing may be lost).
// Rounds alternate the two modes; each figure is the median over rounds of that
// round's percentile. Every run checks that every small record reached the file.
// The small-record thread runs at real-time priority (SCHED_FIFO) when the process
// may, as a control loop would: then the figures are the library's, not the
// scheduler's on a busy machine (the summary says which it was).

#include <pthread.h>
#include <sched.h>

#include <atomic>
#include <thread>

#include <tinman.hpp>

#include "bench_common.hpp"

namespace {

using namespace tinman_bench;
using clock_type = std::chrono::steady_clock;

constexpr auto run_time = std::chrono::milliseconds(1500);
constexpr auto imu_period = std::chrono::microseconds(200);
constexpr std::size_t frame_bytes = MiB;
constexpr std::size_t max_stream_bytes = std::size_t{2} << 30;  // per run: keeps the files and the page cache bounded
constexpr int rounds = 3;

/// Real-time priority for the calling thread while in scope, if allowed.
struct ScopedRealTime {
    ScopedRealTime() {
        sched_param p{};
        p.sched_priority = sched_get_priority_min(SCHED_FIFO) + 1;
        pthread_getschedparam(pthread_self(), &old_policy, &old_param);
        active = pthread_setschedparam(pthread_self(), SCHED_FIFO, &p) == 0;
        if (active) real_time_used = true;
    }
    ~ScopedRealTime() {
        if (active) pthread_setschedparam(pthread_self(), old_policy, &old_param);
    }
    ScopedRealTime(const ScopedRealTime&) = delete;
    ScopedRealTime& operator=(const ScopedRealTime&) = delete;
    int old_policy = SCHED_OTHER;
    sched_param old_param{};
    bool active = false;
    static inline bool real_time_used = false;
};

struct Latencies {
    double p50 = 0, p99 = 0, p999 = 0, max = 0;  // ns
    double frames_per_s = 0;
};

double percentile(std::vector<std::int64_t>& v, double q) {
    const auto k = static_cast<std::size_t>(q * static_cast<double>(v.size() - 1));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    return static_cast<double>(v[k]);
}

Latencies run_once(tinman::WriteMode mode) {
    const fs::path dir = fresh_dir(mode == tinman::WriteMode::background ? "latency-background" : "latency-blocking");
    std::vector<std::int64_t> latencies;
    latencies.reserve(20000);
    std::uint64_t frames = 0;
    std::int64_t imu_records = 0;
    double elapsed = 0;
    {
        tinman::WriterOptions options;
        options.mode = mode;
        options.when_full = tinman::QueueFullPolicy::block;
        tinman::ObLogWriter log{dir, options};
        auto imu = log.get_writer("imu", tinman::NdArrayCodec<double>{});
        auto camera = log.get_writer("camera", tinman::NdArrayCodec<std::uint8_t>{});
        std::atomic<bool> stop{false};
        std::thread streamer([&] {
            std::vector<std::uint8_t> frame(frame_bytes, 7);
            while (!stop.load(std::memory_order_relaxed) && frames * frame_bytes < max_stream_bytes) {
                camera.write(static_cast<std::int64_t>(frames), frame);
                ++frames;
            }
        });
        std::vector<double> sample(7, 1.0);
        const ScopedRealTime real_time;
        const auto start = clock_type::now();
        auto next = start;
        while (clock_type::now() - start < run_time) {
            sample[0] = static_cast<double>(imu_records);
            const auto t0 = clock_type::now();
            imu.write(imu_records, sample);
            const auto t1 = clock_type::now();
            latencies.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count());
            ++imu_records;
            next += imu_period;
            std::this_thread::sleep_until(next);
        }
        elapsed = std::chrono::duration<double>(clock_type::now() - start).count();
        stop = true;
        streamer.join();
        const auto stats = log.close();
        if (stats.records_dropped != 0) throw std::runtime_error("records were dropped under the block policy");
    }
    std::int64_t found = 0;
    tinman::ObLogReader reader{dir};
    for (auto&& [t, a] : reader.read_channel<tinman::NdArrayCodec<double>>("imu")) {
        if (t != found || a(0) != static_cast<double>(found)) throw std::runtime_error("imu records out of order");
        ++found;
    }
    if (found != imu_records) throw std::runtime_error("imu records lost");
    std::error_code ec;
    fs::remove_all(dir, ec);
    Latencies l;
    l.p50 = percentile(latencies, 0.5);
    l.p99 = percentile(latencies, 0.99);
    l.p999 = percentile(latencies, 0.999);
    l.max = static_cast<double>(*std::max_element(latencies.begin(), latencies.end()));
    l.frames_per_s = static_cast<double>(frames) / elapsed;
    return l;
}

std::map<tinman::WriteMode, std::vector<Latencies>> results;

void latency_rounds(benchmark::State& state) {
    for (auto _ : state) {
        for (int r = 0; r < rounds; ++r) {
            // Alternate which mode goes first.
            const tinman::WriteMode first = r % 2 ? tinman::WriteMode::background : tinman::WriteMode::blocking;
            const tinman::WriteMode second = r % 2 ? tinman::WriteMode::blocking : tinman::WriteMode::background;
            results[first].push_back(run_once(first));
            results[second].push_back(run_once(second));
        }
    }
}
BENCHMARK(latency_rounds)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();

double median_of(const std::vector<Latencies>& v, double Latencies::*field) {
    std::vector<double> xs;
    for (const auto& l : v) xs.push_back(l.*field);
    std::sort(xs.begin(), xs.end());
    return xs[xs.size() / 2];
}

void summarize(const Collector&, Summary& summary) {
    const auto& blocking = results[tinman::WriteMode::blocking];
    const auto& background = results[tinman::WriteMode::background];
    if (blocking.empty() || background.empty()) return;
    const std::string group = std::string("small write() beside 1 MiB frames") +
                              (ScopedRealTime::real_time_used ? " (SCHED_FIFO)" : " (normal priority)");
    struct Metric {
        const char* name;
        double Latencies::*field;
        const char* target;
        double limit_ns;
    };
    const Metric metrics[] = {{"p50", &Latencies::p50, "", 0},
                              {"p99", &Latencies::p99, "", 0},
                              {"p99.9", &Latencies::p999, "<= 10 us", 10e3},
                              {"max", &Latencies::max, "<= 1 ms", 1e6}};
    for (const auto& m : metrics) {
        const double bg = median_of(background, m.field), bl = median_of(blocking, m.field);
        Row row(group, std::string("background mode, ") + m.name, bg, Unit::ns);
        row.vs(std::string("blocking mode, ") + m.name, bl, bl / bg);
        if (m.limit_ns > 0) row.goal(m.target, bg <= m.limit_ns);
        summary.add(row);
    }
    summary.add(Row(group, "background mode, frames/s streamed", median_of(background, &Latencies::frames_per_s),
                    Unit::per_s)
                    .vs("blocking mode", median_of(blocking, &Latencies::frames_per_s),
                        median_of(background, &Latencies::frames_per_s) /
                            median_of(blocking, &Latencies::frames_per_s)));
}

}  // namespace

int main(int argc, char** argv) { return run_benchmarks(argc, argv, "bench_write_latency", summarize); }
