#pragma once
/// @file
/// How `tinman` shows results: aligned tables, JSON, sizes, damage reports and errors.

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>
#include <tinman/detail/utf8.hpp>
#include <tinman/error.hpp>
#include <tinman/framing/damage_report.hpp>

namespace tinman::cli {

/// A table column: its title, and whether its cells are right-aligned (numbers).
struct Column {
    std::string title;
    bool numeric = false;
};

/// Prints `rows` under `columns`, each column as wide as its widest cell; the
/// header is bold when stdout is a terminal.
inline void print_table(const std::vector<Column>& columns, const std::vector<std::vector<std::string>>& rows) {
    std::vector<std::size_t> width(columns.size());
    for (std::size_t c = 0; c < columns.size(); ++c) width[c] = columns[c].title.size();
    for (const auto& row : rows)
        for (std::size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
    auto print_row = [&](auto&& cell, const char* before, const char* after) {
        std::string line;
        for (std::size_t c = 0; c < columns.size(); ++c) {
            const std::string& text = cell(c);
            const std::string pad(width[c] - text.size(), ' ');
            line += (c ? "  " : "") + (columns[c].numeric ? pad + text : text + pad);
        }
        line.erase(line.find_last_not_of(' ') + 1);
        std::cout << before << line << after << '\n';
    };
    const bool terminal = ::isatty(STDOUT_FILENO) != 0;
    print_row([&](std::size_t c) -> const std::string& { return columns[c].title; }, terminal ? "\033[1m" : "",
              terminal ? "\033[0m" : "");
    for (const auto& row : rows) print_row([&](std::size_t c) -> const std::string& { return row[c]; }, "", "");
}

/// `value` as JSON, or null when there is none.
template <class T>
[[nodiscard]] nlohmann::ordered_json json_or_null(const std::optional<T>& value) {
    return value ? nlohmann::ordered_json(*value) : nlohmann::ordered_json(nullptr);
}

/// `text` with every byte that is not part of valid UTF-8 written as `\xNN`
/// (channel names and codec descriptors are bytes; JSON strings are UTF-8).
[[nodiscard]] inline std::string utf8_escaped(const std::string& text) {
    std::string out;
    for (std::size_t i = 0; i < text.size();) {
        const auto b = static_cast<unsigned char>(text[i]);
        // The length of a well-formed sequence starting here (RFC 3629), 0 if none.
        std::size_t n = b < 0x80 ? 1 : b >= 0xC2 && b <= 0xDF ? 2 : b >= 0xE0 && b <= 0xEF ? 3 : b >= 0xF0 && b <= 0xF4 ? 4 : 0;
        if (n > 1) {
            if (i + n > text.size()) n = 0;
            for (std::size_t k = 1; k < n; ++k)
                if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) n = 0;
            if (n > 1) {
                const auto second = static_cast<unsigned char>(text[i + 1]);
                if ((b == 0xE0 && second < 0xA0) || (b == 0xED && second > 0x9F) || (b == 0xF0 && second < 0x90) ||
                    (b == 0xF4 && second > 0x8F))
                    n = 0;  // overlong, a surrogate, or past U+10FFFF
            }
        }
        if (n == 0) {
            char hex[5];
            std::snprintf(hex, sizeof hex, "\\x%02X", b);
            out += hex;
            ++i;
        } else {
            out.append(text, i, n);
            i += n;
        }
    }
    return out;
}

/// `text` safe to print on a terminal, on one line: backslash, newline, tab and
/// carriage return as `\\`, `\n`, `\t`, `\r`; other control characters (C0, DEL,
/// and the C1 range U+0080..U+009F, which terminals also obey) and bytes that are
/// not UTF-8 as `\xNN`. Everything else, multibyte UTF-8 included, as it is.
[[nodiscard]] inline std::string printable(std::string_view text) {
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

/// `doc` with every string made valid UTF-8 by `utf8_escaped`.
inline void escape_strings(nlohmann::ordered_json& doc) {
    if (doc.is_string()) doc = utf8_escaped(doc.get_ref<const std::string&>());
    else if (doc.is_structured())
        for (auto& item : doc) escape_strings(item);
}

/// Prints `doc` for scripts: keys in the order they were added, two-space indents;
/// bytes that are not UTF-8 are written as `\xNN` (see `utf8_escaped`).
inline void print_json(nlohmann::ordered_json doc) {
    escape_strings(doc);
    std::cout << doc.dump(2) << '\n';
}

/// A size for people: "812 B", "3.4 MiB".
[[nodiscard]] inline std::string human_bytes(std::uint64_t n) {
    static constexpr const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = static_cast<double>(n);
    std::size_t u = 0;
    for (; v >= 1024 && u + 1 < std::size(units); ++u) v /= 1024;
    char text[32];
    std::snprintf(text, sizeof text, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
    return text;
}

/// What went wrong and where, without the file path: for lines that already name the channel's file.
[[nodiscard]] inline std::string without_path(const error& e) {
    ErrorContext where = e.context();
    where.path.clear();
    const std::string place = where.describe();
    return place.empty() ? e.reason() : place + ": " + e.reason();
}

/// Prints `label: N intact records` and one line per damaged region of `report`.
inline void print_damage_report(const std::string& label, const DamageReport& report) {
    std::cout << printable(label) << ": " << report.records << " intact records";
    if (report.in_progress()) {
        std::cout << " so far, being written" << (report.clean() ? "" : " (the last record is not complete yet)")
                  << '\n';
        return;
    }
    if (report.clean()) {
        std::cout << ", clean\n";
        return;
    }
    if (report.intact_prefix != report.records)
        std::cout << ", " << report.intact_prefix << " of them before the first damage (where readers stop)";
    std::cout << '\n';
    for (const auto& d : report.damage) {
        const bool tail = d.end == report.file_bytes;
        std::cout << "  " << (d.kind == ScanStop::torn ? "torn" : "corrupt") << (tail ? " tail: " : " record: ")
                  << printable(d.reason) << "; " << (d.end - d.offset) << " damaged bytes [" << d.offset << ", " << d.end << ")"
                  << (tail ? " to the end of the file" : ", intact records follow") << '\n';
    }
}

}  // namespace tinman::cli
