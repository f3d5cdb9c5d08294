#pragma once
/// @file
/// The `Codec` concept, which turns values into record payloads and payloads
/// (views into a mapped file) back into values.

#include <concepts>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "../framing/codec_descriptor.hpp"
#include "../framing/payload.hpp"
#include "../io/mapped_segment.hpp"

namespace tinman {

/// Memory a channel writer lends its codec, reused from record to record so
/// that encoding allocates nothing once warm.
struct EncodeScratch {
    std::vector<std::byte> head;  ///< for the payload's small head
    std::vector<std::byte> body;  ///< for a body that has to be materialised (e.g. a strided view)
    std::vector<std::byte> encoded;  ///< for a body a codec transforms (compressed, image-encoded, serialized)
};

namespace detail {
/// Makes scratch memory `v` hold at least `n` bytes, never shrinking it: a codec
/// that writes a variable length into it then allocates and zero-fills only on growth.
inline void grow_to(std::vector<std::byte>& v, std::size_t n) {
    if (v.size() < n) v.resize(n);
}
}  // namespace detail

/// A codec: how values of one kind become record payloads and come back.
///
///  - `descriptor()`: the identity stored in the channel header (name + parameters);
///  - `mismatch(stored)`: why this codec cannot read a channel whose header holds
///    `stored`, or an empty string if it can;
///  - `decode(payload, owner)`: the value of one record; `owner` keeps the mapped
///    bytes alive and may be stored in the value (zero-copy). Throws `format_error`
///    or `codec_mismatch` with a reason; the reader adds channel and record.
///
/// A codec may also name a `Decoder`: state a reader keeps for one pass over a
/// channel so that decoding a run of similar records is cheaper (what consecutive
/// records share, such as an array's head, is checked once per change rather than
/// parsed per record). `Decoder{}.decode(codec, payload, owner)` must return what
/// `codec.decode(payload, owner)` does and throw what it throws.
template <class C>
concept Codec = std::copy_constructible<C> &&
                requires(const C& c, const CodecDescriptor& stored, std::span<const std::byte> payload,
                         const SegmentPtr& owner) {
                    typename C::value_type;
                    { c.descriptor() } -> std::convertible_to<CodecDescriptor>;
                    { c.mismatch(stored) } -> std::convertible_to<std::string>;
                    { c.decode(payload, owner) } -> std::same_as<typename C::value_type>;
                };

/// A codec that can write values of type `V`: `encode(value, scratch)` lays the
/// value out as a `Payload` whose spans point into `value` or `scratch` and stay
/// valid until either changes.
template <class C, class V>
concept CodecFor = Codec<C> && requires(const C& c, const V& value, EncodeScratch& scratch) {
    { c.encode(value, scratch) } -> std::same_as<Payload>;
};

namespace detail {

template <class>
inline constexpr bool dependent_false = false;

/// Stops compilation with one line saying why `C` cannot write a `V`, instead of
/// the notes of every unsatisfied constraint.
template <class C, class V>
constexpr void assert_writable() {
    if constexpr (!CodecFor<C, V>) {
        if constexpr (requires { typename C::element_type; typename V::value_type; })
            static_assert(dependent_false<V>,
                          "tinman: the value's element type is not the codec's: NdArrayCodec<T> writes exactly T "
                          "(convert with xt::cast<T>(value))");
        else
            static_assert(dependent_false<V>,
                          "tinman: this codec cannot write this value: NdArrayCodec<T> writes xtensor expressions "
                          "of T, std::vector<T>, std::span<const T>, std::array<T, N> or a single T");
    }
}

}  // namespace detail

namespace detail {

/// The decoder of a codec without its own: decodes each record on its own.
template <class C>
struct PlainDecoder {
    [[nodiscard]] typename C::value_type decode(const C& codec, std::span<const std::byte> payload,
                                                const SegmentPtr& owner) const {
        return codec.decode(payload, owner);
    }
};

template <class C>
struct decoder_of {
    using type = PlainDecoder<C>;
};
template <class C>
    requires requires { typename C::Decoder; }
struct decoder_of<C> {
    using type = typename C::Decoder;
};

/// What a reader keeps to decode records of codec `C`: `C::Decoder` or `PlainDecoder<C>`.
template <class C>
using decoder_t = typename decoder_of<C>::type;

}  // namespace detail

/// Which codec reads channels stored as `stored`, and from which header, for
/// messages; empty for a kind this library has no codec for.
[[nodiscard]] inline std::string codec_for(const CodecDescriptor& stored) {
    const std::string name = stored.name;
    if (name == "ndarray") return "NdArrayCodec<T> or AnyArrayCodec (tinman/codecs/ndarray_codec.hpp, any_array_codec.hpp)";
    if (name == "bytes") return "BytesCodec (tinman/codecs/bytes_codec.hpp)";
    if (name == "text") return "TextCodec (tinman/codecs/text_codec.hpp)";
    if (name == "json") return "JsonCodec (tinman/codecs/json_codec.hpp, with nlohmann/json), or TextCodec for the raw text";
    if (name == "compressed_ndarray") {
        const std::string z(stored.param("compression").value_or("?"));
        const std::string policy = z == "zstd" ? "Zstd" : z == "lz4" ? "Lz4" : z;
        return "CompressedArrayCodec<T, " + policy + "> (tinman/codecs/compressed_array_codec.hpp and " + z +
               "_compression.hpp; the tool decodes any dtype)";
    }
    if (name == "image") {
        const std::string e(stored.param("encoding").value_or("?"));
        return e == "jpeg" ? "JpegCodec (tinman/codecs/jpeg_codec.hpp)" : "PngCodec<T> (tinman/codecs/png_codec.hpp)";
    }
    if (name == "protobuf")
        return "ProtobufCodec<M> (tinman/codecs/protobuf_codec.hpp), or DynamicProtobufCodec without generated code "
               "(tinman/codecs/dynamic_protobuf_codec.hpp)";
    return {};
}

/// The usual reason text when a stored codec is of another kind; for an encoded
/// channel, says what it is encoded with and which codec reads it.
[[nodiscard]] inline std::string codec_kind_mismatch(const CodecDescriptor& stored, const CodecDescriptor& requested) {
    std::string s = "stored codec " + stored.to_string() + ", requested " + requested.to_string();
    const std::string reader = codec_for(stored);
    if (reader.empty()) return s;
    std::string_view with = stored.name == "protobuf" ? "protobuf" : "";
    if (auto c = stored.param("compression")) with = *c;
    else if (auto e = stored.param("encoding")) with = *e;
    if (!with.empty()) s += ": encoded with " + std::string(with);
    return s + ": use " + reader;
}

}  // namespace tinman
