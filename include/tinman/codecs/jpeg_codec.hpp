#pragma once
/// @file
/// `JpegCodec`: 8-bit images (`H x W x 3` RGB or `H x W` / `H x W x 1` gray)
/// stored as JPEG files, lossy, through libjpeg-turbo's TurboJPEG (link
/// libturbojpeg). Each record is a complete JPEG file: `tinman export` writes
/// them out as they are.

#include <turbojpeg.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <span>
#include <string>

#include "image.hpp"

namespace tinman {

namespace detail {

/// One TurboJPEG compressor and decompressor per thread, made on first use and reused.
[[nodiscard]] inline tjhandle turbojpeg_handle(bool compress) {
    thread_local const std::unique_ptr<void, decltype(&tjDestroy)> c(tjInitCompress(), &tjDestroy);
    thread_local const std::unique_ptr<void, decltype(&tjDestroy)> d(tjInitDecompress(), &tjDestroy);
    tjhandle h = compress ? c.get() : d.get();
    if (h == nullptr) throw std::bad_alloc();
    return h;
}

}  // namespace detail

/// Chroma subsampling of color JPEGs.
enum class JpegSubsampling { s444 = TJSAMP_444, s422 = TJSAMP_422, s420 = TJSAMP_420 };

/// Stores `H x W x 3` (RGB) and `H x W` or `H x W x 1` (gray) uint8 arrays as
/// JPEG images; reads `xt::xtensor<std::uint8_t, 3>`, a copy. Lossy: decoding
/// gives values close to, not equal to, those written. A JPEG claiming more than
/// `max_image_bytes` decoded, or more pixels than its bytes can hold, is refused
/// before anything is allocated; so is one with a warning (truncated data).
class JpegCodec {
public:
    using value_type = xt::xtensor<std::uint8_t, 3>;  ///< owned: decoding decompresses into it
    using element_type = std::uint8_t;

    /// Bound on decoded bytes per stored byte: the smallest code of a JPEG block is
    /// about one bit, so even subsampled blank images stay well below it.
    static constexpr std::size_t max_expansion = 4096;

    JpegCodec() = default;
    /// `quality`: 1 to 100.
    explicit JpegCodec(int quality, JpegSubsampling subsampling = JpegSubsampling::s420,
                       std::size_t max_image_bytes = default_max_image_bytes)
        : quality_(quality), subsampling_(subsampling), max_image_bytes_(max_image_bytes) {
        if (quality < 1 || quality > 100) throw usage_error("JPEG quality must be 1 to 100");
    }

    [[nodiscard]] CodecDescriptor descriptor() const { return detail::image_descriptor("jpeg", "|u1"); }
    [[nodiscard]] std::string mismatch(const CodecDescriptor& stored) const {
        return detail::image_mismatch(stored, "jpeg", "|u1");
    }

    [[nodiscard]] value_type decode(std::span<const std::byte> payload, const SegmentPtr& = nullptr) const {
        value_type out;
        decode_into(payload, out);
        return out;
    }

    /// Decodes into `out`, reusing its memory when the image size is unchanged.
    void decode_into(std::span<const std::byte> payload, value_type& out) const {
        tjhandle h = detail::turbojpeg_handle(false);
        const auto* data = reinterpret_cast<const unsigned char*>(payload.data());
        if (payload.size() > 0xffffffffu) throw format_error("JPEG record larger than 4 GiB");
        const auto size = static_cast<unsigned long>(payload.size());
        int width = 0, height = 0, subsamp = 0, colorspace = 0;
        if (tjDecompressHeader3(h, data, size, &width, &height, &subsamp, &colorspace) != 0)
            throw format_error(std::string("JPEG header: ") + tjGetErrorStr2(h));
        if (width <= 0 || height <= 0) throw format_error("JPEG of no pixels");
        const std::size_t channels = colorspace == TJCS_GRAY ? 1 : 3;
        detail::check_image_size(static_cast<std::size_t>(height), static_cast<std::size_t>(width), channels, 1,
                                 payload.size(), max_expansion, max_image_bytes_, "JPEG");
        out.resize({static_cast<std::size_t>(height), static_cast<std::size_t>(width), channels});
        // STOPONWARNING: truncated data is an error, not gray blocks; LIMITSCANS: at most 500 progressive scans.
        if (tjDecompress2(h, data, size, out.data(), width, 0, height, channels == 1 ? TJPF_GRAY : TJPF_RGB,
                          TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS) != 0)
            throw format_error(std::string("JPEG data: ") + tjGetErrorStr2(h));
    }

    /// An `H x W x 3`, `H x W x 1` or `H x W` xtensor expression of `std::uint8_t`.
    template <class E>
        requires detail::is_xexpression_v<E> && std::same_as<typename E::value_type, std::uint8_t>
    [[nodiscard]] Payload encode(const E& e, EncodeScratch& scratch) const {
        const auto img = detail::image_in<std::uint8_t>(e, scratch, "JpegCodec");
        if ((img.channels != 1 && img.channels != 3) || img.height == 0 || img.width == 0 || img.height > 65500 ||
            img.width > 65500)
            throw usage_error("JpegCodec writes 1 or 3 channels of 1 to 65500 pixels a side, not " +
                              std::to_string(img.height) + " x " + std::to_string(img.width) + " x " +
                              std::to_string(img.channels));
        const int w = static_cast<int>(img.width), hgt = static_cast<int>(img.height);
        const int samp = img.channels == 1 ? TJSAMP_GRAY : static_cast<int>(subsampling_);
        detail::grow_to(scratch.encoded, tjBufSize(w, hgt, samp));
        auto* buffer = reinterpret_cast<unsigned char*>(scratch.encoded.data());
        unsigned long size = static_cast<unsigned long>(scratch.encoded.size());
        tjhandle h = detail::turbojpeg_handle(true);
        // NOREALLOC: TurboJPEG writes into our reused buffer, sized by tjBufSize.
        if (tjCompress2(h, img.data, w, 0, hgt, img.channels == 1 ? TJPF_GRAY : TJPF_RGB, &buffer, &size, samp,
                        quality_, TJFLAG_NOREALLOC) != 0)
            throw usage_error(std::string("cannot encode JPEG: ") + tjGetErrorStr2(h));
        return {{}, std::span<const std::byte>(scratch.encoded).first(size), 1};
    }

private:
    int quality_ = 90;
    JpegSubsampling subsampling_ = JpegSubsampling::s420;
    std::size_t max_image_bytes_ = default_max_image_bytes;
};

static_assert(Codec<JpegCodec>);

}  // namespace tinman
