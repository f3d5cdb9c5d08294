#pragma once
/// @file
/// Fuzz targets for the decoders of the encoded codecs, each compiled when its
/// library is found (TINMAN_HAVE_<LIBRARY>): compressed arrays, PNG and JPEG
/// images, protobuf messages and schemas. Like fuzz_targets.hpp: any bytes give
/// a value or a tinman::error, never a crash, an out-of-bounds access or an
/// allocation beyond the codec's bound; what decodes re-encodes to the same value.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>

#include "fuzz_targets.hpp"

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
#if TINMAN_HAVE_PROTOBUF
#include <tinman/codecs/dynamic_protobuf_codec.hpp>
#include <tinman/codecs/protobuf_codec.hpp>

#include <google/protobuf/stubs/logging.h>
#include <google/protobuf/util/field_comparator.h>
#include <google/protobuf/util/message_differencer.h>

#include "tinman_test.pb.h"
#endif

namespace tinman::fuzz {

/// Decoded bytes the fuzzed decoders may allocate: 64 MiB, well under libFuzzer's RSS limit.
inline constexpr std::size_t max_fuzz_decoded_bytes = std::size_t{64} << 20;

#if TINMAN_HAVE_ZSTD || TINMAN_HAVE_LZ4
namespace detail {
template <class T, class Z>
void check_compressed(std::span<const std::byte> payload) {
    const CompressedArrayCodec<T, Z> codec{Z{}, ByteFilter::none, max_fuzz_decoded_bytes};
    std::optional<xt::xarray<T>> a;
    try {
        a = codec.decode(payload);
    } catch (const error&) {
    }
    std::vector<std::byte> buffer;
    std::optional<AnyArray> any;
    try {
        any = decode_compressed_any<Z>(payload, buffer, Z{}, max_fuzz_decoded_bytes);
    } catch (const error&) {
    }
    if (a) {
        // The typed and the dynamic decoder agree; re-encoding and decoding gives the same elements.
        TINMAN_FUZZ_CHECK(any.has_value());
        if (!any) return;
        TINMAN_FUZZ_CHECK(equal_shapes(a->shape(), any->shape()));
        TINMAN_FUZZ_CHECK(same_bytes(bytes_of(a->data(), a->size()), any->bytes()));
        for (auto filter : {ByteFilter::none, ByteFilter::shuffle}) {
            EncodeScratch scratch;
            const Payload p = CompressedArrayCodec<T, Z>{Z{}, filter}.encode(*a, scratch);
            std::vector<std::byte> again(p.head.begin(), p.head.end());
            again.insert(again.end(), p.body.begin(), p.body.end());
            const auto b = codec.decode(again);
            TINMAN_FUZZ_CHECK(same_bytes(bytes_of(a->data(), a->size()), bytes_of(b.data(), b.size())));
        }
    }
}
}  // namespace detail

/// Byte 0 chooses the compression and element type; the rest is a compressed_ndarray payload.
inline int compressed_array(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const detail::Buffer buf(data + 1, size - 1, 0);
    const auto payload = buf.span();
    const unsigned choice = data[0];
    auto with = [&]<class Z>() {
        switch (choice / 2 % 4) {
        case 0: detail::check_compressed<std::uint8_t, Z>(payload); break;
        case 1: detail::check_compressed<std::uint16_t, Z>(payload); break;
        case 2: detail::check_compressed<float, Z>(payload); break;
        default: detail::check_compressed<double, Z>(payload); break;
        }
    };
#if TINMAN_HAVE_ZSTD && TINMAN_HAVE_LZ4
    if (choice % 2 == 0) with.template operator()<Zstd>();
    else with.template operator()<Lz4>();
#elif TINMAN_HAVE_ZSTD
    with.template operator()<Zstd>();
#else
    with.template operator()<Lz4>();
#endif
    return 0;
}
#endif

#if TINMAN_HAVE_SPNG || TINMAN_HAVE_TURBOJPEG
/// Byte 0 chooses the decoder (PNG 8-bit, PNG 16-bit, JPEG); the rest is an image file.
inline int image(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const detail::Buffer buf(data + 1, size - 1, 0);
    const auto payload = buf.span();
    [[maybe_unused]] auto lossless = [&]<class T>() {
#if TINMAN_HAVE_SPNG
        const PngCodec<T> codec{1, max_fuzz_decoded_bytes};
        std::optional<xt::xtensor<T, 3>> img;
        try {
            img = codec.decode(payload);
        } catch (const error&) {
        }
        if (!img) return;
        TINMAN_FUZZ_CHECK(img->size() * sizeof(T) <= max_fuzz_decoded_bytes);
        const std::size_t c = img->shape()[2];
        TINMAN_FUZZ_CHECK(c >= 1 && c <= 4);
        EncodeScratch scratch;
        const auto again = codec.decode(codec.encode(*img, scratch).body);
        TINMAN_FUZZ_CHECK(again == *img);
#endif
    };
    switch (data[0] % 3) {
    case 0: lossless.template operator()<std::uint8_t>(); break;
    case 1: lossless.template operator()<std::uint16_t>(); break;
    default: {
#if TINMAN_HAVE_TURBOJPEG
        const JpegCodec codec{90, JpegSubsampling::s420, max_fuzz_decoded_bytes};
        std::optional<xt::xtensor<std::uint8_t, 3>> img;
        try {
            img = codec.decode(payload);
        } catch (const error&) {
        }
        if (!img) break;
        const std::size_t c = img->shape()[2];
        TINMAN_FUZZ_CHECK(c == 1 || c == 3);
        EncodeScratch scratch;
        const auto again = codec.decode(codec.encode(*img, scratch).body);
        TINMAN_FUZZ_CHECK(again.shape() == img->shape());
#endif
        break;
    }
    }
    return 0;
}
#endif

#if TINMAN_HAVE_PROTOBUF
/// Byte 0 even: the rest is a PoseStamped payload, decoded with the generated type
/// and through the stored schema, which must agree. Odd: the rest is the schema
/// (a FileDescriptorSet) of a channel header, built and used.
inline int protobuf(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    // Protobuf logs every invalid UTF-8 string it parses: quiet, or the log drowns the fuzzer.
    static const bool quiet = (google::protobuf::SetLogHandler(nullptr), true);
    (void)quiet;
    const detail::Buffer buf(data + 1, size - 1, 0);
    const auto payload = buf.span();
    static const CodecDescriptor pose = ProtobufCodec<tinman::test::PoseStamped>{}.descriptor();
    if (data[0] % 2 == 0) {
        static const DynamicProtobufCodec dynamic{pose};
        std::optional<tinman::test::PoseStamped> typed;
        try {
            typed = ProtobufCodec<tinman::test::PoseStamped>{}.decode(payload);
        } catch (const error&) {
        }
        std::optional<DynamicMessage> message;
        try {
            message = dynamic.decode(payload);
        } catch (const error&) {
        }
        TINMAN_FUZZ_CHECK(typed.has_value() == message.has_value());
        if (typed && message) {
            // Equal as messages, not as bytes: generated code drops unknown fields
            // inside map entries, dynamic messages keep them. A NaN equals a NaN.
            tinman::test::PoseStamped again;
            TINMAN_FUZZ_CHECK(again.ParseFromString(message->message().SerializeAsString()));
            google::protobuf::util::DefaultFieldComparator nan_equal;
            nan_equal.set_treat_nan_as_equal(true);
            google::protobuf::util::MessageDifferencer differencer;
            differencer.set_field_comparator(&nan_equal);
            TINMAN_FUZZ_CHECK(differencer.Compare(*typed, again));
            (void)message->text(true);
            try {
                (void)message->json();
            } catch (const error&) {  // e.g. a Timestamp out of JSON's range
            }
        }
        return 0;
    }
    CodecDescriptor stored = pose;
    stored.params[1].second = tinman::detail::base64_encode(
        std::string_view(reinterpret_cast<const char*>(payload.data()), payload.size()));
    try {
        const DynamicProtobufCodec codec{stored};
        const auto m = codec.decode({});
        (void)m.text();
    } catch (const error&) {
    }
    return 0;
}
#endif

}  // namespace tinman::fuzz
