// Memory cost of reading large arrays (not a timing benchmark; prints a table):
//
//  1. Anonymous memory (RssAnon of /proc/self/status) added by reading a
//     76 MiB array (and 1 GiB with TINMAN_BENCH_LARGE=1) and touching all of it
//     (xt::sum). Target: < 1 MiB. xt::load_npy of the same array, for contrast.
//  2. Five reads of a 38 MiB array (each its own mapping), all kept alive and
//     fully touched. Target: < 1 MiB of anonymous memory in total.
//  3. After the file's pages are dropped from the page cache (writer closed,
//     fdatasync, posix_fadvise(POSIX_FADV_DONTNEED)), how much of the array is
//     paged in by opening the channel, decoding the record and touching one
//     element in its middle (mincore over the array's pages). Target: < 1 MiB.
//     The kernel reads around a faulting page (up to the device's read-ahead,
//     read_ahead_kb); the same measurement is also made reading with
//     ReadOptions::access = ReadAhead::random (MADV_RANDOM before any page is read).

#include <malloc.h>

#include <iostream>
#include <tinman.hpp>

#include "bench_common.hpp"

namespace {

using namespace tinman_bench;
using Codec = tinman::NdArrayCodec<double>;

volatile double sink;

/// A channel "array" in `dir` holding one array of `bytes` bytes (a(i) = i), and
/// the same array as `dir`/array.npy when `npy` is set.
void write_array(const fs::path& dir, std::size_t bytes, bool npy) {
    const auto a = make_array(bytes / sizeof(double));
    tinman::ObLogWriter log{dir};
    auto w = log.get_writer("array", Codec{});
    w.write(1, a);
    log.close();
    if (npy) xt::dump_npy((dir / "array.npy").string(), a);
}

/// Returns the heap to the OS so that later growth shows in RssAnon.
std::int64_t settled_rss_anon() {
    ::malloc_trim(0);
    return rss_anon_bytes();
}

void read_and_touch(Summary& summary, std::size_t bytes) {
    const fs::path dir = fresh_dir("memory-" + size_tag(bytes));
    write_array(dir, bytes, true);
    const std::string group = "read " + size_name(bytes) + " array, touch all";

    std::int64_t anon = 0, file = 0;
    {
        const auto anon0 = settled_rss_anon();
        const auto file0 = rss_file_bytes();
        const tinman::ObLogReader reader{dir};
        auto channel = reader.read_channel<Codec>("array");
        const auto record = *channel.begin();
        sink = xt::sum(record.value)();
        anon = rss_anon_bytes() - anon0;
        file = rss_file_bytes() - file0;
    }
    std::int64_t npy_anon = 0;
    {
        const auto anon0 = settled_rss_anon();
        const auto a = xt::load_npy<double>((dir / "array.npy").string());
        sink = xt::sum(a)();
        npy_anon = rss_anon_bytes() - anon0;
    }
    summary.add(Row(group, "RssAnon increase", static_cast<double>(anon), Unit::bytes)
                    .vs("xt::load_npy", static_cast<double>(npy_anon), std::numeric_limits<double>::quiet_NaN())
                    .goal("< 1 MiB", anon < static_cast<std::int64_t>(MiB)));
    summary.add(Row(group, "RssFile increase (mapped page cache)", static_cast<double>(file), Unit::bytes));
    fs::remove_all(dir);
}

void five_reads(Summary& summary) {
    constexpr std::size_t bytes = 38 * MiB;
    const fs::path dir = fresh_dir("memory-five");
    write_array(dir, bytes, false);
    std::int64_t anon = 0;
    {
        const auto anon0 = settled_rss_anon();
        const tinman::ObLogReader reader{dir};
        std::vector<tinman::ArrayView<double>> views;
        views.reserve(5);
        for (int i = 0; i < 5; ++i) {
            auto channel = reader.read_channel<Codec>("array");  // a mapping of its own
            views.push_back((*channel.begin()).value);
            sink = xt::sum(views.back())();
        }
        double total = 0;
        for (const auto& v : views) total += v(v.size() - 1);
        sink = total;
        anon = rss_anon_bytes() - anon0;
    }
    summary.add(Row("5 reads of a 38 MiB array kept alive", "RssAnon increase", static_cast<double>(anon), Unit::bytes)
                    .goal("< 1 MiB", anon < static_cast<std::int64_t>(MiB)));
    fs::remove_all(dir);
}

void page_in_after_drop(Summary& summary, std::size_t bytes) {
    const fs::path dir = fresh_dir("memory-drop-" + size_tag(bytes));
    write_array(dir, bytes, false);  // the writer is closed when this returns
    const fs::path file = dir / "array.tinman";
    const std::string group = size_name(bytes) + " array, pages dropped";
    const long read_ahead = read_ahead_kib(file);
    const std::string ra = read_ahead >= 0 ? " (read_ahead_kb " + std::to_string(read_ahead) + ")" : "";

    for (const bool random_access : {false, true}) {
        drop_from_page_cache(file);
        const std::size_t cached_after_drop = file_resident_bytes(file);
        const tinman::ObLogReader reader{dir};
        tinman::ReadOptions options;
        if (random_access) options.access = tinman::ReadAhead::random;
        auto channel = reader.read_channel<Codec>("array", {}, options);
        const auto record = *channel.begin();
        const auto& a = record.value;
        const std::size_t n = a.size();
        const std::size_t after_decode = resident_bytes(a.data(), n * sizeof(double));
        sink = a(n / 2);  // one element, far from the record's start
        const std::size_t after_touch = resident_bytes(a.data(), n * sizeof(double));
        if (cached_after_drop > 64 * KiB)
            std::cout << "note: " << format_value(static_cast<double>(cached_after_drop), Unit::bytes)
                      << " of the file stayed cached after POSIX_FADV_DONTNEED\n";
        const std::string how = random_access ? ", ReadAhead::random" : ra;
        summary.add(Row(group, "paged in by open + decode" + how, static_cast<double>(after_decode), Unit::bytes));
        summary.add(Row(group, "paged in after touching 1 element" + how, static_cast<double>(after_touch), Unit::bytes)
                        .goal("< 1 MiB", after_touch < MiB));
    }
    fs::remove_all(dir);
}

}  // namespace

int main() {
    try {
        std::cout << "bench_memory: files in " << scratch_dir().string() << " (" << filesystem_of(scratch_dir()) << ")"
                  << std::endl;
        std::vector<std::size_t> sizes{76 * MiB};
        if (large_enabled()) sizes.push_back(GiB);
        Summary summary("bench_memory");
        for (std::size_t bytes : sizes) read_and_touch(summary, bytes);
        five_reads(summary);
        for (std::size_t bytes : sizes) page_in_after_drop(summary, bytes);
        summary.print(std::cout);
        summary.write_csv();
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "bench_memory: error: " << e.what() << '\n';
        return 1;
    }
}
