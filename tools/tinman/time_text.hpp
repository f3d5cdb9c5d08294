#pragma once
/// @file
/// Timestamps (ns since the Unix epoch) as ISO-8601 UTC text, and back.

#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace tinman::cli {

/// `ns` as ISO-8601 UTC with nanoseconds: "2026-11-25T22:00:00.123456789Z".
[[nodiscard]] inline std::string iso_time(std::int64_t ns) {
    using namespace std::chrono;
    // Split into whole seconds first: days in ns overflow int64 near its ends (1677 and 2262).
    std::int64_t whole = ns / 1'000'000'000, fraction = ns % 1'000'000'000;
    if (fraction < 0) {
        fraction += 1'000'000'000;
        --whole;
    }
    const sys_seconds t{seconds{whole}};
    const auto day = floor<days>(t);
    const year_month_day date{day};
    const hh_mm_ss time{t - day};
    char text[48];
    std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02d.%09lldZ", static_cast<int>(date.year()),
                  static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                  static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()),
                  static_cast<int>(time.seconds().count()), static_cast<long long>(fraction));
    return text;
}

/// Reads integer ns since the epoch, or ISO-8601 UTC: a date, then optionally
/// "THH:MM", ":SS" and a fraction of up to 9 digits, and an optional "Z".
/// nullopt when the text is neither, or the time does not fit in int64 ns.
[[nodiscard]] inline std::optional<std::int64_t> parse_time(std::string_view text) {
    using namespace std::chrono;
    std::int64_t integer = 0;
    if (const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), integer);
        ec == std::errc{} && end == text.data() + text.size())
        return integer;

    std::size_t pos = 0;
    // Exactly `digits` decimal digits, or -1.
    auto number = [&](std::size_t digits) -> int {
        int value = 0;
        if (text.size() - pos < digits) return -1;
        const auto [end, ec] = std::from_chars(text.data() + pos, text.data() + pos + digits, value);
        if (ec != std::errc{} || end != text.data() + pos + digits || text[pos] == '-' || text[pos] == '+') return -1;
        pos += digits;
        return value;
    };
    auto skip = [&](char c) {
        if (pos >= text.size() || text[pos] != c) return false;
        ++pos;
        return true;
    };

    const int y = number(4);
    const int mo = skip('-') ? number(2) : -1;
    const int d = skip('-') ? number(2) : -1;
    if (y < 0 || mo < 0 || d < 0) return std::nullopt;
    const year_month_day date{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
    if (!date.ok()) return std::nullopt;

    int h = 0, mi = 0, s = 0;
    std::int64_t fraction = 0;
    if (skip('T') || skip(' ')) {
        h = number(2);
        mi = skip(':') ? number(2) : -1;
        if (skip(':')) {
            s = number(2);
            if (skip('.')) {
                const std::size_t start = pos;
                for (std::int64_t scale = 100'000'000; pos < text.size() && text[pos] >= '0' && text[pos] <= '9';
                     scale /= 10) {
                    if (scale == 0) return std::nullopt;  // finer than 1 ns
                    fraction += (text[pos++] - '0') * scale;
                }
                if (pos == start) return std::nullopt;
            }
        }
        if (h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 60) return std::nullopt;  // 60: a leap second
    }
    skip('Z');
    if (pos != text.size()) return std::nullopt;

    const std::int64_t seconds =
        (sys_days{date}.time_since_epoch() + hours{h} + minutes{mi} + std::chrono::seconds{s}).count();
    constexpr std::int64_t giga = 1'000'000'000;
    using limits = std::numeric_limits<std::int64_t>;
    if (seconds > (limits::max() - fraction) / giga || seconds < limits::min() / giga)
        return std::nullopt;  // after 2262 or before 1677
    return seconds * giga + fraction;
}

}  // namespace tinman::cli
