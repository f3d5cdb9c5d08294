#pragma once
/// @file
/// The header of a channel file: magic, version, flags, where the records start,
/// the codec descriptor and the channel's metadata, checksummed (docs/format.md,
/// "Channel file header").

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "../detail/endian.hpp"
#include "../error.hpp"
#include "channel_metadata.hpp"
#include "codec_descriptor.hpp"
#include "crc32c.hpp"

namespace tinman::format {

inline constexpr std::array<std::byte, 8> magic{std::byte{0x89}, std::byte{'T'}, std::byte{'I'}, std::byte{'N'},
                                                std::byte{'M'},  std::byte{'A'}, std::byte{'N'}, std::byte{'\n'}};
inline constexpr std::uint16_t version = 1;
inline constexpr std::size_t file_header_size = 64;
/// Flag bits a reader must understand (it refuses a file with unknown ones).
inline constexpr std::uint16_t required_flags_mask = 0xFF00;
/// Optional flag bit: a metadata block follows the codec descriptor (older readers skip it).
inline constexpr std::uint16_t metadata_flag = 0x0001;
/// File name suffix of a channel: `<dir>/<channel>.tinman`.
inline constexpr std::string_view channel_suffix = ".tinman";

/// Offsets of the fixed header's fields.
namespace file_field {
inline constexpr std::size_t version = 8;
inline constexpr std::size_t flags = 10;
inline constexpr std::size_t records_offset = 12;
inline constexpr std::size_t codec_size = 16;
inline constexpr std::size_t header_crc = 20;
inline constexpr std::size_t metadata_size = 32;
inline constexpr std::size_t metadata_crc = 36;
}  // namespace file_field

/// The complete file header for a new channel, padded to a multiple of 64 bytes;
/// with `metadata`, its block follows the codec descriptor (flag bit 0).
[[nodiscard]] inline std::vector<std::byte> encode_file_header(const CodecDescriptor& codec,
                                                               const ChannelMetadata& metadata = {}) {
    const std::string desc = encode_codec_descriptor(codec);
    const std::string meta = metadata.encode();
    const std::size_t records_offset = (file_header_size + desc.size() + meta.size() + 63) / 64 * 64;
    std::vector<std::byte> h(records_offset);
    std::copy(magic.begin(), magic.end(), h.begin());
    detail::store_le<std::uint16_t>(&h[file_field::version], version);
    detail::store_le<std::uint16_t>(&h[file_field::flags], metadata.empty() ? 0 : metadata_flag);
    detail::store_le<std::uint32_t>(&h[file_field::records_offset], static_cast<std::uint32_t>(records_offset));
    detail::store_le<std::uint32_t>(&h[file_field::codec_size], static_cast<std::uint32_t>(desc.size()));
    if (!metadata.empty()) {
        const auto block = std::as_bytes(std::span{meta.data(), meta.size()});
        detail::store_le<std::uint32_t>(&h[file_field::metadata_size], static_cast<std::uint32_t>(meta.size()));
        detail::store_le<std::uint32_t>(&h[file_field::metadata_crc], crc32c(block));
        std::memcpy(&h[file_header_size + desc.size()], meta.data(), meta.size());
    }
    std::memcpy(&h[file_header_size], desc.data(), desc.size());
    detail::store_le<std::uint32_t>(&h[file_field::header_crc], crc32c({h.data(), file_header_size + desc.size()}));
    return h;
}

/// The header checksum stored in a channel file's first 64 bytes (0 if there are fewer).
[[nodiscard]] inline std::uint32_t stored_header_crc(std::span<const std::byte> file) noexcept {
    return file.size() >= file_header_size ? detail::load_le<std::uint32_t>(&file[file_field::header_crc]) : 0;
}

/// What a valid file header says.
struct FileHeader {
    std::uint16_t version = 0;
    std::uint16_t flags = 0;
    std::uint64_t records_offset = 0;
    CodecDescriptor codec;
    ChannelMetadata metadata;  ///< empty when the file has none
};

/// Parses and verifies the header at the start of `file`; errors carry `context`.
[[nodiscard]] inline FileHeader parse_file_header(std::span<const std::byte> file, const ErrorContext& context = {}) {
    auto fail = [&](const std::string& reason) -> FileHeader { throw format_error(context, reason); };
    if (file.size() < file_header_size)
        return fail("not a tinman channel (file of " + std::to_string(file.size()) + " bytes has no header)");
    if (!std::equal(magic.begin(), magic.end(), file.begin())) return fail("not a tinman channel (bad magic)");
    FileHeader h;
    h.version = detail::load_le<std::uint16_t>(&file[file_field::version]);
    h.flags = detail::load_le<std::uint16_t>(&file[file_field::flags]);
    h.records_offset = detail::load_le<std::uint32_t>(&file[file_field::records_offset]);
    const std::uint32_t codec_size = detail::load_le<std::uint32_t>(&file[file_field::codec_size]);
    if (h.version != version)
        return fail("unsupported format version " + std::to_string(h.version) + " (this library reads version " +
                    std::to_string(version) + ")");
    if (codec_size > max_codec_descriptor_size || file_header_size + codec_size > file.size())
        return fail("codec descriptor size " + std::to_string(codec_size) + " is out of range");
    std::array<std::byte, file_header_size> fixed;
    std::copy_n(file.begin(), file_header_size, fixed.begin());
    detail::store_le<std::uint32_t>(&fixed[file_field::header_crc], 0);
    const auto crc = crc32c(file.subspan(file_header_size, codec_size), crc32c(fixed));
    if (crc != stored_header_crc(file)) return fail("file header checksum mismatch");
    if (h.flags & required_flags_mask)
        return fail("file requires features this library lacks (flags " + std::to_string(h.flags) + ")");
    // Bytes 32..40 are inside the range header_crc covers: a metadata size that passed it was written so.
    const std::uint64_t metadata_size =
        h.flags & metadata_flag ? detail::load_le<std::uint32_t>(&file[file_field::metadata_size]) : 0;
    if (metadata_size > max_metadata_size)
        return fail("channel metadata size " + std::to_string(metadata_size) + " is out of range");
    if (h.records_offset < file_header_size + codec_size + metadata_size || h.records_offset % 64 != 0 ||
        h.records_offset > file.size())
        return fail("records offset " + std::to_string(h.records_offset) + " is out of range");
    const auto* text = reinterpret_cast<const char*>(&file[file_header_size]);
    auto codec = parse_codec_descriptor({text, codec_size});
    if (!codec) return fail("malformed codec descriptor");
    h.codec = std::move(*codec);
    if (h.flags & metadata_flag) {
        const auto block = file.subspan(file_header_size + codec_size, static_cast<std::size_t>(metadata_size));
        if (crc32c(block) != detail::load_le<std::uint32_t>(&file[file_field::metadata_crc]))
            return fail("channel metadata checksum mismatch");
        std::string why;
        auto metadata = ChannelMetadata::parse({text + codec_size, block.size()}, why);
        if (!metadata) return fail("malformed channel metadata: " + why);
        h.metadata = std::move(*metadata);
    }
    return h;
}

}  // namespace tinman::format
