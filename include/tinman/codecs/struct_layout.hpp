#pragma once
/// @file
/// `StructLayout`: a numpy structured dtype (field names, formats, offsets,
/// itemsize) and the one-line JSON form a struct channel's header stores:
/// `{"names":["ax","status"],"formats":["<f8","<i4"],"offsets":[0,8],"itemsize":16}`
/// (`numpy.dtype(json.loads(text))` rebuilds it). Parsed by hand: the core has
/// no JSON library.

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../error.hpp"
#include "array_shape.hpp"
#include "dtype.hpp"

namespace tinman {

/// One field of a structured dtype: a name, an element dtype, an optional
/// subarray shape (a fixed-size array field such as `double q[4]`) and its byte offset.
struct StructField {
    std::string name;
    std::string dtype;  ///< the element's numpy dtype string, e.g. "<f8"
    shape_type shape;   ///< the subarray's dimensions; empty for a scalar field
    std::size_t offset = 0;
    DType info;         ///< `dtype`, parsed

    /// Number of elements (1 for a scalar field).
    [[nodiscard]] std::size_t count() const noexcept {
        std::size_t n = 1;
        for (auto d : shape) n *= d;
        return n;
    }
    /// Bytes the field spans.
    [[nodiscard]] std::size_t size() const noexcept { return count() * info.itemsize; }
    /// numpy's format string: "<f8", or with a subarray "(4,)<f8", "(3,3)<f4".
    [[nodiscard]] std::string format() const {
        if (shape.empty()) return dtype;
        std::string s = "(";
        for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
        return s + (shape.size() == 1 ? ",)" : ")") + dtype;
    }
    friend bool operator==(const StructField& a, const StructField& b) {
        return a.name == b.name && a.dtype == b.dtype && a.shape == b.shape && a.offset == b.offset;
    }
};

/// A structured dtype: named fields at byte offsets inside records of `itemsize`
/// bytes (padding and unnamed bytes included). Always valid once constructed.
class StructLayout {
public:
    /// Checks and keeps `fields`: names of [A-Za-z0-9_], unique; known dtypes;
    /// every field inside `itemsize`. Throws `format_error` saying what is wrong.
    StructLayout(std::vector<StructField> fields, std::size_t itemsize) : fields_(std::move(fields)), itemsize_(itemsize) {
        if (fields_.empty()) throw format_error("struct layout has no fields");
        if (itemsize_ == 0 || itemsize_ > max_itemsize)
            throw format_error("struct itemsize " + std::to_string(itemsize_) + " is out of range");
        std::vector<std::string_view> names;
        names.reserve(fields_.size());
        for (auto& f : fields_) {
            if (f.name.empty() || !std::all_of(f.name.begin(), f.name.end(), is_name_char))
                throw format_error("struct field name '" + printable(f.name) + "' is not 1+ characters of [A-Za-z0-9_]");
            const auto dt = parse_dtype(f.dtype);
            if (!dt) throw format_error("struct field '" + f.name + "' has unknown dtype '" + printable(f.dtype) + "'");
            f.info = *dt;
            if (f.shape.size() > max_ndim) throw format_error("struct field '" + f.name + "' has too many dimensions");
            std::size_t bytes = f.info.itemsize;
            for (auto d : f.shape)
                if (d == 0 || __builtin_mul_overflow(bytes, d, &bytes))
                    throw format_error("struct field '" + f.name + "' has an invalid subarray shape");
            if (f.offset > itemsize_ || bytes > itemsize_ - f.offset)
                throw format_error("struct field '" + f.name + "' (" + std::to_string(bytes) + " bytes at offset " +
                                   std::to_string(f.offset) + ") ends past the itemsize " + std::to_string(itemsize_));
            names.push_back(f.name);
        }
        std::sort(names.begin(), names.end());
        if (auto dup = std::adjacent_find(names.begin(), names.end()); dup != names.end())
            throw format_error("struct field name '" + std::string(*dup) + "' appears twice");
    }

    [[nodiscard]] const std::vector<StructField>& fields() const noexcept { return fields_; }
    /// Bytes per record (C++: `sizeof(T)`).
    [[nodiscard]] std::size_t itemsize() const noexcept { return itemsize_; }
    /// The record's dtype string as array payloads store it: "|V<itemsize>".
    [[nodiscard]] std::string void_dtype() const { return "|V" + std::to_string(itemsize_); }

    /// The field called `name`, or nullptr.
    [[nodiscard]] const StructField* find(std::string_view name) const noexcept {
        for (const auto& f : fields_)
            if (f.name == name) return &f;
        return nullptr;
    }

    /// The compact JSON line stored as the descriptor's `struct=` value.
    [[nodiscard]] std::string json() const {
        std::string s = "{\"names\":[";
        for (std::size_t i = 0; i < fields_.size(); ++i) s += (i ? ",\"" : "\"") + fields_[i].name + '"';
        s += "],\"formats\":[";
        for (std::size_t i = 0; i < fields_.size(); ++i) s += (i ? ",\"" : "\"") + fields_[i].format() + '"';
        s += "],\"offsets\":[";
        for (std::size_t i = 0; i < fields_.size(); ++i) s += (i ? "," : "") + std::to_string(fields_[i].offset);
        return s + "],\"itemsize\":" + std::to_string(itemsize_) + '}';
    }

    /// For messages: "{ax <f8 @0, q (4,)<f8 @8, status <i4 @48; 56 bytes}".
    [[nodiscard]] std::string to_string() const {
        std::string s = "{";
        for (std::size_t i = 0; i < fields_.size(); ++i)
            s += (i ? ", " : "") + fields_[i].name + ' ' + fields_[i].format() + " @" + std::to_string(fields_[i].offset);
        return s + "; " + std::to_string(itemsize_) + " bytes}";
    }

    /// Parses the JSON form (`json()`'s, optionally with JSON whitespace between
    /// tokens, keys in any order). Throws `format_error` with the reason and byte position.
    [[nodiscard]] static StructLayout parse_json(std::string_view text);

    friend bool operator==(const StructLayout& a, const StructLayout& b) {
        return a.itemsize_ == b.itemsize_ && a.fields_ == b.fields_;
    }

    /// Largest itemsize accepted (numpy's limit on a dtype's size).
    static constexpr std::size_t max_itemsize = 0x7fffffff;

private:
    static bool is_name_char(char c) noexcept {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    }
    static std::string printable(std::string_view s) {
        std::string out;
        for (char c : s.substr(0, 64)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
        return out;
    }

    std::vector<StructField> fields_;
    std::size_t itemsize_ = 0;
};

namespace detail {

/// A strict reader of the restricted JSON of a struct layout: objects, arrays,
/// strings without escapes or control characters, non-negative integers.
class StructJsonReader {
public:
    explicit StructJsonReader(std::string_view s) : s_(s) {}

    [[noreturn]] void fail(const std::string& what) const {
        throw format_error("malformed struct layout at byte " + std::to_string(i_) + ": " + what);
    }
    void skip_space() noexcept {
        while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
    }
    /// Consumes `c` (after whitespace) if it is next.
    bool accept(char c) noexcept {
        skip_space();
        if (i_ < s_.size() && s_[i_] == c) {
            ++i_;
            return true;
        }
        return false;
    }
    void expect(char c) {
        if (!accept(c)) fail(std::string("expected '") + c + "'");
    }
    [[nodiscard]] bool at_end() noexcept {
        skip_space();
        return i_ == s_.size();
    }
    [[nodiscard]] std::string_view string() {
        expect('"');
        const std::size_t start = i_;
        while (i_ < s_.size() && s_[i_] != '"') {
            const auto c = static_cast<unsigned char>(s_[i_]);
            if (c < 0x20 || c == '\\' || c >= 0x7f) fail("unsupported character in a string");
            ++i_;
        }
        if (i_ == s_.size()) fail("unterminated string");
        return s_.substr(start, i_++ - start);
    }
    [[nodiscard]] std::size_t integer() {
        skip_space();
        const std::size_t start = i_;
        std::size_t n = 0;
        while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') {
            if (i_ - start >= 18) fail("integer too large");
            n = n * 10 + static_cast<std::size_t>(s_[i_++] - '0');
        }
        if (i_ == start) fail("expected a non-negative integer");
        if (s_[start] == '0' && i_ - start > 1) fail("integer with a leading zero");
        return n;
    }
    /// `[item, ...]`, calling `item()` for each element.
    template <class F>
    void array(F item) {
        expect('[');
        if (accept(']')) return;
        do item();
        while (accept(','));
        expect(']');
    }

private:
    std::string_view s_;
    std::size_t i_ = 0;
};

/// Splits a numpy field format, "<f8" or "(3,4)<f4", into its subarray shape
/// (appended to `shape`) and element dtype (returned).
[[nodiscard]] inline std::string_view split_field_format(std::string_view f, shape_type& shape) {
    if (f.empty() || f.front() != '(') return f;
    std::size_t i = 1;
    while (true) {
        std::size_t n = 0, digits = 0;
        for (; i < f.size() && f[i] >= '0' && f[i] <= '9'; ++i, ++digits) {
            if (digits >= 18) throw format_error("subarray dimension too large in format '" + std::string(f.substr(0, 64)) + "'");
            n = n * 10 + static_cast<std::size_t>(f[i] - '0');
        }
        if (digits == 0 || shape.size() >= max_ndim)
            throw format_error("malformed subarray in format '" + std::string(f.substr(0, 64)) + "'");
        shape.push_back(n);
        if (i < f.size() && f[i] == ',') ++i;
        if (i < f.size() && f[i] == ')') return f.substr(i + 1);
        if (i >= f.size() || f[i - 1] != ',')
            throw format_error("malformed subarray in format '" + std::string(f.substr(0, 64)) + "'");
    }
}

}  // namespace detail

inline StructLayout StructLayout::parse_json(std::string_view text) {
    detail::StructJsonReader in(text);
    std::vector<std::string_view> names, formats;
    std::vector<std::size_t> offsets;
    std::optional<std::size_t> itemsize;
    bool seen[3] = {false, false, false};
    in.expect('{');
    do {
        const auto key = in.string();
        in.expect(':');
        auto once = [&](bool& flag) {
            if (flag) in.fail("key '" + std::string(key) + "' appears twice");
            flag = true;
        };
        if (key == "names") {
            once(seen[0]);
            in.array([&] { names.push_back(in.string()); });
        } else if (key == "formats") {
            once(seen[1]);
            in.array([&] { formats.push_back(in.string()); });
        } else if (key == "offsets") {
            once(seen[2]);
            in.array([&] { offsets.push_back(in.integer()); });
        } else if (key == "itemsize") {
            if (itemsize) in.fail("key 'itemsize' appears twice");
            itemsize = in.integer();
        } else {
            in.fail("unknown key '" + printable(key) + "'");
        }
    } while (in.accept(','));
    in.expect('}');
    if (!in.at_end()) in.fail("text after the object");
    if (!seen[0] || !seen[1] || !seen[2] || !itemsize)
        throw format_error("malformed struct layout: it needs names, formats, offsets and itemsize");
    if (formats.size() != names.size() || offsets.size() != names.size())
        throw format_error("malformed struct layout: " + std::to_string(names.size()) + " names, " +
                           std::to_string(formats.size()) + " formats, " + std::to_string(offsets.size()) + " offsets");
    std::vector<StructField> fields(names.size());
    for (std::size_t i = 0; i < names.size(); ++i) {
        fields[i].name = names[i];
        fields[i].dtype = detail::split_field_format(formats[i], fields[i].shape);
        fields[i].offset = offsets[i];
    }
    return StructLayout(std::move(fields), *itemsize);
}

}  // namespace tinman
