#pragma once
/// @file
/// The 32-byte header in front of every record (docs/format.md, "Records"), and
/// the one check of a record in a file image: intact header, payload inside the
/// file, payload checksum (up to a size).

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>

#include "../detail/endian.hpp"
#include "crc32c.hpp"

namespace tinman::format {

inline constexpr std::size_t record_header_size = 32;
/// Flag of a non-data record (reserved; readers skip it).
inline constexpr std::uint32_t record_flag_skip = 1;

/// Offsets of the record header's fields.
namespace record_field {
inline constexpr std::size_t timestamp = 0;
inline constexpr std::size_t payload_size = 8;
inline constexpr std::size_t padding = 16;
inline constexpr std::size_t payload_crc = 20;
inline constexpr std::size_t flags = 24;
inline constexpr std::size_t header_crc = 28;
}  // namespace record_field

/// One record's header, decoded.
struct RecordHeader {
    std::int64_t timestamp = 0;
    std::uint64_t payload_size = 0;
    std::uint32_t padding = 0;
    std::uint32_t payload_crc = 0;
    std::uint32_t flags = 0;

    /// Bytes from the start of the header to the end of the payload.
    [[nodiscard]] std::uint64_t extent() const noexcept { return record_header_size + padding + payload_size; }
};

inline void encode_record_header(const RecordHeader& h, std::byte* out) noexcept {
    namespace field = record_field;
    detail::store_le<std::uint64_t>(out + field::timestamp, static_cast<std::uint64_t>(h.timestamp));
    detail::store_le<std::uint64_t>(out + field::payload_size, h.payload_size);
    detail::store_le<std::uint32_t>(out + field::padding, h.padding);
    detail::store_le<std::uint32_t>(out + field::payload_crc, h.payload_crc);
    detail::store_le<std::uint32_t>(out + field::flags, h.flags);
    detail::store_le<std::uint32_t>(out + field::header_crc, crc32c({out, field::header_crc}));
}

/// The header checksum stored in the 32 header bytes at `h`.
[[nodiscard]] inline std::uint32_t stored_record_crc(const std::byte* h) noexcept {
    return detail::load_le<std::uint32_t>(h + record_field::header_crc);
}

/// The fields of 32 header bytes, unverified.
[[nodiscard]] inline RecordHeader load_record_header(const std::byte* in) noexcept {
    namespace field = record_field;
    return RecordHeader{static_cast<std::int64_t>(detail::load_le<std::uint64_t>(in + field::timestamp)),
                        detail::load_le<std::uint64_t>(in + field::payload_size), detail::load_le<std::uint32_t>(in + field::padding),
                        detail::load_le<std::uint32_t>(in + field::payload_crc), detail::load_le<std::uint32_t>(in + field::flags)};
}

/// Decodes 32 header bytes; nullopt when the header checksum does not match.
[[nodiscard]] inline std::optional<RecordHeader> decode_record_header(const std::byte* in) noexcept {
    if (stored_record_crc(in) != crc32c({in, record_field::header_crc})) return std::nullopt;
    return load_record_header(in);
}

/// What `check_record` found at an offset.
enum class RecordCheck {
    intact,          ///< header, extent and (if verified) payload are right
    short_header,    ///< fewer than 32 bytes left in the file
    zero_header,     ///< 32 zero bytes: space that was never written
    bad_header,      ///< header checksum mismatch
    unknown_flags,   ///< flags this version does not define
    past_end,        ///< the payload runs past the end of the file
    bad_payload,     ///< payload checksum mismatch
};

/// A record as `check_record` found it.
struct CheckedRecord {
    RecordCheck check = RecordCheck::short_header;
    RecordHeader header;                 ///< valid from `unknown_flags` on
    std::span<const std::byte> payload;  ///< valid for `intact` and `bad_payload`
};

/// Checks the 32 record header bytes at `h`, followed by `after` more bytes in the
/// file: the header checksum, its flags, and that the payload lies inside those
/// bytes. `intact` here says nothing of the payload's checksum (and sets no payload).
[[nodiscard]] inline CheckedRecord check_record_header(const std::byte* h, std::uint64_t after) noexcept {
    CheckedRecord r;
    const auto decoded = decode_record_header(h);
    if (!decoded) {
        // The writer never writes an all-zero header: zeros are space that was never written.
        static constexpr std::byte zeros[record_header_size]{};
        r.check = std::memcmp(h, zeros, sizeof zeros) == 0 ? RecordCheck::zero_header : RecordCheck::bad_header;
        return r;
    }
    r.header = *decoded;
    if (decoded->flags & ~record_flag_skip) r.check = RecordCheck::unknown_flags;
    else if (decoded->padding > after || decoded->payload_size > after - decoded->padding) r.check = RecordCheck::past_end;
    else r.check = RecordCheck::intact;
    return r;
}

/// Checks the record whose header is at `pos` of the file image `file`: the header
/// checksum, its flags, that the payload lies inside `file`, and for payloads of
/// at most `verify_max` bytes their checksum. Reads nothing outside `file`.
[[nodiscard]] inline CheckedRecord check_record(std::span<const std::byte> file, std::uint64_t pos,
                                                std::size_t verify_max) noexcept {
    if (pos > file.size() || file.size() - pos < record_header_size) return {};
    const std::byte* h = file.data() + pos;
    const std::uint64_t after = file.size() - pos - record_header_size;
    // A small payload inside the file, by the header's sizes (unverified, but checked against
    // the file, so the read stays inside it): both checksums at once. A header that does
    // not match takes the general path below.
    const auto size = detail::load_le<std::uint64_t>(h + record_field::payload_size);
    const auto padding = detail::load_le<std::uint32_t>(h + record_field::padding);
    if (size <= verify_max && size < detail::crc32c_pair_max_bytes && padding <= after && size <= after - padding) {
        const std::span<const std::byte> payload{h + record_header_size + padding, static_cast<std::size_t>(size)};
        const auto [header_crc, payload_crc] = crc32c_pair({h, record_field::header_crc}, payload);
        if (header_crc == stored_record_crc(h)) {
            CheckedRecord r;
            r.header = load_record_header(h);
            if (r.header.flags & ~record_flag_skip) {
                r.check = RecordCheck::unknown_flags;
                return r;
            }
            r.payload = payload;
            r.check = payload_crc == r.header.payload_crc ? RecordCheck::intact : RecordCheck::bad_payload;
            return r;
        }
    }
    auto r = check_record_header(h, after);
    if (r.check != RecordCheck::intact) return r;
    r.payload = file.subspan(pos + record_header_size + r.header.padding, r.header.payload_size);
    if (r.payload.size() <= verify_max && crc32c(r.payload) != r.header.payload_crc) r.check = RecordCheck::bad_payload;
    return r;
}

}  // namespace tinman::format
