#pragma once
/// @file
/// `parquet::parse_struct_fields`: the fields of a struct channel, read from the
/// `struct=` value of its codec descriptor (docs/format.md, struct channels):
/// `{"names":[...],"formats":[...],"offsets":[...],"itemsize":N}`, formats being
/// numpy dtype strings with an optional subarray shape such as `(3,)<f8`. A strict
/// parser of exactly that object, kept apart so that the struct codec's own parser
/// can take its place.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "../codecs/dtype.hpp"
#include "../error.hpp"

/// Set by the Parquet headers, which the core never includes (tests/unit/test_tinman.cpp checks).
#define TINMAN_PARQUET_HEADERS 1

namespace tinman::parquet {

/// One field of a struct: where it lies in the struct and what it holds.
struct StructField {
    std::string name;
    DType dtype;                      ///< the element type
    std::string dtype_text;           ///< as written, without the subarray shape, e.g. "<f8"
    std::vector<std::size_t> shape;   ///< subarray shape, empty for a scalar field
    std::size_t offset = 0;           ///< bytes from the start of the struct
};

/// A struct's fields and its size in bytes.
struct StructFields {
    std::vector<StructField> fields;
    std::size_t itemsize = 0;
};

namespace detail {
class StructJsonParser {
public:
    explicit StructJsonParser(std::string_view text) : s_(text) {}

    StructFields parse() {
        std::vector<std::string> names, formats;
        std::vector<std::uint64_t> offsets;
        std::optional<std::uint64_t> itemsize;
        expect('{');
        for (bool first = true; !peek('}'); first = false) {
            if (!first) expect(',');
            const std::string key = string();
            expect(':');
            if (key == "names" && names.empty()) names = strings();
            else if (key == "formats" && formats.empty()) formats = strings();
            else if (key == "offsets" && offsets.empty()) offsets = numbers();
            else if (key == "itemsize" && !itemsize) itemsize = number();
            else fail("unexpected or repeated key '" + key + "'");
        }
        expect('}');
        skip_space();
        if (i_ != s_.size()) fail("text after the object");
        if (names.empty() || !itemsize) fail("needs names and itemsize");
        if (*itemsize == 0 || *itemsize > 0xFFFFFFFFu) fail("itemsize out of range");
        if (formats.size() != names.size() || offsets.size() != names.size())
            fail("names, formats and offsets differ in length");
        StructFields out;
        out.itemsize = static_cast<std::size_t>(*itemsize);
        for (std::size_t f = 0; f < names.size(); ++f) {
            StructField field = parse_format(formats[f]);
            field.name = names[f];
            if (field.name.empty() || field.name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                                   "0123456789_") != std::string::npos)
                fail("field name '" + field.name + "' is not [A-Za-z0-9_]+");
            for (std::size_t g = 0; g < f; ++g)
                if (names[g] == field.name) fail("field name '" + field.name + "' repeats");
            std::size_t count = 1;
            for (const std::size_t d : field.shape) count = count > out.itemsize ? count : count * d;  // no overflow
            if (offsets[f] > out.itemsize || count * field.dtype.itemsize > out.itemsize - offsets[f])
                fail("field '" + field.name + "' lies outside the itemsize");
            field.offset = static_cast<std::size_t>(offsets[f]);
            out.fields.push_back(std::move(field));
        }
        return out;
    }

private:
    [[noreturn]] void fail(const std::string& why) const { throw format_error("struct descriptor: " + why); }
    void skip_space() {
        while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t')) ++i_;
    }
    bool peek(char c) {
        skip_space();
        return i_ < s_.size() && s_[i_] == c;
    }
    void expect(char c) {
        if (!peek(c)) fail(std::string("expected '") + c + "' at byte " + std::to_string(i_));
        ++i_;
    }
    std::string string() {
        expect('"');
        const std::size_t end = s_.find('"', i_);
        if (end == std::string_view::npos) fail("unterminated string");
        std::string out(s_.substr(i_, end - i_));
        for (const char c : out)
            if (c == '\\' || static_cast<unsigned char>(c) < 0x20) fail("escapes and control characters are not expected");
        i_ = end + 1;
        return out;
    }
    std::uint64_t number() {
        skip_space();
        std::uint64_t n = 0;
        const std::size_t start = i_;
        for (; i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9'; ++i_) {
            if (i_ - start >= 12) fail("number too large");
            n = n * 10 + static_cast<std::uint64_t>(s_[i_] - '0');
        }
        if (i_ == start) fail("expected a number at byte " + std::to_string(start));
        return n;
    }
    template <class F>
    void array(F&& element) {
        expect('[');
        for (bool first = true; !peek(']'); first = false) {
            if (!first) expect(',');
            element();
        }
        expect(']');
    }
    std::vector<std::string> strings() {
        std::vector<std::string> v;
        array([&] { v.push_back(string()); });
        return v;
    }
    std::vector<std::uint64_t> numbers() {
        std::vector<std::uint64_t> v;
        array([&] { v.push_back(number()); });
        return v;
    }
    /// "<f8", or numpy's subarray form "(3,)<f8", "(3,4)<f4".
    StructField parse_format(std::string_view f) const {
        StructField field;
        if (!f.empty() && f.front() == '(') {
            const std::size_t close = f.find(')');
            if (close == std::string_view::npos) fail("format '" + std::string(f) + "': unclosed shape");
            std::string_view dims = f.substr(1, close - 1);
            while (!dims.empty()) {
                std::size_t d = 0, k = 0;
                for (; k < dims.size() && dims[k] >= '0' && dims[k] <= '9' && k < 9; ++k)
                    d = d * 10 + static_cast<std::size_t>(dims[k] - '0');
                if (k == 0 || d == 0) fail("format '" + std::string(f) + "': bad shape");
                field.shape.push_back(d);
                dims.remove_prefix(k);
                if (!dims.empty() && dims.front() == ',') dims.remove_prefix(1);
                else if (!dims.empty()) fail("format '" + std::string(f) + "': bad shape");
            }
            if (field.shape.empty() || field.shape.size() > 8) fail("format '" + std::string(f) + "': bad shape");
            f.remove_prefix(close + 1);
        }
        const auto dt = parse_dtype(f);
        if (!dt || dt->itemsize == 0) fail("format '" + std::string(f) + "' is not a numpy dtype");
        field.dtype = *dt;
        field.dtype_text = std::string(f);
        return field;
    }

    std::string_view s_;
    std::size_t i_ = 0;
};
}  // namespace detail

/// Parses the `struct=` value of a struct channel's descriptor; throws `format_error` naming what is wrong.
[[nodiscard]] inline StructFields parse_struct_fields(std::string_view json) {
    return detail::StructJsonParser{json}.parse();
}

}  // namespace tinman::parquet
