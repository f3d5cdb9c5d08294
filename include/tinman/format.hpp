#pragma once
/// @file
/// File format v1 of a channel file. All fixed-width fields are little-endian.
///
/// File header (64 bytes, then the codec descriptor, zero-padded to `records_offset`):
///
///     offset size field
///          0    8 magic "\x89TINMAN\n"
///          8    2 u16 version (1)
///         10    2 u16 flags: bits 0-7 optional features (ignored when unknown),
///                    bits 8-15 required features (a reader refuses unknown ones)
///         12    4 u32 records_offset: offset of the first record, a multiple of 64
///         16    4 u32 codec_size: bytes of the codec descriptor at offset 64
///         20    4 u32 header_crc: CRC32C of bytes [0, 64 + codec_size) with this field zeroed
///         24    8 u64 reserved for a time-index / footer offset (0 in v1)
///         32   32 reserved, zero
///         64    . codec descriptor: UTF-8 lines, "<codec name>\n" then "<key>=<value>\n"
///                 per parameter, e.g. "ndarray\ndtype=<f8\n"
///
/// Record (32-byte header, `padding` bytes, payload):
///
///          0    8 i64 timestamp, ns since the Unix epoch
///          8    8 u64 payload_size
///         16    4 u32 padding: bytes between this header and the payload (zeros, or
///                    what a failed write left there: never read)
///         20    4 u32 payload_crc: CRC32C of the payload
///         24    4 u32 flags: bit 0 = skip (a non-data record; reserved for an index),
///                    other bits must be zero in v1
///         28    4 u32 header_crc: CRC32C of bytes [0, 28) of this header
///
/// The next record starts right after the payload. The writer chooses `padding`
/// so that the codec's bulk data (for NdArrayCodec: the array elements) starts
/// at a file offset aligned as the codec asks (64 bytes for arrays); the payload
/// itself stays byte-identical to what the codec produced.
///
/// Time index, a sidecar file `<dir>/<channel>.tinman-index` (optional: readers
/// rebuild it in memory by one scan when it is missing, short or stale):
///
///     offset size field
///          0    8 magic "\x89TINDEX\n"
///          8    2 u16 version (1)
///         10    2 u16 entry_size (32)
///         12    4 u32 data_header_crc: the channel file's header_crc (bytes 20-24)
///         16    8 u64 records_offset of the channel file
///         24   36 reserved, zero
///         60    4 u32 header_crc: CRC32C of bytes [0, 60)
///         64    . entries, one per data record in file order (a partial last entry is ignored)
///
/// Entry i (32 bytes at 64 + 32 i):
///
///          0    8 i64 timestamp of record i
///          8    8 i64 max_timestamp: the largest timestamp of records 0..i (the running maximum)
///         16    8 u64 offset of record i's header in the channel file
///         24    4 u32 record_crc: record i's header_crc (binds the entry to that record)
///         28    4 u32 entry_crc: CRC32C of bytes [0, 28) then of u64 i (binds the entry to its place)
///
/// The writer appends entries after the records they describe reached the file
/// (never ahead of the data), so after a kill the index is a prefix of the records.
/// `max_timestamp` never decreases, even when the clock stepped back: the first
/// entry whose `max_timestamp` is >= t is exactly the first record (in file
/// order) whose timestamp is >= t, which a binary search finds in O(log n).

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crc32c.hpp"
#include "detail/endian.hpp"
#include "error.hpp"

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
    /// "name(key=value, ...)", for messages.
    [[nodiscard]] std::string to_string() const {
        std::string s = name;
        if (!params.empty()) {
            s += '(';
            for (std::size_t i = 0; i < params.size(); ++i)
                s += (i ? ", " : "") + params[i].first + '=' + params[i].second;
            s += ')';
        }
        return s;
    }
    friend bool operator==(const CodecDescriptor&, const CodecDescriptor&) = default;
};

namespace format {

inline constexpr std::array<std::byte, 8> magic{std::byte{0x89}, std::byte{'T'}, std::byte{'I'}, std::byte{'N'},
                                                std::byte{'M'},  std::byte{'A'}, std::byte{'N'}, std::byte{'\n'}};
inline constexpr std::uint16_t version = 1;
inline constexpr std::size_t file_header_size = 64;
inline constexpr std::size_t max_codec_descriptor_size = 4096;
inline constexpr std::size_t record_header_size = 32;
inline constexpr std::uint16_t required_flags_mask = 0xFF00;
inline constexpr std::uint32_t record_flag_skip = 1;
/// File name suffix of a channel: `<dir>/<channel>.tinman`.
inline constexpr std::string_view channel_suffix = ".tinman";

/// File name suffix of a channel's time index: `<dir>/<channel>.tinman-index`.
inline constexpr std::string_view index_suffix = ".tinman-index";
inline constexpr std::array<std::byte, 8> index_magic{std::byte{0x89}, std::byte{'T'}, std::byte{'I'}, std::byte{'N'},
                                                      std::byte{'D'},  std::byte{'E'}, std::byte{'X'}, std::byte{'\n'}};
inline constexpr std::uint16_t index_version = 1;
inline constexpr std::size_t index_header_size = 64;
inline constexpr std::size_t index_entry_size = 32;

/// One entry of a time index: where record `i` is and what the clock had reached by then.
struct IndexEntry {
    std::int64_t timestamp = 0;
    std::int64_t max_timestamp = 0;  ///< the largest timestamp of this record and all before it
    std::uint64_t offset = 0;        ///< file offset of the record header
    std::uint32_t record_crc = 0;    ///< the record's header_crc
    friend bool operator==(const IndexEntry&, const IndexEntry&) = default;
};

/// The 64-byte header of a time index for a channel file whose header checksum
/// is `data_header_crc` and whose records start at `records_offset`.
[[nodiscard]] inline std::array<std::byte, index_header_size> encode_index_header(std::uint32_t data_header_crc,
                                                                                  std::uint64_t records_offset) {
    std::array<std::byte, index_header_size> h{};
    std::copy(index_magic.begin(), index_magic.end(), h.begin());
    detail::store_le<std::uint16_t>(&h[8], index_version);
    detail::store_le<std::uint16_t>(&h[10], static_cast<std::uint16_t>(index_entry_size));
    detail::store_le<std::uint32_t>(&h[12], data_header_crc);
    detail::store_le<std::uint64_t>(&h[16], records_offset);
    detail::store_le<std::uint32_t>(&h[60], crc32c({h.data(), 60}));
    return h;
}

/// True when `h` (at least 64 bytes) is a valid index header for the channel file described.
[[nodiscard]] inline bool index_header_matches(std::span<const std::byte> h, std::uint32_t data_header_crc,
                                               std::uint64_t records_offset) noexcept {
    if (h.size() < index_header_size) return false;
    const auto expected = encode_index_header(data_header_crc, records_offset);
    return std::equal(expected.begin(), expected.end(), h.begin());
}

/// The entry checksum: CRC32C of the entry's bytes [0, 28) followed by the entry number (u64).
[[nodiscard]] inline std::uint32_t index_entry_crc(const std::byte* entry, std::uint64_t number) noexcept {
    std::byte b[36];  // one pass over 36 contiguous bytes
    std::memcpy(b, entry, 28);
    detail::store_le<std::uint64_t>(b + 28, number);
    return crc32c(b);
}

inline void encode_index_entry(const IndexEntry& e, std::uint64_t number, std::byte* out) noexcept {
    // The checksummed bytes are laid out in 8-byte stores that the checksum's 8-byte
    // loads read back whole (reading the entry itself back would stall on its 4-byte field).
    std::byte b[40];
    detail::store_le<std::uint64_t>(b, static_cast<std::uint64_t>(e.timestamp));
    detail::store_le<std::uint64_t>(b + 8, static_cast<std::uint64_t>(e.max_timestamp));
    detail::store_le<std::uint64_t>(b + 16, e.offset);
    detail::store_le<std::uint64_t>(b + 24, e.record_crc | (number << 32));
    detail::store_le<std::uint64_t>(b + 32, number >> 32);
    detail::store_le<std::uint64_t>(out, static_cast<std::uint64_t>(e.timestamp));
    detail::store_le<std::uint64_t>(out + 8, static_cast<std::uint64_t>(e.max_timestamp));
    detail::store_le<std::uint64_t>(out + 16, e.offset);
    detail::store_le<std::uint32_t>(out + 24, e.record_crc);
    detail::store_le<std::uint32_t>(out + 28, crc32c({b, 36}));
}

/// Decodes entry number `number`; nullopt when its checksum does not match.
[[nodiscard]] inline std::optional<IndexEntry> decode_index_entry(const std::byte* in, std::uint64_t number) noexcept {
    if (detail::load_le<std::uint32_t>(in + 28) != index_entry_crc(in, number)) return std::nullopt;
    return IndexEntry{static_cast<std::int64_t>(detail::load_le<std::uint64_t>(in)),
                      static_cast<std::int64_t>(detail::load_le<std::uint64_t>(in + 8)),
                      detail::load_le<std::uint64_t>(in + 16), detail::load_le<std::uint32_t>(in + 24)};
}

/// The header checksum stored in a channel file's first 64 bytes.
[[nodiscard]] inline std::uint32_t stored_header_crc(std::span<const std::byte> file) noexcept {
    return file.size() >= file_header_size ? detail::load_le<std::uint32_t>(&file[20]) : 0;
}

/// One record's header, decoded.
struct RecordHeader {
    std::int64_t timestamp = 0;
    std::uint64_t payload_size = 0;
    std::uint32_t padding = 0;
    std::uint32_t payload_crc = 0;
    std::uint32_t flags = 0;
};

inline void encode_record_header(const RecordHeader& h, std::byte* out) noexcept {
    detail::store_le<std::uint64_t>(out, static_cast<std::uint64_t>(h.timestamp));
    detail::store_le<std::uint64_t>(out + 8, h.payload_size);
    detail::store_le<std::uint32_t>(out + 16, h.padding);
    detail::store_le<std::uint32_t>(out + 20, h.payload_crc);
    detail::store_le<std::uint32_t>(out + 24, h.flags);
    detail::store_le<std::uint32_t>(out + 28, crc32c({out, 28}));
}

/// Decodes 32 header bytes; nullopt when the header checksum does not match.
[[nodiscard]] inline std::optional<RecordHeader> decode_record_header(const std::byte* in) noexcept {
    if (detail::load_le<std::uint32_t>(in + 28) != crc32c({in, 28})) return std::nullopt;
    return RecordHeader{static_cast<std::int64_t>(detail::load_le<std::uint64_t>(in)),
                        detail::load_le<std::uint64_t>(in + 8), detail::load_le<std::uint32_t>(in + 16),
                        detail::load_le<std::uint32_t>(in + 20), detail::load_le<std::uint32_t>(in + 24)};
}

[[nodiscard]] inline bool is_name_char(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
           c == '-';
}

/// The descriptor as stored: "<name>\n" then "<key>=<value>\n" lines.
[[nodiscard]] inline std::string encode_codec_descriptor(const CodecDescriptor& d) {
    auto check = [&](std::string_view s, bool value) {
        bool ok = !s.empty() || value;
        for (char c : s) ok = ok && (value ? (c != '\n' && c != '\0') : is_name_char(c));
        if (!ok) throw error("invalid codec descriptor " + d.to_string());
    };
    check(d.name, false);
    std::string s = d.name + '\n';
    for (const auto& [k, v] : d.params) {
        check(k, false);
        check(v, true);
        s += k + '=' + v + '\n';
    }
    if (s.size() > max_codec_descriptor_size) throw error("codec descriptor too long: " + d.to_string());
    return s;
}

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

/// The complete file header for a new channel, padded to a multiple of 64 bytes.
[[nodiscard]] inline std::vector<std::byte> encode_file_header(const CodecDescriptor& codec) {
    const std::string desc = encode_codec_descriptor(codec);
    const std::size_t records_offset = (file_header_size + desc.size() + 63) / 64 * 64;
    std::vector<std::byte> h(records_offset);
    std::copy(magic.begin(), magic.end(), h.begin());
    detail::store_le<std::uint16_t>(&h[8], version);
    detail::store_le<std::uint16_t>(&h[10], 0);
    detail::store_le<std::uint32_t>(&h[12], static_cast<std::uint32_t>(records_offset));
    detail::store_le<std::uint32_t>(&h[16], static_cast<std::uint32_t>(desc.size()));
    std::memcpy(&h[file_header_size], desc.data(), desc.size());
    detail::store_le<std::uint32_t>(&h[20], crc32c({h.data(), file_header_size + desc.size()}));
    return h;
}

/// What a valid file header says.
struct FileHeader {
    std::uint16_t version = 0;
    std::uint16_t flags = 0;
    std::uint64_t records_offset = 0;
    CodecDescriptor codec;
};

/// Parses and verifies the header at the start of `file`; `what` names the file in errors.
[[nodiscard]] inline FileHeader parse_file_header(std::span<const std::byte> file, const std::string& what) {
    auto fail = [&](const std::string& reason) -> FileHeader { throw format_error(what + ": " + reason); };
    if (file.size() < file_header_size)
        return fail("not a tinman channel (file of " + std::to_string(file.size()) + " bytes has no header)");
    if (!std::equal(magic.begin(), magic.end(), file.begin())) return fail("not a tinman channel (bad magic)");
    FileHeader h;
    h.version = detail::load_le<std::uint16_t>(&file[8]);
    h.flags = detail::load_le<std::uint16_t>(&file[10]);
    h.records_offset = detail::load_le<std::uint32_t>(&file[12]);
    const std::uint32_t codec_size = detail::load_le<std::uint32_t>(&file[16]);
    if (h.version != version)
        return fail("unsupported format version " + std::to_string(h.version) + " (this library reads version " +
                    std::to_string(version) + ")");
    if (codec_size > max_codec_descriptor_size || file_header_size + codec_size > file.size())
        return fail("codec descriptor size " + std::to_string(codec_size) + " is out of range");
    std::array<std::byte, file_header_size> fixed;
    std::copy_n(file.begin(), file_header_size, fixed.begin());
    detail::store_le<std::uint32_t>(&fixed[20], 0);
    const auto crc = crc32c(file.subspan(file_header_size, codec_size), crc32c(fixed));
    if (crc != detail::load_le<std::uint32_t>(&file[20])) return fail("file header checksum mismatch");
    if (h.flags & required_flags_mask) return fail("file requires features this library lacks (flags " +
                                                   std::to_string(h.flags) + ")");
    if (h.records_offset < file_header_size + codec_size || h.records_offset % 64 != 0 ||
        h.records_offset > file.size())
        return fail("records offset " + std::to_string(h.records_offset) + " is out of range");
    const auto* text = reinterpret_cast<const char*>(&file[file_header_size]);
    auto codec = parse_codec_descriptor({text, codec_size});
    if (!codec) return fail("malformed codec descriptor");
    h.codec = std::move(*codec);
    return h;
}

}  // namespace format
}  // namespace tinman
