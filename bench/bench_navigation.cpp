// Time navigation: what finding the part of a log you want costs.
//  - seek latency (first record at or after a random time, then its value) for
//    logs of 10^3 .. 10^7 records: should be flat in log n;
//  - extracting 1 % of a 10^7-record log by time range, against a full scan that
//    filters the same records;
//  - merging 2 .. 64 channels by timestamp (small records), records per second,
//    against reading the same channels one after the other;
//  - a channel summary (count, first/last timestamp) of a 5 M-record log, with the
//    time index and without it (a scan), and how it grows from 10^3 to 10^7 records.
// Small records: 8-byte payloads (BytesCodec), timestamps 1 us apart. The files
// stay in the page cache (warm): these are CPU and memory costs, not disk seeks.

#include <random>

#include <tinman.hpp>

#include "bench_common.hpp"

namespace {

using namespace tinman_bench;

constexpr std::int64_t step = 1000;  // ns between records
const std::vector<std::size_t> log_sizes = {1'000, 10'000, 100'000, 1'000'000, 5'000'000, 10'000'000};
constexpr std::size_t merge_records_per_channel = 100'000;
constexpr std::size_t merge_channels = 64;

std::string count_name(std::size_t n) {
    if (n % 1'000'000 == 0) return std::to_string(n / 1'000'000) + "M";
    if (n % 1'000 == 0) return std::to_string(n / 1'000) + "k";
    return std::to_string(n);
}

/// A log directory with channel "c" of `n` records (record i: timestamp i * step,
/// payload i as 8 bytes), and a second directory holding the same channel file
/// without its index (hard-linked), written once per size.
struct SizedLog {
    fs::path dir;
    fs::path unindexed;
};

const SizedLog& log_of(std::size_t n) {
    static std::map<std::size_t, SizedLog> logs;
    if (auto it = logs.find(n); it != logs.end()) return it->second;
    SizedLog log{fresh_dir("nav-" + count_name(n)), fresh_dir("nav-" + count_name(n) + "-noindex")};
    {
        tinman::ObLogWriter writer{log.dir};
        auto w = writer.get_writer("c", tinman::BytesCodec{});
        for (std::uint64_t i = 0; i < n; ++i)
            w(static_cast<std::int64_t>(i) * step, std::as_bytes(std::span<const std::uint64_t>(&i, 1)));
        writer.close();
    }
    fs::create_hard_link(log.dir / "c.tinman", log.unindexed / "c.tinman");
    return logs.emplace(n, std::move(log)).first->second;
}

std::uint64_t payload_u64(const tinman::BytesView& v) {
    std::uint64_t x = 0;
    std::memcpy(&x, v.bytes.data(), std::min(v.bytes.size(), sizeof x));
    return x;
}

void seek(benchmark::State& state, std::size_t n) {
    const tinman::ObLogReader reader{log_of(n).dir};
    const auto view = reader.indexed_channel<tinman::BytesCodec>("c");
    std::mt19937_64 rng(42);
    std::vector<std::int64_t> targets(4096);
    for (auto& t : targets) t = static_cast<std::int64_t>(rng() % ((n - 1) * step + 1));
    std::size_t k = 0;
    bool ok = true;
    for (auto _ : state) {
        const std::int64_t t = targets[k++ % targets.size()];
        const auto i = view.seek(t);
        const auto value = payload_u64(view[i].value);
        ok = ok && value == i && static_cast<std::int64_t>(i) * step >= t;
        benchmark::DoNotOptimize(value);
    }
    check(state, ok && view.time_index().indexed_records() == n, "wrong seek result or index not used");
}

constexpr std::size_t range_log = 10'000'000;

/// 1 % of the log by time: [from, from + n/100 records), read through the index.
void range_indexed(benchmark::State& state) {
    const tinman::ObLogReader reader{log_of(range_log).dir};
    const std::int64_t from = static_cast<std::int64_t>(range_log / 2) * step;
    const std::int64_t to = from + static_cast<std::int64_t>(range_log / 100) * step;
    std::uint64_t count = 0, sum = 0;
    for (auto _ : state) {
        count = sum = 0;
        for (auto&& [t, v] : reader.read_channel<tinman::BytesCodec>("c", tinman::TimeRange{from, to})) {
            ++count;
            sum += payload_u64(v);
        }
        benchmark::DoNotOptimize(sum);
    }
    check(state, count == range_log / 100, "wrong record count");
    state.counters["records"] = static_cast<double>(count);
}

/// The same records found by scanning the whole channel and filtering.
void range_full_scan(benchmark::State& state) {
    const tinman::ObLogReader reader{log_of(range_log).dir};
    const std::int64_t from = static_cast<std::int64_t>(range_log / 2) * step;
    const std::int64_t to = from + static_cast<std::int64_t>(range_log / 100) * step;
    std::uint64_t count = 0, sum = 0;
    for (auto _ : state) {
        count = sum = 0;
        for (auto&& [t, v] : reader.read_channel<tinman::BytesCodec>("c")) {
            if (t < from || t >= to) continue;
            ++count;
            sum += payload_u64(v);
        }
        benchmark::DoNotOptimize(sum);
    }
    check(state, count == range_log / 100, "wrong record count");
}

const fs::path& merge_dir() {
    static const fs::path dir = [] {
        const fs::path d = fresh_dir("nav-merge");
        tinman::ObLogWriter writer{d};
        for (std::size_t c = 0; c < merge_channels; ++c) {
            auto w = writer.get_writer("c" + std::to_string(c), tinman::BytesCodec{});
            for (std::uint64_t i = 0; i < merge_records_per_channel; ++i)
                w(static_cast<std::int64_t>(i * merge_channels + c), std::as_bytes(std::span<const std::uint64_t>(&i, 1)));
            w.close();
        }
        writer.close();
        return d;
    }();
    return dir;
}

void merge_channels_by_time(benchmark::State& state, std::size_t k) {
    const tinman::ObLogReader reader{merge_dir()};
    std::uint64_t count = 0, sum = 0;
    bool ordered = true;
    for (auto _ : state) {
        std::vector<tinman::ChannelReader<tinman::BytesCodec>> channels;
        for (std::size_t c = 0; c < k; ++c) channels.push_back(reader.read_channel<tinman::BytesCodec>("c" + std::to_string(c)));
        count = sum = 0;
        std::int64_t last = -1;
        for (auto&& [channel, t, v] : tinman::merge(std::move(channels))) {
            ordered = ordered && t > last;
            last = t;
            ++count;
            sum += payload_u64(v) + channel;
        }
        benchmark::DoNotOptimize(sum);
    }
    check(state, ordered && count == k * merge_records_per_channel, "merge out of order or incomplete");
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * k * merge_records_per_channel));
}

/// The same channels read one after the other (no merging): the cost of the reads alone.
void read_channels_in_turn(benchmark::State& state, std::size_t k) {
    const tinman::ObLogReader reader{merge_dir()};
    std::uint64_t count = 0, sum = 0;
    for (auto _ : state) {
        count = sum = 0;
        for (std::size_t c = 0; c < k; ++c)
            for (auto&& [t, v] : reader.read_channel<tinman::BytesCodec>("c" + std::to_string(c))) {
                ++count;
                sum += payload_u64(v) + c + static_cast<std::uint64_t>(t != 0);
            }
        benchmark::DoNotOptimize(sum);
    }
    check(state, count == k * merge_records_per_channel, "incomplete");
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * k * merge_records_per_channel));
}

void summary_indexed(benchmark::State& state, std::size_t n) {
    const tinman::ObLogReader reader{log_of(n).dir};
    tinman::ChannelInfo info;
    for (auto _ : state) {
        info = reader.info("c");
        benchmark::DoNotOptimize(info.records);
    }
    check(state, info.records == n && info.indexed_records == n &&
                     info.last_timestamp == static_cast<std::int64_t>(n - 1) * step,
          "wrong summary or index not used");
}

void summary_scan(benchmark::State& state, std::size_t n) {
    const tinman::ObLogReader reader{log_of(n).unindexed};
    tinman::ChannelInfo info;
    for (auto _ : state) {
        info = reader.info("c");
        benchmark::DoNotOptimize(info.records);
    }
    check(state, info.records == n && info.indexed_records == 0, "wrong summary");
}

std::string sized(const char* name, std::size_t n) { return std::string(name) + "/" + std::to_string(n); }

void summarize(const Collector& results, Summary& summary) {
    const auto seek_small = results.get(sized("seek", log_sizes.front()));
    for (std::size_t n : log_sizes) {
        const auto r = results.get(sized("seek", n));
        if (!r) continue;
        Row row("seek in " + count_name(n) + " records", "seek(t) + decode", r->ns, Unit::ns);
        if (seek_small && n != log_sizes.front())
            row.vs("same, 1k records", seek_small->ns, seek_small->ns / r->ns)
                .expect("O(log n): log n is " + fixed(std::log2(static_cast<double>(n)) / std::log2(1000.0)) +
                        "x the 1k one");
        summary.add(row);
    }
    if (const auto a = results.get("range_1pct_indexed"), b = results.get("range_1pct_full_scan"); a && b)
        summary.add(Row("1 % of 10M records by time", "read_channel(name, from, to)", a->ns, Unit::ns)
                        .vs("full scan + filter", b->ns, b->ns / a->ns)
                        .goal(">= 20x", b->ns / a->ns >= 20));
    for (std::size_t k = 2; k <= merge_channels; k *= 2) {
        const auto m = results.get(sized("merge", k));
        const auto s = results.get(sized("read_in_turn", k));
        if (!m) continue;
        const double rate = static_cast<double>(k * merge_records_per_channel) / (m->ns * 1e-9);
        Row row("merge " + std::to_string(k) + " channels", "records/s merged", rate, Unit::per_s);
        if (s) {
            const double base = static_cast<double>(k * merge_records_per_channel) / (s->ns * 1e-9);
            row.vs("read in turn", base, rate / base);
        }
        summary.add(row.goal(">= 10 M/s", rate >= 10e6));
    }
    const auto sum_small = results.get(sized("summary_indexed", log_sizes.front()));
    for (std::size_t n : log_sizes) {
        const auto a = results.get(sized("summary_indexed", n));
        if (!a) continue;
        Row row("summary of " + count_name(n) + " records", "info() with index", a->ns, Unit::ns);
        if (const auto b = results.get(sized("summary_scan", n))) row.vs("without (scan)", b->ns, b->ns / a->ns);
        if (n == 5'000'000) row.goal("< 1 ms", a->ns < 1e6);
        else if (sum_small && n != log_sizes.front())
            row.expect("flat: " + fixed(a->ns / sum_small->ns) + "x the 1k time");
        summary.add(row);
    }
}

}  // namespace

int main(int argc, char** argv) {
    for (std::size_t n : log_sizes) benchmark::RegisterBenchmark(sized("seek", n).c_str(), seek, n)->MinTime(0.2);
    benchmark::RegisterBenchmark("range_1pct_indexed", range_indexed)->MinTime(0.2)->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark("range_1pct_full_scan", range_full_scan)->MinTime(0.5)->Unit(benchmark::kMillisecond);
    for (std::size_t k = 2; k <= merge_channels; k *= 2) {
        benchmark::RegisterBenchmark(sized("merge", k).c_str(), merge_channels_by_time, k)
            ->MinTime(0.3)->Unit(benchmark::kMillisecond);
        benchmark::RegisterBenchmark(sized("read_in_turn", k).c_str(), read_channels_in_turn, k)
            ->MinTime(0.3)->Unit(benchmark::kMillisecond);
    }
    for (std::size_t n : log_sizes) {
        benchmark::RegisterBenchmark(sized("summary_indexed", n).c_str(), summary_indexed, n)
            ->MinTime(0.2)->Unit(benchmark::kMicrosecond);
        if (n == 1'000 || n == 5'000'000)
            benchmark::RegisterBenchmark(sized("summary_scan", n).c_str(), summary_scan, n)
                ->MinTime(0.2)->Unit(benchmark::kMicrosecond);
    }
    return run_benchmarks(argc, argv, "bench_navigation", summarize);
}
