#pragma once
/// @file
/// Layer 3: the `Codec` concept, which turns values into record payloads and
/// payloads (views into a mapped file) back into values.

#include <concepts>
#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "blob_writer.hpp"
#include "format.hpp"
#include "mapped_segment.hpp"

namespace tinman {

/// Memory a channel writer lends its codec, reused from record to record so
/// that encoding allocates nothing once warm.
struct EncodeScratch {
    std::vector<std::byte> head;  ///< for the payload's small head
    std::vector<std::byte> body;  ///< for a body that has to be materialised (e.g. a strided view)
};

/// A codec: how values of one kind become record payloads and come back.
///
///  - `descriptor()`: the identity stored in the channel header (name + parameters);
///  - `mismatch(stored)`: why this codec cannot read a channel whose header holds
///    `stored`, or an empty string if it can;
///  - `decode(payload, owner)`: the value of one record; `owner` keeps the mapped
///    bytes alive and may be stored in the value (zero-copy). Throws `format_error`
///    or `codec_mismatch` with a reason; the reader adds channel and record.
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

/// The usual reason text when a stored codec is of another kind.
[[nodiscard]] inline std::string codec_kind_mismatch(const CodecDescriptor& stored, const CodecDescriptor& requested) {
    return "stored codec " + stored.to_string() + ", requested " + requested.to_string();
}

}  // namespace tinman
