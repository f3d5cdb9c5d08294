#pragma once
/// @file
/// A codec's identity as a channel file stores it: a name and string parameters,
/// as UTF-8 lines "<name>\n" then "<key>=<value>\n" (docs/format.md, "Codec descriptor").

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../error.hpp"

namespace tinman {

/// A codec's identity as stored in the file header: a name and string parameters.
struct CodecDescriptor {
    std::string name;
    std::vector<std::pair<std::string, std::string>> params;

    /// The value of parameter `key`, if present.
    [[nodiscard]] std::optional<std::string_view> param(std::string_view key) const {
        for (const auto& [k, v] : params)
            if (k == key) return v;
        return std::nullopt;
    }
    /// "name(key=value, ...)", for messages; values over 64 bytes (an embedded
    /// schema) are cut to their start and length.
    [[nodiscard]] std::string to_string() const {
        std::string s = name;
        if (!params.empty()) {
            s += '(';
            for (std::size_t i = 0; i < params.size(); ++i) {
                const std::string& v = params[i].second;
                s += (i ? ", " : "") + params[i].first + '=' +
                     (v.size() <= 64 ? v : v.substr(0, 16) + "...(" + std::to_string(v.size()) + " bytes)");
            }
            s += ')';
        }
        return s;
    }
    friend bool operator==(const CodecDescriptor&, const CodecDescriptor&) = default;
};

namespace format {

/// Longest codec descriptor a channel file may hold: 1 MiB, room for a protobuf
/// schema with its imports. Readers check it against the file size before use.
/// Files written before the limit was raised from 4096 bytes read the same.
inline constexpr std::size_t max_codec_descriptor_size = std::size_t{1} << 20;

/// True for the characters of codec names and parameter keys: [A-Za-z0-9_.-].
[[nodiscard]] inline bool is_name_char(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
           c == '-';
}

/// The descriptor as stored; throws `usage_error` for names, keys or values it cannot hold.
[[nodiscard]] inline std::string encode_codec_descriptor(const CodecDescriptor& d) {
    auto check = [&](std::string_view s, bool value) {
        bool ok = !s.empty() || value;
        for (char c : s) ok = ok && (value ? (c != '\n' && c != '\0') : is_name_char(c));
        if (!ok) throw usage_error("invalid codec descriptor " + d.to_string());
    };
    check(d.name, false);
    std::string s = d.name + '\n';
    for (const auto& [k, v] : d.params) {
        check(k, false);
        check(v, true);
        s += k + '=' + v + '\n';
    }
    if (s.size() > max_codec_descriptor_size) throw usage_error("codec descriptor too long: " + d.to_string());
    return s;
}

/// The descriptor stored as `s`; nullopt when `s` is malformed.
[[nodiscard]] inline std::optional<CodecDescriptor> parse_codec_descriptor(std::string_view s) {
    CodecDescriptor d;
    bool first = true;
    while (!s.empty()) {
        const auto nl = s.find('\n');
        if (nl == std::string_view::npos) return std::nullopt;
        const auto line = s.substr(0, nl);
        s.remove_prefix(nl + 1);
        if (first) {
            d.name = line;
            first = false;
            continue;
        }
        const auto eq = line.find('=');
        if (eq == std::string_view::npos || eq == 0) return std::nullopt;
        d.params.emplace_back(line.substr(0, eq), line.substr(eq + 1));
    }
    if (first || d.name.empty()) return std::nullopt;
    for (char c : d.name)
        if (!is_name_char(c)) return std::nullopt;
    return d;
}

}  // namespace format
}  // namespace tinman
