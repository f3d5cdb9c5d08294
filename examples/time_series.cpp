// Log temperature readings, read the whole channel back as one array (no copy), and analyse it.
#include <cmath>
#include <iostream>

#include <tinman.hpp>
#include TINMAN_XTENSOR_HEADER(core, xmath.hpp)
#include TINMAN_XTENSOR_HEADER(reducers, xreducer.hpp)

int main() {
    // Eight thermometers read once a second for ten minutes.
    {
        tinman::ObLogWriter log{"sensor_logs"};
        auto write = log.get_writer("temperature", tinman::NdArrayCodec<float>{}, tinman::OpenMode::truncate);
        const std::int64_t start = tinman::now_ns();
        for (int second = 0; second < 600; ++second) {
            xt::xtensor<float, 1> reading = xt::zeros<float>({8});
            for (std::size_t sensor = 0; sensor < 8; ++sensor)
                reading(sensor) = 20.0f + 0.5f * float(sensor) + 2.0f * std::sin(float(second) / 60.0f);
            write(start + second * 1'000'000'000LL, reading);
        }
        log.close();
    }

    // Read back the whole channel as one array of shape (records, sensors): a strided
    // view of the mapped file, no copy (the records of one shape lie at a fixed stride).
    tinman::ObLogReader reader{"sensor_logs"};
    auto channel = reader.indexed_channel<tinman::NdArrayCodec<float>>("temperature");
    const auto temperatures = tinman::stacked(channel);      // shape (600, 8)
    const auto timestamps = tinman::timestamps(channel);     // shape (600,), from the time index

    std::cout << "readings: " << temperatures.size() << " over "
              << double(timestamps(timestamps.size() - 1) - timestamps(0)) / 1e9 << " s\n";
    std::cout << "Mean: " << xt::mean(temperatures)() << '\n';
    std::cout << "Max: " << xt::amax(temperatures)() << '\n';
    const xt::xtensor<float, 1> per_sensor = xt::mean(temperatures, {0});
    std::cout << "Mean of sensor 7: " << per_sensor(7) << '\n';
    return temperatures.shape() == tinman::shape_type{600, 8} ? 0 : 1;
}
