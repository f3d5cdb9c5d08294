// Struct records: an IMU sample (6 doubles and an int32 status, 56 bytes with
// padding) written three ways, page cache to page cache:
//
//  - struct:   one StructCodec<Imu> channel, one record per sample;
//  - channels: the 7 fields as 7 scalar channels (NdArrayCodec<double> x 6 and
//              NdArrayCodec<std::int32_t>), 7 records per sample;
//  - array8:   one NdArrayCodec<double, 1> channel of 8 doubles per sample
//              (the status as a double, one spare), the usual workaround.
//
// Reported: samples written per second (writer opened, N samples, closed) and
// bytes per sample (all files of the log: channels and time indexes).
// Targets: struct >= 1.5x fewer bytes than channels; struct rate >= array8's.
// Contenders run in an order rotated by one per round; figures are medians over
// the rounds. Environment: TINMAN_BENCH_RECORDS (default 200 000),
// TINMAN_BENCH_ROUNDS (default 7).

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include <tinman.hpp>

#include "bench_common.hpp"

namespace bench_imu {

struct Imu {
    double ax, ay, az, gx, gy, gz;
    std::int32_t status;
};
TINMAN_STRUCT(Imu, ax, ay, az, gx, gy, gz, status)

}  // namespace bench_imu

namespace {

using namespace tinman_bench;
using bench_imu::Imu;

std::size_t env_count(const char* name, std::size_t fallback) {
    const char* v = std::getenv(name);
    return v != nullptr && *v != '\0' ? static_cast<std::size_t>(std::strtoull(v, nullptr, 10)) : fallback;
}

Imu sample(std::size_t i) {
    const double x = static_cast<double>(i);
    return {x * 1e-3, -x, 9.81, 0.5 * x, 1e-6 * x, -2.0, static_cast<std::int32_t>(i & 7)};
}

std::uintmax_t directory_bytes(const fs::path& dir) {
    std::uintmax_t n = 0;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.is_regular_file()) n += e.file_size();
    return n;
}

struct Contender {
    Contender(std::string n, std::function<void(const fs::path&, std::size_t)> w)
        : name(std::move(n)), write(std::move(w)) {}
    std::string name;
    std::function<void(const fs::path&, std::size_t)> write;
    std::vector<double> seconds;
    std::uintmax_t bytes = 0;
};

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace

int main() {
    const std::size_t records = env_count("TINMAN_BENCH_RECORDS", 200'000);
    const std::size_t rounds = std::max<std::size_t>(1, env_count("TINMAN_BENCH_ROUNDS", 7));

    std::vector<Contender> contenders;
    contenders.emplace_back("struct (StructCodec<Imu>, 1 channel)", [](const fs::path& dir, std::size_t n) {
                              tinman::ObLogWriter log{dir};
                              auto w = log.get_writer("imu", tinman::StructCodec<Imu>{});
                              for (std::size_t i = 0; i < n; ++i) w.write(static_cast<std::int64_t>(i + 1), sample(i));
                              log.close();
                          });
    contenders.emplace_back("channels (7 scalar NdArrayCodec channels)", [](const fs::path& dir, std::size_t n) {
                              tinman::ObLogWriter log{dir};
                              std::array<tinman::ChannelWriter<tinman::NdArrayCodec<double, 0>>, 6> d{
                                  log.get_writer("ax", tinman::NdArrayCodec<double, 0>{}),
                                  log.get_writer("ay", tinman::NdArrayCodec<double, 0>{}),
                                  log.get_writer("az", tinman::NdArrayCodec<double, 0>{}),
                                  log.get_writer("gx", tinman::NdArrayCodec<double, 0>{}),
                                  log.get_writer("gy", tinman::NdArrayCodec<double, 0>{}),
                                  log.get_writer("gz", tinman::NdArrayCodec<double, 0>{})};
                              auto status = log.get_writer("status", tinman::NdArrayCodec<std::int32_t, 0>{});
                              for (std::size_t i = 0; i < n; ++i) {
                                  const auto t = static_cast<std::int64_t>(i + 1);
                                  const Imu s = sample(i);
                                  d[0].write(t, s.ax);
                                  d[1].write(t, s.ay);
                                  d[2].write(t, s.az);
                                  d[3].write(t, s.gx);
                                  d[4].write(t, s.gy);
                                  d[5].write(t, s.gz);
                                  status.write(t, s.status);
                              }
                              log.close();
                          });
    contenders.emplace_back("array8 (NdArrayCodec<double, 1>, 8 doubles)", [](const fs::path& dir, std::size_t n) {
                              tinman::ObLogWriter log{dir};
                              auto w = log.get_writer("imu", tinman::NdArrayCodec<double, 1>{});
                              for (std::size_t i = 0; i < n; ++i) {
                                  const Imu s = sample(i);
                                  const std::array<double, 8> a{s.ax, s.ay, s.az, s.gx, s.gy, s.gz,
                                                                static_cast<double>(s.status), 0.0};
                                  w.write(static_cast<std::int64_t>(i + 1), a);
                              }
                              log.close();
                          });

    std::cout << "bench_struct: " << records << " IMU samples per run, " << rounds << " rounds, files in "
              << scratch_dir().string() << " (" << filesystem_of(scratch_dir()) << ")\n";
    for (std::size_t r = 0; r <= rounds; ++r) {  // round 0 warms up and is not counted
        for (std::size_t k = 0; k < contenders.size(); ++k) {
            auto& c = contenders[(k + r) % contenders.size()];
            const fs::path dir = fresh_dir("struct-" + std::to_string((k + r) % contenders.size()));
            const auto start = std::chrono::steady_clock::now();
            c.write(dir, records);
            const std::chrono::duration<double> dt = std::chrono::steady_clock::now() - start;
            if (r > 0) c.seconds.push_back(dt.count());
            c.bytes = directory_bytes(dir);
            fs::remove_all(dir);
        }
    }

    std::printf("\n%-46s %14s %12s %10s\n", "medians", "samples/s", "bytes/sample", "min-max s");
    for (const auto& c : contenders) {
        const auto [lo, hi] = std::minmax_element(c.seconds.begin(), c.seconds.end());
        std::printf("%-46s %14.0f %12.1f %4.3f-%4.3f\n", c.name.c_str(), static_cast<double>(records) / median(c.seconds),
                    static_cast<double>(c.bytes) / static_cast<double>(records), *lo, *hi);
    }
    const double bytes_ratio = static_cast<double>(contenders[1].bytes) / static_cast<double>(contenders[0].bytes);
    const double rate_ratio = median(contenders[2].seconds) / median(contenders[0].seconds);
    std::printf("\nstruct vs channels: %.2fx fewer bytes (target >= 1.5x): %s\n", bytes_ratio,
                bytes_ratio >= 1.5 ? "met" : "NOT met");
    std::printf("struct vs array8: %.2fx the rate (target >= 1.0x): %s\n", rate_ratio,
                rate_ratio >= 1.0 ? "met" : "NOT met");
    return 0;
}
