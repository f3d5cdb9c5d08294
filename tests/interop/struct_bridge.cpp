// Writes struct channels for struct_numpy_check.py: `struct_bridge <log_dir>`.
//   imu:   one Imu per record (6 doubles + int32 status, 4 bytes of tail padding), records i = 0..9
//   poses: one 1-d array of i + 1 Pose per record (bool, padding, (4,)<f8, |u1, (3,3)<f4), i = 0..3
// and prints each struct's layout JSON, so that the script compares numpy's offsets
// and itemsize with the compiler's.
#include <cstdint>
#include <cstring>
#include <iostream>
#include <vector>

#include <tinman.hpp>

namespace bridge {

struct Imu {
    double ax, ay, az, gx, gy, gz;
    std::int32_t status;
};
TINMAN_STRUCT(Imu, ax, ay, az, gx, gy, gz, status)

struct Pose {
    bool valid;
    double q[4];
    std::uint8_t id;
    float m[3][3];
};
TINMAN_STRUCT(Pose, valid, q, id, m)

}  // namespace bridge

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: struct_bridge LOG_DIR\n";
        return 2;
    }
    using bridge::Imu;
    using bridge::Pose;
    tinman::ObLogWriter log{argv[1]};
    auto imu = log.get_writer("imu", tinman::StructCodec<Imu>{});
    for (int i = 0; i < 10; ++i) {
        const double x = i;
        imu.write(1000 + i, Imu{x + 0.5, -x, 9.81, x * 0.25, x * 1e-3, -2.0, i * 3 - 7});
    }
    auto poses = log.get_writer("poses", tinman::StructArrayCodec<Pose, 1>{});
    for (int i = 0; i < 4; ++i) {
        std::vector<Pose> v(static_cast<std::size_t>(i + 1));
        for (int k = 0; k <= i; ++k) {
            Pose& p = v[static_cast<std::size_t>(k)];
            std::memset(static_cast<void*>(&p), 0, sizeof p);
            p.valid = (i + k) % 2 == 0;
            for (int j = 0; j < 4; ++j) p.q[j] = 10 * i + k + 0.125 * j;
            p.id = static_cast<std::uint8_t>(16 * i + k);
            for (int r = 0; r < 3; ++r)
                for (int c = 0; c < 3; ++c) p.m[r][c] = static_cast<float>(100 * i + 10 * k + 3 * r + c);
        }
        poses.write(2000 + i, v);
    }
    log.close();
    std::cout << tinman::StructCodec<Imu>::layout().json() << '\n' << tinman::StructCodec<Pose>::layout().json() << '\n';
    std::cout << "sizeof " << sizeof(Imu) << ' ' << sizeof(Pose) << " offsetof " << offsetof(Imu, status) << ' '
              << offsetof(Pose, q) << ' ' << offsetof(Pose, id) << ' ' << offsetof(Pose, m) << '\n';
    return 0;
}
