// tinman attachments: the named blobs stored with a log (calibration files, robot
// descriptions): listed with their size and whether their checksums hold, or one extracted.
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <system_error>
#include <vector>

#include <CLI/CLI.hpp>

#include "arguments.hpp"
#include "channels.hpp"
#include "command.hpp"
#include "output.hpp"
#include "text.hpp"

namespace tinman::cli {
namespace {

struct {
    std::filesystem::path dir;
    std::string extract;
    std::filesystem::path out;
    bool json = false;
} options;

void declare(CLI::App& command) {
    declare_log_directory(command, options.dir);
    command.add_option("--extract", options.extract, "Write attachment NAME's bytes (checksums verified first)")
        ->type_name("NAME");
    command.add_option("-o,--output", options.out, "Where --extract writes ('-': standard output)")
        ->type_name("FILE");
    command.add_flag("--json", options.json, "List as one JSON object for scripts");
    command.footer(
        "Attachments are stored as <name>.tinman-attachment files in the log directory, each with its size\n"
        "and CRC32C; writers add them with ObLogWriter::attach. Listing reads each one whole to check it:\n"
        "exit status 5 if any is damaged. --extract refuses a damaged attachment (exit status 5).");
}

/// Writes `data` to `path`, or to stdout for "-".
void write_out(const std::filesystem::path& path, std::span<const std::byte> data) {
    if (path == "-") {
        std::cout.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
        std::cout.flush();
        if (!std::cout) throw io_error("cannot write to standard output", EIO);
        return;
    }
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (f == nullptr) throw io_error({.path = path}, "cannot create", errno);
    const bool written = data.empty() || std::fwrite(data.data(), 1, data.size(), f) == data.size();
    const int code = errno;
    if (std::fclose(f) != 0 || !written) {
        std::error_code ec;
        std::filesystem::remove(path, ec);
        throw io_error({.path = path}, "cannot write", written ? errno : code);
    }
}

int extract() {
    if (options.out.empty())
        throw CLI::RequiredError("--extract needs -o FILE (or -o - for standard output)", CLI::ExitCodes::RequiredError);
    const ObLogReader reader{options.dir};
    const auto attachment = reader.attachment(options.extract);
    // Writing over the attachment's own file would truncate what is being read.
    std::error_code ec;
    if (std::filesystem::equivalent(options.out, attachment.owner->path(), ec))
        throw usage_error({.path = options.out}, "is the attachment's own file; extract it elsewhere");
    write_out(options.out, attachment.bytes);
    if (options.out != "-")
        std::cerr << "extracted attachment '" << printable(attachment.name) << "' (" << attachment.bytes.size()
                  << " bytes) to " << options.out.string() << '\n';
    return exit_ok;
}

int run() {
    if (!options.extract.empty()) return extract();
    if (!options.out.empty())
        throw CLI::RequiredError("-o is for --extract NAME", CLI::ExitCodes::RequiredError);
    const auto list = ObLogReader{options.dir}.attachments();
    bool damaged = false;
    for (const auto& a : list) damaged = damaged || !a.intact;
    if (options.json) {
        auto items = nlohmann::ordered_json::array();
        for (const auto& a : list)
            items.push_back({{"name", a.name}, {"bytes", a.size}, {"intact", a.intact}, {"problem", a.error}});
        print_json({{"directory", options.dir.string()}, {"attachments", std::move(items)}});
    } else if (list.empty()) {
        std::cout << "no attachments in '" << options.dir.string() << "'\n";
    } else {
        std::vector<std::vector<std::string>> rows;
        for (const auto& a : list)
            rows.push_back({printable(a.name), a.intact ? std::to_string(a.size) : "-",
                            a.intact ? "ok" : "damaged: " + a.error});
        print_table({{"ATTACHMENT"}, {"BYTES", true}, {"CHECKSUM"}}, rows);
    }
    return damaged ? exit_corrupt : exit_ok;
}

}  // namespace

const Command attachments_command{"attachments", "Attachments of a log: list them, or --extract one", declare, run};

}  // namespace tinman::cli
