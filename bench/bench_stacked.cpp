// A whole channel as one array: `IndexedChannel::stacked()` (a strided view of the
// mapped file, checked against the writer's uniform-layout claim in O(1)) against
//  - the copy loop it replaces (iterate the channel, copy each record into an
//    (N, 8) array), and
//  - HDF5 reading the same data stored as one (N, 8) float64 dataset (H5Dread of
//    all of it: HDF5 has no in-place view).
// Records of 8 doubles, channels of 10^3 and 10^6 records (and 10^7 with
// TINMAN_BENCH_LARGE=1: a 1.3 GB channel file and a 640 MB HDF5 file). Each
// measurement opens the log and ends with one array (N, 8) and its first and last
// elements read; the files are in the page cache (written just before). Times are
// wall-clock medians over repetitions taken in rotating order; the ratios compare
// medians of the same run. Goals: stacked() takes the same time at every size
// (O(1)), and at the largest size is >= 1000x faster than the copy.
//
//   bench_stacked            10^3 and 10^6 records
//   TINMAN_BENCH_LARGE=1 bench_stacked   also 10^7

#include <chrono>

#include <tinman.hpp>

#include "bench_common.hpp"
#if TINMAN_BENCH_HAVE_HDF5
#include "hdf5_peer.hpp"
#endif

namespace {

using namespace tinman_bench;
using clock_type = std::chrono::steady_clock;
constexpr std::size_t row = 8;

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct Files {
    fs::path dir;
    fs::path h5;
};

Files write_files(std::size_t n) {
    Files f{fresh_dir("stacked-" + std::to_string(n)), {}};
    {
        tinman::ObLogWriter log{f.dir};
        auto w = log.get_writer("imu", tinman::NdArrayCodec<double>{});
        xt::xtensor<double, 1> r = xt::zeros<double>({row});
        for (std::size_t i = 0; i < n; ++i) {
            r(0) = double(i);
            w(static_cast<std::int64_t>(i) * 1000, r);
        }
        log.close();
    }
#if TINMAN_BENCH_HAVE_HDF5
    f.h5 = f.dir / "imu.h5";
    {
        using namespace h5;
        Id file(H5Fcreate(f.h5.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose, "H5Fcreate");
        const std::array<hsize_t, 2> dims{n, row};
        Id space(H5Screate_simple(2, dims.data(), nullptr), H5Sclose, "H5Screate_simple");
        Id dset(H5Dcreate2(file.get(), "arrays", H5T_NATIVE_DOUBLE, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                H5Dclose, "H5Dcreate2");
        // Contiguous, written in blocks of 64k rows (the same values as the channel).
        const std::size_t block = 65536;
        std::vector<double> buf(block * row, 0.0);
        for (std::size_t at = 0; at < n; at += block) {
            const std::size_t rows = std::min(block, n - at);
            for (std::size_t i = 0; i < rows; ++i) buf[i * row] = double(at + i);
            const std::array<hsize_t, 2> start{at, 0}, count{rows, row};
            Id fspace(H5Dget_space(dset.get()), H5Sclose, "H5Dget_space");
            check(H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr),
                  "H5Sselect_hyperslab");
            Id mspace(H5Screate_simple(2, count.data(), nullptr), H5Sclose, "H5Screate_simple");
            check(H5Dwrite(dset.get(), H5T_NATIVE_DOUBLE, mspace.get(), fspace.get(), H5P_DEFAULT, buf.data()),
                  "H5Dwrite");
        }
        dset.close("H5Dclose");
        file.close("H5Fclose");
    }
#endif
    return f;
}

/// Each way ends with the (N, 8) array and returns element (N-1, 0) (checked = N-1).
double by_stacked(const Files& f) {
    tinman::ObLogReader reader{f.dir};
    const auto all = tinman::stacked(reader.indexed_channel<tinman::NdArrayCodec<double>>("imu"));
    return all(all.shape()[0] - 1, 0) + all(0, 7);
}

double by_copy(const Files& f, std::size_t n) {
    tinman::ObLogReader reader{f.dir};
    xt::xtensor<double, 2> all = xt::empty<double>({n, row});
    std::size_t i = 0;
    for (auto&& [t, a] : reader.read_channel<tinman::NdArrayCodec<double>>("imu")) {
        std::copy(a.begin(), a.end(), all.data() + i * row);
        ++i;
    }
    return all(n - 1, 0) + all(0, 7);
}

#if TINMAN_BENCH_HAVE_HDF5
double by_hdf5(const Files& f, std::size_t n) {
    h5::RowReader r(f.h5);
    xt::xtensor<double, 2> all = xt::empty<double>({n, row});
    r.read_all(all.data());
    return all(n - 1, 0) + all(0, 7);
}
#endif

}  // namespace

int main() {
    std::vector<std::size_t> sizes{1'000, 1'000'000};
    if (large_enabled()) sizes.push_back(10'000'000);
    std::printf("bench_stacked: %zu-double records, scratch %s (%s)\n", row, scratch_dir().c_str(),
                filesystem_of(scratch_dir()).c_str());
    std::map<std::size_t, double> stacked_ns;
    for (const std::size_t n : sizes) {
        const Files f = write_files(n);
        const double want = double(n - 1);
        std::map<std::string, std::vector<double>> times;
        const auto time = [&](const char* name, auto&& fn) {
            const auto t0 = clock_type::now();
            const double got = fn();
            const double ns = std::chrono::duration<double, std::nano>(clock_type::now() - t0).count();
            if (got != want) throw std::runtime_error(std::string(name) + " read a wrong value");
            times[name].push_back(ns);
        };
        // Copies of a large channel take seconds: fewer rounds, each way once per round in
        // rotating order; stacked() is also timed many times on its own.
        const int rounds = n >= 10'000'000 ? 3 : n >= 1'000'000 ? 5 : 21;
        for (int round = 0; round < rounds; ++round) {
            for (int k = 0; k < 3; ++k) {
                switch ((round + k) % 3) {
                case 0: time("stacked", [&] { return by_stacked(f); }); break;
                case 1: time("copy", [&] { return by_copy(f, n); }); break;
                case 2:
#if TINMAN_BENCH_HAVE_HDF5
                    time("hdf5", [&] { return by_hdf5(f, n); });
#endif
                    break;
                }
            }
        }
        for (int i = 0; i < 201; ++i) time("stacked", [&] { return by_stacked(f); });
        const double s = median(times["stacked"]), c = median(times["copy"]);
        stacked_ns[n] = s;
        std::printf("N = %9zu  stacked() %10.1f us   copy loop %12.1f us (%8.0fx)", n, s / 1e3, c / 1e3, c / s);
        if (!times["hdf5"].empty()) {
            const double h = median(times["hdf5"]);
            std::printf("   HDF5 read %12.1f us (%8.0fx)", h / 1e3, h / s);
        }
        std::printf("\n");
        fs::remove_all(f.dir);
    }
    std::printf("stacked() at %zu records / at %zu records: %.2f (1.00 = O(1))\n", sizes.back(), sizes.front(),
                stacked_ns[sizes.back()] / stacked_ns[sizes.front()]);
    return 0;
}
