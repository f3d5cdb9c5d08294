#pragma once
/// @file
/// `ChannelInfo`: a channel's summary (codec, record count, time range, damage),
/// read through its time index without touching the records in between.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "../framing/channel_files.hpp"
#include "../framing/record_view.hpp"
#include "../index/index_format.hpp"
#include "../index/time_index.hpp"
#include "../io/file_reads.hpp"
#include "opened_channel.hpp"

namespace tinman {

/// A channel's summary: codec, record count, time range and damage, if any.
struct ChannelInfo {
    std::string name;
    CodecDescriptor codec;
    ChannelMetadata metadata;  ///< stored when the channel was created (empty if none)
    std::uint64_t records = 0;
    std::uint64_t file_bytes = 0;
    std::optional<std::int64_t> first_timestamp;  ///< of the first record
    std::optional<std::int64_t> last_timestamp;   ///< of the last record
    std::optional<std::int64_t> max_timestamp;    ///< the largest (differs from the last after a clock step back)
    std::uint64_t indexed_records = 0;  ///< records found through the time index file (the rest were scanned)
    ScanStatus status;  ///< where the intact records end and why
    /// A writer (in any process) has the channel open now: a torn tail is then most
    /// likely the record it is writing, not damage (see `detail::has_writer_mark`).
    bool being_written = false;
    std::string error;  ///< set (and the rest left empty) when the file could not be opened as a channel
};

namespace detail {

/// The summary of an opened channel. With an intact time index this reads a few
/// hundred bytes whatever the record count: the index's header and last entry,
/// the first and last records' headers (checked against the index) and any
/// records appended past the index; otherwise it scans the record headers.
[[nodiscard]] inline ChannelInfo summarize_channel(const OpenedChannel& opened) {
    ChannelInfo info;
    info.name = opened.name;
    info.codec = opened.header.codec;
    info.metadata = opened.header.metadata;
    info.file_bytes = opened.segment->size();
    TimeIndex index(opened.segment, opened.header, index_path_for(opened.segment->path()));
    if (const auto n = index.size(); n > 0) {
        info.first_timestamp = index.record(0).timestamp;
        info.last_timestamp = index.record(n - 1).timestamp;
        info.max_timestamp = index.entry(n - 1).max_timestamp;
    }
    info.status = index.status();
    info.records = index.size();
    info.indexed_records = index.indexed_records();
    info.being_written = detail::has_writer_mark(opened.file.get());
    return info;
}

/// The offset just past the payload of the record that index entry `e` points to in
/// `file`, when that record matches it as `record_at` requires (intact header with
/// the entry's timestamp and checksum, payload inside the file and, up to
/// `verify_max` bytes, matching its checksum); read by `pread`, not mapped.
[[nodiscard]] inline std::optional<std::uint64_t> indexed_record_end(FileReads& file, std::uint64_t records_offset,
                                                                     const format::IndexEntry& e,
                                                                     std::size_t verify_max) {
    if (e.offset < records_offset || e.max_timestamp < e.timestamp || e.offset > file.size() ||
        file.size() - e.offset < format::record_header_size)
        return std::nullopt;
    const auto h = file.bytes(e.offset, format::record_header_size);
    if (!h || h->size() != format::record_header_size) return std::nullopt;
    const auto r = format::check_record_header(h->data(), file.size() - e.offset - format::record_header_size);
    if (r.check != format::RecordCheck::intact || r.header.timestamp != e.timestamp || r.header.flags != 0 ||
        format::stored_record_crc(h->data()) != e.record_crc)
        return std::nullopt;
    const std::uint64_t payload = e.offset + format::record_header_size + r.header.padding;
    if (r.header.payload_size <= verify_max) {
        std::uint32_t crc = 0;
        if (!file.for_each_chunk(payload, r.header.payload_size, [&](auto part) { crc = crc32c(part, crc); }) ||
            crc != r.header.payload_crc)
            return std::nullopt;
    }
    return payload + r.header.payload_size;
}

/// `summarize_channel` by a few `pread`s of channel `name` (open as `fd`, at `path`)
/// and its index file, with no mapping: for the usual case of an index file whose
/// first and last entries check out and whose last record ends the file, which it
/// then verifies whole. nullopt in every other case (no or stale index, records past
/// it, damage, a header it cannot parse), which `summarize_channel` handles. Where
/// both answer, they answer the same.
[[nodiscard]] inline std::optional<ChannelInfo> summarize_by_reads(std::string_view name, int fd,
                                                                   const std::filesystem::path& path) {
    const auto size = regular_file_size(fd);
    if (!size) return std::nullopt;
    FileReads file(fd, *size);
    // The header, whole: usually within the first window.
    const auto first = file.bytes(0, FileReads::window);
    if (!first || first->size() < format::file_header_size) return std::nullopt;
    const std::uint64_t header_end = detail::load_le<std::uint32_t>(first->data() + format::file_field::records_offset);
    constexpr std::uint64_t largest_header =
        format::file_header_size + format::max_codec_descriptor_size + format::max_metadata_size + 64;
    std::vector<std::byte> long_header;
    std::span<const std::byte> head = *first;
    if (header_end > head.size() && *size > head.size()) {
        if (header_end > largest_header) return std::nullopt;
        long_header.resize(static_cast<std::size_t>(std::min(*size, header_end)));
        if (!file.read_exactly(long_header.data(), long_header.size(), 0)) return std::nullopt;
        head = long_header;
    }
    format::FileHeader header;
    try {
        header = format::parse_file_header(head);
    } catch (const error&) {
        return std::nullopt;
    }
    const std::uint32_t header_crc = format::stored_header_crc(head);

    const auto index_fd = open_file(index_path_for(path), O_RDONLY);
    if (!index_fd) return std::nullopt;
    const auto index_size = regular_file_size(index_fd.get());
    if (!index_size || *index_size < format::index_header_size + format::index_entry_size) return std::nullopt;
    const std::uint64_t count = (*index_size - format::index_header_size) / format::index_entry_size;
    FileReads index(index_fd.get(), *index_size);
    const auto start = index.bytes(0, format::index_header_size + format::index_entry_size);
    if (!start || start->size() != format::index_header_size + format::index_entry_size ||
        !format::index_header_matches(*start, header_crc, header.records_offset))
        return std::nullopt;
    const auto front = format::decode_index_entry(start->data() + format::index_header_size, 0);
    const auto tail = index.bytes(format::index_header_size + (count - 1) * format::index_entry_size,
                                  format::index_entry_size);
    if (!front || front->offset != header.records_offset || !tail || tail->size() != format::index_entry_size)
        return std::nullopt;
    const auto back = format::decode_index_entry(tail->data(), count - 1);
    // A scan would verify the last record whole (it ends the file): so is it here, once
    // it is known to end the file (else the mapped path scans on from it).
    if (!back || !indexed_record_end(file, header.records_offset, *front, default_verify_max_bytes) ||
        indexed_record_end(file, header.records_offset, *back, default_verify_max_bytes) != *size ||
        !indexed_record_end(file, header.records_offset, *back, SIZE_MAX))
        return std::nullopt;

    ChannelInfo info;
    info.name = name;
    info.codec = std::move(header.codec);
    info.metadata = std::move(header.metadata);
    info.records = info.indexed_records = count;
    info.file_bytes = *size;
    info.first_timestamp = front->timestamp;
    info.last_timestamp = back->timestamp;
    info.max_timestamp = back->max_timestamp;
    info.status.records = count;
    info.status.intact_end = *size;
    info.status.stop = ScanStop::end;
    info.being_written = has_writer_mark(fd);
    return info;
}

/// The summary of channel `name` of log directory `dir`: by reads where they
/// suffice, else through mappings (from `mappings`, when given).
[[nodiscard]] inline ChannelInfo summarize_channel(const std::filesystem::path& dir, std::string_view name,
                                                   MappingCache* mappings = nullptr) {
    const auto path = channel_path(dir, name);
    auto file = open_channel_file(dir, name, path);
    if (auto info = summarize_by_reads(name, file.get(), path)) return std::move(*info);
    return summarize_channel(map_channel(name, std::move(file), path, ReadAhead::normal, mappings));
}

}  // namespace detail
}  // namespace tinman
