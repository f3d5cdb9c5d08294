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

/// Calls `on_array(timestamp, AnyArray)` for each selected record of `channel`
/// of `dir`, or `on_bytes(timestamp, payload)` for each of a channel whose codec
/// is not "ndarray". Returns how reading ended: before damage, the visitor has
/// seen every intact record selected.
template <class OnArray, class OnBytes>
[[nodiscard]] ScanStatus for_each_record(const std::filesystem::path& dir, const ChannelRef& channel,
                                         const Selection& selection, OnArray&& on_array, OnBytes&& on_bytes) {
    std::uint64_t taken = 0;
    auto visit = [&](auto&& records, auto&& use) {
        for (auto it = records.begin(); it != records.end() && !(selection.limit && taken >= *selection.limit); ++it) {
            if (!selection.wants(it.record().timestamp)) continue;  // before decoding
            use(it.record().timestamp, (*it).value);
            ++taken;
        }
        return records.status();
    };
    if (channel.format == Format::python) return visit(python::BlogReader{dir}.read_channel(channel.name), on_array);

    const ObLogReader reader{dir};
    auto open = [&](auto codec) {
        if (!selection.from && !selection.to) return reader.read_channel(channel.name, codec);
        // The time index finds the first record in O(log n).
        return reader.read_channel(channel.name,
                                   TimeRange{selection.from.value_or(std::numeric_limits<std::int64_t>::min()),
                                             selection.to.value_or(std::numeric_limits<std::int64_t>::max())},
                                   codec);
    };
    const CodecDescriptor codec = reader.codec(channel.name);
    if (codec.name == "ndarray") return visit(open(AnyArrayCodec{}), on_array);
    return visit(open(RawCodec{codec}), on_bytes);
}

/// After reading stopped at damage, warns on stderr and returns the exit status
/// that calls for (`exit_damaged` for a torn tail, `exit_corrupt` otherwise).
inline int damage_status(std::string_view command, const std::string& channel, const ScanStatus& status) {
    if (status.stop != ScanStop::torn && status.stop != ScanStop::corrupt) return exit_ok;  // clean, or stopped early
    const bool torn = status.stop == ScanStop::torn;
    std::cerr << "tinman " << command << ": channel '" << channel << "': stopped before "
              << (torn ? "a torn tail" : "a corrupt record") << ": " << status.reason << " (" << status.skipped_bytes
              << " bytes not read)\n";
    return torn ? exit_damaged : exit_corrupt;
}

}  // namespace tinman::cli
