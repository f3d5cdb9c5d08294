#pragma once
/// @file
/// Attachments: named, checksummed blobs of a log (a calibration file, a robot
/// description), one file each beside the channels, `<log>/<name>.tinman-attachment`,
/// written whole through a temporary file and read zero-copy from a mapping.

#include <fcntl.h>

#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "../detail/posix.hpp"
#include "../error.hpp"
#include "../framing/attachment_file.hpp"
#include "../framing/channel_files.hpp"
#include "../io/mapped_segment.hpp"

namespace tinman {

/// An attachment's bytes, inside a mapping that `owner` keeps alive.
struct Attachment {
    std::string name;
    std::span<const std::byte> bytes;
    SegmentPtr owner;

    /// The bytes as characters.
    [[nodiscard]] std::string_view str() const noexcept {
        return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
    }
};

/// An attachment as listed: its size and whether its checksums hold.
struct AttachmentInfo {
    std::string name;
    std::uint64_t size = 0;
    bool intact = false;  ///< header and data checksums match
    std::string error;    ///< why not, when not intact
};

/// The file of attachment `name` in log directory `dir`; names follow the rules
/// of channel names (`channel_error` otherwise).
[[nodiscard]] inline std::filesystem::path attachment_path(const std::filesystem::path& dir, std::string_view name) {
    if (auto problem = channel_name_problem(name); !problem.empty())
        throw channel_error({.path = dir}, "invalid attachment name: " + problem);
    return dir / (std::string(name) + std::string(format::attachment_suffix));
}

namespace detail {

/// Writes attachment `name` of `dir` holding `data`: header and data go to a
/// temporary file, reach the disk, and only then take the name (replacing an
/// existing attachment only if `replace` is set; `channel_error` otherwise).
inline void write_attachment(const std::filesystem::path& dir, std::string_view name, std::span<const std::byte> data,
                             bool replace) {
    const auto path = attachment_path(dir, name);
    TemporaryFile tmp(dir, std::string(name) + std::string(format::attachment_suffix));
    const auto file = tmp.take_file();
    const auto header = format::encode_attachment_header(data);
    const std::span<const std::byte> parts[] = {header, data};
    if (const auto r = write_all_at(file.get(), 0, parts); r.error != 0)
        throw io_error({.path = tmp.path()}, "cannot write attachment '" + std::string(name) + "'", r.error);
    if (::fdatasync(file.get()) != 0) throw_errno({.path = tmp.path()}, "cannot sync");
    if (const int code = tmp.publish(path, replace); code != 0) {
        if (code == EEXIST)
            throw channel_error({.path = path}, "attachment '" + std::string(name) + "' already exists");
        throw_errno({.path = path}, "cannot create", code);
    }
    sync_directory(dir);
}

/// Attachment `name` of `dir`, mapped and verified (`format_error` naming it if damaged).
[[nodiscard]] inline Attachment read_attachment(const std::filesystem::path& dir, std::string_view name) {
    const auto path = attachment_path(dir, name);
    auto file = open_file(path, O_RDONLY);
    if (!file) {
        if (errno == ENOENT)
            throw channel_not_found({.path = path}, "no attachment '" + std::string(name) + "'");
        throw_errno({.path = path}, "cannot open");
    }
    auto segment = MappedSegment::map(file.get(), file_size(file.get(), path), path);
    const std::string what = "attachment '" + std::string(name) + "': ";
    const auto header = with_context(ErrorContext{.path = path}, what,
                                     [&] { return format::parse_attachment_header(segment->bytes()); });
    const auto data = segment->bytes().subspan(format::attachment_header_size);
    if (crc32c(data) != header.data_crc) throw format_error({.path = path}, what + "data checksum mismatch");
    return {std::string(name), data, std::move(segment)};
}

}  // namespace detail
}  // namespace tinman
