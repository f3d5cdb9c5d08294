#pragma once
/// @file
/// The Python tinman `.blog` format, as facts: `<QQ` record framing and the
/// pickled codec in the first record (docs/format.md, "Python tinman .blog files").
///
///     <dir>/<channel>.blog: records back to back, no file header, no padding
///          0    8 u64 timestamp, ns since the Unix epoch (Python's time.time_ns())
///          8    8 u64 length
///         16    . length bytes of data
///     record 0: pickle.dumps(codec); records 1..: codec.encode(item)
///
/// The format has no magic, version or checksum: a damaged record is found only
/// when its length runs past the end of the file (a torn tail) or its timestamp
/// is out of range.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "../detail/endian.hpp"
#include "../error.hpp"

namespace tinman::python {

/// File name suffix of a Python tinman channel: `<dir>/<channel>.blog`.
inline constexpr std::string_view blog_suffix = ".blog";
/// Size of the `<QQ` record header.
inline constexpr std::size_t blog_header_size = 16;

/// `pickle.dumps(tinman.codecs.numpy.NumpyArrayCodec())` with protocol 4 (57 bytes):
/// PROTO 4, FRAME 46, SHORT_BINUNICODE module, MEMOIZE, SHORT_BINUNICODE class,
/// MEMOIZE, STACK_GLOBAL, MEMOIZE, EMPTY_TUPLE, NEWOBJ, MEMOIZE, STOP.
inline constexpr std::array<std::byte, 57> numpy_codec_pickle = [] {
    constexpr std::string_view s{
        "\x80\x04\x95\x2e\x00\x00\x00\x00\x00\x00\x00"
        "\x8c\x13tinman.codecs.numpy\x94"
        "\x8c\x0fNumpyArrayCodec\x94"
        "\x93\x94\x29\x81\x94\x2e",
        57};
    std::array<std::byte, 57> a{};
    for (std::size_t i = 0; i < s.size(); ++i) a[i] = static_cast<std::byte>(s[i]);
    return a;
}();

/// The class a pickled codec names: `module` and `name` of its first global.
struct PickledClass {
    std::string module;
    std::string name;

    /// "module.name", for messages.
    [[nodiscard]] std::string qualified() const { return module + "." + name; }
    /// True for `tinman.codecs.numpy.NumpyArrayCodec`, the one codec this library decodes.
    [[nodiscard]] bool is_numpy_codec() const noexcept {
        return module == "tinman.codecs.numpy" && name == "NumpyArrayCodec";
    }
};

/// Finds the class a pickled codec instantiates, without unpickling: reads the
/// opcodes a codec pickle starts with (PROTO, FRAME, the module and class
/// strings, MEMOIZE, STACK_GLOBAL or the older GLOBAL). Throws `format_error`
/// when the bytes are not such a pickle. Only the names are read; nothing runs.
[[nodiscard]] inline PickledClass pickled_class(std::span<const std::byte> p) {
    std::size_t pos = 0;
    auto fail = [&](const std::string& why) -> PickledClass {
        throw format_error("codec record is not a pickled codec: " + why + " at byte " + std::to_string(pos));
    };
    auto byte_at = [&](std::size_t i) { return std::to_integer<unsigned>(p[i]); };
    std::string strings[2];
    std::size_t nstrings = 0;
    while (pos < p.size()) {
        const unsigned op = byte_at(pos++);
        switch (op) {
        case 0x80:  // PROTO n
            if (pos >= p.size()) return fail("truncated PROTO");
            ++pos;
            break;
        case 0x95:  // FRAME u64
            if (p.size() - pos < 8) return fail("truncated FRAME");
            pos += 8;
            break;
        case 0x94:  // MEMOIZE
            break;
        case 0x8c:    // SHORT_BINUNICODE u8 length
        case 0x58: {  // BINUNICODE u32 length
            const std::size_t width = op == 0x8c ? 1 : 4;
            if (p.size() - pos < width) return fail("truncated string length");
            const std::size_t n = op == 0x8c ? byte_at(pos) : tinman::detail::load_le<std::uint32_t>(p.data() + pos);
            pos += width;
            if (p.size() - pos < n || n > 256) return fail("string length out of range");
            if (nstrings == 2) return fail("more than two strings before the class");
            strings[nstrings++].assign(reinterpret_cast<const char*>(p.data() + pos), n);
            pos += n;
            break;
        }
        case 0x93:  // STACK_GLOBAL
            if (nstrings != 2) return fail("STACK_GLOBAL without module and class");
            return {strings[0], strings[1]};
        case 0x63: {  // GLOBAL "module\nname\n" (protocols 0-3)
            std::string parts[2];
            for (auto& part : parts) {
                while (pos < p.size() && p[pos] != std::byte{'\n'} && part.size() <= 256)
                    part += static_cast<char>(byte_at(pos++));
                if (pos >= p.size() || part.size() > 256) return fail("unterminated GLOBAL");
                ++pos;
            }
            return {parts[0], parts[1]};
        }
        default: return fail("unexpected opcode " + std::to_string(op));
        }
    }
    return fail("no class reference");
}

}  // namespace tinman::python
