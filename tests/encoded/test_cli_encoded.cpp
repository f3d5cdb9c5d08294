// The `tinman` tool on encoded channels (compressed arrays, PNG and JPEG images,
// protobuf messages), each when the build found its library.
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <tinman.hpp>
#include <tinman/python/blog.hpp>
#if TINMAN_HAVE_ZSTD
#include <tinman/codecs/compressed_array_codec.hpp>
#include <tinman/codecs/zstd_compression.hpp>
#endif
#if TINMAN_HAVE_SPNG
#include <tinman/codecs/png_codec.hpp>
#endif
#if TINMAN_HAVE_TURBOJPEG
#include <tinman/codecs/jpeg_codec.hpp>
#endif
#if TINMAN_HAVE_PROTOBUF
#include <tinman/codecs/protobuf_codec.hpp>

#include "tinman_test.pb.h"
#endif

#include "encoded_support.hpp"
#include "image_samples.hpp"
#include "test_support.hpp"

#ifndef TINMAN_CLI_PATH
#error "TINMAN_CLI_PATH (the built tinman executable) must be defined by the build"
#endif

using namespace tinman;

namespace {

struct Run {
    int status = -1;
    std::string out, err;
};

/// Runs `tinman args...` (arguments without quotes or spaces).
Run tinman_cli(const std::vector<std::string>& args, const test::TempDir& dir) {
    const auto err_file = dir / "stderr.txt";
    std::string cmd = TINMAN_CLI_PATH;
    for (const auto& a : args) cmd += " '" + a + "'";
    cmd += " 2>'" + err_file.string() + "'";
    Run r;
    FILE* p = ::popen(cmd.c_str(), "r");
    REQUIRE(p != nullptr);
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) r.out.append(buf, n);
    const int raw = ::pclose(p);
    r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128;
    std::ifstream in(err_file);
    r.err.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    return r;
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

#if TINMAN_HAVE_ZSTD
TEST_CASE("tinman info, cat, verify, export, convert: compressed arrays") {
    test::TempDir dir;
    const auto log = dir / "log";
    {
        ObLogWriter w{log};
        auto write = w.get_writer("lidar", CompressedArrayCodec<float, Zstd>{Zstd{}, ByteFilter::shuffle});
        for (int i = 0; i < 5; ++i) {
            xt::xarray<float> a = xt::xarray<float>::from_shape({4, 3});
            for (std::size_t k = 0; k < a.size(); ++k) a.data()[k] = static_cast<float>(i * 100 + static_cast<int>(k));
            write(1'000'000'000 * std::int64_t{i + 1}, a);
        }
        w.close();
    }
    const auto info = tinman_cli({"info", log.string(), "--json"}, dir);
    CHECK(info.status == 0);
    CHECK(has(info.out, R"j("codec": "compressed_ndarray(dtype=<f4, compression=zstd, filter=shuffle)")j"));
    CHECK(has(info.out, R"j("dtype": "<f4")j"));
    CHECK(has(info.out, "\"records\": 5"));

    const auto cat = tinman_cli({"cat", log.string(), "lidar", "--limit", "2"}, dir);
    CHECK(cat.status == 0);
    CHECK(has(cat.out, "(4, 3) <f4 [[0. 1. 2.] [3. 4. 5.] [6. 7. 8.] [9. 10. 11.]]"));
    CHECK(has(cat.out, "(4, 3) <f4 [[100. 101. 102.]"));

    CHECK(tinman_cli({"verify", log.string()}, dir).out == "lidar: 5 intact records, clean\n1 of 1 channels clean\n");

    const auto npy = dir / "lidar.npy";
    CHECK(tinman_cli({"export", log.string(), "lidar", npy.string()}, dir).status == 0);
    CHECK(std::filesystem::file_size(npy) == 128 + 5 * 12 * 4);  // header, then the decoded elements

    const auto py = dir / "py";
    const auto conv = tinman_cli({"convert", log.string(), py.string(), "--to", "python"}, dir);
    CHECK(conv.status == 0);
    int n = 0;
    for (auto&& [t, a] : python::BlogReader{py}.read_channel("lidar")) {
        CHECK(a.copy_as<float>()(1, 2) == static_cast<float>(n * 100 + 5));
        ++n;
    }
    CHECK(n == 5);

    SUBCASE("a record that does not decode: the error names channel and record") {
        EncodeScratch s;
        const Payload p = CompressedArrayCodec<float, Zstd>{}.encode(xt::xarray<float>::from_shape({4, 3}), s);
        std::vector<std::byte> bad(p.head.begin(), p.head.end());
        bad.insert(bad.end(), p.body.begin(), p.body.end());
        bad[11] = std::byte{5};  // shape (5, 3): the frame holds (4, 3)
        ObLogWriter w{log};
        auto write = w.get_writer("lidar", test::RawPayloadCodec{CompressedArrayCodec<float, Zstd>{Zstd{}, ByteFilter::shuffle}.descriptor()},
                                  OpenMode::append);
        write(9'000'000'000, std::span<const std::byte>(bad));
        w.close();
        const auto r = tinman_cli({"cat", log.string(), "lidar"}, dir);
        CHECK(r.status == 5);
        CHECK(has(r.err, "channel 'lidar'"));
        CHECK(has(r.err, "record 5"));
        CHECK(has(r.err, "the zstd frame holds 48 bytes, the shape needs 60"));
    }
}
#endif

#if TINMAN_HAVE_SPNG && TINMAN_HAVE_TURBOJPEG
TEST_CASE("tinman info, cat, export: image channels, export writes the frames as image files") {
    test::TempDir dir;
    const auto log = dir / "log";
    {
        ObLogWriter w{log};
        auto png = w.get_writer("cam", PngCodec<>{});
        auto jpeg = w.get_writer("front", JpegCodec{});
        for (unsigned i = 0; i < 3; ++i) {
            png(100 + i, test::smooth_image<std::uint8_t>(24, 32, 3, 3, i));
            jpeg(100 + i, test::smooth_image<std::uint8_t>(24, 32, 3, 3, i));
        }
        w.close();
    }
    const auto info = tinman_cli({"info", log.string(), "--json"}, dir);
    CHECK(has(info.out, R"j("codec": "image(encoding=png, dtype=|u1)")j"));
    CHECK(has(info.out, R"j("codec": "image(encoding=jpeg, dtype=|u1)")j"));
    CHECK(has(info.out, R"j("dtype": "|u1")j"));

    const auto cat = tinman_cli({"cat", log.string(), "cam", "--limit", "1"}, dir);
    CHECK(cat.status == 0);
    CHECK(has(cat.out, " (24, 32, 3) |u1 [["));

    const auto frames = dir / "frames";
    const auto r = tinman_cli({"export", log.string(), "cam", frames.string()}, dir);
    CHECK(r.status == 0);
    CHECK(has(r.out, "exported 3 png frames"));
    const auto first = test::read_file(frames / "000000.png");
    CHECK(PngCodec<>{}.decode(first) == test::smooth_image<std::uint8_t>(24, 32, 3, 3, 0));
    CHECK(std::filesystem::exists(frames / "000002.png"));
    CHECK(std::filesystem::file_size(dir / "frames.timestamps.npy") == 128 + 3 * 8);
    CHECK(tinman_cli({"export", log.string(), "front", (dir / "jpegs").string()}, dir).status == 0);
    CHECK(std::filesystem::exists(dir / "jpegs" / "000001.jpg"));
}
#endif

#if TINMAN_HAVE_PROTOBUF
TEST_CASE("tinman info, cat (text and JSON), verify: protobuf channels, without generated code") {
    test::TempDir dir;
    const auto log = dir / "log";
    {
        ObLogWriter w{log};
        auto write = w.get_writer("pose", ProtobufCodec<tinman::test::PoseStamped>{});
        tinman::test::PoseStamped p;
        p.set_frame_id("map");
        p.mutable_position()->set_x(2.5);
        write(1'700'000'000'000'000'000, p);
        w.close();
    }
    const auto info = tinman_cli({"info", log.string()}, dir);
    CHECK(has(info.out, "protobuf(message=tinman.test.PoseStamped)"));
    const auto text = tinman_cli({"cat", log.string(), "pose"}, dir);
    CHECK(text.status == 0);
    CHECK(text.out == "2023-11-14T22:13:20.000000000Z tinman.test.PoseStamped frame_id: \"map\" position { x: 2.5 }\n");
    const auto json = tinman_cli({"cat", log.string(), "pose", "--json"}, dir);
    CHECK(json.out == R"j({"timestamp":"2023-11-14T22:13:20.000000000Z","timestamp_ns":1700000000000000000,"message":{"frame_id":"map","position":{"x":2.5}}})j"
                      "\n");
    CHECK(tinman_cli({"verify", log.string()}, dir).status == 0);
    const auto conv = tinman_cli({"convert", log.string(), (dir / "py").string(), "--to", "python"}, dir);
    CHECK(has(conv.err, "skipping channel 'pose'"));
}
#endif
