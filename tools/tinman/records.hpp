#pragma once
/// @file
/// Reading the selected records of a channel in either format, as `cat` and `export` do.

#include <cstdint>
#include <filesystem>
#include <iostream>
#include <limits>
#include <span>
#include <string>
#include <string_view>

#include <tinman/codecs/any_array_codec.hpp>

#include "arguments.hpp"
#include "channels.hpp"
#include "command.hpp"
#include "encoded.hpp"

namespace tinman::cli {

/// Reads the payloads of a channel of any codec, as they are.
struct RawCodec {
    using value_type = std::span<const std::byte>;
    CodecDescriptor stored;
    [[nodiscard]] CodecDescriptor descriptor() const { return stored; }
    [[nodiscard]] std::string mismatch(const CodecDescriptor&) const { return {}; }
    [[nodiscard]] value_type decode(std::span<const std::byte> payload, const SegmentPtr&) const { return payload; }
};
static_assert(Codec<RawCodec>);

/// Calls `use(timestamp, value)` for each selected record of tinman channel
/// `name` of `dir`, decoded by `codec`; returns how reading ended.
template <class C, class Use>
[[nodiscard]] ScanStatus read_selected(const std::filesystem::path& dir, const std::string& name,
                                       const Selection& selection, C codec, Use&& use) {
    const ObLogReader reader{dir};
    ReadOptions options;
    options.verify_all = selection.verify_all;
    auto records = [&] {
        if (!selection.from && !selection.to) return reader.read_channel(name, std::move(codec), options);
        // The time index finds the first record in O(log n) (with --verify-all, a scan does).
        return reader.read_channel(name,
                                   TimeRange{selection.from.value_or(std::numeric_limits<std::int64_t>::min()),
                                             selection.to.value_or(std::numeric_limits<std::int64_t>::max())},
                                   std::move(codec), options);
    }();
    std::uint64_t taken = 0;
    for (auto it = records.begin(); it != records.end() && !(selection.limit && taken >= *selection.limit); ++it) {
        if (!selection.wants(it.record().timestamp)) continue;  // before decoding
        use(it.record().timestamp, (*it).value);
        ++taken;
    }
    return records.status();
}

/// Calls `on_array(timestamp, AnyArray)` for each selected record of `channel`
/// of `dir` whose records are arrays (ndarray channels, and compressed arrays and
/// images when this build decodes them), or `on_bytes(timestamp, payload)` for
/// each of a channel of another codec. Returns how reading ended: before damage,
/// the visitor has seen every intact record selected.
template <class OnArray, class OnBytes>
[[nodiscard]] ScanStatus for_each_record(const std::filesystem::path& dir, const ChannelRef& channel,
                                         const Selection& selection, OnArray&& on_array, OnBytes&& on_bytes) {
    if (channel.format == Format::python) {
        std::uint64_t taken = 0;
        auto records = python::BlogReader{dir}.read_channel(channel.name);
        for (auto it = records.begin(); it != records.end() && !(selection.limit && taken >= *selection.limit); ++it) {
            if (!selection.wants(it.record().timestamp)) continue;
            on_array(it.record().timestamp, (*it).value);
            ++taken;
        }
        return records.status();
    }
    const CodecDescriptor codec = ObLogReader{dir}.codec(channel.name);
    if (codec.name == "ndarray") {  // a struct channel's arrays get its field list
        auto any = with_context(ErrorContext{.channel = channel.name}, "", [&] { return AnyArrayCodec{codec}; });
        return read_selected(dir, channel.name, selection, std::move(any), on_array);
    }
    if (is_encoded_array(codec)) {
        auto decoder = with_context(ErrorContext{.channel = channel.name}, "", [&] { return EncodedArrayCodec{codec}; });
        return read_selected(dir, channel.name, selection, std::move(decoder), on_array);
    }
    return read_selected(dir, channel.name, selection, RawCodec{codec}, on_bytes);
}

/// True when tinman channel `channel` of `dir` has a writer now (never for .blog channels).
[[nodiscard]] inline bool being_written(const std::filesystem::path& dir, const ChannelRef& channel) {
    if (channel.format != Format::tinman) return false;
    try {
        return ObLogReader{dir}.has_writer(channel.name);
    } catch (const error&) {
        return false;
    }
}

/// After reading stopped at damage, warns on stderr and returns the exit status
/// that calls for (`exit_damaged` for a torn tail, `exit_corrupt` otherwise). With
/// a live writer (`being_written`), what follows the intact records is the record
/// it is writing: a note, and success.
inline int damage_status(std::string_view command, const std::string& channel, const ScanStatus& status,
                         bool being_written = false) {
    if (status.stop != ScanStop::torn && status.stop != ScanStop::corrupt) return exit_ok;  // clean, or stopped early
    if (being_written) {
        std::cerr << "tinman " << command << ": channel '" << channel << "' is being written: " << status.records
                  << " records so far (" << status.skipped_bytes << " bytes of the record in progress not read)\n";
        return exit_ok;
    }
    const bool torn = status.stop == ScanStop::torn;
    std::cerr << "tinman " << command << ": channel '" << channel << "': stopped before "
              << (torn ? "a torn tail" : "a corrupt record") << ": " << status.reason << " (" << status.skipped_bytes
              << " bytes not read)\n";
    return torn ? exit_damaged : exit_corrupt;
}

}  // namespace tinman::cli
