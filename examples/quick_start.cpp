// Write 100 arrays to a channel, then read them back as zero-copy views.
#include <iostream>

#include <tinman.hpp>
#include TINMAN_XTENSOR_HEADER(core, xmath.hpp)
#include TINMAN_XTENSOR_HEADER(generators, xrandom.hpp)

int main() {
    {
        tinman::ObLogWriter log{"logs"};
        // truncate: start afresh on every run (the default refuses to touch an existing channel)
        auto write = log.get_writer("sensor_data", tinman::NdArrayCodec<double>{}, tinman::OpenMode::truncate);
        for (int i = 0; i < 100; ++i) write(xt::random::rand<double>({1000}));
        log.close();  // or let RAII do it
    }

    tinman::ObLogReader reader{"logs"};
    for (auto&& [timestamp, arr] : reader.read_channel<tinman::NdArrayCodec<double>>("sensor_data")) {
        // arr: a read-only xtensor adaptor over the mapped file; no copy was made
        std::cout << timestamp << ": " << xt::mean(arr)() << '\n';
    }
}
