// tinman cat: one line per record: timestamp, shape, dtype and a preview of the values.
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <span>
#include <string>

#include <CLI/CLI.hpp>

#include "arguments.hpp"
#include "command.hpp"
#include "preview.hpp"
#include "records.hpp"
#include "time_text.hpp"

namespace tinman::cli {
namespace {

struct {
    LogChannel channel;
    Selection selection;
} options;

void declare(CLI::App& command) {
    options.channel.declare(command);
    options.selection.declare(command);
    command.footer(
        "Long axes show their first and last 3 entries. Reading stops before a torn or corrupt record,\n"
        "with a warning on stderr (exit status 1 or 5).");
}

int run() {
    const auto status = for_each_record(
        options.channel.dir, options.channel.find(), options.selection,
        [](std::int64_t t, const AnyArray& a) {
            std::cout << iso_time(t) << ' ' << shape_text(a.shape()) << ' ' << a.dtype() << ' ' << array_preview(a)
                      << '\n';
        },
        [](std::int64_t t, std::span<const std::byte> bytes) {
            std::cout << iso_time(t) << ' ' << bytes.size() << " bytes " << bytes_preview(bytes) << '\n';
        });
    std::cout.flush();
    return damage_status("cat", options.channel.name, status);
}

}  // namespace

const Command cat_command{"cat", "One line per record: timestamp, shape, dtype, values", declare, run};

}  // namespace tinman::cli
