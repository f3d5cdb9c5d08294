#pragma once
/// @file
/// numpy dtype strings (`dtype.str`): the element types tinman maps to C++, and
/// a parser for any dtype string a file may hold.

#include <bit>
#include <complex>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <type_traits>

#include "float16.hpp"

namespace tinman {

namespace detail {
template <class T>
inline constexpr bool is_element_v =
    std::is_same_v<T, bool> || std::is_same_v<T, std::int8_t> || std::is_same_v<T, std::int16_t> ||
    std::is_same_v<T, std::int32_t> || std::is_same_v<T, std::int64_t> || std::is_same_v<T, std::uint8_t> ||
    std::is_same_v<T, std::uint16_t> || std::is_same_v<T, std::uint32_t> || std::is_same_v<T, std::uint64_t> ||
    std::is_same_v<T, float16> || std::is_same_v<T, float> || std::is_same_v<T, double> ||
    std::is_same_v<T, std::complex<float>> || std::is_same_v<T, std::complex<double>>;

inline constexpr char native_order = std::endian::native == std::endian::little ? '<' : '>';
}  // namespace detail

/// The element types an NdArrayCodec stores: bool, (u)int8..64, float16, float, double, complex<float/double>.
template <class T>
concept Element = detail::is_element_v<T>;

static_assert(sizeof(bool) == 1, "numpy's bool is one byte");

/// numpy's `dtype.str` for element type `T` in native byte order, e.g. "<f8", "|u1", "<c16".
template <Element T>
inline constexpr std::string_view dtype_of = [] {
    constexpr char o = detail::native_order;
    if constexpr (std::is_same_v<T, bool>) return std::string_view{"|b1"};
    else if constexpr (std::is_same_v<T, std::int8_t>) return std::string_view{"|i1"};
    else if constexpr (std::is_same_v<T, std::uint8_t>) return std::string_view{"|u1"};
    else if constexpr (std::is_same_v<T, std::int16_t>) return std::string_view{o == '<' ? "<i2" : ">i2"};
    else if constexpr (std::is_same_v<T, std::int32_t>) return std::string_view{o == '<' ? "<i4" : ">i4"};
    else if constexpr (std::is_same_v<T, std::int64_t>) return std::string_view{o == '<' ? "<i8" : ">i8"};
    else if constexpr (std::is_same_v<T, std::uint16_t>) return std::string_view{o == '<' ? "<u2" : ">u2"};
    else if constexpr (std::is_same_v<T, std::uint32_t>) return std::string_view{o == '<' ? "<u4" : ">u4"};
    else if constexpr (std::is_same_v<T, std::uint64_t>) return std::string_view{o == '<' ? "<u8" : ">u8"};
    else if constexpr (std::is_same_v<T, float16>) return std::string_view{o == '<' ? "<f2" : ">f2"};
    else if constexpr (std::is_same_v<T, float>) return std::string_view{o == '<' ? "<f4" : ">f4"};
    else if constexpr (std::is_same_v<T, double>) return std::string_view{o == '<' ? "<f8" : ">f8"};
    else if constexpr (std::is_same_v<T, std::complex<float>>) return std::string_view{o == '<' ? "<c8" : ">c8"};
    else return std::string_view{o == '<' ? "<c16" : ">c16"};
}();

/// A parsed numpy dtype string.
struct DType {
    char byte_order = '|';     ///< '<' little, '>' big, '|' not applicable (one-byte and byte-string types)
    char kind = 'u';           ///< numpy kind: b i u f c m M S U V
    std::size_t itemsize = 0;  ///< bytes per element

    /// True when elements can be read in place on this machine (no byte swapping needed).
    [[nodiscard]] constexpr bool is_native() const noexcept {
        return byte_order == '|' || byte_order == detail::native_order || itemsize == 1;
    }
};

/// Parses a numpy `dtype.str` ("<f8", "|b1", ">i4", "<M8[ns]", "|S10", "<U3", "|V12");
/// nullopt for anything else, including object arrays ("|O"), which cannot be stored.
[[nodiscard]] constexpr std::optional<DType> parse_dtype(std::string_view s) noexcept {
    if (s.size() < 3 || s.size() > 32) return std::nullopt;
    DType d;
    d.byte_order = s[0];
    d.kind = s[1];
    if (d.byte_order != '<' && d.byte_order != '>' && d.byte_order != '|') return std::nullopt;
    if (std::string_view{"biufcmMSUV"}.find(d.kind) == std::string_view::npos) return std::nullopt;
    std::size_t i = 2, n = 0;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
        if (i - 2 >= 9) return std::nullopt;  // keeps n far from overflow
        n = n * 10 + static_cast<std::size_t>(s[i] - '0');
    }
    if (i == 2 || n == 0 || s[2] == '0') return std::nullopt;
    if (i < s.size()) {  // only datetimes carry a unit suffix, "[ns]"
        if ((d.kind != 'm' && d.kind != 'M') || s[i] != '[' || s.back() != ']' || s.size() - i < 3)
            return std::nullopt;
        for (std::size_t j = i + 1; j + 1 < s.size(); ++j)
            if (!((s[j] >= 'a' && s[j] <= 'z') || (s[j] >= 'A' && s[j] <= 'Z') || (s[j] >= '0' && s[j] <= '9')))
                return std::nullopt;
    }
    auto one_of = [n](std::initializer_list<std::size_t> sizes) {
        for (auto z : sizes)
            if (z == n) return true;
        return false;
    };
    switch (d.kind) {
    case 'b': if (n != 1) return std::nullopt; break;
    case 'i': case 'u': if (!one_of({1, 2, 4, 8})) return std::nullopt; break;
    case 'f': if (!one_of({2, 4, 8, 12, 16})) return std::nullopt; break;
    case 'c': if (!one_of({8, 16, 24, 32})) return std::nullopt; break;
    case 'm': case 'M': if (n != 8) return std::nullopt; break;
    default: break;
    }
    d.itemsize = d.kind == 'U' ? 4 * n : n;
    return d;
}

}  // namespace tinman
