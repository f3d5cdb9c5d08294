// CompressedArrayCodec with each compression found at build time (zstd, lz4).
#include <doctest/doctest.h>

#include <complex>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include <tinman.hpp>
#include <tinman/codecs/byte_shuffle.hpp>
#include <tinman/codecs/compressed_array_codec.hpp>
#if TINMAN_HAVE_ZSTD
#include <tinman/codecs/zstd_compression.hpp>
#endif
#if TINMAN_HAVE_LZ4
#include <tinman/codecs/lz4_compression.hpp>
#endif

#include TINMAN_XTENSOR_HEADER(misc, xmanipulation.hpp)

#include "encoded_support.hpp"
#include "test_support.hpp"

using namespace tinman;

#if TINMAN_HAVE_ZSTD && TINMAN_HAVE_LZ4
#define TINMAN_TEST_COMPRESSIONS Zstd, Lz4
#elif TINMAN_HAVE_ZSTD
#define TINMAN_TEST_COMPRESSIONS Zstd
#else
#define TINMAN_TEST_COMPRESSIONS Lz4
#endif

namespace {

/// Deterministic values of `T` with some repetition, shape `shape`.
template <class T>
xt::xarray<T> sample(const shape_type& shape, int seed = 0) {
    xt::xarray<T> a = xt::xarray<T>::from_shape(shape);
    for (std::size_t i = 0; i < a.size(); ++i) {
        const int k = static_cast<int>(i / 3) + seed;
        if constexpr (std::is_same_v<T, bool>) a.data()[i] = k % 3 == 1;
        else if constexpr (std::is_same_v<T, float16>) a.data()[i] = float16(static_cast<float>(k % 50) * 0.25f);
        else if constexpr (std::is_same_v<T, std::complex<float>> || std::is_same_v<T, std::complex<double>>)
            a.data()[i] = {static_cast<typename T::value_type>(k % 7), static_cast<typename T::value_type>(-k)};
        else a.data()[i] = static_cast<T>(k % 100);
    }
    return a;
}

template <class T>
bool same_bytes(const xt::xarray<T>& a, const xt::xarray<T>& b) {
    return a.shape() == b.shape() && (a.size() == 0 || std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0);
}

/// The payload as the file stores it: head then body.
std::vector<std::byte> joined(const Payload& p) {
    std::vector<std::byte> out(p.head.begin(), p.head.end());
    out.insert(out.end(), p.body.begin(), p.body.end());
    return out;
}

}  // namespace

TEST_CASE_TEMPLATE("CompressedArrayCodec: round trip of every element type, both filters", T, bool, std::int8_t,
                   std::int16_t, std::int32_t, std::int64_t, std::uint8_t, std::uint16_t, std::uint32_t,
                   std::uint64_t, float16, float, double, std::complex<float>, std::complex<double>) {
    auto check = [&]<class Z>(Z z) {
        for (auto filter : {ByteFilter::none, ByteFilter::shuffle}) {
            for (const shape_type& shape : {shape_type{}, shape_type{0}, shape_type{7}, shape_type{3, 0, 2},
                                            shape_type{16, 9, 3}}) {
                CAPTURE(std::string(Z::name));
                CAPTURE(shape.size());
                const CompressedArrayCodec<T, Z> codec{z, filter};
                const auto a = sample<T>(shape);
                EncodeScratch scratch;
                const auto stored = joined(codec.encode(a, scratch));
                const auto back = codec.decode(stored);
                CHECK(same_bytes(back, a));
                // encode -> decode -> encode gives identical bytes
                EncodeScratch again;
                CHECK(joined(codec.encode(back, again)) == stored);
            }
        }
    };
#if TINMAN_HAVE_ZSTD
    check(Zstd{.level = 1});
    check(Zstd{.level = 9});
#endif
#if TINMAN_HAVE_LZ4
    check(Lz4{});
#endif
}

TEST_CASE_TEMPLATE("CompressedArrayCodec: a channel keeps the time index and random access", Z,
                   TINMAN_TEST_COMPRESSIONS) {
    test::TempDir dir;
    using Codec = CompressedArrayCodec<float, Z>;
    {
        ObLogWriter log{dir.path()};
        auto write = log.get_writer("scan", Codec{Z{}, ByteFilter::shuffle});
        for (int i = 0; i < 50; ++i) write(1000 + 10 * i, sample<float>({64, 3}, i));
        // non-contiguous input is evaluated first
        const auto t = xt::transpose(sample<float>({3, 64}, 99));
        write(2000, t);
        log.close();
    }
    const ObLogReader reader{dir.path()};
    CHECK(reader.codec("scan") == Codec{Z{}, ByteFilter::shuffle}.descriptor());

    SUBCASE("in file order") {
        int i = 0;
        for (auto&& [t, a] : reader.read_channel<Codec>("scan")) {
            if (i < 50) CHECK(same_bytes(a, sample<float>({64, 3}, i)));
            else CHECK(same_bytes(a, xt::xarray<float>(xt::transpose(sample<float>({3, 64}, 99)))));
            ++i;
        }
        CHECK(i == 51);
    }
    SUBCASE("random access and seeking") {
        const auto records = reader.indexed_channel<Codec>("scan");
        REQUIRE(records.size() == 51);
        CHECK(same_bytes(records[37].value, sample<float>({64, 3}, 37)));
        CHECK(records[37].timestamp == 1370);
        CHECK(records.seek(1205) == 21);
    }
    SUBCASE("a time range decodes only its records") {
        int n = 0;
        for (auto&& [t, a] : reader.read_channel("scan", TimeRange{1100, 1150}, Codec{})) {
            CHECK(same_bytes(a, sample<float>({64, 3}, static_cast<int>((t - 1000) / 10))));
            ++n;
        }
        CHECK(n == 5);
    }
    SUBCASE("decode_into reuses the caller's array") {
        auto channel = reader.read_channel<Codec>("scan");
        xt::xarray<float> out;
        const float* memory = nullptr;
        int i = 0;
        for (auto it = channel.begin(); it != channel.end() && i < 50; ++it, ++i) {
            Codec{}.decode_into(it.record().payload, out);
            CHECK(same_bytes(out, sample<float>({64, 3}, i)));
            if (memory == nullptr) memory = out.data();
            CHECK(out.data() == memory);
        }
    }
    SUBCASE("the stored bytes are checksummed: verify and strict reading check them") {
        CHECK(reader.verify("scan").clean());
        int n = 0;
        for (auto&& r : reader.read_channel<Codec>("scan", {}, ReadOptions::strict_mode())) n += r.value.size() > 0;
        CHECK(n == 51);
    }
}

TEST_CASE_TEMPLATE("CompressedArrayCodec: compresses, and shuffling helps smooth floats", Z, TINMAN_TEST_COMPRESSIONS) {
    xt::xarray<double> smooth = xt::xarray<double>::from_shape({4096});
    for (std::size_t i = 0; i < smooth.size(); ++i) smooth(i) = 100.0 + 0.001 * static_cast<double>(i);
    EncodeScratch a, b;
    const auto plain = CompressedArrayCodec<double, Z>{Z{}, ByteFilter::none}.encode(smooth, a);
    const auto shuffled = CompressedArrayCodec<double, Z>{Z{}, ByteFilter::shuffle}.encode(smooth, b);
    CHECK(shuffled.body.size() < plain.body.size());
    CHECK(shuffled.body.size() < smooth.size() * sizeof(double) / 2);
}

TEST_CASE("byte shuffle: shuffling then unshuffling gives the input back") {
    std::vector<std::byte> in(6 * 8), mid(in.size()), out(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) in[i] = std::byte(static_cast<unsigned char>(i));
    detail::shuffle_bytes(in.data(), mid.data(), 6, 8);
    CHECK(mid[1] == in[8]);  // byte 0 of element 1
    CHECK(mid[6] == in[1]);  // byte 1 of element 0
    detail::unshuffle_bytes(mid.data(), out.data(), 6, 8);
    CHECK(out == in);
}

TEST_CASE_TEMPLATE("CompressedArrayCodec: hostile records give clear errors before allocating", Z,
                   TINMAN_TEST_COMPRESSIONS) {
    using Codec = CompressedArrayCodec<double, Z>;
    const Codec codec{};
    EncodeScratch scratch;
    const auto good = joined(codec.encode(sample<double>({100}), scratch));
    const std::size_t head = 8 + 3 + 8;  // "<f8", one dimension

    SUBCASE("a decompression bomb: a tiny stream claiming terabytes") {
        auto bomb = test::ndarray_payload("<f8", {std::uint64_t{1} << 38}, {});
        bomb.push_back(std::byte{0});  // filter
        bomb.insert(bomb.end(), good.begin() + head + 1, good.end());
        CHECK_THROWS_WITH_AS((void)codec.decode(bomb), doctest::Contains("over the limit"), format_error);
        const CompressedArrayCodec<double, Z> unlimited{Z{}, ByteFilter::none, SIZE_MAX};
        CHECK_THROWS_WITH_AS((void)unlimited.decode(bomb), doctest::Contains("can decode from"), format_error);
    }
    SUBCASE("a shape that disagrees with the stream, either way") {
        for (std::uint64_t n : {99u, 101u, 1000u}) {
            auto lie = good;
            std::memcpy(lie.data() + 11, &n, 8);  // the dimension (little-endian machine)
            CHECK_THROWS_AS((void)codec.decode(lie), format_error);
        }
    }
    SUBCASE("a truncated or damaged stream") {
        auto cut = good;
        cut.resize(cut.size() - 3);
        CHECK_THROWS_AS((void)codec.decode(cut), format_error);
        auto flipped = good;
        flipped[head + 1 + (flipped.size() - head - 1) / 2] ^= std::byte{0x5a};
        if (std::string_view(Z::name) == "lz4") {
            try {  // an lz4 block has no checksum: damage may decode to other values, never outside the array
                (void)codec.decode(flipped);
            } catch (const format_error&) {
            }
        } else {
            CHECK_THROWS_AS((void)codec.decode(flipped), format_error);
        }
    }
    SUBCASE("an unknown filter, a missing filter byte") {
        auto odd = good;
        odd[head] = std::byte{7};
        CHECK_THROWS_WITH_AS((void)codec.decode(odd), doctest::Contains("unknown byte filter 7"), format_error);
        CHECK_THROWS_WITH_AS((void)codec.decode(std::span(good).first(head)), doctest::Contains("filter byte"), format_error);
    }
    SUBCASE("another dtype") {
        using FloatCodec = CompressedArrayCodec<float, Z>;
        CHECK_THROWS_AS((void)FloatCodec{}.decode(good), codec_mismatch);
    }
}

TEST_CASE_TEMPLATE("CompressedArrayCodec: errors while reading name the channel and record", Z,
                   TINMAN_TEST_COMPRESSIONS) {
    test::TempDir dir;
    using Codec = CompressedArrayCodec<std::uint16_t, Z>;
    EncodeScratch scratch;
    const auto good = joined(Codec{}.encode(sample<std::uint16_t>({8, 8}), scratch));
    auto bad = good;
    bad[11] = std::byte{9};  // first dimension 8 -> 9: the stream is too short for the shape
    {
        ObLogWriter log{dir.path()};
        auto write = log.get_writer("depth", test::RawPayloadCodec{Codec{}.descriptor()});
        write(1, std::span<const std::byte>(good));
        write(2, std::span<const std::byte>(bad));
        log.close();
    }
    const ObLogReader reader{dir.path()};

    SUBCASE("an undecodable record") {
        const auto records = reader.indexed_channel<Codec>("depth");
        CHECK(same_bytes(records[0].value, sample<std::uint16_t>({8, 8})));
        const std::string where = "channel 'depth' ('" + (dir / "depth.tinman").string() + "'), record 1";
        CHECK_THROWS_WITH_AS((void)records[1], doctest::Contains(where.c_str()), format_error);
        try {
            (void)records[1];
        } catch (const format_error& e) {
            CHECK(e.context().record == 1);
            CHECK(e.context().channel == "depth");
            MESSAGE(std::string(e.what()));
        }
    }
    SUBCASE("AnyArrayCodec says what the channel is encoded with and what reads it") {
        const std::string hint = "encoded with " + std::string(Z::name) + ": use CompressedArrayCodec<T, ";
        CHECK_THROWS_WITH_AS((void)reader.read_channel<AnyArrayCodec>("depth"), doctest::Contains(hint.c_str()),
                             codec_mismatch);
        CHECK_THROWS_WITH_AS((void)reader.read_channel<NdArrayCodec<std::uint16_t>>("depth"),
                             doctest::Contains("channel 'depth'"), codec_mismatch);
    }
    SUBCASE("another dtype") {
        using Int16Codec = CompressedArrayCodec<std::int16_t, Z>;
        CHECK_THROWS_WITH_AS((void)reader.read_channel<Int16Codec>("depth"),
                             doctest::Contains("stored dtype '<u2'"), codec_mismatch);
    }
    SUBCASE("any dtype, for tools") {
        std::vector<std::byte> buffer;
        auto records = reader.indexed_channel("depth", test::RawPayloadCodec{});
        const AnyArray a = decode_compressed_any<Z>(records[0].value, buffer);
        CHECK(a.dtype() == "<u2");
        CHECK(same_bytes(a.copy_as<std::uint16_t>(), sample<std::uint16_t>({8, 8})));
        CHECK_THROWS_AS((void)decode_compressed_any<Z>(records[1].value, buffer), format_error);
    }
}
