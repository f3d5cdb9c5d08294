#pragma once
/// @file
/// `PngCodec<T>`: images (`H x W x C`, C = 1 to 4, of uint8 or uint16) stored
/// as PNG files, lossless, through libspng (link libspng). Each record is a
/// complete PNG file: `tinman export` writes them out as they are.

#include <spng.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "image.hpp"

namespace tinman {

namespace detail {

using SpngPtr = std::unique_ptr<spng_ctx, decltype(&spng_ctx_free)>;

[[nodiscard]] inline SpngPtr spng_context(int flags) {
    SpngPtr ctx(spng_ctx_new(flags), &spng_ctx_free);
    if (!ctx) throw std::bad_alloc();
    return ctx;
}

/// Appends what libspng writes to a byte vector (used as `scratch.encoded`).
struct SpngSink {
    std::vector<std::byte>* out;
    std::size_t size = 0;
    static int write(spng_ctx*, void* user, void* data, std::size_t length) {
        auto& s = *static_cast<SpngSink*>(user);
        grow_to(*s.out, s.size + length);
        std::memcpy(s.out->data() + s.size, data, length);
        s.size += length;
        return 0;
    }
};

/// PNG color types by channel count: gray, gray + alpha, RGB, RGBA.
inline constexpr std::uint8_t png_color_types[] = {SPNG_COLOR_TYPE_GRAYSCALE, SPNG_COLOR_TYPE_GRAYSCALE_ALPHA,
                                                   SPNG_COLOR_TYPE_TRUECOLOR, SPNG_COLOR_TYPE_TRUECOLOR_ALPHA};

}  // namespace detail

/// Stores `H x W x C` (or `H x W`) arrays of `T` (`std::uint8_t` or, e.g. for
/// depth, `std::uint16_t`) as PNG images; reads `xt::xtensor<T, 3>`, a copy
/// (decoding decompresses). A PNG of another bit depth, a palette or fewer than
/// 8 bits per sample is refused; so is one that claims more than `max_image_bytes`
/// or more pixels than its bytes can hold, before anything is allocated.
template <class T = std::uint8_t>
    requires std::same_as<T, std::uint8_t> || std::same_as<T, std::uint16_t>
class PngCodec {
public:
    using value_type = xt::xtensor<T, 3>;  ///< owned: decoding decompresses into it
    using element_type = T;

    /// Deflate's largest ratio is about 1032:1.
    static constexpr std::size_t max_expansion = 1032;

    PngCodec() = default;
    /// `level`: zlib's level, 0 (store) to 9 (smallest), -1 for its default (6).
    explicit PngCodec(int level, std::size_t max_image_bytes = default_max_image_bytes)
        : level_(level), max_image_bytes_(max_image_bytes) {}

    [[nodiscard]] CodecDescriptor descriptor() const { return detail::image_descriptor("png", dtype_of<T>); }
    [[nodiscard]] std::string mismatch(const CodecDescriptor& stored) const {
        return detail::image_mismatch(stored, "png", dtype_of<T>);
    }

    [[nodiscard]] value_type decode(std::span<const std::byte> payload, const SegmentPtr& = nullptr) const {
        value_type out;
        decode_into(payload, out);
        return out;
    }

    /// Decodes into `out`, reusing its memory when the image size is unchanged.
    void decode_into(std::span<const std::byte> payload, value_type& out) const {
        auto ctx = detail::spng_context(0);
        auto check = [](int rc, const char* what) {
            if (rc != 0) throw format_error(std::string("PNG ") + what + ": " + spng_strerror(rc));
        };
        check(spng_set_image_limits(ctx.get(), 1u << 24, 1u << 24), "limits");
        check(spng_set_chunk_limits(ctx.get(), 1u << 20, 1u << 22), "limits");  // ancillary chunks: metadata only
        check(spng_set_png_buffer(ctx.get(), payload.data(), payload.size()), "data");
        spng_ihdr ihdr{};
        check(spng_get_ihdr(ctx.get(), &ihdr), "header");
        if (ihdr.bit_depth != 8 * sizeof(T))
            throw codec_mismatch("PNG of bit depth " + std::to_string(ihdr.bit_depth) + ", requested " +
                                 std::to_string(8 * sizeof(T)) + "-bit samples");
        std::size_t channels = 0;
        for (std::size_t c = 0; c < 4; ++c)
            if (ihdr.color_type == detail::png_color_types[c]) channels = c + 1;
        if (channels == 0)
            throw format_error("PNG color type " + std::to_string(ihdr.color_type) + " (palette) is not supported");
        detail::check_image_size(ihdr.height, ihdr.width, channels, sizeof(T), payload.size(), max_expansion,
                                 max_image_bytes_, "PNG");
        std::size_t size = 0;
        check(spng_decoded_image_size(ctx.get(), SPNG_FMT_PNG, &size), "size");
        if (size != std::size_t{ihdr.height} * ihdr.width * channels * sizeof(T))
            throw format_error("PNG decoded size " + std::to_string(size) + " does not match its header");
        out.resize({ihdr.height, ihdr.width, channels});
        check(spng_decode_image(ctx.get(), out.data(), size, SPNG_FMT_PNG, 0), "data");
    }

    /// An `H x W x C` (C = 1 to 4) or `H x W` xtensor expression of `T`.
    template <class E>
        requires detail::is_xexpression_v<E> && std::same_as<typename E::value_type, T>
    [[nodiscard]] Payload encode(const E& e, EncodeScratch& scratch) const {
        const auto img = detail::image_in<T>(e, scratch, "PngCodec");
        if (img.channels < 1 || img.channels > 4 || img.height == 0 || img.width == 0 ||
            img.height > 0x7fffffff || img.width > 0x7fffffff)
            throw usage_error("PngCodec writes 1 to 4 channels of at least one pixel, not " +
                              std::to_string(img.height) + " x " + std::to_string(img.width) + " x " +
                              std::to_string(img.channels));
        auto ctx = detail::spng_context(SPNG_CTX_ENCODER);
        detail::SpngSink sink{&scratch.encoded};
        spng_ihdr ihdr{};
        ihdr.height = static_cast<std::uint32_t>(img.height);
        ihdr.width = static_cast<std::uint32_t>(img.width);
        ihdr.bit_depth = 8 * sizeof(T);
        ihdr.color_type = detail::png_color_types[img.channels - 1];
        const std::size_t nbytes = img.height * img.width * img.channels * sizeof(T);
        int rc = spng_set_png_stream(ctx.get(), &detail::SpngSink::write, &sink);
        if (rc == 0) rc = spng_set_ihdr(ctx.get(), &ihdr);
        if (rc == 0) rc = spng_set_option(ctx.get(), SPNG_IMG_COMPRESSION_LEVEL, level_);
        if (rc == 0) rc = spng_encode_image(ctx.get(), img.data, nbytes, SPNG_FMT_PNG, SPNG_ENCODE_FINALIZE);
        if (rc != 0) throw usage_error(std::string("cannot encode PNG: ") + spng_strerror(rc));
        return {{}, std::span<const std::byte>(scratch.encoded).first(sink.size), 1};
    }

private:
    int level_ = -1;
    std::size_t max_image_bytes_ = default_max_image_bytes;
};

static_assert(Codec<PngCodec<>>);

}  // namespace tinman
