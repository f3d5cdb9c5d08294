#pragma once
/// @file
/// The time index file beside a channel: a 64-byte header bound to the channel
/// file, then one 32-byte checksummed entry per record (docs/format.md, "Time index").

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>

#include "../detail/endian.hpp"
#include "../framing/crc32c.hpp"

namespace tinman::format {

inline constexpr std::array<std::byte, 8> index_magic{std::byte{0x89}, std::byte{'T'}, std::byte{'I'}, std::byte{'N'},
                                                      std::byte{'D'},  std::byte{'E'}, std::byte{'X'}, std::byte{'\n'}};
inline constexpr std::uint16_t index_version = 1;
inline constexpr std::size_t index_header_size = 64;
inline constexpr std::size_t index_entry_size = 32;

/// Offsets of the index header's fields.
namespace index_field {
inline constexpr std::size_t version = 8;
inline constexpr std::size_t entry_size = 10;
inline constexpr std::size_t data_header_crc = 12;
inline constexpr std::size_t records_offset = 16;
inline constexpr std::size_t header_crc = 60;
}  // namespace index_field

/// Offsets of an entry's fields.
namespace entry_field {
inline constexpr std::size_t timestamp = 0;
inline constexpr std::size_t max_timestamp = 8;
inline constexpr std::size_t offset = 16;
inline constexpr std::size_t record_crc = 24;
inline constexpr std::size_t entry_crc = 28;
}  // namespace entry_field

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
    namespace field = index_field;
    std::array<std::byte, index_header_size> h{};
    std::copy(index_magic.begin(), index_magic.end(), h.begin());
    detail::store_le<std::uint16_t>(&h[field::version], index_version);
    detail::store_le<std::uint16_t>(&h[field::entry_size], static_cast<std::uint16_t>(index_entry_size));
    detail::store_le<std::uint32_t>(&h[field::data_header_crc], data_header_crc);
    detail::store_le<std::uint64_t>(&h[field::records_offset], records_offset);
    detail::store_le<std::uint32_t>(&h[field::header_crc], crc32c({h.data(), field::header_crc}));
    return h;
}

/// True when `h` (at least 64 bytes) is a valid index header for the channel file
/// described. Bytes 24..60 may hold a uniform-layout claim (see `uniform_claim.hpp`);
/// the checksum covers them.
[[nodiscard]] inline bool index_header_matches(std::span<const std::byte> h, std::uint32_t data_header_crc,
                                               std::uint64_t records_offset) noexcept {
    if (h.size() < index_header_size) return false;
    const auto expected = encode_index_header(data_header_crc, records_offset);
    constexpr std::size_t fixed = 24;  // magic, version, entry size, data_header_crc, records_offset
    return std::equal(expected.begin(), expected.begin() + fixed, h.begin()) &&
           detail::load_le<std::uint32_t>(h.data() + index_field::header_crc) ==
               crc32c({h.data(), index_field::header_crc});
}

/// The entry checksum: CRC32C of the entry's bytes [0, 28) followed by the entry number (u64).
[[nodiscard]] inline std::uint32_t index_entry_crc(const std::byte* entry, std::uint64_t number) noexcept {
    std::byte b[entry_field::entry_crc + 8];  // one pass over 36 contiguous bytes
    std::memcpy(b, entry, entry_field::entry_crc);
    detail::store_le<std::uint64_t>(b + entry_field::entry_crc, number);
    return crc32c(b);
}

inline void encode_index_entry(const IndexEntry& e, std::uint64_t number, std::byte* out) noexcept {
    namespace field = entry_field;
    // The checksummed bytes are laid out in 8-byte stores that the checksum's 8-byte
    // loads read back whole (reading the entry itself back would stall on its 4-byte field).
    std::byte b[40];
    detail::store_le<std::uint64_t>(b + field::timestamp, static_cast<std::uint64_t>(e.timestamp));
    detail::store_le<std::uint64_t>(b + field::max_timestamp, static_cast<std::uint64_t>(e.max_timestamp));
    detail::store_le<std::uint64_t>(b + field::offset, e.offset);
    detail::store_le<std::uint64_t>(b + field::record_crc, e.record_crc | (number << 32));
    detail::store_le<std::uint64_t>(b + 32, number >> 32);
    detail::store_le<std::uint64_t>(out + field::timestamp, static_cast<std::uint64_t>(e.timestamp));
    detail::store_le<std::uint64_t>(out + field::max_timestamp, static_cast<std::uint64_t>(e.max_timestamp));
    detail::store_le<std::uint64_t>(out + field::offset, e.offset);
    detail::store_le<std::uint32_t>(out + field::record_crc, e.record_crc);
    detail::store_le<std::uint32_t>(out + field::entry_crc, crc32c({b, field::entry_crc + 8}));
}

/// The timestamp stored in the entry at `in`, unverified.
[[nodiscard]] inline std::int64_t stored_timestamp(const std::byte* in) noexcept {
    return static_cast<std::int64_t>(detail::load_le<std::uint64_t>(in + entry_field::timestamp));
}

/// The running maximum stored in the entry at `in`, unverified (for a search that verifies its answer).
[[nodiscard]] inline std::int64_t stored_max_timestamp(const std::byte* in) noexcept {
    return static_cast<std::int64_t>(detail::load_le<std::uint64_t>(in + entry_field::max_timestamp));
}

/// Decodes entry number `number`; nullopt when its checksum does not match.
[[nodiscard]] inline std::optional<IndexEntry> decode_index_entry(const std::byte* in, std::uint64_t number) noexcept {
    namespace field = entry_field;
    if (detail::load_le<std::uint32_t>(in + field::entry_crc) != index_entry_crc(in, number)) return std::nullopt;
    return IndexEntry{static_cast<std::int64_t>(detail::load_le<std::uint64_t>(in + field::timestamp)),
                      stored_max_timestamp(in), detail::load_le<std::uint64_t>(in + field::offset),
                      detail::load_le<std::uint32_t>(in + field::record_crc)};
}

}  // namespace tinman::format
