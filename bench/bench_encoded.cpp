// Encoded channels: bytes on disk and write/read throughput of camera-like frames
// and sensor arrays, raw against compressed (zstd levels 1 and 3, lz4) and
// image-encoded (PNG, JPEG) records, each codec built in when its library is found.
//
//  - camera: 30 frames of 480 x 640 x 3 uint8, a smooth synthetic image plus
//    noise of +-3 (a different image per frame);
//  - sensor: 30 arrays of 64 x 1024 float32, smooth signals plus small noise
//    (also with the byte-shuffle filter).
//  - write: all records into a new channel, then close (page cache, no fsync);
//    MB/s of raw input. read: every record decoded into a reused array (raw:
//    copied out of the mapping), MB/s of decoded output.
//  - each variant runs once per round, the order rotated from round to round; the
//    figures are medians over the rounds.
//  - random access: seek by time and decode of a random record in zstd channels
//    of 1000 and 10000 small records: the time stays flat (O(log n) seek, O(1) access).
// Targets: zstd-1 camera write >= 300 MB/s, read >= 800 MB/s.

#include <memory>
#include <random>
#include <tinman.hpp>

#include "bench_common.hpp"
#if TINMAN_HAVE_ZSTD || TINMAN_HAVE_LZ4
#include <tinman/codecs/compressed_array_codec.hpp>
#endif
#if TINMAN_HAVE_ZSTD
#include <tinman/codecs/zstd_compression.hpp>
#endif
#if TINMAN_HAVE_LZ4
#include <tinman/codecs/lz4_compression.hpp>
#endif
#if TINMAN_HAVE_SPNG
#include <tinman/codecs/png_codec.hpp>
#endif
#if TINMAN_HAVE_TURBOJPEG
#include <tinman/codecs/jpeg_codec.hpp>
#endif

namespace {

using namespace tinman_bench;

constexpr std::size_t frames = 30;
constexpr int rounds = 5;

/// Camera-like frames: gradients plus noise, different per frame.
const std::vector<xt::xtensor<std::uint8_t, 3>>& camera() {
    static const auto data = [] {
        std::vector<xt::xtensor<std::uint8_t, 3>> out;
        std::mt19937 rng(7);
        std::uniform_int_distribution<int> noise(-3, 3);
        for (std::size_t f = 0; f < frames; ++f) {
            xt::xtensor<std::uint8_t, 3> img = xt::xtensor<std::uint8_t, 3>::from_shape({480, 640, 3});
            for (std::size_t y = 0; y < 480; ++y)
                for (std::size_t x = 0; x < 640; ++x)
                    for (std::size_t c = 0; c < 3; ++c) {
                        const double v = 128 + 60 * std::sin(0.01 * static_cast<double>(x + 3 * f) + 0.7 * c) +
                                         40 * std::cos(0.013 * static_cast<double>(y)) + noise(rng);
                        img(y, x, c) = static_cast<std::uint8_t>(std::clamp(v, 0.0, 255.0));
                    }
            out.push_back(std::move(img));
        }
        return out;
    }();
    return data;
}

/// Sensor arrays: smooth signals plus small noise.
const std::vector<xt::xtensor<float, 2>>& sensor() {
    static const auto data = [] {
        std::vector<xt::xtensor<float, 2>> out;
        std::mt19937 rng(11);
        std::normal_distribution<float> noise(0.0f, 0.01f);
        for (std::size_t f = 0; f < frames; ++f) {
            xt::xtensor<float, 2> a = xt::xtensor<float, 2>::from_shape({64, 1024});
            for (std::size_t ch = 0; ch < 64; ++ch)
                for (std::size_t i = 0; i < 1024; ++i)
                    a(ch, i) = 20.0f + std::sin(0.002f * static_cast<float>(i + 10 * f) + static_cast<float>(ch)) +
                               noise(rng);
            out.push_back(std::move(a));
        }
        return out;
    }();
    return data;
}

template <class Data>
std::size_t raw_bytes(const Data& d) {
    return d.size() * d.front().size() * sizeof(typename Data::value_type::value_type);
}

/// One codec on one data set: its name in the table, and how it writes and reads.
struct Variant {
    std::string data;   // "camera" or "sensor"
    std::string codec;  // "raw", "zstd-1", ...
    std::function<void(benchmark::State&)> write, read;
};

std::vector<Variant> variants;
std::map<std::string, double> disk_bytes;  // per variant: channel file size

std::string key(const Variant& v) { return v.data + "/" + v.codec; }

/// Adds the write and read benchmarks of `codec` on `data` (read into an array of type `Out`).
template <class Codec, class Data, class Out>
void add(const std::string& data_name, const std::string& codec_name, Codec codec, const Data& (*data)(), Out) {
    Variant v{data_name, codec_name, {}, {}};
    const std::string k = key(v);
    const fs::path dir = scratch_dir() / ("encoded-" + data_name + "-" + codec_name);
    v.write = [=](benchmark::State& state) {
        const auto& d = data();
        for (auto _ : state) {
            tinman::ObLogWriter log{dir};
            auto write = log.get_writer("c", codec, tinman::OpenMode::truncate);
            for (std::size_t i = 0; i < d.size(); ++i) write(static_cast<std::int64_t>(i), d[i]);
            log.close();
        }
        disk_bytes[k] = static_cast<double>(fs::file_size(dir / "c.tinman"));
        state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * raw_bytes(d)));
    };
    v.read = [=](benchmark::State& state) {
        const auto& d = data();
        const tinman::ObLogReader reader{dir};
        Out out;
        std::size_t n = 0;
        for (auto _ : state) {
            auto channel = reader.read_channel("c", codec);
            for (auto it = channel.begin(); it != channel.end(); ++it) {
                if constexpr (requires { codec.decode_into(it.record().payload, out); }) {
                    codec.decode_into(it.record().payload, out);
                } else {  // raw: the zero-copy view, copied out as decoding does
                    const auto view = (*it).value;
                    out.resize(view.shape());
                    std::memcpy(out.data(), view.data(), view.size() * sizeof(*view.data()));
                }
                benchmark::DoNotOptimize(out.data());
                ++n;
            }
        }
        check(state, n == state.iterations() * d.size(), "record count");
        state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * raw_bytes(d)));
    };
    variants.push_back(std::move(v));
}

using Frame = xt::xtensor<std::uint8_t, 3>;
using Signal = xt::xtensor<float, 2>;

void register_all() {
    add("camera", "raw", tinman::NdArrayCodec<std::uint8_t>{}, camera, Frame{});
    add("sensor", "raw", tinman::NdArrayCodec<float>{}, sensor, Signal{});
#if TINMAN_HAVE_ZSTD
    using Z8 = tinman::CompressedArrayCodec<std::uint8_t, tinman::Zstd>;
    using Zf = tinman::CompressedArrayCodec<float, tinman::Zstd>;
    add("camera", "zstd-1", Z8{tinman::Zstd{.level = 1}}, camera, xt::xarray<std::uint8_t>{});
    add("camera", "zstd-3", Z8{tinman::Zstd{.level = 3}}, camera, xt::xarray<std::uint8_t>{});
    add("sensor", "zstd-1", Zf{tinman::Zstd{.level = 1}}, sensor, xt::xarray<float>{});
    add("sensor", "zstd-3", Zf{tinman::Zstd{.level = 3}}, sensor, xt::xarray<float>{});
    add("sensor", "zstd-1+shuffle", Zf{tinman::Zstd{.level = 1}, tinman::ByteFilter::shuffle}, sensor,
        xt::xarray<float>{});
#endif
#if TINMAN_HAVE_LZ4
    add("camera", "lz4", tinman::CompressedArrayCodec<std::uint8_t, tinman::Lz4>{}, camera, xt::xarray<std::uint8_t>{});
    add("sensor", "lz4", tinman::CompressedArrayCodec<float, tinman::Lz4>{}, sensor, xt::xarray<float>{});
    add("sensor", "lz4+shuffle", tinman::CompressedArrayCodec<float, tinman::Lz4>{tinman::Lz4{}, tinman::ByteFilter::shuffle},
        sensor, xt::xarray<float>{});
#endif
#if TINMAN_HAVE_SPNG
    add("camera", "png-1", tinman::PngCodec<>{1}, camera, Frame{});
#endif
#if TINMAN_HAVE_TURBOJPEG
    add("camera", "jpeg-90", tinman::JpegCodec{90}, camera, Frame{});
#endif
    // Each round: every write (it makes the files the reads use), then every read,
    // starting one variant later than the round before; a variant's results gather
    // across rounds under its name (the summary takes their median).
    for (int round = 0; round < rounds; ++round)
        for (const char* op : {"write", "read"})
            for (std::size_t k = 0; k < variants.size(); ++k) {
                const Variant& v = variants[(k + static_cast<std::size_t>(round)) % variants.size()];
                benchmark::RegisterBenchmark((std::string(op) + "/" + key(v)).c_str(),
                                             std::string(op) == "write" ? v.write : v.read)
                    ->Iterations(3)
                    ->Unit(benchmark::kMillisecond);
            }
}

#if TINMAN_HAVE_ZSTD
/// Random access in a zstd channel of `n` small records: seek by time plus decode of the record found.
void random_access(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    using Codec = tinman::CompressedArrayCodec<float, tinman::Zstd>;
    const fs::path dir = scratch_dir() / ("encoded-random-" + std::to_string(n));
    if (!fs::exists(dir / "c.tinman")) {
        tinman::ObLogWriter log{dir};
        auto write = log.get_writer("c", Codec{});
        xt::xtensor<float, 1> a = xt::xtensor<float, 1>::from_shape({256});
        for (std::size_t i = 0; i < n; ++i) {
            a.fill(static_cast<float>(i));
            write(static_cast<std::int64_t>(i) * 1000, a);
        }
        log.close();
    }
    const auto records = tinman::ObLogReader{dir}.indexed_channel<Codec>("c");
    std::mt19937_64 rng(3);
    float last = 0;
    for (auto _ : state) {
        const auto t = static_cast<std::int64_t>(rng() % n) * 1000;
        const auto r = records[records.seek(t)];
        last = r.value(0);
        benchmark::DoNotOptimize(last);
    }
    check(state, last >= 0, "decoded");
}
#endif

void summarize(const Collector& results, Summary& summary) {
    for (const auto& v : variants) {
        const auto w = results.get("write/" + key(v));
        const auto r = results.get("read/" + key(v));
        const auto raw = std::find_if(variants.begin(), variants.end(),
                                      [&](const Variant& x) { return x.data == v.data && x.codec == "raw"; });
        const double disk = disk_bytes.count(key(v)) ? disk_bytes[key(v)] : std::nan("");
        const double raw_disk = disk_bytes.count(key(*raw)) ? disk_bytes[key(*raw)] : std::nan("");
        summary.add(Row(v.data + ": bytes on disk", v.codec, disk, Unit::bytes).vs("raw", raw_disk, raw_disk / disk));
        if (w) {
            Row row(v.data + ": write (raw input)", v.codec, w->counter("bytes_per_second"), Unit::bytes_per_s);
            if (key(v) == "camera/zstd-1") row.goal(">= 300 MB/s", w->counter("bytes_per_second") >= 300e6);
            summary.add(row);
        }
        if (r) {
            Row row(v.data + ": read (decoded)", v.codec, r->counter("bytes_per_second"), Unit::bytes_per_s);
            if (key(v) == "camera/zstd-1") row.goal(">= 800 MB/s", r->counter("bytes_per_second") >= 800e6);
            summary.add(row);
        }
    }
    const auto small = results.get("random_access_1000");
    const auto large = results.get("random_access_10000");
    if (small && large)
        summary.add(Row("zstd: seek + decode a random record", "10000 records", large->ns, Unit::ns)
                        .vs("1000 records", small->ns, small->ns / large->ns)
                        .expect("~1x (O(log n) seek, O(1) access)"));
}

}  // namespace

int main(int argc, char** argv) {
    register_all();
#if TINMAN_HAVE_ZSTD
    // One name per size: the summary looks results up by name.
    for (const int n : {1000, 10000})
        benchmark::RegisterBenchmark(("random_access_" + std::to_string(n)).c_str(), random_access)->Arg(n)->Repetitions(5);
#endif
    return run_benchmarks(argc, argv, "bench_encoded", summarize);
}
