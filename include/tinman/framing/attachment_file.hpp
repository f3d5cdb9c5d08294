#pragma once
/// @file
/// The layout of an attachment file, `<log>/<name>.tinman-attachment`: a 64-byte
/// checksummed header, then the attached bytes (docs/format.md, "Attachments").

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "../detail/endian.hpp"
#include "../error.hpp"
#include "crc32c.hpp"

namespace tinman::format {

inline constexpr std::array<std::byte, 8> attachment_magic{std::byte{0x89}, std::byte{'T'}, std::byte{'I'},
                                                           std::byte{'N'},  std::byte{'A'}, std::byte{'T'},
                                                           std::byte{'T'},  std::byte{'\n'}};
inline constexpr std::uint16_t attachment_version = 1;
inline constexpr std::size_t attachment_header_size = 64;
/// File name suffix of an attachment: `<dir>/<name>.tinman-attachment`.
inline constexpr std::string_view attachment_suffix = ".tinman-attachment";

/// Offsets of the attachment header's fields.
namespace attachment_field {
inline constexpr std::size_t version = 8;
inline constexpr std::size_t flags = 10;
inline constexpr std::size_t data_crc = 12;
inline constexpr std::size_t data_size = 16;
inline constexpr std::size_t header_crc = 24;
}  // namespace attachment_field

/// The header of an attachment of `data`.
[[nodiscard]] inline std::array<std::byte, attachment_header_size> encode_attachment_header(
    std::span<const std::byte> data) {
    std::array<std::byte, attachment_header_size> h{};
    std::copy(attachment_magic.begin(), attachment_magic.end(), h.begin());
    detail::store_le<std::uint16_t>(&h[attachment_field::version], attachment_version);
    detail::store_le<std::uint32_t>(&h[attachment_field::data_crc], crc32c(data));
    detail::store_le<std::uint64_t>(&h[attachment_field::data_size], data.size());
    detail::store_le<std::uint32_t>(&h[attachment_field::header_crc], crc32c(h));
    return h;
}

/// What a valid attachment header says.
struct AttachmentHeader {
    std::uint64_t data_size = 0;
    std::uint32_t data_crc = 0;
};

/// Parses and verifies the header at the start of `file` and that the file holds
/// exactly its data; errors carry `context`. The data's checksum is not checked here.
[[nodiscard]] inline AttachmentHeader parse_attachment_header(std::span<const std::byte> file,
                                                              const ErrorContext& context = {}) {
    auto fail = [&](const std::string& reason) -> AttachmentHeader { throw format_error(context, reason); };
    if (file.size() < attachment_header_size)
        return fail("not a tinman attachment (file of " + std::to_string(file.size()) + " bytes has no header)");
    if (!std::equal(attachment_magic.begin(), attachment_magic.end(), file.begin()))
        return fail("not a tinman attachment (bad magic)");
    std::array<std::byte, attachment_header_size> fixed;
    std::copy_n(file.begin(), attachment_header_size, fixed.begin());
    detail::store_le<std::uint32_t>(&fixed[attachment_field::header_crc], 0);
    if (crc32c(fixed) != detail::load_le<std::uint32_t>(&file[attachment_field::header_crc]))
        return fail("attachment header checksum mismatch");
    const auto version = detail::load_le<std::uint16_t>(&file[attachment_field::version]);
    if (version != attachment_version)
        return fail("unsupported attachment version " + std::to_string(version));
    AttachmentHeader h;
    h.data_size = detail::load_le<std::uint64_t>(&file[attachment_field::data_size]);
    h.data_crc = detail::load_le<std::uint32_t>(&file[attachment_field::data_crc]);
    if (h.data_size != file.size() - attachment_header_size)
        return fail("attachment of " + std::to_string(h.data_size) + " bytes is in a file of " +
                    std::to_string(file.size()) + " bytes");
    return h;
}

}  // namespace tinman::format
