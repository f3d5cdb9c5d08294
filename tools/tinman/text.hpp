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

#include "time_text.hpp"

namespace tinman::cli {

/// True for channels whose records are text: `text` and `json` (read with `TextCodec`).
[[nodiscard]] inline bool is_text_codec(const CodecDescriptor& codec) {
    return codec.name == "text" || codec.name == "json";
}

/// `text` safe to print on a terminal, on one line: backslash, newline, tab and
/// carriage return as `\\`, `\n`, `\t`, `\r`; other control characters (C0, DEL,
/// and the C1 range U+0080..U+009F, which terminals also obey) and bytes that are
/// not UTF-8 as `\xNN`. Everything else, multibyte UTF-8 included, as it is.
[[nodiscard]] inline std::string terminal_text(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    const auto hex = [&](unsigned char b) {
        char buf[5];
        std::snprintf(buf, sizeof buf, "\\x%02X", b);
        out += buf;
    };
    while (!text.empty()) {
        const std::size_t good = tinman::detail::utf8_error_offset(text);
        for (std::size_t i = 0; i < good; ++i) {
            const auto b = static_cast<unsigned char>(text[i]);
            if (b == '\\') out += "\\\\";
            else if (b == '\n') out += "\\n";
            else if (b == '\t') out += "\\t";
            else if (b == '\r') out += "\\r";
            else if (b < 0x20 || b == 0x7F) hex(b);
            else if (b == 0xC2 && i + 1 < good && static_cast<unsigned char>(text[i + 1]) < 0xA0) {
                hex(b);  // U+0080..U+009F
                hex(static_cast<unsigned char>(text[++i]));
            } else out += static_cast<char>(b);
        }
        if (good == text.size()) break;
        hex(static_cast<unsigned char>(text[good]));
        text.remove_prefix(good + 1);
    }
    return out;
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
