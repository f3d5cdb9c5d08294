#pragma once
/// @file
/// Text and JSON channels for `cat` and `export`: payloads escaped for a
/// terminal, and records as JSON lines.

#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>
#include <tinman/codecs/text_codec.hpp>

#include "output.hpp"
#include "time_text.hpp"

namespace tinman::cli {

/// True for channels whose records are text: `text` and `json` (read with `TextCodec`).
[[nodiscard]] inline bool is_text_codec(const CodecDescriptor& codec) {
    return codec.name == "text" || codec.name == "json";
}

/// One record of a text or JSON channel: its text and, when asked for and the
/// channel is JSON, the parsed document.
struct TextRecord {
    std::string_view text;
    nlohmann::ordered_json value;  ///< null unless parsed

    /// The record as one JSON object: `{"t":<ns>,"text":"..."}`, or for a parsed JSON
    /// document `{"t":<ns>,"value":<the document>}`.
    [[nodiscard]] nlohmann::ordered_json json_line(std::int64_t t, bool is_json) const {
        nlohmann::ordered_json line{{"t", t}};
        if (is_json) line["value"] = value;
        else line["text"] = std::string(text);
        return line;
    }
};

/// Reads text and JSON channels: the text checked as UTF-8 (`TextCodec`) and, with
/// `parse`, a JSON channel's document parsed, so that a record that is not JSON
/// is reported with its channel and record number by the reader.
struct TextRecordCodec {
    using value_type = TextRecord;
    CodecDescriptor stored;
    bool parse = false;

    [[nodiscard]] CodecDescriptor descriptor() const { return stored; }
    [[nodiscard]] std::string mismatch(const CodecDescriptor& s) const { return TextCodec{}.mismatch(s); }
    [[nodiscard]] value_type decode(std::span<const std::byte> payload, const SegmentPtr& owner) const {
        TextRecord r{TextCodec{}.decode(payload, owner).text, nullptr};
        if (parse && stored.name == "json") {
            try {
                r.value = nlohmann::ordered_json::parse(r.text.begin(), r.text.end());
            } catch (const nlohmann::json::exception& e) {
                throw format_error(std::string("not a JSON document: ") + e.what());
            }
        }
        return r;
    }
};
static_assert(Codec<TextRecordCodec>);

}  // namespace tinman::cli
