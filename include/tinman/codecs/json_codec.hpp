#pragma once
/// @file
/// `JsonCodec`, one JSON document per record through nlohmann/json (docs/format.md,
/// "JSON payload"). An opt-in header: it needs nlohmann/json (3.x), which the rest
/// of tinman never includes. Without it, `TextCodec` reads the same channels as text.

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "codec.hpp"
#include "text_codec.hpp"

namespace tinman {

/// One record's JSON: the parsed document, and its stored text inside a mapping
/// that `owner` keeps alive.
struct JsonDocument {
    nlohmann::json value;
    std::string_view text;  ///< the compact JSON as stored (zero-copy)
    SegmentPtr owner;
};

namespace detail {
/// nlohmann's serializer writing into encoding scratch memory: made once per
/// codec (constructing one allocates), pointed at the scratch of each call.
class JsonSerializer final : public nlohmann::detail::output_adapter_protocol<char> {
public:
    JsonSerializer() = default;
    JsonSerializer(const JsonSerializer&) = delete;
    JsonSerializer& operator=(const JsonSerializer&) = delete;

    /// `value` compactly into `out` (replacing its contents, keeping its capacity).
    void dump(const nlohmann::json& value, std::vector<std::byte>& out) {
        out.clear();
        out_ = &out;
        serializer_.dump(value, false, false, 0);
    }
    void write_character(char c) override { out_->push_back(static_cast<std::byte>(c)); }
    void write_characters(const char* s, std::size_t n) override {
        const auto* b = reinterpret_cast<const std::byte*>(s);
        out_->insert(out_->end(), b, b + n);
    }

private:
    std::vector<std::byte>* out_ = nullptr;
    // The aliasing constructor with no owner: a non-owning pointer to this object.
    nlohmann::detail::serializer<nlohmann::json> serializer_{
        nlohmann::detail::output_adapter_t<char>(std::shared_ptr<void>{}, this), ' '};
};
}  // namespace detail

/// Stores JSON documents (`nlohmann::json`), serialized compactly as UTF-8, and
/// parses them on read. The channel's descriptor holds a content type,
/// `application/json` unless another is given (e.g. `application/geo+json`).
///
///     auto events = log.get_writer("events", tinman::JsonCodec{});
///     events(nlohmann::json{{"kind", "grasp"}, {"ok", true}});
///     for (auto&& [t, doc] : reader.read_channel<tinman::JsonCodec>("events")) use(doc.value["kind"]);
///
/// Writing serializes into the writer's scratch memory, reused from record to
/// record, through one nlohmann serializer per codec object (made on the first
/// write; a copy of the codec makes its own): once the scratch is large enough,
/// writing allocates nothing. A codec object is used by one thread at a time,
/// as a channel writer does. Reading parses each record into an `nlohmann::json`,
/// which allocates as nlohmann does; read with `TextCodec` to get only the text,
/// without parsing.
class JsonCodec {
public:
    using value_type = JsonDocument;

    JsonCodec() = default;
    /// `content_type`: a media type stored in the descriptor (no newline or NUL).
    explicit JsonCodec(std::string content_type) : content_type_(std::move(content_type)) {}
    JsonCodec(const JsonCodec& other) : content_type_(other.content_type_) {}
    JsonCodec(JsonCodec&&) noexcept = default;
    JsonCodec& operator=(const JsonCodec& other) {
        content_type_ = other.content_type_;
        return *this;
    }
    JsonCodec& operator=(JsonCodec&&) noexcept = default;
    ~JsonCodec() = default;

    [[nodiscard]] CodecDescriptor descriptor() const { return {"json", {{"content_type", content_type_}}}; }
    /// Reads every JSON channel, whatever its content type.
    [[nodiscard]] std::string mismatch(const CodecDescriptor& stored) const {
        return stored.name == "json" ? std::string{} : codec_kind_mismatch(stored, descriptor());
    }
    /// Throws `format_error` when the payload is not one JSON document (the reader adds channel and record).
    [[nodiscard]] value_type decode(std::span<const std::byte> payload, const SegmentPtr& owner) const {
        const std::string_view text{reinterpret_cast<const char*>(payload.data()), payload.size()};
        try {
            return {nlohmann::json::parse(text.begin(), text.end()), text, owner};
        } catch (const nlohmann::json::exception& e) {
            throw format_error(std::string("not a JSON document: ") + e.what());
        }
    }
    /// Throws `usage_error` when `value` holds a string that is not UTF-8.
    [[nodiscard]] Payload encode(const nlohmann::json& value, EncodeScratch& scratch) const {
        if (!serializer_) serializer_ = std::make_unique<detail::JsonSerializer>();
        try {
            serializer_->dump(value, scratch.encoded);
        } catch (const nlohmann::json::exception& e) {
            throw usage_error(std::string("cannot write JSON: ") + e.what());
        }
        return {{}, scratch.encoded, 1};
    }

private:
    std::string content_type_ = "application/json";
    mutable std::unique_ptr<detail::JsonSerializer> serializer_;  // made on the first write
};

static_assert(Codec<JsonCodec>);
static_assert(CodecFor<JsonCodec, nlohmann::json>);

}  // namespace tinman
