// Smallest useful program against an installed or fetched tinman:
// write one channel, read it back.
#include <tinman.hpp>

#include <chrono>
#include <filesystem>
#include <random>
#include <string>

int main()
{
    namespace fs = std::filesystem;
    // Unique even when several consumers run at once.
    const auto stamp = std::chrono::steady_clock::now().time_since_epoch().count();
    const fs::path dir = fs::temp_directory_path() /
        ("tinman_consumer_" + std::to_string(stamp) + "_" + std::to_string(std::random_device{}()));

    double sum = 0.0;
    {
        tinman::ObLogWriter log{dir};
        auto w = log.get_writer("x", tinman::NdArrayCodec<double>{});
        w(xt::xarray<double>{1.0, 2.0, 3.0});
        log.close();
    }
    {
        tinman::ObLogReader r{dir};
        for (auto&& [ts, a] : r.read_channel<tinman::NdArrayCodec<double>>("x"))
            sum += a(2);
    }

    std::error_code ec;
    fs::remove_all(dir, ec);
    return sum == 3.0 ? 0 : 1;
}
