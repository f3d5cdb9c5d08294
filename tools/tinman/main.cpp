// tinman: look at, check, repair, export and convert tinman logs from the command line.
// The commands are in the table below, one file each; this file builds the
// command line from the table and turns errors into exit statuses.
#include <filesystem>
#include <iostream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <CLI/CLI.hpp>
#include <tinman/error.hpp>

#include "command.hpp"
#include "output.hpp"

namespace tinman::cli {
namespace {

constexpr const Command* commands[] = {&info_command,    &cat_command,    &verify_command,
                                       &recover_command, &export_command, &convert_command,
                                       &attachments_command};

/// CLI11's help, with a synopsis as the usage line ("usage: tinman cat DIR CHANNEL
/// [--from T] ..."), made from the declared arguments and options.
class Formatter : public CLI::Formatter {
public:
    std::string make_usage(const CLI::App* app, std::string name) const override {
        if (app->get_parent() == nullptr) return "usage: " + name + " <command> [options]\n";
        std::string positionals, flags;
        for (const CLI::Option* opt : app->get_options()) {
            if (opt == app->get_help_ptr()) continue;
            const bool many = opt->get_expected_max() > 1;
            if (opt->get_positional()) {
                const std::string text = opt->get_name() + (many ? "..." : "");
                positionals += " " + (opt->get_required() ? text : "[" + text + "]");
            } else {
                const std::string type = opt->get_type_name();  // empty for flags
                const std::string value = type.empty() ? "" : " " + type;
                flags += " [" + opt->get_name() + value + "]" + (many ? "..." : "");
            }
        }
        return "usage: " + name + positionals + flags + "\n";
    }
    // The usage line already says which arguments are required and repeatable.
    std::string make_option_opts(const CLI::Option* opt) const override {
        return opt->get_positional() ? std::string{} : CLI::Formatter::make_option_opts(opt);
    }
};

/// Rejects arguments that nothing declared. Every level allows extras, so that
/// they are reported here as an unknown command or option rather than in CLI11's words.
void reject_extras(const CLI::App& app) {
    std::vector<const CLI::App*> levels{&app};
    for (const CLI::App* command : app.get_subcommands()) levels.push_back(command);
    for (const CLI::App* level : levels) {
        const auto extra = level->remaining();
        if (extra.empty()) continue;
        const std::string& first = extra.front();
        const std::string what = first.starts_with('-') ? "unknown option '" + first + "'"
                                 : level == &app        ? "unknown command '" + first + "'"
                                                        : "unexpected argument '" + first + "'";
        throw CLI::ExtrasError(what, CLI::ExitCodes::ExtrasError);
    }
    if (app.get_subcommands().empty()) throw CLI::RequiredError("a command is required", CLI::ExitCodes::RequiredError);
}

/// "tinman cat: <what>" and where to find help, for command-line errors.
[[nodiscard]] std::string failure_message(const CLI::App* app, const CLI::Error& e) {
    const auto chosen = app->get_subcommands();
    const std::string command = chosen.empty() ? "tinman" : "tinman " + chosen.front()->get_name();
    return command + ": " + e.what() + "\nRun '" + command + " --help' for usage.\n";
}

/// Prints what went wrong and returns the exit status for the exception in flight, by its type.
[[nodiscard]] int report_error(const CLI::App& app) {
    try {
        throw;
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? exit_ok : exit_usage;  // --help is a "parse error" that succeeds
    } catch (const log_not_found& e) {
        std::error_code ec;
        const bool exists = std::filesystem::exists(e.context().path, ec);
        std::cerr << "tinman: no log directory '" << e.context().path.string() << "'"
                  << (exists ? " (it is not a directory)" : "") << '\n';
        return exit_no_directory;
    } catch (const channel_not_found& e) {
        std::cerr << "tinman: no channel '" << e.context().channel << "' in '" << e.context().path.string() << "' ("
                  << e.reason() << ")\n";
        return exit_no_channel;
    } catch (const format_error& e) {
        std::cerr << "tinman: corrupt file: " << printable(e.what()) << '\n';
        return exit_corrupt;
    } catch (const std::exception& e) {
        std::cerr << "tinman: " << printable(e.what()) << '\n';
        return exit_failure;
    }
}

[[nodiscard]] int run(int argc, const char* const* argv) {
    CLI::App app{"Look at, check, repair and convert tinman logs. A log is a directory of channel files:\n"
                 "<channel>.tinman (this library) or <channel>.blog (Python tinman).\n",
                 "tinman"};
    app.formatter(std::make_shared<Formatter>());
    app.failure_message(failure_message);
    app.footer("Run 'tinman <command> --help' for details.\n\n"
               "exit status: 0 ok; 1 damaged tails found (recover cuts them); 2 usage error;\n"
               "3 no such log directory; 4 unknown channel; 5 corrupt file; 6 other failure.");
    app.allow_extras();
    for (const Command* command : commands) {
        CLI::App* sub = app.add_subcommand(std::string(command->name), std::string(command->summary));
        command->declare(*sub);
        sub->group("Commands");
        sub->allow_extras();
    }
    if (argc < 2) {
        std::cerr << app.help();
        return exit_usage;
    }
    try {
        app.parse(argc, argv);
        reject_extras(app);
        for (const Command* command : commands)
            if (app.got_subcommand(std::string(command->name))) return command->run();
        return exit_usage;  // unreachable: reject_extras requires a command
    } catch (...) {
        return report_error(app);
    }
}

}  // namespace
}  // namespace tinman::cli

int main(int argc, char** argv) {
    // `tinman help [command]` is `tinman [command] --help`.
    std::vector<const char*> args(argv, argv + argc);
    if (args.size() > 1 && std::string_view(args[1]) == "help") {
        args.erase(args.begin() + 1);
        args.push_back("--help");
    }
    return tinman::cli::run(static_cast<int>(args.size()), args.data());
}
