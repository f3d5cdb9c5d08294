// tinman against other ways of storing a sequence of float64 arrays:
//
//  - HDF5 (C API): one extensible, chunked 2-d dataset, one row per array,
//    appended with H5Dset_extent and a hyperslab H5Dwrite per record (chunks of
//    one row for 1 MiB arrays, of 64 KiB for short ones; newest file format);
//  - .npy: one file per array, xt::dump_npy / xt::load_npy.
//
// Cases: 100 arrays of 1 MiB, and 100 000 arrays of 8 doubles (.npy: 10 000
// files, to keep the run short; figures are per array). tinman also stores a
// timestamp and a checksum per record; the peers store the arrays only.
//
//  - write: all arrays into a new file (file creation not timed), then close;
//  - read one: open the file, fetch the middle array, sum its elements
//    (tinman has no index: it walks the record headers up to it);
//  - read all: open, fetch every array, sum every element (HDF5: one H5Dread
//    of the whole dataset into a preallocated buffer).
//
// Times are per array; ratios are peer time / tinman time (> 1: tinman faster).

#include <memory>
#include <tinman.hpp>

#include "bench_common.hpp"
#ifdef TINMAN_BENCH_HAVE_HDF5
#include "hdf5_peer.hpp"
#endif

namespace {

using namespace tinman_bench;
using Codec = tinman::NdArrayCodec<double>;

struct Case {
    const char* tag;
    const char* label;
    std::size_t records;      // arrays written by tinman and HDF5
    std::size_t n;            // doubles per array
    std::size_t npy_records;  // arrays written as .npy files
};

const Case cases[] = {
    {"100x1MiB", "100 x 1 MiB arrays", 100, MiB / sizeof(double), 100},
    {"100000x8", "100000 x 8-double arrays", 100000, 8, 10000},
};

/// The arrays of a case (array i starts at i), and files holding them for the read benchmarks.
struct CaseData {
    explicit CaseData(const Case& c_) : c(c_) {
        for (std::size_t i = 0; i < c.records; ++i) arrays.push_back(make_array(c.n, static_cast<double>(i)));
        dir = fresh_dir(std::string("peers-") + c.tag);
    }
    ~CaseData() {
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
    CaseData(const CaseData&) = delete;
    CaseData& operator=(const CaseData&) = delete;

    /// The sum of the elements of array i.
    [[nodiscard]] double sum(std::size_t i) const { return sum_of(arrays[i].data(), c.n); }
    [[nodiscard]] double total(std::size_t records) const {
        double s = 0;
        for (std::size_t i = 0; i < records; ++i) s += sum(i);
        return s;
    }
    /// Array i as a .npy file in subdirectory `sub`.
    [[nodiscard]] fs::path npy(std::size_t i, const char* sub = "npy") const {
        return dir / sub / (std::to_string(i) + ".npy");
    }

    void write_tinman() const {
        tinman::ObLogWriter log{dir};
        auto w = log.get_writer("arrays", Codec{}, tinman::OpenMode::truncate);
        for (std::size_t i = 0; i < c.records; ++i) w.write(static_cast<std::int64_t>(i), arrays[i]);
        log.close();
    }
#ifdef TINMAN_BENCH_HAVE_HDF5
    void write_hdf5() const {
        h5::RowWriter w(dir / "arrays.h5", c.n);
        for (std::size_t i = 0; i < c.records; ++i) w.append(arrays[i].data());
        w.close();
    }
#endif
    void write_npy(const char* sub = "npy") const {
        for (std::size_t i = 0; i < c.npy_records; ++i) xt::dump_npy(npy(i, sub).string(), arrays[i]);
    }
    void fresh_npy_dir(const char* sub = "npy") const {
        fs::remove_all(dir / sub);
        fs::create_directories(dir / sub);
    }

    const Case& c;
    std::vector<xt::xtensor<double, 1>> arrays;
    fs::path dir;
    bool files_written = false;
};

std::unique_ptr<CaseData> current;

CaseData& data(const Case& c) {
    if (!current || &current->c != &c) {
        current.reset();
        current = std::make_unique<CaseData>(c);
    }
    return *current;
}

/// The case's files, for the read benchmarks (written once).
CaseData& data_with_files(const Case& c) {
    CaseData& d = data(c);
    if (!d.files_written) {
        d.write_tinman();
#ifdef TINMAN_BENCH_HAVE_HDF5
        d.write_hdf5();
#endif
        d.fresh_npy_dir();
        d.write_npy();
        d.files_written = true;
    }
    return d;
}

void per_array(benchmark::State& state, std::size_t arrays_per_iteration) {
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * arrays_per_iteration));
}

// ------------------------------------------------------------------ write

void tinman_write(benchmark::State& state, const Case& c) {
    CaseData& d = data(c);
    for (auto _ : state) {
        state.PauseTiming();
        auto log = std::make_unique<tinman::ObLogWriter>(d.dir / "write");
        auto w = log->get_writer("arrays", Codec{}, tinman::OpenMode::truncate);
        state.ResumeTiming();
        for (std::size_t i = 0; i < c.records; ++i) w.write(static_cast<std::int64_t>(i), d.arrays[i]);
        log->close();
    }
    fs::remove_all(d.dir / "write");
    per_array(state, c.records);
}

#ifdef TINMAN_BENCH_HAVE_HDF5
void hdf5_write(benchmark::State& state, const Case& c) {
    CaseData& d = data(c);
    fs::create_directories(d.dir / "write-h5");
    for (auto _ : state) {
        state.PauseTiming();
        h5::RowWriter w(d.dir / "write-h5" / "arrays.h5", c.n);
        state.ResumeTiming();
        for (std::size_t i = 0; i < c.records; ++i) w.append(d.arrays[i].data());
        w.close();
    }
    fs::remove_all(d.dir / "write-h5");
    per_array(state, c.records);
}
#endif

void npy_write(benchmark::State& state, const Case& c) {
    CaseData& d = data(c);
    for (auto _ : state) {
        state.PauseTiming();
        d.fresh_npy_dir("write-npy");
        state.ResumeTiming();
        d.write_npy("write-npy");
    }
    fs::remove_all(d.dir / "write-npy");
    per_array(state, c.npy_records);
}

// ------------------------------------------------------------------ read one

void tinman_read_one(benchmark::State& state, const Case& c) {
    CaseData& d = data_with_files(c);
    const std::size_t k = c.records / 2;
    const tinman::ObLogReader reader{d.dir};
    double s = 0;
    for (auto _ : state) {
        const auto channel = reader.indexed_channel<Codec>("arrays");  // random access through the time index
        const auto record = channel[k];
        s = sum_of(record.value.data(), record.value.size());
        benchmark::DoNotOptimize(s);
    }
    check(state, s == d.sum(k), "wrong sum");
    per_array(state, 1);
}

#ifdef TINMAN_BENCH_HAVE_HDF5
void hdf5_read_one(benchmark::State& state, const Case& c) {
    CaseData& d = data_with_files(c);
    const std::size_t k = c.records / 2;
    std::vector<double> buffer(c.n);
    double s = 0;
    for (auto _ : state) {
        h5::RowReader reader(d.dir / "arrays.h5");
        reader.read_row(k, buffer.data());
        s = sum_of(buffer.data(), c.n);
        benchmark::DoNotOptimize(s);
    }
    check(state, s == d.sum(k), "wrong sum");
    per_array(state, 1);
}
#endif

void npy_read_one(benchmark::State& state, const Case& c) {
    CaseData& d = data_with_files(c);
    const std::size_t k = c.npy_records / 2;
    const std::string path = d.npy(k).string();
    double s = 0;
    for (auto _ : state) {
        const auto a = xt::load_npy<double>(path);
        s = sum_of(a.data(), a.size());
        benchmark::DoNotOptimize(s);
    }
    check(state, s == d.sum(k), "wrong sum");
    per_array(state, 1);
}

// ------------------------------------------------------------------ read all

void tinman_read_all(benchmark::State& state, const Case& c) {
    CaseData& d = data_with_files(c);
    const tinman::ObLogReader reader{d.dir};
    double s = 0;
    for (auto _ : state) {
        s = 0;
        for (auto&& [t, a] : reader.read_channel<Codec>("arrays")) s += sum_of(a.data(), a.size());
        benchmark::DoNotOptimize(s);
    }
    check(state, s == d.total(c.records), "wrong sum");
    per_array(state, c.records);
}

#ifdef TINMAN_BENCH_HAVE_HDF5
void hdf5_read_all(benchmark::State& state, const Case& c) {
    CaseData& d = data_with_files(c);
    std::vector<double> buffer(c.records * c.n);
    double s = 0;
    for (auto _ : state) {
        h5::RowReader reader(d.dir / "arrays.h5");
        reader.read_all(buffer.data());
        s = 0;
        for (std::size_t i = 0; i < c.records; ++i) s += sum_of(buffer.data() + i * c.n, c.n);
        benchmark::DoNotOptimize(s);
    }
    check(state, s == d.total(c.records), "wrong sum");
    per_array(state, c.records);
}
#endif

void npy_read_all(benchmark::State& state, const Case& c) {
    CaseData& d = data_with_files(c);
    std::vector<std::string> paths;
    for (std::size_t i = 0; i < c.npy_records; ++i) paths.push_back(d.npy(i).string());
    double s = 0;
    for (auto _ : state) {
        s = 0;
        for (const auto& p : paths) {
            const auto a = xt::load_npy<double>(p);
            s += sum_of(a.data(), a.size());
        }
        benchmark::DoNotOptimize(s);
    }
    check(state, s == d.total(c.npy_records), "wrong sum");
    per_array(state, c.npy_records);
}

// ------------------------------------------------------------------ registration

struct Peer {
    const char* key;
    const char* label;
    void (*write)(benchmark::State&, const Case&);
    void (*read_one)(benchmark::State&, const Case&);
    void (*read_all)(benchmark::State&, const Case&);
};

const std::vector<Peer>& peers() {
    static const std::vector<Peer> p = {
        {"tinman", "tinman", tinman_write, tinman_read_one, tinman_read_all},
#ifdef TINMAN_BENCH_HAVE_HDF5
        {"hdf5", "HDF5 chunked dataset", hdf5_write, hdf5_read_one, hdf5_read_all},
#endif
        {"npy", ".npy file per array", npy_write, npy_read_one, npy_read_all},
    };
    return p;
}

const char* const operations[] = {"write", "read_one", "read_all"};
const char* const operation_labels[] = {"write, per array", "read one array (open + fetch + sum)",
                                        "read all arrays, per array"};

std::string bench_name(const Case& c, const char* op, const Peer& p) {
    return std::string(c.tag) + "/" + op + "/" + p.key;
}

void register_all() {
    for (const auto& c : cases)
        for (int op = 0; op < 3; ++op)
            for (const auto& p : peers()) {
                auto fn = op == 0 ? p.write : op == 1 ? p.read_one : p.read_all;
                benchmark::RegisterBenchmark(bench_name(c, operations[op], p).c_str(), fn, std::cref(c))
                    ->Repetitions(3)
                    ->MinTime(0.1)
                    ->Unit(benchmark::kMicrosecond);
            }
}

void summarize(const Collector& results, Summary& summary) {
    for (const auto& c : cases)
        for (int op = 0; op < 3; ++op) {
            const auto t = results.get(bench_name(c, operations[op], peers()[0]));
            if (!t) continue;
            const double tns = 1e9 / t->counter("items_per_second");
            bool any = false;
            for (const auto& p : peers()) {
                if (&p == &peers()[0]) continue;
                const auto r = results.get(bench_name(c, operations[op], p));
                if (!r) continue;
                const double pns = 1e9 / r->counter("items_per_second");
                summary.add(Row(std::string(c.label) + ": " + operation_labels[op], "tinman", tns, Unit::ns)
                                .vs(p.label, pns, pns / tns));
                any = true;
            }
            if (!any) summary.add(Row(std::string(c.label) + ": " + operation_labels[op], "tinman", tns, Unit::ns));
        }
}

}  // namespace

int main(int argc, char** argv) {
    register_all();
    return run_benchmarks(argc, argv, "bench_peers", summarize, [] { current.reset(); });
}
