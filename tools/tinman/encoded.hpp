#pragma once
/// @file
/// The encoded channels this build of `tinman` decodes, each when its library
/// was found: compressed arrays (zstd, lz4) and images (PNG, JPEG) read as
/// `AnyArray`, protobuf messages printed through the schema in their header.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

// Each TINMAN_HAVE_<LIBRARY> is 1 when the build found the library (cmake/codec_dependencies.cmake).
#ifndef TINMAN_HAVE_ZSTD
#define TINMAN_HAVE_ZSTD 0
#endif
#ifndef TINMAN_HAVE_LZ4
#define TINMAN_HAVE_LZ4 0
#endif
#ifndef TINMAN_HAVE_SPNG
#define TINMAN_HAVE_SPNG 0
#endif
#ifndef TINMAN_HAVE_TURBOJPEG
#define TINMAN_HAVE_TURBOJPEG 0
#endif
#ifndef TINMAN_HAVE_PROTOBUF
#define TINMAN_HAVE_PROTOBUF 0
#endif

#include <tinman/codecs/any_array.hpp>
#include <tinman/codecs/codec.hpp>
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
#endif

namespace tinman::cli {

/// True for the codecs whose records are arrays once decoded (compressed arrays, images).
[[nodiscard]] inline bool is_encoded_array(const CodecDescriptor& d) {
    return d.name == "compressed_ndarray" || d.name == "image";
}

/// The library this build lacks to decode channels of `d`, or "" if it has it.
[[nodiscard]] inline std::string missing_library(const CodecDescriptor& d) {
    const std::string with(d.param("compression").value_or(d.param("encoding").value_or("")));
    bool have = true;
    if (d.name == "compressed_ndarray") {
        have = (with == "zstd" && TINMAN_HAVE_ZSTD) || (with == "lz4" && TINMAN_HAVE_LZ4);
    } else if (d.name == "image") {
        have = (with == "png" && TINMAN_HAVE_SPNG) || (with == "jpeg" && TINMAN_HAVE_TURBOJPEG);
    } else if (d.name == "protobuf") {
        have = TINMAN_HAVE_PROTOBUF;
        if (!have) return "protobuf";
    }
    return have ? "" : with.empty() ? d.name : with;
}

/// Reads compressed array and image channels as `AnyArray`. Each record is
/// decoded into memory reused from record to record: a value is valid until the
/// next record is decoded, which is how the tool reads (one record at a time).
class EncodedArrayCodec {
public:
    using value_type = AnyArray;

    /// Throws `codec_mismatch` when this build cannot decode `stored`.
    explicit EncodedArrayCodec(CodecDescriptor stored) : stored_(std::move(stored)) {
        if (!is_encoded_array(stored_)) throw codec_mismatch("codec " + stored_.to_string() + " does not hold arrays");
        if (auto lib = missing_library(stored_); !lib.empty())
            throw codec_mismatch("channel encoded with " + lib + ", which this tinman was built without");
    }

    [[nodiscard]] CodecDescriptor descriptor() const { return stored_; }
    [[nodiscard]] std::string mismatch(const CodecDescriptor&) const { return {}; }

    // payload is unused in a build without any of the libraries.
    [[nodiscard]] value_type decode([[maybe_unused]] std::span<const std::byte> payload, const SegmentPtr&) const {
        const std::string with(stored_.param("compression").value_or(stored_.param("encoding").value_or("")));
        [[maybe_unused]] State& s = *state_;
#if TINMAN_HAVE_ZSTD
        if (with == "zstd") return decode_compressed_any<Zstd>(payload, s.bytes);
#endif
#if TINMAN_HAVE_LZ4
        if (with == "lz4") return decode_compressed_any<Lz4>(payload, s.bytes);
#endif
#if TINMAN_HAVE_SPNG
        if (with == "png" && stored_.param("dtype") == "<u2") {
            PngCodec<std::uint16_t>{6, default_max_image_bytes}.decode_into(payload, s.image16);
            return view(s.image16, "<u2");
        }
        if (with == "png") {
            PngCodec<std::uint8_t>{6, default_max_image_bytes}.decode_into(payload, s.image8);
            return view(s.image8, "|u1");
        }
#endif
#if TINMAN_HAVE_TURBOJPEG
        if (with == "jpeg") {
            JpegCodec{}.decode_into(payload, s.image8);
            return view(s.image8, "|u1");
        }
#endif
        throw codec_mismatch("cannot decode " + stored_.to_string());
    }

private:
    struct State {
        std::vector<std::byte> bytes;
        xt::xtensor<std::uint8_t, 3> image8;
        xt::xtensor<std::uint16_t, 3> image16;
    };
    template <class Image>
    static AnyArray view(const Image& image, std::string_view dtype) {
        const shape_type shape(image.shape().begin(), image.shape().end());
        return AnyArray(dtype, shape, std::as_bytes(std::span(image.data(), image.size())));
    }

    CodecDescriptor stored_;
    std::shared_ptr<State> state_ = std::make_shared<State>();  // shared by copies: the reader copies its codec
};
static_assert(Codec<EncodedArrayCodec>);

}  // namespace tinman::cli
