#pragma once
/// @file
/// The arguments and options several commands share, each declared (and its
/// help written) here once: DIR, CHANNEL, CHANNEL... and --from/--to/--limit.

#include <charconv>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include <CLI/CLI.hpp>

#include "channels.hpp"
#include "time_text.hpp"

namespace tinman::cli {

/// Declares DIR, the log directory.
inline void declare_log_directory(CLI::App& command, std::filesystem::path& dir) {
    command.add_option("DIR", dir, "Log directory (of .tinman and .blog channel files)")->required();
}

/// DIR CHANNEL: one channel of a log, in either format.
struct LogChannel {
    std::filesystem::path dir;
    std::string name;

    void declare(CLI::App& command) {
        declare_log_directory(command, dir);
        command.add_option("CHANNEL", name, "Channel name")->required();
    }
    /// Throws `log_not_found` or `channel_not_found` when there is no such channel.
    [[nodiscard]] ChannelRef find() const { return find_channel(dir, name); }
};

/// DIR [CHANNEL...]: the channels named, or all channels of the log.
struct LogChannels {
    std::filesystem::path dir;
    std::vector<std::string> names;

    void declare(CLI::App& command) {
        declare_log_directory(command, dir);
        command.add_option("CHANNEL", names, "Channel names (default: every channel)");
    }
    [[nodiscard]] std::vector<ChannelRef> select() const { return select_channels(dir, names); }
};

/// Reads T for CLI11: ISO-8601 text becomes integer ns before CLI11 converts the value.
inline std::string time_as_ns(std::string& text) {
    const auto ns = parse_time(text);
    if (!ns)
        return "cannot read time '" + text +
               "' (expected e.g. 2026-11-25T22:00:00.5Z, 2026-11-25, or ns since the epoch)";
    text = std::to_string(*ns);
    return {};
}

/// Checks N for CLI11, which would read "-1" as 2^64 - 1.
inline std::string check_count(const std::string& text) {
    std::uint64_t n = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec == std::errc{} && end == text.data() + text.size()) return {};
    return "needs a non-negative integer, got '" + text + "'";
}

/// --from, --to and --limit: the records a command reads, chosen by time and count;
/// --verify-all: how much of the channel is verified first (`ReadOptions::verify_all`).
struct Selection {
    std::optional<std::int64_t> from;
    std::optional<std::int64_t> to;
    std::optional<std::uint64_t> limit;
    bool verify_all = false;

    void declare(CLI::App& command) {
        const CLI::Validator time{time_as_ns, ""};
        command
            .add_option("--from", from,
                        "Only records with timestamp >= T: ISO-8601 UTC (2026-11-25T22:00:00.5Z, 2026-11-25)\n"
                        "or integer ns since the epoch")
            ->type_name("T")
            ->transform(time);
        command.add_option("--to", to, "Only records with timestamp < T")->type_name("T")->transform(time);
        command.add_option("--limit", limit, "Stop after N records")
            ->type_name("N")
            ->check(CLI::Validator{check_count, ""});
        command.add_flag("--verify-all", verify_all,
                         "Verify every checksum, large payloads included, of the records read and of those\n"
                         "before --from (scanned instead of sought): nothing at or past damage is read");
    }

    [[nodiscard]] bool wants(std::int64_t t) const { return (!from || t >= *from) && (!to || t < *to); }
};

}  // namespace tinman::cli
