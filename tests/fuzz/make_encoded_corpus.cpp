// Writes the hand-written seeds of the encoded decoders' fuzz corpora (each for
// the libraries found): <corpus>/compressed_array/, image/, protobuf/.
// Usage: tinman_fuzz_make_encoded_corpus <corpus dir>. Deterministic; other files are left alone.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "../encoded/image_samples.hpp"
#include "encoded_fuzz_targets.hpp"

namespace fs = std::filesystem;
using Bytes = std::vector<std::byte>;
using namespace tinman;

namespace {

void save(const fs::path& dir, const std::string& name, std::uint8_t choice, const Bytes& bytes) {
    fs::create_directories(dir);
    std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
    out.put(static_cast<char>(choice));
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

Bytes joined(const Payload& p) {
    Bytes out(p.head.begin(), p.head.end());
    out.insert(out.end(), p.body.begin(), p.body.end());
    return out;
}

#if TINMAN_HAVE_ZSTD || TINMAN_HAVE_LZ4
template <class T, class Z>
void compressed(const fs::path& dir, std::uint8_t choice, const std::string& tag) {
    xt::xarray<T> a = xt::xarray<T>::from_shape({6, 5});
    for (std::size_t i = 0; i < a.size(); ++i) a.data()[i] = static_cast<T>(i % 7);
    for (auto filter : {ByteFilter::none, ByteFilter::shuffle}) {
        EncodeScratch s;
        const Bytes p = joined(CompressedArrayCodec<T, Z>{Z{}, filter}.encode(a, s));
        const std::string name = tag + (filter == ByteFilter::shuffle ? "_shuffle" : "");
        save(dir, name, choice, p);
        Bytes cut(p.begin(), p.end() - 2);
        save(dir, name + "_truncated", choice, cut);
        Bytes bomb = p;
        bomb[11 + 3] = std::byte{0x40};  // first dimension * 2^24
        save(dir, name + "_bomb", choice, bomb);
    }
}
#endif

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s <corpus dir>\n", argv[0]);
        return 2;
    }
    const fs::path corpus = argv[1];
#if TINMAN_HAVE_ZSTD
    compressed<std::uint8_t, Zstd>(corpus / "compressed_array", 0, "zstd_u1");
    compressed<float, Zstd>(corpus / "compressed_array", 4, "zstd_f4");
#endif
#if TINMAN_HAVE_LZ4
    compressed<std::uint16_t, Lz4>(corpus / "compressed_array", 3, "lz4_u2");
    compressed<double, Lz4>(corpus / "compressed_array", 7, "lz4_f8");
#endif
#if TINMAN_HAVE_SPNG
    for (std::size_t c : {1u, 3u, 4u}) {
        EncodeScratch s;
        const auto p = PngCodec<>{}.encode(test::smooth_image<std::uint8_t>(9, 13, c), s);
        const Bytes png(p.body.begin(), p.body.end());
        save(corpus / "image", "png8_c" + std::to_string(c), 0, png);
        if (c == 3) save(corpus / "image", "png8_truncated", 0, Bytes(png.begin(), png.begin() + png.size() / 2));
    }
    {
        EncodeScratch s;
        const auto p = PngCodec<std::uint16_t>{}.encode(test::smooth_image<std::uint16_t>(7, 5, 2), s);
        save(corpus / "image", "png16_c2", 1, Bytes(p.body.begin(), p.body.end()));
    }
#endif
#if TINMAN_HAVE_TURBOJPEG
    for (std::size_t c : {1u, 3u}) {
        EncodeScratch s;
        const auto p = JpegCodec{75}.encode(test::smooth_image<std::uint8_t>(16, 24, c), s);
        const Bytes jpeg(p.body.begin(), p.body.end());
        save(corpus / "image", "jpeg_c" + std::to_string(c), 2, jpeg);
        if (c == 3) save(corpus / "image", "jpeg_truncated", 2, Bytes(jpeg.begin(), jpeg.begin() + jpeg.size() * 2 / 3));
    }
#endif
#if TINMAN_HAVE_PROTOBUF
    {
        tinman::test::PoseStamped pose;
        pose.mutable_stamp()->set_seconds(5);
        pose.set_frame_id("map");
        pose.mutable_position()->set_x(1.5);
        pose.add_covariance(0.5f);
        (*pose.mutable_tags())["a"] = 1;
        const std::string wire = pose.SerializeAsString();
        save(corpus / "protobuf", "pose", 0, Bytes(reinterpret_cast<const std::byte*>(wire.data()),
                                                   reinterpret_cast<const std::byte*>(wire.data() + wire.size())));
        save(corpus / "protobuf", "empty_message", 0, {});
        save(corpus / "protobuf", "length_past_end", 0, {std::byte{0x12}, std::byte{0xff}, std::byte{0x7f}});
        const std::string schema = protobuf_file_descriptor_set(*tinman::test::PoseStamped::descriptor());
        const Bytes set(reinterpret_cast<const std::byte*>(schema.data()),
                        reinterpret_cast<const std::byte*>(schema.data() + schema.size()));
        save(corpus / "protobuf", "schema", 1, set);
        save(corpus / "protobuf", "schema_truncated", 1, Bytes(set.begin(), set.begin() + set.size() / 2));
    }
#endif
    return 0;
}
