#pragma once
/// @file
/// UTF-8 validation (RFC 3629: no overlong forms, surrogates or code points past
/// U+10FFFF), eight ASCII bytes at a time.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace tinman::detail {

/// Where the first byte of `s` that is not part of well-formed UTF-8 is, or
/// `s.size()` when all of `s` is UTF-8.
[[nodiscard]] inline std::size_t utf8_error_offset(std::string_view s) noexcept {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const std::size_t n = s.size();
    std::size_t i = 0;
    while (i < n) {
        // ASCII runs, the common case, are checked 32 bytes (then a word) at a time.
        constexpr std::uint64_t high_bits = 0x8080808080808080u;
        while (i + 32 <= n) {
            std::uint64_t w[4];
            std::memcpy(w, p + i, 32);
            if ((w[0] | w[1] | w[2] | w[3]) & high_bits) break;
            i += 32;
        }
        while (i + 8 <= n) {
            std::uint64_t word;
            std::memcpy(&word, p + i, 8);
            if (word & high_bits) break;
            i += 8;
        }
        if (i == n) break;
        const unsigned char b = p[i];
        if (b < 0x80) {
            ++i;
            continue;
        }
        std::size_t len;
        unsigned char lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
        if (b >= 0xC2 && b <= 0xDF) len = 2;
        else if (b >= 0xE0 && b <= 0xEF) {
            len = 3;
            if (b == 0xE0) lo = 0xA0;       // overlong
            else if (b == 0xED) hi = 0x9F;  // surrogates
        } else if (b >= 0xF0 && b <= 0xF4) {
            len = 4;
            if (b == 0xF0) lo = 0x90;       // overlong
            else if (b == 0xF4) hi = 0x8F;  // past U+10FFFF
        } else {
            return i;
        }
        if (n - i < len || p[i + 1] < lo || p[i + 1] > hi) return i;
        for (std::size_t k = 2; k < len; ++k)
            if ((p[i + k] & 0xC0) != 0x80) return i;
        i += len;
    }
    return n;
}

/// True when all of `s` is well-formed UTF-8.
[[nodiscard]] inline bool is_utf8(std::string_view s) noexcept { return utf8_error_offset(s) == s.size(); }

}  // namespace tinman::detail
