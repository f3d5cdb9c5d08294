#pragma once
/// @file
/// `ChannelInfo`: a channel's summary (codec, record count, time range, damage),
/// read through its time index without touching the records in between.

#include <cstdint>
#include <optional>
#include <string>

#include "../framing/channel_files.hpp"
#include "../framing/record_view.hpp"
#include "../index/time_index.hpp"
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

}  // namespace detail
}  // namespace tinman
