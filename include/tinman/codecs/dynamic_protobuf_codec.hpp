#pragma once
/// @file
/// `DynamicProtobufCodec`: reads the messages of any protobuf channel through
/// the schema its header stores, without generated code (link libprotobuf).
///
///     const tinman::DynamicProtobufCodec codec{reader.codec("pose")};
///     for (auto&& [t, msg] : reader.read_channel("pose", codec)) std::cout << msg.json() << '\n';

#include <google/protobuf/text_format.h>
#include <google/protobuf/util/json_util.h>

#include <climits>
#include <cstddef>
#include <memory>
#include <span>
#include <string>

#include "codec.hpp"
#include "protobuf_schema.hpp"

namespace tinman {

/// A message decoded through a stored schema: a `google::protobuf::Message`
/// (a `DynamicMessage`) that keeps its schema alive. Owned: parsed from the record.
class DynamicMessage {
public:
    DynamicMessage(std::shared_ptr<const ProtobufSchema> schema, std::unique_ptr<google::protobuf::Message> message)
        : schema_(std::move(schema)), message_(std::move(message)) {}

    [[nodiscard]] const google::protobuf::Message& message() const noexcept { return *message_; }
    [[nodiscard]] const google::protobuf::Message* operator->() const noexcept { return message_.get(); }

    /// Protobuf text format, on one line or (`multiline`) one field per line.
    [[nodiscard]] std::string text(bool multiline = false) const {
        google::protobuf::TextFormat::Printer printer;
        printer.SetSingleLineMode(!multiline);
        std::string out;
        printer.PrintToString(*message_, &out);
        if (!multiline && !out.empty() && out.back() == ' ') out.pop_back();
        return out;
    }

    /// Proto3 JSON mapping, on one line.
    [[nodiscard]] std::string json() const {
        std::string out;
        google::protobuf::util::JsonPrintOptions options;
        options.preserve_proto_field_names = true;
        const auto status = google::protobuf::util::MessageToJsonString(*message_, &out, options);
        if (!status.ok()) throw format_error("cannot print the message as JSON: " + status.ToString());
        return out;
    }

private:
    std::shared_ptr<const ProtobufSchema> schema_;  // the pool the message's type lives in
    std::unique_ptr<google::protobuf::Message> message_;
};

/// Reads the protobuf channel whose header is `stored` (from `ObLogReader::codec`)
/// as `DynamicMessage`s; writes messages of that type (generated or dynamic) to a
/// channel of the same header, e.g. when copying a log.
class DynamicProtobufCodec {
public:
    using value_type = DynamicMessage;

    /// Throws `codec_mismatch` when `stored` is not a protobuf channel, `format_error` when its schema is malformed.
    explicit DynamicProtobufCodec(CodecDescriptor stored)
        : stored_(std::move(stored)), schema_(std::make_shared<const ProtobufSchema>(stored_)) {}

    [[nodiscard]] const ProtobufSchema& schema() const noexcept { return *schema_; }
    [[nodiscard]] CodecDescriptor descriptor() const { return stored_; }

    [[nodiscard]] std::string mismatch(const CodecDescriptor& stored) const {
        if (stored.name != detail::protobuf_name) return codec_kind_mismatch(stored, stored_);
        if (stored.param("message") != stored_.param("message"))
            return "stored message type '" + std::string(stored.param("message").value_or("")) + "', this codec reads '" +
                   schema_->type().full_name() + "'";
        return {};
    }

    [[nodiscard]] value_type decode(std::span<const std::byte> payload, const SegmentPtr& = nullptr) const {
        auto message = schema_->new_message();
        if (payload.size() > static_cast<std::size_t>(INT_MAX) ||
            !message->ParseFromArray(payload.data(), static_cast<int>(payload.size())))
            throw format_error("payload of " + std::to_string(payload.size()) + " bytes is not a valid " +
                               schema_->type().full_name() + " message");
        return {schema_, std::move(message)};
    }

    /// A message of the channel's type (checked by name).
    [[nodiscard]] Payload encode(const google::protobuf::Message& message, EncodeScratch& scratch) const {
        if (message.GetDescriptor()->full_name() != schema_->type().full_name())
            throw usage_error("cannot write a " + message.GetDescriptor()->full_name() + " to a channel of " +
                              schema_->type().full_name());
        const std::size_t n = message.ByteSizeLong();
        if (n > static_cast<std::size_t>(INT_MAX)) throw usage_error("protobuf message over 2 GiB cannot be stored");
        detail::grow_to(scratch.encoded, n);
        message.SerializeWithCachedSizesToArray(reinterpret_cast<std::uint8_t*>(scratch.encoded.data()));
        return {{}, std::span<const std::byte>(scratch.encoded).first(n), 1};
    }
    [[nodiscard]] Payload encode(const DynamicMessage& message, EncodeScratch& scratch) const {
        return encode(message.message(), scratch);
    }

private:
    CodecDescriptor stored_;
    std::shared_ptr<const ProtobufSchema> schema_;
};

static_assert(Codec<DynamicProtobufCodec>);

}  // namespace tinman
