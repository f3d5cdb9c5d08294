#pragma once
/// @file
/// `ObLogReader` opens a log directory for reading: lists its channels, and
/// reads each one in file order (`read_channel`), by time range, or by record
/// number and time (`indexed_channel`).

#include <concepts>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "../codecs/codec.hpp"
#include "../framing/channel_files.hpp"
#include "../framing/damage_report.hpp"
#include "../index/time_index.hpp"
#include "attachments.hpp"
#include "channel_info.hpp"
#include "channel_reader.hpp"
#include "indexed_channel.hpp"
#include "opened_channel.hpp"
#include "read_options.hpp"
#include "time_range.hpp"

namespace tinman {

/// A log directory opened for reading.
///
///     tinman::ObLogReader reader{"logs"};
///     for (auto&& [t, arr] : reader.read_channel<tinman::NdArrayCodec<double>>("sensor_data"))
///         std::cout << t << ": " << xt::mean(arr)() << '\n';
///
/// Readers never modify files. The reader keeps one mapping per channel file and
/// reuses it for every later read of that channel (grown as the file grows), so
/// reading a channel again costs no new mapping or page faults; values keep their
/// mapping alive on their own. The reader may be shared across threads; each
/// channel reader is used by one thread at a time.
class ObLogReader {
public:
    /// Opens the log directory `dir`; throws `log_not_found` if it is not a directory.
    explicit ObLogReader(std::filesystem::path dir)
        : dir_(std::move(dir)), mappings_(std::make_shared<detail::MappingCache>()) {
        require_log_directory(dir_);
    }

    [[nodiscard]] const std::filesystem::path& directory() const noexcept { return dir_; }

    /// Names of the channels in the directory, sorted.
    [[nodiscard]] std::vector<std::string> channel_names() const {
        return channel_names_in(dir_, format::channel_suffix);
    }

    [[nodiscard]] bool has_channel(std::string_view name) const {
        if (!channel_name_problem(name).empty()) return false;
        std::error_code ec;
        return std::filesystem::is_regular_file(std::filesystem::symlink_status(channel_path(dir_, name), ec));
    }

    /// True when a writer (an `ObLogWriter` or `RecordWriter`, in any process) has
    /// channel `name` open now. A snapshot: the writer may close right after.
    [[nodiscard]] bool has_writer(std::string_view name) const {
        return detail::has_writer_mark(open(name).file.get());
    }

    /// The codec identity stored in channel `name`.
    [[nodiscard]] CodecDescriptor codec(std::string_view name) const {
        return open(name).header.codec;
    }

    /// The metadata stored when channel `name` was created (empty if none).
    [[nodiscard]] ChannelMetadata metadata(std::string_view name) const { return open(name).header.metadata; }

    /// Summary of channel `name`, read through its time index (see `ChannelInfo`):
    /// a few `pread`s of headers and entries when the index covers the file, no
    /// mapping. Records in the middle are not read: `verify()` checks them all.
    [[nodiscard]] ChannelInfo info(std::string_view name) const {
        return detail::summarize_channel(dir_, name, mappings_.get());
    }

    /// Summaries of every channel; a file that cannot be read as a channel gets
    /// an entry with `error` set instead of failing the whole listing.
    [[nodiscard]] std::vector<ChannelInfo> channel_infos() const {
        std::vector<ChannelInfo> out;
        for (const auto& name : channel_names()) {
            try {
                out.push_back(info(name));
            } catch (const error& e) {
                ChannelInfo broken;
                broken.name = name;
                broken.error = e.what();
                out.push_back(std::move(broken));
            }
        }
        return out;
    }

    /// The 0.1 name of `channel_infos()`.
    [[deprecated("use channel_infos()")]] [[nodiscard]] std::vector<ChannelInfo> channels() const {
        return channel_infos();
    }

    /// Verifies every checksum of channel `name`, large payloads included, up to
    /// the first damage: how many records are intact and, if the file does not
    /// end cleanly, where and why they end.
    [[nodiscard]] ScanStatus verify(std::string_view name) const {
        auto opened = open(name, ReadAhead::sequential);
        RecordScanner scanner(opened.segment->bytes(), opened.header.records_offset, SIZE_MAX);
        while (scanner.next()) {
        }
        return scanner.status();
    }

    /// Verifies every checksum of channel `name` and finds every damaged region,
    /// also past the first (see `find_damage`); `progress(offset)` is called as it advances.
    template <class Progress>
    [[nodiscard]] DamageReport damage_report(std::string_view name, Progress&& progress) const {
        auto opened = open(name, ReadAhead::sequential);
        auto report = find_damage(opened.segment->bytes(), opened.header.records_offset, progress);
        report.being_written = detail::has_writer_mark(opened.file.get());
        return report;
    }
    [[nodiscard]] DamageReport damage_report(std::string_view name) const {
        return damage_report(name, [](std::uint64_t) {});
    }

    /// The records of channel `name` decoded with `codec`. Throws `codec_mismatch`
    /// if the channel stores another codec or dtype, `channel_not_found` if it does not exist.
    /// With the default `ReadAhead::normal`, a channel this reader has not mapped yet
    /// starts with its first 4 KiB read by one `pread` (cheaper than a mapping's page
    /// faults and `munmap` when only the first records are wanted); records lying
    /// wholly inside them are read from that copy, every later one from the mapping.
    template <Codec C>
    [[nodiscard]] ChannelReader<C> read_channel(std::string_view name, C codec = {}, ReadOptions options = {}) const {
        auto opened = options.access == ReadAhead::normal
                          ? detail::open_channel_head(dir_, name, codec, mappings_)
                          : detail::open_channel(dir_, name, codec, options.access, mappings_.get());
        return ChannelReader<C>(std::move(opened), std::move(codec), options);
    }

    /// The records of channel `name` with timestamps in `[from, to)`, found in
    /// O(log n) through the time index; only their pages are read. They come in
    /// file order, from the first record with timestamp >= `from` up to (not
    /// including) the first with timestamp >= `to`, skipping those before `from`.
    /// With timestamps that never go backwards that is every record in `[from, to)`.
    /// After a backward clock step, a record is yielded when `from <= timestamp`
    /// and no record before it reached `to` (its running maximum is < `to`).
    /// With `ReadOptions::verify_all` the records before the range are verified too
    /// (scanned, not sought: O(n)), so no record past damage is ever yielded.
    ///
    ///     reader.read_channel<tinman::NdArrayCodec<float>>("pose", tinman::TimeRange{from, to})
    template <Codec C>
    [[nodiscard]] ChannelReader<C> read_channel(std::string_view name, TimeRange range, C codec = {},
                                                ReadOptions options = {}) const {
        auto opened = detail::open_channel(dir_, name, codec, options.access, mappings_.get());
        TimeWindow window;
        window.from = range.from;
        window.to = range.to;
        if (options.verify_all) {  // scan from the first record: damage before the range ends the read
            window.start_offset = opened.header.records_offset;
        } else {
            TimeIndex index(opened.segment, opened.header, index_path_for(opened.segment->path()),
                            options.verify_max_bytes);
            const auto first = index.seek(range.from);
            window.start_index = first;
            if (first < index.size()) {
                window.start_offset = index.record(first).offset;
            } else {  // past the end: where the intact records end (the tail, if any, is scanned from there)
                window.start_offset = index.status().intact_end;
            }
            if (first > 0) window.max_before = index.entry(first - 1).max_timestamp;
        }
        return ChannelReader<C>(std::move(opened), std::move(codec), options, window);
    }

    /// The 0.2 spelling of `read_channel(name, TimeRange{from, to}, ...)`. Only integers
    /// bind to it: `read_channel(name, {}, {})` means the codec and options.
    template <Codec C, std::integral From, std::integral To>
    [[deprecated("use read_channel(name, tinman::TimeRange{from, to}, ...)")]] [[nodiscard]] ChannelReader<C>
    read_channel(std::string_view name, From from, To to, C codec = {}, ReadOptions options = {}) const {
        return read_channel(name, TimeRange{static_cast<std::int64_t>(from), static_cast<std::int64_t>(to)},
                            std::move(codec), options);
    }

    /// Random access to channel `name`, decoded with `codec` (see `IndexedChannel`).
    template <Codec C>
    [[nodiscard]] IndexedChannel<C> indexed_channel(std::string_view name, C codec = {},
                                                    ReadOptions options = {}) const {
        auto opened = detail::open_channel(dir_, name, codec, options.access, mappings_.get());
        return IndexedChannel<C>(std::move(opened), std::move(codec), options);
    }

    /// The 0.1 name of `indexed_channel()`.
    template <Codec C>
    [[deprecated("use indexed_channel()")]] [[nodiscard]] IndexedChannel<C> channel(std::string_view name, C codec = {},
                                                                                ReadOptions options = {}) const {
        return indexed_channel(name, std::move(codec), options);
    }

    /// Names of the log's attachments, sorted (see `ObLogWriter::attach`).
    [[nodiscard]] std::vector<std::string> attachment_names() const {
        return channel_names_in(dir_, format::attachment_suffix);
    }
    /// Every attachment with its size and whether its checksums hold (each is read whole).
    [[nodiscard]] std::vector<AttachmentInfo> attachments() const {
        std::vector<AttachmentInfo> out;
        for (auto& name : attachment_names()) {
            AttachmentInfo a;
            a.name = name;
            try {
                a.size = detail::read_attachment(dir_, name).bytes.size();
                a.intact = true;
            } catch (const error& e) {
                a.error = e.reason();
            }
            out.push_back(std::move(a));
        }
        return out;
    }
    /// Attachment `name`, zero-copy from its mapping, checksums verified: `format_error`
    /// if it is damaged, `channel_not_found` if there is none.
    [[nodiscard]] Attachment attachment(std::string_view name) const { return detail::read_attachment(dir_, name); }

private:
    [[nodiscard]] OpenedChannel open(std::string_view name, ReadAhead access = ReadAhead::normal) const {
        return detail::open_channel(dir_, name, access, mappings_.get());
    }

    std::filesystem::path dir_;
    std::shared_ptr<detail::MappingCache> mappings_;  // shared by copies of the reader
};

}  // namespace tinman
