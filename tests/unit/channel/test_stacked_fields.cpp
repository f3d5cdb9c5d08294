// Whole struct channels, field by field: tinman::stacked_field views one field of
// every record in place, where the structs themselves are not at a stride that is
// a multiple of their size.
#include <doctest/doctest.h>

#include <cstdint>
#include <string>

#include <tinman.hpp>
#include <tinman/codecs/struct_codec.hpp>
#include <tinman/stacked.hpp>
#include TINMAN_XTENSOR_HEADER(core, xmath.hpp)
#include TINMAN_XTENSOR_HEADER(reducers, xreducer.hpp)

#include "test_support.hpp"

using namespace tinman;
using test::TempDir;

namespace fleet {

struct Imu {
    double ax, ay, az, gx, gy, gz;
    std::int32_t status;  // and 4 bytes of tail padding: 56 bytes
};
TINMAN_STRUCT(Imu, ax, ay, az, gx, gy, gz, status)

struct Pose {
    double q[4];
    float p[3];
    std::uint8_t id;
};
TINMAN_STRUCT(Pose, q, p, id)

}  // namespace fleet

namespace {

constexpr std::uint64_t records = 1000;

fleet::Imu imu_at(std::uint64_t i) {
    const double x = static_cast<double>(i);
    return {x, -x, 0.5 * x, x + 1, x + 2, x + 3, static_cast<std::int32_t>(i % 7) - 3};
}

}  // namespace

TEST_CASE("stacked_field: every field of a struct channel as one array over the mapping") {
    TempDir dir;
    {
        ObLogWriter log{dir.path()};
        auto imu = log.get_writer("imu", StructCodec<fleet::Imu>{});
        auto pose = log.get_writer("pose", StructCodec<fleet::Pose>{});
        for (std::uint64_t i = 0; i < records; ++i) {
            imu(static_cast<std::int64_t>(i), imu_at(i));
            fleet::Pose p{};
            for (int k = 0; k < 4; ++k) p.q[k] = static_cast<double>(i) + 0.25 * k;
            for (int k = 0; k < 3; ++k) p.p[k] = static_cast<float>(i) * static_cast<float>(k + 1);
            p.id = static_cast<std::uint8_t>(i);
            pose(static_cast<std::int64_t>(i), p);
        }
    }
    const ObLogReader reader{dir.path()};
    auto imu = reader.indexed_channel<StructCodec<fleet::Imu>>("imu");

    // The structs themselves are 56 bytes at a stride that is not a multiple of 56.
    CHECK_THROWS_WITH_AS((void)stacked(imu), doctest::Contains("stacked_field"), not_uniform);

    const auto ax = stacked_field<double>(imu, "ax");
    const auto status = stacked_field<std::int32_t>(imu, "status");
    REQUIRE(ax.shape(0) == records);
    REQUIRE(status.dimension() == 1);
    double sum = 0;
    for (std::uint64_t i = 0; i < records; ++i) {
        CHECK(ax(i) == imu_at(i).ax);
        CHECK(status(i) == imu_at(i).status);
        sum += imu_at(i).gz;
    }
    // In place: the first element is record 0's field in the mapping.
    CHECK(&ax(0) == &imu[0].value.get().ax);
    const auto gz = stacked_field<double>(imu, "gz");
    CHECK(xt::sum(gz)() == doctest::Approx(sum));

    auto pose = reader.indexed_channel<StructCodec<fleet::Pose>>("pose");
    const auto q = stacked_field<double>(pose, "q");
    const auto p = stacked_field<float>(pose, "p");
    const auto id = stacked_field<std::uint8_t>(pose, "id");
    REQUIRE(q.dimension() == 2);
    CHECK(q.shape(1) == 4);
    CHECK(p.shape(1) == 3);
    for (std::uint64_t i = 0; i < records; i += 37) {
        for (std::size_t k = 0; k < 4; ++k) CHECK(q(i, k) == static_cast<double>(i) + 0.25 * static_cast<double>(k));
        for (std::size_t k = 0; k < 3; ++k) CHECK(p(i, k) == static_cast<float>(i) * static_cast<float>(k + 1));
        CHECK(id(i) == static_cast<std::uint8_t>(i));
    }

    CHECK_THROWS_WITH_AS((void)stacked_field<double>(imu, "wx"), doctest::Contains("no field 'wx'"), usage_error);
    CHECK_THROWS_WITH_AS((void)stacked_field<float>(imu, "ax"), doctest::Contains("holds <f8"), codec_mismatch);
}

TEST_CASE("stacked_field: a damaged struct channel is refused, as by stacked()") {
    TempDir dir;
    {
        ObLogWriter log{dir.path()};
        auto imu = log.get_writer("imu", StructCodec<fleet::Imu>{});
        for (std::uint64_t i = 0; i < 50; ++i) imu(static_cast<std::int64_t>(i), imu_at(i));
    }
    const auto file = dir / "imu.tinman";
    std::filesystem::resize_file(file, std::filesystem::file_size(file) - 10);  // a torn tail: 49 intact
    const ObLogReader reader{dir.path()};
    auto imu = reader.indexed_channel<StructCodec<fleet::Imu>>("imu");
    const auto ax = stacked_field<double>(imu, "ax");
    CHECK(ax.shape(0) == 49);
    CHECK(ax(48) == 48.0);
}
