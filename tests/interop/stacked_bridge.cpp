// Writes uniform channels for stacked_numpy_check.py and reads them back whole
// with `IndexedChannel::stacked()`, so that numpy's view and the C++ one are
// compared on the same files.
//   stacked_bridge write DIR N      channels imu (N x 8 doubles), rows9 (N x 9), scalars (N f4),
//                                   grid (N x 3 x 4 i2), changing (10 x f8, shape (4,) from record 6)
//   stacked_bridge sum DIR NAME     prints the sum of stacked<double>() and of timestamps()
#include <cstdio>
#include <iostream>
#include <string>

#include <tinman.hpp>
#include TINMAN_XTENSOR_HEADER(core, xmath.hpp)
#include TINMAN_XTENSOR_HEADER(reducers, xreducer.hpp)

using namespace tinman;

namespace {

int write(const std::string& dir, std::size_t n) {
    ObLogWriter log{dir};
    auto imu = log.get_writer("imu", NdArrayCodec<double>{});
    auto rows9 = log.get_writer("rows9", NdArrayCodec<double>{});
    auto scalars = log.get_writer("scalars", NdArrayCodec<float>{});
    auto grid = log.get_writer("grid", NdArrayCodec<std::int16_t>{});
    for (std::size_t i = 0; i < n; ++i) {
        const auto t = static_cast<std::int64_t>(1'000 + 10 * i);
        imu(t, xt::xarray<double>(xt::arange<double>(8) + double(8 * i)));
        rows9(t, xt::xarray<double>(xt::arange<double>(9) * 0.5 + double(i)));
        scalars(t, float(i) * 0.25f);
        grid(t, xt::xarray<std::int16_t>(xt::arange<std::int16_t>(12).reshape({3, 4}) + std::int16_t(i % 1000)));
    }
    auto changing = log.get_writer("changing", NdArrayCodec<double>{});
    for (std::size_t i = 0; i < 10; ++i) changing(std::int64_t(i), xt::xarray<double>(xt::ones<double>({i < 6 ? 8u : 4u})));
    log.close();
    return 0;
}

int sum(const std::string& dir, const std::string& name) {
    ObLogReader reader{dir};
    auto ch = reader.indexed_channel<AnyArrayCodec>(name);
    const auto all = tinman::stacked<double>(ch);
    const auto t = tinman::timestamps(ch);
    std::printf("%zu %.17g %lld\n", all.shape()[0], double(xt::sum(all)()), static_cast<long long>(xt::sum(t)()));
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        const std::string mode = argc > 1 ? argv[1] : "";
        if (mode == "write" && argc == 4) return write(argv[2], std::stoul(argv[3]));
        if (mode == "sum" && argc == 4) return sum(argv[2], argv[3]);
        std::cerr << "usage: stacked_bridge write DIR N | sum DIR NAME\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << e.what() << '\n';
        return 1;
    }
}
