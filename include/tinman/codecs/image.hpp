#pragma once
/// @file
/// What the image codecs share: the "image" channel descriptor, the `H x W x C`
/// layout of image arrays, and the bound that refuses image bombs.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "../error.hpp"
#include "array_shape.hpp"
#include "codec.hpp"
#include "dtype.hpp"
#include "ndarray_codec.hpp"

namespace tinman {

/// Largest decoded image an image codec accepts by default: 256 MiB (e.g. 8K RGB16 is 200 MB).
inline constexpr std::size_t default_max_image_bytes = std::size_t{256} << 20;

namespace detail {

inline constexpr std::string_view image_name = "image";

/// The descriptor of an image channel: `image`, `encoding=<png|jpeg>`, `dtype=<|u1|<u2>`.
[[nodiscard]] inline CodecDescriptor image_descriptor(std::string_view encoding, std::string_view dtype) {
    return {std::string(image_name), {{"encoding", std::string(encoding)}, {"dtype", std::string(dtype)}}};
}

/// Why a codec of `encoding` and `dtype` cannot read channels stored as `stored`, or "".
[[nodiscard]] inline std::string image_mismatch(const CodecDescriptor& stored, std::string_view encoding,
                                                std::string_view dtype) {
    if (stored.name != image_name) return codec_kind_mismatch(stored, image_descriptor(encoding, dtype));
    if (auto e = stored.param("encoding"); e != encoding)
        return "stored image encoding '" + std::string(e.value_or("")) + "', this codec reads '" +
               std::string(encoding) + "'";
    if (auto d = stored.param("dtype"); d && *d != dtype)
        return "stored image dtype '" + std::string(*d) + "', requested '" + std::string(dtype) + "'";
    return {};
}

/// An image to encode: its elements in C order, height, width and channels.
template <class T>
struct ImageIn {
    const T* data = nullptr;
    std::size_t height = 0, width = 0, channels = 0;
};

/// `e` (an `H x W x C` or `H x W` xtensor expression of `T`) as contiguous
/// elements, evaluated into `scratch.body` when it is not contiguous row-major.
template <class T, class E>
[[nodiscard]] ImageIn<T> image_in(const E& e, EncodeScratch& scratch, std::string_view codec) {
    const auto& shape = e.shape();
    if (e.dimension() != 2 && e.dimension() != 3)
        throw usage_error(std::string(codec) + " writes H x W x C or H x W arrays, not " +
                          std::to_string(e.dimension()) + "-d ones");
    ImageIn<T> img{nullptr, static_cast<std::size_t>(shape[0]), static_cast<std::size_t>(shape[1]),
                   e.dimension() == 3 ? static_cast<std::size_t>(shape[2]) : 1};
    img.data = c_order_data<T>(e);
    if (img.data == nullptr) {
        const std::size_t n = static_cast<std::size_t>(e.size());
        scratch.body.resize(n * sizeof(T));
        const shape_type s(shape.begin(), shape.end());
        auto out = xt::adapt(reinterpret_cast<T*>(scratch.body.data()), n, xt::no_ownership(), s);
        xt::noalias(out) = e;
        img.data = reinterpret_cast<const T*>(scratch.body.data());
    }
    return img;
}

/// Refuses, before anything is allocated, an image whose header claims more than
/// `max_bytes` decoded bytes, or more than `max_expansion` decoded bytes per stored byte.
inline void check_image_size(std::size_t height, std::size_t width, std::size_t channels, std::size_t itemsize,
                             std::size_t stored, std::size_t max_expansion, std::size_t max_bytes,
                             std::string_view encoding) {
    std::size_t n = 0;
    const bool overflow = __builtin_mul_overflow(height, width, &n) || __builtin_mul_overflow(n, channels, &n) ||
                          __builtin_mul_overflow(n, itemsize, &n);
    const std::string what = std::string(encoding) + " image of " + std::to_string(height) + " x " +
                             std::to_string(width) + " x " + std::to_string(channels);
    if (overflow || n > max_bytes)
        throw format_error(what + " decodes to more than the limit of " + std::to_string(max_bytes) + " bytes");
    if (n / max_expansion > stored + 1024)
        throw format_error(what + " cannot decode from " + std::to_string(stored) +
                           " bytes (a corrupt or hostile record)");
}

}  // namespace detail
}  // namespace tinman
