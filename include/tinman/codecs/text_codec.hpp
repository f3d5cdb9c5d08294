#pragma once
/// @file
/// `TextCodec`, UTF-8 text records (log messages, events), read zero-copy as
/// `TextView` (docs/format.md, "Text payload").

#include <cstddef>
#include <cstdio>
#include <span>
#include <string>
#include <string_view>

#include "../detail/utf8.hpp"
#include "codec.hpp"

namespace tinman {

/// The text of one record, inside a mapping that `owner` keeps alive.
struct TextView {
    std::string_view text;
    SegmentPtr owner;

    [[nodiscard]] std::string_view str() const noexcept { return text; }
    operator std::string_view() const noexcept { return text; }  // NOLINT: a view of text is used as one
    friend bool operator==(const TextView& a, std::string_view b) noexcept { return a.text == b; }
};

namespace detail {
/// Why `text` is not UTF-8 ("byte 0xFF at offset 3 is not UTF-8"), or an empty string if it is.
[[nodiscard]] inline std::string utf8_problem(std::string_view text) {
    const std::size_t at = utf8_error_offset(text);
    if (at == text.size()) return {};
    char byte[8];
    std::snprintf(byte, sizeof byte, "0x%02X", static_cast<unsigned>(static_cast<unsigned char>(text[at])));
    return "byte " + std::string(byte) + " at offset " + std::to_string(at) + " of " + std::to_string(text.size()) +
           " is not well-formed UTF-8";
}
}  // namespace detail

/// Stores strings as their UTF-8 bytes (no terminator), checked on write and on
/// read. Writes `std::string`, `std::string_view` and `const char*`.
///
///     auto log_line = log.get_writer("events", tinman::TextCodec{});
///     log_line("gripper closed");
///     for (auto&& [t, line] : reader.read_channel<tinman::TextCodec>("events")) std::cout << line.text;
class TextCodec {
public:
    using value_type = TextView;

    [[nodiscard]] CodecDescriptor descriptor() const { return {"text", {{"encoding", "utf-8"}}}; }
    /// Reads text channels, and JSON channels as their raw text (JSON is UTF-8 too).
    [[nodiscard]] std::string mismatch(const CodecDescriptor& stored) const {
        if (stored.name == "json") return {};
        if (stored.name != "text") return codec_kind_mismatch(stored, descriptor());
        if (stored.param("encoding") != "utf-8")
            return "stored text encoding " + std::string(stored.param("encoding").value_or("(none)")) +
                   ", TextCodec reads utf-8";
        return {};
    }
    /// Throws `format_error` when the payload is not UTF-8 (the reader adds channel and record).
    [[nodiscard]] value_type decode(std::span<const std::byte> payload, const SegmentPtr& owner) const {
        const std::string_view text{reinterpret_cast<const char*>(payload.data()), payload.size()};
        if (auto why = detail::utf8_problem(text); !why.empty()) throw format_error(why);
        return {text, owner};
    }
    /// Throws `usage_error` when `text` is not UTF-8.
    [[nodiscard]] Payload encode(std::string_view text, EncodeScratch&) const {
        if (auto why = detail::utf8_problem(text); !why.empty()) throw usage_error("cannot write text: " + why);
        return {{}, std::as_bytes(std::span{text.data(), text.size()}), 1};
    }
};

static_assert(Codec<TextCodec>);
static_assert(CodecFor<TextCodec, std::string>);
static_assert(CodecFor<TextCodec, std::string_view>);
static_assert(CodecFor<TextCodec, const char*>);

}  // namespace tinman
