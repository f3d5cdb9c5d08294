#pragma once
/// @file
/// A command of the `tinman` tool, and the exit statuses every command shares.

#include <string_view>

namespace CLI {
class App;
}

namespace tinman::cli {

/// Exit statuses of `tinman`, listed in `tinman --help`.
enum exit_status : int {
    exit_ok = 0,
    exit_damaged = 1,       ///< torn or damaged tails (`recover` cuts them)
    exit_usage = 2,         ///< bad command line
    exit_no_directory = 3,  ///< the log directory does not exist
    exit_no_channel = 4,    ///< unknown channel
    exit_corrupt = 5,       ///< unreadable header, damage followed by intact records, undecodable record
    exit_failure = 6,       ///< anything else: I/O errors, codec mismatches, locked channels, ...
};

/// One subcommand: `declare` adds its arguments and options to the CLI11
/// subcommand (their help text is written there and nowhere else), binding them
/// to storage of the command's file; `run` then does the work and returns the exit status.
struct Command {
    std::string_view name;
    std::string_view summary;  ///< one line, for `tinman --help`
    void (*declare)(CLI::App& command);
    int (*run)();
};

extern const Command info_command;
extern const Command cat_command;
extern const Command verify_command;
extern const Command recover_command;
extern const Command export_command;
extern const Command convert_command;
extern const Command attachments_command;

}  // namespace tinman::cli
