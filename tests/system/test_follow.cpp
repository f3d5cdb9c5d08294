// Reading while writing: a reader follows a channel that another process appends to.
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <thread>

#include <tinman.hpp>

#include "test_support.hpp"

using namespace tinman;
using test::TempDir;

namespace {
xt::xarray<std::int32_t> value_of(std::int64_t i) {
    const std::size_t n = i % 10 == 9 ? 20000 : static_cast<std::size_t>(i % 50);  // some above the direct-write size
    xt::xarray<std::int32_t> a = xt::xarray<std::int32_t>::from_shape({n});
    for (std::size_t k = 0; k < n; ++k) a.data()[k] = static_cast<std::int32_t>(i * 7 + static_cast<std::int64_t>(k));
    return a;
}
}  // namespace

TEST_CASE("follow: a reader in another process sees only complete records, as they are appended") {
    TempDir dir;
    constexpr std::int64_t total = 3000;
    {
        ObLogWriter log{dir.path()};
        (void)log.get_writer("live", NdArrayCodec<std::int32_t>{});  // exists before the reader opens it
    }
    const pid_t writer = ::fork();
    REQUIRE(writer >= 0);
    if (writer == 0) {
        int code = 0;
        try {
            std::mt19937 rng(3);
            ObLogWriter log{dir.path()};
            auto write = log.get_writer("live", NdArrayCodec<std::int32_t>{}, OpenMode::append);
            for (std::int64_t i = 0; i < total; ++i) {
                write(i, value_of(i));
                if (rng() % 4 == 0) write.flush();  // small records also reach the file in batches
                if (rng() % 64 == 0) std::this_thread::sleep_for(std::chrono::microseconds(rng() % 2000));
            }
            log.close();
        } catch (...) {
            code = 1;
        }
        ::_exit(code);
    }
    ObLogReader reader{dir.path()};
    auto channel = reader.read_channel<NdArrayCodec<std::int32_t>>("live");
    std::int64_t seen = 0, refreshes = 0, empty_refreshes = 0;
    bool intact = true;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (seen < total && std::chrono::steady_clock::now() < deadline) {
        for (auto&& [t, a] : channel) {
            intact = intact && t == seen && a == value_of(seen);
            ++seen;
        }
        REQUIRE(channel.status().stop != ScanStop::corrupt);  // a live tail is torn, never corrupt
        ++refreshes;
        if (!channel.refresh()) {
            ++empty_refreshes;
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
    }
    int status = 0;
    ::waitpid(writer, &status, 0);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(intact);
    CHECK(seen == total);
    CHECK(refreshes > 1);  // it really followed, rather than reading a finished file
    MESSAGE("followed " << seen << " records over " << refreshes << " refreshes (" << empty_refreshes
                        << " found nothing new)");
    CHECK_FALSE(channel.refresh());
    CHECK(channel.status().clean());
}

TEST_CASE("follow: refresh picks up records appended in this process, and old values stay valid") {
    TempDir dir;
    ObLogWriter log{dir.path()};
    auto write = log.get_writer("c", NdArrayCodec<double>{});
    write(1.0);
    write.flush();
    ObLogReader reader{dir.path()};
    auto channel = reader.read_channel<NdArrayCodec<double>>("c");
    std::vector<ArrayView<double>> kept;
    for (auto&& [t, a] : channel) kept.push_back(a);
    CHECK(kept.size() == 1);
    CHECK_FALSE(channel.refresh());
    for (int i = 2; i <= 2000; ++i) write(double(i));  // grows the file by several pages
    write.flush();
    CHECK(channel.refresh());
    for (auto&& [t, a] : channel) kept.push_back(a);
    REQUIRE(kept.size() == 2000);
    for (std::size_t i = 0; i < kept.size(); ++i) CHECK(kept[i]() == double(i + 1));
    CHECK(kept.front().data() != nullptr);
    CHECK(channel.status().records == 2000);
}
