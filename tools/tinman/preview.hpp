#pragma once
/// @file
/// Arrays and raw payloads as short numpy-like text for `tinman cat`.

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include <tinman/codecs/any_array.hpp>

namespace tinman::cli {

/// A shape as numpy prints it: "(3,)", "(2, 100)", "()".
[[nodiscard]] inline std::string shape_text(const shape_type& shape) {
    std::string out = "(";
    for (std::size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
    return out + (shape.size() == 1 ? ",)" : ")");
}

/// A float as numpy prints array elements: 8 significant digits (its default
/// print precision), and a trailing '.' on integral values ("2.").
template <class F>
[[nodiscard]] std::string float_text(F v) {
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    char buf[64];
    const auto end = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, 8).ptr;
    std::string s(buf, end);
    if (s.find_first_of(".e") == std::string::npos) s += '.';
    return s;
}

namespace detail {

/// Element `i` of `bytes` as `T`, from the stored byte order, at any alignment.
template <class T>
[[nodiscard]] T load_element(std::span<const std::byte> bytes, std::size_t i, bool swap, std::size_t part = 0) {
    unsigned char b[sizeof(T)];
    std::memcpy(b, bytes.data() + i + part, sizeof b);
    if (swap) std::reverse(b, b + sizeof b);
    T v;
    std::memcpy(&v, b, sizeof v);
    return v;
}

template <class Signed, class Unsigned>
[[nodiscard]] std::string integer_text(std::span<const std::byte> bytes, std::size_t at, bool swap, bool is_signed) {
    return is_signed ? std::to_string(load_element<Signed>(bytes, at, swap))
                     : std::to_string(load_element<Unsigned>(bytes, at, swap));
}

}  // namespace detail

/// Element `i` of an array of dtype `dt` stored in `bytes`, as numpy prints it.
[[nodiscard]] inline std::string element_text(const DType& dt, std::span<const std::byte> bytes, std::size_t i) {
    const std::size_t n = dt.itemsize, at = i * n;
    const bool swap = !dt.is_native();
    const auto byte = [&](std::size_t k) { return std::to_integer<unsigned char>(bytes[at + k]); };
    switch (dt.kind) {
    case 'b': return byte(0) ? "True" : "False";
    case 'i':
    case 'u':
    case 'm':
    case 'M': {
        const bool is_signed = dt.kind != 'u';
        switch (n) {
        case 1: return detail::integer_text<std::int8_t, std::uint8_t>(bytes, at, swap, is_signed);
        case 2: return detail::integer_text<std::int16_t, std::uint16_t>(bytes, at, swap, is_signed);
        case 4: return detail::integer_text<std::int32_t, std::uint32_t>(bytes, at, swap, is_signed);
        default: return detail::integer_text<std::int64_t, std::uint64_t>(bytes, at, swap, is_signed);
        }
    }
    case 'f':
        if (n == 2) {
            const auto bits = detail::load_element<std::uint16_t>(bytes, at, swap);
            return float_text(static_cast<float>(float16::from_bits(bits)));
        }
        if (n == 4) return float_text(detail::load_element<float>(bytes, at, swap));
        if (n == 8) return float_text(detail::load_element<double>(bytes, at, swap));
        return "?";
    case 'c':
        if (n == 8 || n == 16) {
            const auto part = [&](std::size_t k) {
                return n == 8 ? float_text(detail::load_element<float>(bytes, at, swap, 4 * k))
                              : float_text(detail::load_element<double>(bytes, at, swap, 8 * k));
            };
            const std::string im = part(1);
            return "(" + part(0) + (im.front() == '-' ? "" : "+") + im + "j)";
        }
        return "?";
    case 'S': {
        std::string s = "b'";
        for (std::size_t k = 0; k < n && byte(k) != 0; ++k)
            s += byte(k) >= 0x20 && byte(k) < 0x7f ? static_cast<char>(byte(k)) : '?';
        return s + "'";
    }
    default: {  // 'U' and 'V': the first 8 bytes in hex
        static constexpr char digits[] = "0123456789abcdef";
        std::string s;
        for (std::size_t k = 0; k < n && k < 8; ++k) {
            s += digits[byte(k) >> 4];
            s += digits[byte(k) & 15];
        }
        return n > 8 ? s + ".." : s;
    }
    }
}

/// A numpy-like one-line preview; axes longer than 6 show their first and last 3 entries.
[[nodiscard]] inline std::string array_preview(const AnyArray& a, std::size_t max_chars = 240) {
    const auto& shape = a.shape();
    if (a.size() == 0) return "[]";
    std::vector<std::size_t> strides(shape.size(), 1);
    for (std::size_t k = shape.size(); k-- > 1;) strides[k - 1] = strides[k] * shape[k];
    std::string out;
    auto show = [&](auto&& self, std::size_t dim, std::size_t base) -> void {
        if (out.size() > max_chars) return;
        if (dim == shape.size()) {
            out += element_text(a.dtype_info(), a.bytes(), base);
            return;
        }
        out += '[';
        const std::size_t n = shape[dim];
        for (std::size_t i = 0; i < n; ++i) {
            if (n > 6 && i == 3) {
                out += "... ";
                i = n - 3;
            }
            self(self, dim + 1, base + i * strides[dim]);
            if (i + 1 < n) out += ' ';
        }
        out += ']';
    };
    show(show, 0, 0);
    if (out.size() > max_chars) out = out.substr(0, max_chars) + " ...";
    return out;
}

/// Records of an array of structs, numpy-like with field names:
/// "[{ax: 0.5, q: [1. 2. 3. 4.]} ...]"; more than 6 records show the first and last 3.
[[nodiscard]] inline std::string struct_preview(const AnyArray& a, std::size_t max_chars = 480) {
    const std::size_t n = a.size(), itemsize = a.dtype_info().itemsize;
    std::string out = a.dimension() == 0 ? "" : "[";
    for (std::size_t r = 0; r < n && out.size() <= max_chars; ++r) {
        if (n > 6 && r == 3) {
            out += "... ";
            r = n - 3;
        }
        out += '{';
        for (const auto& f : a.fields()) {
            const auto record = a.bytes().subspan(r * itemsize + f.offset, f.size());
            out += (&f == a.fields().data() ? "" : ", ") + f.name + ": ";
            if (f.shape.empty()) {
                out += element_text(f.info, record, 0);
            } else {
                out += '[';
                for (std::size_t i = 0; i < f.count() && i < 16; ++i) out += (i ? " " : "") + element_text(f.info, record, i);
                out += f.count() > 16 ? " ...]" : "]";
            }
        }
        out += '}';
        if (r + 1 < n) out += ' ';
    }
    if (a.dimension() != 0) out += ']';
    if (out.size() > max_chars) out = out.substr(0, max_chars) + " ...";
    return out;
}

/// The first 48 bytes of a payload that is not an array, unprintable ones as '.'.
[[nodiscard]] inline std::string bytes_preview(std::span<const std::byte> bytes) {
    constexpr std::size_t shown = 48;
    std::string out;
    for (std::size_t i = 0; i < bytes.size() && i < shown; ++i) {
        const auto c = std::to_integer<unsigned char>(bytes[i]);
        out += c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '.';
    }
    return bytes.size() > shown ? out + "..." : out;
}

}  // namespace tinman::cli
