// Parquet export throughput against write(2) of as many bytes, measured in one run.
// For each workload a log channel is written once; then, in rounds that rotate
// which goes first, (a) the export as `tinman export --format parquet` does it (one
// pass reading the log and filling the table; pages and chunks written with
// write(2)), (b) write(2) of a buffer of the Parquet file's size in 1 MiB calls and
// (c) one pass that only reads the log. Reported: the medians, and export/write.
//   bench_parquet_export [rounds]     (TINMAN_BENCH_QUICK=1: smaller workloads)
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <tinman.hpp>
#include <tinman/parquet/channel_table.hpp>
#include <tinman/parquet/parquet_writer.hpp>
#if TINMAN_HAVE_ZSTD
#include <tinman/codecs/zstd_compression.hpp>
#endif

#include "bench_common.hpp"

namespace {

namespace fs = std::filesystem;
using namespace tinman;

/// A file written with write(2) and unlinked at scope exit.
class RawFile {
public:
    explicit RawFile(const fs::path& p) : path_(p), fd_(::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644)) {
        if (fd_ < 0) tinman_bench::fail_errno("open " + p.string());
    }
    ~RawFile() {
        ::close(fd_);
        ::unlink(path_.c_str());
    }
    RawFile(const RawFile&) = delete;
    RawFile& operator=(const RawFile&) = delete;
    void write(std::span<const std::byte> b) {
        while (!b.empty()) {
            const ssize_t n = ::write(fd_, b.data(), b.size());
            if (n <= 0) tinman_bench::fail_errno("write " + path_.string());
            b = b.subspan(static_cast<std::size_t>(n));
        }
    }

private:
    fs::path path_;
    int fd_;
};

/// Exports channel `name` of `dir` to `out` as the tool does (one pass, the table made
/// from the first record's dtype and shape); returns the file's size.
std::size_t export_channel(const fs::path& dir, const std::string& name, const fs::path& out,
                           const parquet::WriterOptions& options) {
    RawFile file(out);
    std::size_t size = 0;
    std::optional<parquet::ChannelTable> table;
    std::optional<parquet::Writer> w;
    std::vector<std::int64_t> batch_t;  // rows in batches of 4096, a column at a time, as the tool does
    std::vector<AnyArray> batch;
    const auto add_batch = [&] {
        table->add_rows(*w, batch_t, batch);
        batch_t.clear();
        batch.clear();
    };
    for (auto&& [t, a] : ObLogReader{dir}.read_channel<AnyArrayCodec>(name)) {
        if (!table) {
            parquet::ArraySurvey first;
            first.add(a);
            table.emplace(parquet::ChannelTable::arrays(name, first));
            w.emplace(table->columns(),
                      [&](std::span<const std::byte> b) {
                          file.write(b);
                          size += b.size();
                      },
                      options);
        }
        if (!table->per_element()) {
            table->add(*w, t, a);
            continue;
        }
        batch_t.push_back(t);
        batch.push_back(a);
        if (batch.size() == 4096) add_batch();
    }
    if (!batch.empty()) add_batch();
    w->finish();
    return size;
}

/// This process's CPU time (user and system) that `f` took: on a machine shared with
/// other work, wall time mostly measures the others.
double seconds(const std::function<void()>& f) {
    const auto cpu = [] {
        timespec ts{};
        ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
    };
    const double start = cpu();
    f();
    return cpu() - start;
}

/// One pass over the channel that only reads it: what the export costs at least.
std::size_t read_only(const fs::path& dir, const std::string& name) {
    std::size_t n = 0;
    for (auto&& [t, a] : ObLogReader{dir}.read_channel<AnyArrayCodec>(name)) n += a.bytes().size() + (t & 1);
    return n;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

struct Workload {
    std::string name;
    std::string dtype;
    shape_type shape;
    std::size_t records;
};

}  // namespace

int main(int argc, char** argv) {
    const int rounds = argc > 1 ? std::max(1, std::atoi(argv[1])) : 7;
    const bool quick = tinman_bench::env_flag("TINMAN_BENCH_QUICK");
    const std::size_t scale = quick ? 16 : 1;
    const std::vector<Workload> workloads = {
        {"imu: 6 x f8 a record, a column each", "<f8", {6}, (1u << 20) / scale},
        {"state: 64 x f4 a record, a column each", "<f4", {64}, (1u << 18) / scale},
        {"frames: 64x64 u1 a record, as bytes", "|u1", {64, 64}, (1u << 15) / scale},
    };
    struct Variant {
        std::string name;
        parquet::WriterOptions options;
    };
    std::vector<Variant> variants{{"uncompressed", {}}};
#if TINMAN_HAVE_ZSTD
    parquet::WriterOptions z;
    z.compression = {parquet::CompressionCodec::zstd, [](std::span<const std::byte> in, std::vector<std::byte>& out) {
                         return Zstd{.level = 1}.compress(in, out);
                     }};
    variants.push_back({"zstd level 1", z});
#endif

    const fs::path root = tinman_bench::fresh_dir("parquet");
    std::size_t sink = 0;  // keeps the read-only pass from being optimized away
    std::printf("bench_parquet_export: %d rounds, medians; files in %s (%s)\n", rounds, root.c_str(),
                tinman_bench::filesystem_of(root).c_str());
    std::printf("CPU time of this process; MB/s of the uncompressed Parquet file (MiB: the file written);\n"
                "'read' = one pass that only reads the log; 'write' = write(2) of as many bytes\n");
    std::printf("%-40s %-13s %8s %12s %12s %12s %8s\n", "workload", "pages", "MiB", "export MB/s", "read MB/s",
                "write MB/s", "export/write");
    for (const Workload& wl : workloads) {
        const fs::path log = root / "log";
        {
            ObLogWriter writer{log};
            auto w = writer.get_writer("ch", AnyArrayCodec{}, OpenMode::truncate);
            std::size_t n = 1;
            for (const std::size_t d : wl.shape) n *= d;
            std::vector<std::byte> bytes(n * parse_dtype(wl.dtype)->itemsize);
            for (std::size_t i = 0; i < wl.records; ++i) {
                for (std::size_t j = 0; j < bytes.size(); ++j) bytes[j] = static_cast<std::byte>((i * 31 + j * 7) & 0x7F);
                w.write(static_cast<std::int64_t>(i) * 1000, AnyArray(wl.dtype, wl.shape, bytes));
            }
        }
        std::size_t table_bytes = 0;  // the uncompressed file's size: the bytes both sides are credited with
        for (const Variant& v : variants) {
            std::size_t size = export_channel(log, "ch", root / "warm.parquet", v.options);  // warms the page cache
            if (table_bytes == 0) table_bytes = size;
            std::vector<std::byte> buffer(table_bytes, std::byte{1});
            std::vector<double> t_export, t_write, t_read;
            for (int r = 0; r < rounds; ++r) {
                const auto run_export = [&] {
                    t_export.push_back(seconds([&] { size = export_channel(log, "ch", root / "out.parquet", v.options); }));
                };
                const auto run_write = [&] {
                    t_write.push_back(seconds([&] {
                        RawFile f(root / "out.raw");
                        for (std::size_t at = 0; at < buffer.size(); at += tinman_bench::MiB)
                            f.write(std::span<const std::byte>(buffer).subspan(
                                at, std::min(tinman_bench::MiB, buffer.size() - at)));
                    }));
                };
                const auto run_read = [&] {
                    t_read.push_back(seconds([&] { sink += read_only(log, "ch"); }));
                };
                if (r % 3 == 0) run_export(), run_write(), run_read();
                if (r % 3 == 1) run_write(), run_read(), run_export();
                if (r % 3 == 2) run_read(), run_export(), run_write();
            }
            const double mb = static_cast<double>(table_bytes) / 1e6;
            const double e = mb / median(t_export), w = mb / median(t_write), rd = mb / median(t_read);
            std::printf("%-40s %-13s %8.1f %12.0f %12.0f %12.0f %8.2f\n", wl.name.c_str(), v.name.c_str(),
                        static_cast<double>(size) / static_cast<double>(tinman_bench::MiB), e, rd, w, e / w);
            std::fflush(stdout);
        }
        fs::remove_all(log);
    }
    return sink == 42 ? 1 : 0;
}
