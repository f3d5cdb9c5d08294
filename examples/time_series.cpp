// Log temperature readings, read them back, join them into one array, and analyse it.
#include <cmath>
#include <iostream>
#include <vector>

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

    // Read back: each record is a view into the mapped file, kept alive as long as it is held.
    tinman::ObLogReader reader{"sensor_logs"};
    std::vector<tinman::ArrayView<float>> all_temps;
    for (auto&& [timestamp, temps] : reader.read_channel<tinman::NdArrayCodec<float>>("temperature"))
        all_temps.push_back(temps);

    // Concatenate into a single array (the one copy in this program).
    std::size_t total = 0;
    for (const auto& t : all_temps) total += t.size();
    xt::xtensor<float, 1> temperatures = xt::empty<float>({total});
    std::size_t at = 0;
    for (const auto& t : all_temps) at = std::copy(t.begin(), t.end(), temperatures.begin() + at) - temperatures.begin();

    std::cout << "readings: " << temperatures.size() << '\n';
    std::cout << "Mean: " << xt::mean(temperatures)() << '\n';
    std::cout << "Max: " << xt::amax(temperatures)() << '\n';
    return temperatures.size() == 600 * 8 ? 0 : 1;
}
