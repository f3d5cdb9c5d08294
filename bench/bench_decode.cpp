// Decode time of one float64 array record, by array size: tinman's zero-copy
// decode (an ArrayView over the mapped file) against copying reads of the same
// array: pread(2) into a preallocated xtensor, xt::load_npy, and HDF5 (H5Dread
// of one row of an extensible chunked dataset into a preallocated buffer).
//
// Sizes: 1 KiB, 1 MiB, 76 MiB; TINMAN_BENCH_LARGE=1 adds 1 GiB (about 3.5 GB
// of disk: the tinman, .npy and HDF5 files of one size exist at a time).
// Target: zero-copy decode of the 76 MiB record >= 1000x faster than pread.

#include <fcntl.h>
#include <unistd.h>

#include <memory>
#include <optional>
#include <tinman.hpp>

#include "bench_common.hpp"
#ifdef TINMAN_BENCH_HAVE_HDF5
#include "hdf5_peer.hpp"
#endif

namespace {

using namespace tinman_bench;
using Codec = tinman::NdArrayCodec<double>;

/// The files of one array size: a tinman channel holding one record, mapped,
/// with the record's payload at hand; the same array as .npy and as HDF5.
struct Files {
    explicit Files(std::size_t bytes_) : bytes(bytes_), n(bytes_ / sizeof(double)) {
        dir = fresh_dir("decode-" + size_tag(bytes));
        npy = dir / "array.npy";
        h5 = dir / "array.h5";
        {
            const auto a = make_array(n, 1.0);
            tinman::ObLogWriter log{dir / "log"};
            auto write = log.get_writer("array", Codec{});
            write(1, a);
            log.close();
            xt::dump_npy(npy.string(), a);
#ifdef TINMAN_BENCH_HAVE_HDF5
            h5::RowWriter rows(h5, n);
            rows.append(a.data());
            rows.close();
#endif
        }
        tinman::ObLogReader reader{dir / "log"};
        channel.emplace(reader.read_channel<Codec>("array"));
        auto it = channel->begin();
        payload = it.record().payload;
        segment = channel->segment();
        const auto view = Codec{}.decode(payload, segment);
        if (view.size() != n || view(n - 1) != static_cast<double>(n)) throw std::runtime_error("decode check failed");
        const auto* data = reinterpret_cast<const std::byte*>(view.data());
        data_offset = segment->offset() + static_cast<std::uint64_t>(data - segment->bytes().data());
        channel_file = dir / "log" / "array.tinman";
    }
    ~Files() {
        channel.reset();
        segment.reset();
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
    Files(const Files&) = delete;
    Files& operator=(const Files&) = delete;

    std::size_t bytes, n;
    fs::path dir, npy, h5, channel_file;
    std::optional<tinman::ChannelReader<Codec>> channel;
    std::span<const std::byte> payload;  // the record's payload, inside the mapping
    tinman::SegmentPtr segment;
    std::uint64_t data_offset = 0;  // file offset of the elements in the channel file
};

// Only one size's files exist at a time (benchmarks run in registration order).
std::unique_ptr<Files> current;

Files& files(std::size_t bytes) {
    if (!current || current->bytes != bytes) {
        current.reset();
        current = std::make_unique<Files>(bytes);
    }
    return *current;
}

void zero_copy(benchmark::State& state, std::size_t bytes) {
    Files& f = files(bytes);
    const Codec codec{};
    for (auto _ : state) {
        auto view = codec.decode(f.payload, f.segment);
        benchmark::DoNotOptimize(view);
    }
    const auto view = codec.decode(f.payload, f.segment);
    check(state, view(f.n - 1) == static_cast<double>(f.n), "wrong value");
}

// Open the channel (open, mmap, header), scan to the first record, decode it; then unmap.
void open_and_decode(benchmark::State& state, std::size_t bytes) {
    Files& f = files(bytes);
    const tinman::ObLogReader reader{f.dir / "log"};
    for (auto _ : state) {
        auto channel = reader.read_channel<Codec>("array");
        auto record = *channel.begin();
        benchmark::DoNotOptimize(record);
    }
}

void pread_copy(benchmark::State& state, std::size_t bytes) {
    Files& f = files(bytes);
    xt::xtensor<double, 1> a = xt::zeros<double>({f.n});  // allocated and touched before timing
    const int fd = ::open(f.channel_file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail_errno("open");
    for (auto _ : state) {
        pread_all(fd, a.data(), f.bytes, f.data_offset);
        benchmark::DoNotOptimize(a.data());
        benchmark::ClobberMemory();
    }
    ::close(fd);
    check(state, a(f.n - 1) == static_cast<double>(f.n), "wrong value");
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * f.bytes));
}

void load_npy(benchmark::State& state, std::size_t bytes) {
    Files& f = files(bytes);
    const std::string path = f.npy.string();
    double last = 0;
    for (auto _ : state) {
        auto a = xt::load_npy<double>(path);
        benchmark::DoNotOptimize(a.data());
        benchmark::ClobberMemory();
        last = a(f.n - 1);
    }
    check(state, last == static_cast<double>(f.n), "wrong value");
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * f.bytes));
}

#ifdef TINMAN_BENCH_HAVE_HDF5
void hdf5_read(benchmark::State& state, std::size_t bytes) {
    Files& f = files(bytes);
    xt::xtensor<double, 1> a = xt::zeros<double>({f.n});
    h5::RowReader reader(f.h5);
    for (auto _ : state) {
        reader.read_row(0, a.data());
        benchmark::DoNotOptimize(a.data());
        benchmark::ClobberMemory();
    }
    check(state, a(f.n - 1) == static_cast<double>(f.n), "wrong value");
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * f.bytes));
}
#endif

std::vector<std::size_t> sizes() {
    std::vector<std::size_t> s{KiB, MiB, 76 * MiB};
    if (large_enabled()) s.push_back(GiB);
    return s;
}

struct Method {
    const char* key;
    const char* label;
    void (*fn)(benchmark::State&, std::size_t);
    bool copying;
};

const std::vector<Method>& methods() {
    static const std::vector<Method> m = {
        {"zero_copy", "tinman zero-copy decode", zero_copy, false},
        {"open_decode", "tinman open + decode first record", open_and_decode, false},
        {"pread", "pread into xtensor", pread_copy, true},
        {"load_npy", "xt::load_npy", load_npy, true},
#ifdef TINMAN_BENCH_HAVE_HDF5
        {"hdf5", "HDF5 H5Dread of one row", hdf5_read, true},
#endif
    };
    return m;
}

std::string bench_name(const Method& m, std::size_t bytes) { return std::string("decode/") + m.key + "/" + size_tag(bytes); }

void register_all() {
    for (std::size_t bytes : sizes())
        for (const auto& m : methods()) {
            auto* b = benchmark::RegisterBenchmark(bench_name(m, bytes).c_str(), m.fn, bytes);
            b->Repetitions(3)->MinTime(0.1);
            b->Unit(m.copying ? benchmark::kMicrosecond : benchmark::kNanosecond);
        }
}

void summarize(const Collector& results, Summary& summary) {
    std::ofstream times;  // size, method, ns: for plot_decode.py
    if (const char* dir = std::getenv("TINMAN_BENCH_RESULTS"); dir != nullptr && *dir != '\0') {
        fs::create_directories(dir);
        times.open(fs::path(dir) / "decode_times.csv");
        times << "bytes,method,label,ns\n";
    }
    for (std::size_t bytes : sizes()) {
        for (const auto& m : methods())
            if (auto r = results.get(bench_name(m, bytes)); r && times)
                times << bytes << ',' << m.key << ",\"" << m.label << "\"," << r->ns << '\n';
        const auto zc = results.get(bench_name(methods()[0], bytes));
        if (!zc) continue;
        const std::string group = "decode " + size_name(bytes);
        if (auto od = results.get(bench_name(methods()[1], bytes)))
            summary.add(Row(group, "open channel + decode first record", od->ns, Unit::ns));
        for (const auto& m : methods()) {
            if (!m.copying) continue;
            const auto base = results.get(bench_name(m, bytes));
            if (!base) continue;
            Row row(group, "zero-copy decode", zc->ns, Unit::ns);
            row.vs(m.label, base->ns, base->ns / zc->ns);
            if (bytes == 76 * MiB && std::string_view(m.key) == "pread") row.goal(">= 1000x", row.ratio >= 1000);
            summary.add(row);
        }
    }
    const auto small = results.get(bench_name(methods()[0], KiB));
    for (std::size_t bytes : sizes()) {
        if (bytes == KiB) continue;
        const auto big = results.get(bench_name(methods()[0], bytes));
        if (!small || !big) continue;
        summary.add(Row("decode " + size_name(bytes) + " vs 1 KiB", "zero-copy decode time ratio", big->ns / small->ns,
                        Unit::ratio)
                        .expect("~1 (O(1))"));
    }
}

}  // namespace

int main(int argc, char** argv) {
    register_all();
    return run_benchmarks(argc, argv, "bench_decode", summarize, [] { current.reset(); });
}
