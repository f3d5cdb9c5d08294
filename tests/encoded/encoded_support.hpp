#pragma once
// Helpers of the encoded codecs' tests: a codec that writes and reads payloads
// as they are, under any descriptor, to store hand-made (hostile) records.

#include <cstddef>
#include <span>
#include <string>

#include <tinman/codecs/codec.hpp>

namespace tinman::test {

/// Writes byte spans as payloads under `stored`'s descriptor; reads any channel's payloads as they are.
struct RawPayloadCodec {
    using value_type = std::span<const std::byte>;
    CodecDescriptor stored{"bytes", {}};
    [[nodiscard]] CodecDescriptor descriptor() const { return stored; }
    [[nodiscard]] std::string mismatch(const CodecDescriptor&) const { return {}; }
    [[nodiscard]] value_type decode(std::span<const std::byte> payload, const SegmentPtr&) const { return payload; }
    [[nodiscard]] Payload encode(std::span<const std::byte> bytes, EncodeScratch&) const { return {{}, bytes, 1}; }
};
static_assert(CodecFor<RawPayloadCodec, std::span<const std::byte>>);

}  // namespace tinman::test
