#pragma once
/// @file
/// `ProtobufCodec<M>`: messages of a generated protobuf type `M`, with the
/// type's schema in the channel header (link libprotobuf).
///
///     #include <tinman/codecs/protobuf_codec.hpp>
///     auto write = log.get_writer("pose", tinman::ProtobufCodec<foxglove::PoseInFrame>{});
///     write(pose);
///     for (auto&& [t, msg] : reader.read_channel<tinman::ProtobufCodec<foxglove::PoseInFrame>>("pose")) ...

#include <google/protobuf/message.h>

#include <climits>
#include <concepts>
#include <cstddef>
#include <span>
#include <string>

#include "codec.hpp"
#include "protobuf_schema.hpp"

namespace tinman {

/// Stores messages of the generated type `M` in their wire format, one per
/// record; the header holds `M`'s full name and schema (see protobuf_schema.hpp).
/// Reads `M`, parsed: a copy (decode_into reuses a caller's message). Reads any
/// channel of the same message name: protobuf's rules make newer and older
/// schemas of one message compatible.
template <class M>
    requires std::derived_from<M, google::protobuf::Message>
class ProtobufCodec {
public:
    using value_type = M;  ///< owned: parsed from the record

    [[nodiscard]] CodecDescriptor descriptor() const { return protobuf_descriptor(*M::descriptor()); }

    [[nodiscard]] std::string mismatch(const CodecDescriptor& stored) const {
        if (stored.name != detail::protobuf_name)
            return codec_kind_mismatch(stored, {std::string(detail::protobuf_name), {{"message", name()}}});
        if (auto m = stored.param("message"); m != name())
            return "stored message type '" + std::string(m.value_or("")) + "', requested '" + name() + "'";
        return {};
    }

    [[nodiscard]] value_type decode(std::span<const std::byte> payload, const SegmentPtr& = nullptr) const {
        M message;
        decode_into(payload, message);
        return message;
    }

    /// Parses into `message`, reusing its memory (repeated fields, strings).
    void decode_into(std::span<const std::byte> payload, M& message) const {
        if (payload.size() > static_cast<std::size_t>(INT_MAX) ||
            !message.ParseFromArray(payload.data(), static_cast<int>(payload.size())))
            throw format_error("payload of " + std::to_string(payload.size()) + " bytes is not a valid " + name() +
                               " message");
    }

    [[nodiscard]] Payload encode(const M& message, EncodeScratch& scratch) const {
        const std::size_t n = message.ByteSizeLong();
        if (n > static_cast<std::size_t>(INT_MAX)) throw usage_error(name() + " message over 2 GiB cannot be stored");
        detail::grow_to(scratch.encoded, n);
        message.SerializeWithCachedSizesToArray(reinterpret_cast<std::uint8_t*>(scratch.encoded.data()));
        return {{}, std::span<const std::byte>(scratch.encoded).first(n), 1};
    }

private:
    static std::string name() { return M::descriptor()->full_name(); }
};

}  // namespace tinman
