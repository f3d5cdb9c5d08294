// tinman recover: cut torn tails and rebuild short time indexes, never touching intact records.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <tinman/channel/recovery.hpp>

#include "arguments.hpp"
#include "command.hpp"
#include "output.hpp"

namespace tinman::cli {
namespace {

LogChannels options;

void declare(CLI::App& command) {
    options.declare(command);
    command.footer(
        "Cuts the torn or damaged tail of each channel the way a writer opening it with OpenMode::append\n"
        "does, and reports what it removed; a time index that is missing or covers fewer records than the\n"
        "channel holds is rebuilt the same way. Intact records are never touched: a channel whose damage\n"
        "is followed by intact records is left alone and reported (exit status 5). A channel that has a\n"
        "writer is skipped (exit status 6). .blog channels are not modified.\n"
        "A cut tail stays in the file as one skip record (zeros, which readers pass over), so the file never\n"
        "shrinks under a program that has it mapped (following it); a channel with no intact record is\n"
        "replaced by a new file.");
}

/// Recovers one .tinman channel, reports what was done and returns the exit status it calls for.
[[nodiscard]] int recover(const std::string& name) {
    const Recovery r = recover_channel(options.dir, name);
    switch (r.action) {
    case Recovery::Action::none:
        std::cout << name << ": clean, " << r.records_kept << " records, nothing to do\n";
        return exit_ok;
    case Recovery::Action::index_rebuilt:
        std::cout << name << ": clean, " << r.records_kept << " records; time index rebuilt (it covered "
                  << r.indexed_before << ")\n";
        return exit_ok;
    case Recovery::Action::tail_cut: {
        const DamagedRegion& tail = r.report.damage.front();
        std::cout << name << ": cut " << r.cut_bytes << " bytes at offset " << r.cut_offset << " ("
                  << (tail.kind == ScanStop::torn ? "torn" : "damaged") << " tail: " << tail.reason << "); "
                  << r.records_kept << " intact records kept\n";
        return exit_ok;
    }
    case Recovery::Action::refused: break;
    }
    print_damage_report(name, r.report);
    std::cout << name << ": not modified: damage is followed by intact records; cutting would lose intact data\n";
    return exit_corrupt;
}

int run() {
    int status = exit_ok;
    if (const auto n = detail::remove_stale_temporaries(options.dir); n > 0)
        std::cout << "removed " << n << " temporary files left by interrupted writers\n";
    for (const auto& channel : options.select()) {
        if (channel.format == Format::python) {
            std::cout << channel.label() << ": not modified (Python tinman files are left as they are; "
                      << "convert copies their intact records)\n";
            continue;
        }
        try {
            status = std::max(status, recover(channel.name));
        } catch (const format_error& e) {
            std::cout << channel.name << ": unreadable: " << printable(without_path(e)) << '\n'
                      << channel.name
                      << ": not modified: the file header is unreadable; cutting would lose intact data\n";
            status = std::max<int>(status, exit_corrupt);
        } catch (const channel_error& e) {  // it has a writer
            std::cout << channel.name << ": not modified: " << printable(e.what()) << '\n';
            status = std::max<int>(status, exit_failure);
        }
    }
    return status;
}

}  // namespace

const Command recover_command{"recover", "Cut torn tails so writers can append again", declare, run};

}  // namespace tinman::cli
