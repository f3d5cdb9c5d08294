// Writing 10 float64 arrays of 1 MiB to a channel (checksummed, then flushed
// to the page cache) against reading them back: open the channel, iterate the
// 10 records and touch every element (xt::sum of each view). Reports both
// times and how many times faster reading is.

#include <tinman.hpp>

#include "bench_common.hpp"

namespace {

using namespace tinman_bench;
using Codec = tinman::NdArrayCodec<double>;

constexpr std::size_t arrays = 10;
constexpr std::size_t array_bytes = MiB;
constexpr std::size_t n = array_bytes / sizeof(double);

std::vector<xt::xtensor<double, 1>> make_arrays() {
    std::vector<xt::xtensor<double, 1>> v;
    for (std::size_t i = 0; i < arrays; ++i) v.push_back(make_array(n, static_cast<double>(i)));
    return v;
}

void write_arrays(benchmark::State& state) {
    const auto data = make_arrays();
    const fs::path dir = fresh_dir("read-vs-write-w");
    {
        tinman::ObLogWriter log{dir};
        auto w = log.get_writer("arrays", Codec{});
        std::int64_t ts = 0;
        std::size_t batches = 0;
        for (auto _ : state) {
            if (++batches % 25 == 0) {  // start an empty file every 250 MiB
                state.PauseTiming();
                w.close();
                w = log.get_writer("arrays", Codec{}, tinman::OpenMode::truncate);
                state.ResumeTiming();
            }
            for (const auto& a : data) w.write(++ts, a);
            w.flush();
        }
        log.close();
    }
    fs::remove_all(dir);
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * arrays * array_bytes));
}

void read_arrays(benchmark::State& state) {
    const fs::path dir = fresh_dir("read-vs-write-r");
    double expected = 0;
    {
        const auto data = make_arrays();
        tinman::ObLogWriter log{dir};
        auto w = log.get_writer("arrays", Codec{});
        std::int64_t ts = 0;
        for (const auto& a : data) {
            w.write(++ts, a);
            expected += xt::sum(a)();
        }
        log.close();
    }
    const tinman::ObLogReader reader{dir};
    double total = 0;
    for (auto _ : state) {
        total = 0;
        for (auto&& [t, a] : reader.read_channel<Codec>("arrays")) total += xt::sum(a)();
        benchmark::DoNotOptimize(total);
    }
    check(state, total == expected, "wrong sum");
    fs::remove_all(dir);
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * arrays * array_bytes));
}

void summarize(const Collector& results, Summary& summary) {
    const auto w = results.get("write_10x1MiB");
    const auto r = results.get("read_10x1MiB");
    if (!w || !r) return;
    summary.add(Row("10 x 1 MiB arrays", "write (checksummed, flushed)", w->ns, Unit::ns));
    summary.add(Row("10 x 1 MiB arrays", "read (open, iterate, xt::sum each)", r->ns, Unit::ns)
                    .vs("write", w->ns, w->ns / r->ns));
}

}  // namespace

int main(int argc, char** argv) {
    benchmark::RegisterBenchmark("write_10x1MiB", write_arrays)
        ->Repetitions(5)->MinTime(0.1)->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark("read_10x1MiB", read_arrays)
        ->Repetitions(5)->MinTime(0.1)->Unit(benchmark::kMillisecond);
    return run_benchmarks(argc, argv, "bench_read_vs_write", summarize);
}
