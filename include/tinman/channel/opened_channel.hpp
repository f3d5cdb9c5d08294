#pragma once
/// @file
/// A channel file opened for reading (its file, mapping and header), and the
/// steps every reader shares: opening it, checking the codec, decoding a record
/// with the record's context in errors, and stepping a scan.

#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "../codecs/codec.hpp"
#include "../detail/endian.hpp"
#include "../detail/posix.hpp"
#include "../framing/channel_files.hpp"
#include "../framing/file_header.hpp"
#include "../framing/record_view.hpp"
#include "../io/mapped_segment.hpp"
#include "../io/mapping_cache.hpp"
#include "record.hpp"

namespace tinman {

/// A channel opened for reading: its file, current mapping and header.
struct OpenedChannel {
    std::string name;
    detail::FileHandle file;  ///< kept open so that readers can map what is appended
    SegmentPtr segment;  ///< the file mapped whole, or its first bytes read (see `open_channel_head`)
    format::FileHeader header;
    /// The reader's mappings, where a scan that started on bytes read maps the file (may be null).
    std::shared_ptr<detail::MappingCache> mappings{};
    /// The file's size when it was opened: what a scan that started on bytes read maps of it.
    std::uint64_t size_at_open = 0;

    /// The channel and its file, for errors.
    [[nodiscard]] ErrorContext where() const { return {.channel = name, .path = segment->path()}; }
    /// Record `r` of the channel, for errors.
    [[nodiscard]] ErrorContext where(const RecordView& r) const {
        return {.channel = name, .path = segment->path(), .record = r.index, .offset = r.offset};
    }
};

namespace detail {

/// Opens the file of channel `name` of log directory `dir` for reading (at
/// `path`). Throws `channel_not_found` when there is no such channel.
[[nodiscard]] inline FileHandle open_channel_file(const std::filesystem::path& dir, std::string_view name,
                                                  const std::filesystem::path& path) {
    auto file = open_file(path, O_RDONLY);
    if (!file) {
        if (errno == ENOENT) throw channel_not_found({.channel = std::string(name), .path = dir}, "no such channel");
        throw_errno({.channel = std::string(name), .path = path}, "cannot open");
    }
    return file;
}

/// Maps channel `name`, open as `file` (at `path`), with `access` advice (through
/// `mappings` when given, which reuses a mapping of the same file) and parses its header.
[[nodiscard]] inline OpenedChannel map_channel(std::string_view name, FileHandle file, const std::filesystem::path& path,
                                               ReadAhead access = ReadAhead::normal, MappingCache* mappings = nullptr) {
    auto segment = mappings != nullptr ? mappings->map(file.get(), path, access)
                                       : MappedSegment::map(file.get(), file_size(file.get(), path), path, access);
    auto header = format::parse_file_header(segment->bytes(), {.channel = std::string(name), .path = path});
    return {std::string(name), std::move(file), std::move(segment), std::move(header)};
}

/// Opens channel `name` of log directory `dir` and maps it (see `map_channel`).
/// Throws `channel_not_found` when there is no such channel.
[[nodiscard]] inline OpenedChannel open_channel(const std::filesystem::path& dir, std::string_view name,
                                                ReadAhead access = ReadAhead::normal,
                                                MappingCache* mappings = nullptr) {
    auto path = channel_path(dir, name);
    auto file = open_channel_file(dir, name, path);
    return map_channel(name, std::move(file), path, access, mappings);
}

/// Bytes of a channel that `open_channel_head` reads instead of mapping them.
inline constexpr std::uint64_t head_read_bytes = 4096;

/// Opens channel `name` of log directory `dir` for a scan from its first record:
/// through the cached mapping of it in `mappings` if there is one, else by reading
/// its first `head_read_bytes` (one `pread`; a mapping's page faults and `munmap`
/// cost more than that read when one record is wanted). The scan maps the file
/// when it gets past them (see `ChannelReader`). A header longer than that is mapped.
[[nodiscard]] inline OpenedChannel open_channel_head(const std::filesystem::path& dir, std::string_view name,
                                                     std::shared_ptr<MappingCache> mappings) {
    auto path = channel_path(dir, name);
    auto file = open_channel_file(dir, name, path);
    const FileIdentity id = file_identity(file.get(), path);
    auto segment = mappings ? mappings->find(id, path, ReadAhead::normal) : nullptr;
    if (!segment) {
        segment = MappedSegment::read(file.get(), std::min(id.size, head_read_bytes), path);
        const auto bytes = segment->bytes();
        const bool whole = segment->size() == id.size;
        if (!whole && (bytes.size() < format::file_header_size ||
                       detail::load_le<std::uint32_t>(&bytes[format::file_field::records_offset]) > bytes.size())) {
            auto opened = map_channel(name, std::move(file), path, ReadAhead::normal, mappings.get());
            opened.mappings = std::move(mappings);
            opened.size_at_open = id.size;
            return opened;
        }
    }
    auto header = format::parse_file_header(segment->bytes(), {.channel = std::string(name), .path = path});
    return {std::string(name), std::move(file), std::move(segment), std::move(header), std::move(mappings), id.size};
}

/// `open_channel`, then checks that `codec` reads what the channel stores (`codec_mismatch` if not).
template <Codec C>
[[nodiscard]] OpenedChannel open_channel(const std::filesystem::path& dir, std::string_view name, const C& codec,
                                         ReadAhead access, MappingCache* mappings = nullptr) {
    auto opened = open_channel(dir, name, access, mappings);
    if (auto why = codec.mismatch(opened.header.codec); !why.empty()) throw codec_mismatch(opened.where(), why);
    return opened;
}

/// `open_channel_head`, then checks that `codec` reads what the channel stores (`codec_mismatch` if not).
template <Codec C>
[[nodiscard]] OpenedChannel open_channel_head(const std::filesystem::path& dir, std::string_view name, const C& codec,
                                              std::shared_ptr<MappingCache> mappings) {
    auto opened = open_channel_head(dir, name, std::move(mappings));
    if (auto why = codec.mismatch(opened.header.codec); !why.empty()) throw codec_mismatch(opened.where(), why);
    return opened;
}

/// Decodes record `r` of channel `opened` with `codec` through `decoder` (its
/// `decoder_t`); errors name the channel, record number, file offset and codec.
template <Codec C>
[[nodiscard]] Record<typename C::value_type> decode_record(const C& codec, decoder_t<C>& decoder, const RecordView& r,
                                                           const OpenedChannel& opened) {
    // The context is built only if decoding fails: nothing is allocated per record.
    return with_context([&] { return opened.where(r); },
                        [&] { return "cannot decode with " + codec.descriptor().to_string() + ": "; },
                        [&] {
                            return Record<typename C::value_type>{r.timestamp,
                                                                  decoder.decode(codec, r.payload, opened.segment)};
                        });
}

/// The next record of `scanner` (a `RecordScanner` or a scanner of another
/// framing); when the records end before the file does and `strict` is set,
/// throws `format_error` saying why, with the context `where()` gives (made only
/// then: no allocation per record).
template <class Scanner, class Where>
[[nodiscard]] std::optional<RecordView> next_record(Scanner& scanner, bool strict, const Where& where) {
    auto r = scanner.next();
    if (!r && strict && !scanner.status().clean()) throw format_error(where(), scanner.status().reason);
    return r;
}

}  // namespace detail
}  // namespace tinman
