#pragma once
/// @file
/// `CompressedArrayCodec<T, Z>`: n-d arrays compressed record by record with a
/// `Compression` (zstd, lz4), optionally byte-shuffled first. Every record stays
/// independently decodable, so the time index and random access work as for
/// uncompressed channels. Decoding decompresses: it returns an owned copy.
///
///     #include <tinman/codecs/compressed_array_codec.hpp>
///     #include <tinman/codecs/zstd_compression.hpp>   // and link libzstd
///     using Codec = tinman::CompressedArrayCodec<float, tinman::Zstd>;
///     auto write = log.get_writer("lidar", Codec{tinman::Zstd{.level = 1}, tinman::ByteFilter::shuffle});

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "any_array.hpp"
#include "byte_shuffle.hpp"
#include "codec.hpp"
#include "compression.hpp"
#include "dtype.hpp"
#include "ndarray_codec.hpp"
#include "ndarray_payload.hpp"

namespace tinman {

/// How a record's element bytes are arranged before compression.
enum class ByteFilter : std::uint8_t {
    none = 0,     ///< as they are
    shuffle = 1,  ///< grouped by byte significance (see byte_shuffle.hpp): helps float and wide integer data
};

/// Largest decoded record a compressed codec accepts by default (4 GiB); see `max_decoded_bytes`.
inline constexpr std::size_t default_max_decoded_bytes = std::size_t{1} << 32;

namespace detail {

inline constexpr std::string_view compressed_ndarray_name = "compressed_ndarray";

/// The head of a compressed array record and where its compressed stream is.
struct CompressedArrayHead {
    ArrayHead array;                     ///< dtype and shape; `array.data` is the rest of the payload
    ByteFilter filter = ByteFilter::none;
    std::span<const std::byte> stream;  ///< the compressed element bytes
    std::size_t decoded_bytes = 0;      ///< count x itemsize
};

/// Parses the head of a compressed array record whose elements are `itemsize`
/// bytes, and refuses it unless the decoded size (known from the shape) is
/// within `max_decoded_bytes` and what `Z` can produce from the stored bytes.
template <Compression Z>
[[nodiscard]] CompressedArrayHead parse_compressed_head(const ArrayHead& a, std::size_t itemsize,
                                                        std::size_t max_decoded_bytes) {
    CompressedArrayHead h;
    h.array = a;
    if (a.data.empty()) throw format_error("payload is too short for its filter byte");
    const auto filter = std::to_integer<std::uint8_t>(a.data[0]);
    if (filter > 1) throw format_error("unknown byte filter " + std::to_string(filter));
    h.filter = static_cast<ByteFilter>(filter);
    h.stream = a.data.subspan(1);
    if (__builtin_mul_overflow(a.count, itemsize, &h.decoded_bytes))
        throw format_error("shape of " + std::to_string(a.count) + " elements is too large");
    if (h.decoded_bytes > max_decoded_bytes)
        throw format_error("record decodes to " + std::to_string(h.decoded_bytes) + " bytes, over the limit of " +
                           std::to_string(max_decoded_bytes) + " (max_decoded_bytes)");
    // Checked before allocating: a few stored bytes claiming gigabytes are a bomb or damage.
    if (h.decoded_bytes / Z::max_expansion > h.stream.size() + 64)
        throw format_error("shape needs " + std::to_string(h.decoded_bytes) + " bytes, more than " +
                           std::string(Z::name) + " can decode from " + std::to_string(h.stream.size()));
    return h;
}

/// Decompresses the record `h` into `out` (`h.decoded_bytes` long), undoing the filter.
template <Compression Z>
void decompress_into(const Z& z, const CompressedArrayHead& h, std::size_t itemsize, std::span<std::byte> out) {
    if (h.filter == ByteFilter::none || itemsize == 1) {
        z.decompress(h.stream, out);
        return;
    }
    thread_local std::vector<std::byte> shuffled;  // reused: no allocation per record once warm
    grow_to(shuffled, out.size());
    z.decompress(h.stream, std::span(shuffled).first(out.size()));
    unshuffle_bytes(shuffled.data(), out.data(), out.size() / itemsize, itemsize);
}

}  // namespace detail

/// Stores n-d arrays of `T` compressed with `Z` (a `Compression`: `Zstd`,
/// `Lz4`), one independently decodable record each. Writes what `NdArrayCodec<T>`
/// writes (xtensor expressions of `T`, contiguous ranges of `T`, single `T`s);
/// reads `xt::xarray<T>`, a copy, or into a caller's array with `decode_into`.
///
/// Decoding refuses a record whose shape claims more bytes than `max_decoded_bytes`
/// or than `Z` can decode from the stored bytes, before allocating, and a stream
/// that decodes to any other size than the shape's (`format_error`).
template <Element T, Compression Z>
class CompressedArrayCodec {
public:
    using value_type = xt::xarray<T>;  ///< owned: decoding decompresses into it
    using element_type = T;

    CompressedArrayCodec() = default;
    /// `filter`: `ByteFilter::shuffle` often compresses float data much better.
    explicit CompressedArrayCodec(Z compression, ByteFilter filter = ByteFilter::none,
                                  std::size_t max_decoded_bytes = default_max_decoded_bytes)
        : z_(compression), filter_(filter), max_decoded_bytes_(max_decoded_bytes) {}

    [[nodiscard]] const Z& compression() const noexcept { return z_; }
    [[nodiscard]] ByteFilter filter() const noexcept { return filter_; }

    [[nodiscard]] CodecDescriptor descriptor() const {
        return {std::string(detail::compressed_ndarray_name),
                {{"dtype", std::string(dtype_of<T>)},
                 {"compression", std::string(Z::name)},
                 {"filter", filter_ == ByteFilter::shuffle ? "shuffle" : "none"}}};
    }

    /// Reads any compressed_ndarray channel of `Z` and `T` (each record says its filter).
    [[nodiscard]] std::string mismatch(const CodecDescriptor& stored) const {
        if (stored.name != detail::compressed_ndarray_name) return codec_kind_mismatch(stored, descriptor());
        if (auto c = stored.param("compression"); c != Z::name)
            return "stored compression '" + std::string(c.value_or("")) + "', this codec reads '" +
                   std::string(Z::name) + "'";
        if (auto dt = stored.param("dtype"); dt && *dt != dtype_of<T>) return dtype_mismatch(*dt);
        return {};
    }

    [[nodiscard]] value_type decode(std::span<const std::byte> payload, const SegmentPtr& = nullptr) const {
        value_type out;
        decode_into(payload, out);
        return out;
    }

    /// Decodes into `out`, reshaped to the record's shape; its memory is reused when
    /// the size is unchanged, so reading same-shape records allocates nothing.
    void decode_into(std::span<const std::byte> payload, value_type& out) const {
        const auto a = detail::parse_array_head(payload);
        if (a.dtype != dtype_of<T>) throw codec_mismatch(dtype_mismatch(a.dtype));
        const auto h = detail::parse_compressed_head<Z>(a, sizeof(T), max_decoded_bytes_);
        shape_type shape(a.rank());
        for (std::size_t i = 0; i < a.rank(); ++i) shape[i] = a.dim(i);
        out.resize(shape);
        detail::decompress_into(z_, h, sizeof(T), std::as_writable_bytes(std::span(out.data(), out.size())));
    }

    /// Anything `NdArrayCodec<T>` writes, compressed.
    template <class V>
        requires CodecFor<NdArrayCodec<T>, V>
    [[nodiscard]] Payload encode(const V& value, EncodeScratch& scratch) const {
        const Payload plain = NdArrayCodec<T>{}.encode(value, scratch);  // head in scratch.head, body contiguous
        const bool shuffle = filter_ == ByteFilter::shuffle && sizeof(T) > 1;
        scratch.head.push_back(std::byte{static_cast<std::uint8_t>(shuffle ? ByteFilter::shuffle : ByteFilter::none)});
        std::span<const std::byte> in = plain.body;
        if (shuffle) {
            thread_local std::vector<std::byte> shuffled;  // only used within this call
            detail::grow_to(shuffled, in.size());
            detail::shuffle_bytes(in.data(), shuffled.data(), in.size() / sizeof(T), sizeof(T));
            in = std::span<const std::byte>(shuffled).first(in.size());
        }
        const std::size_t n = z_.compress(in, scratch.encoded);
        return {scratch.head, std::span<const std::byte>(scratch.encoded).first(n), 1};
    }

private:
    static std::string dtype_mismatch(std::string_view stored) {
        return "stored dtype '" + std::string(stored) + "', requested '" + std::string(dtype_of<T>) + "'";
    }

    Z z_{};
    ByteFilter filter_ = ByteFilter::none;
    std::size_t max_decoded_bytes_ = default_max_decoded_bytes;
};

/// Decodes a record of a compressed_ndarray channel of any dtype: its elements
/// (C order, in the stored byte order) are decompressed into `buffer`, reused
/// from call to call, and the result views them: it is valid until `buffer`
/// changes. For tools that handle every dtype; typed code uses `CompressedArrayCodec`.
template <Compression Z>
[[nodiscard]] AnyArray decode_compressed_any(std::span<const std::byte> payload, std::vector<std::byte>& buffer,
                                             const Z& z = {},
                                             std::size_t max_decoded_bytes = default_max_decoded_bytes) {
    const auto a = detail::parse_array_head(payload);
    const auto dt = a.dtype.size() <= max_dtype_size ? parse_dtype(a.dtype) : std::nullopt;
    if (!dt) throw format_error("unknown or malformed dtype in a compressed array record");
    const auto h = detail::parse_compressed_head<Z>(a, dt->itemsize, max_decoded_bytes);
    detail::grow_to(buffer, h.decoded_bytes);
    const auto out = std::span(buffer).first(h.decoded_bytes);
    detail::decompress_into(z, h, dt->itemsize, out);
    shape_type shape(a.rank());
    for (std::size_t i = 0; i < a.rank(); ++i) shape[i] = a.dim(i);
    return AnyArray(a.dtype, std::move(shape), out);
}

}  // namespace tinman
