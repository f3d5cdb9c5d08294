// tinman verify: every checksum of every channel, and every damaged region.
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <system_error>
#include <vector>

#include <CLI/CLI.hpp>

#include "arguments.hpp"
#include "command.hpp"
#include "output.hpp"

namespace tinman::cli {
namespace {

LogChannels options;

void declare(CLI::App& command) {
    options.declare(command);
    command.footer(
        "Large payloads are verified too. Damage followed by intact records is reported region by region.\n"
        "A progress line is shown on a terminal for files of 64 MiB or more.\n"
        ".blog channels have no checksums: only their framing is checked.\n"
        "A channel that a writer has open (in any process) is reported as being written, with its records\n"
        "so far; the record it is writing is not damage.\n"
        "exit status: 0 every channel is clean or being written; 1 only damaged tails (tinman recover cuts them);\n"
        "5 a file is corrupt (unreadable header, or damage followed by intact records).");
}

/// "verifying imu:  42%" on stderr while a large file is checked, if stderr is a terminal.
class Progress {
public:
    Progress(std::string name, std::uint64_t total)
        : name_(std::move(name)), total_(total), on_(::isatty(STDERR_FILENO) != 0 && total >= (64u << 20)) {}
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;
    ~Progress() {
        if (on_ && shown_ >= 0) std::fprintf(stderr, "\r\033[K");
    }

    void operator()(std::uint64_t done) {
        if (!on_) return;
        const auto percent = static_cast<int>(100 * done / total_);
        if (percent == shown_) return;
        shown_ = percent;
        std::fprintf(stderr, "\rverifying %s: %3d%%", name_.c_str(), percent);
        std::fflush(stderr);
    }

private:
    std::string name_;
    std::uint64_t total_;
    bool on_;
    int shown_ = -1;
};

/// The damage report of `channel`; throws `format_error` when its header is unreadable.
[[nodiscard]] DamageReport check(const ChannelRef& channel) {
    if (channel.format == Format::python) return python::BlogReader{options.dir}.damage_report(channel.name);
    std::error_code ec;
    const auto size = std::filesystem::file_size(channel_path(options.dir, channel.name), ec);
    Progress progress(channel.name, ec ? 0 : size);
    return ObLogReader{options.dir}.damage_report(channel.name, [&](std::uint64_t offset) { progress(offset); });
}

int run() {
    int status = exit_ok;
    std::size_t clean = 0, total = 0;
    for (const auto& channel : options.select()) {
        ++total;
        try {
            const DamageReport report = check(channel);
            print_damage_report(channel.label(), report);
            if (report.clean() || report.in_progress()) ++clean;
            else status = std::max<int>(status, report.tail_only() ? exit_damaged : exit_corrupt);
        } catch (const format_error& e) {
            std::cout << channel.label() << ": unreadable: " << printable(without_path(e)) << '\n';
            status = exit_corrupt;
        }
    }
    std::cout << clean << " of " << total << " channels clean\n";
    return status;
}

}  // namespace

const Command verify_command{"verify", "Check every checksum; report torn tails and corrupt records", declare, run};

}  // namespace tinman::cli
