// tinman cat: one line per record: timestamp, shape, dtype and a preview of the values,
// or for protobuf channels the message, as text format or JSON.
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
#include "text.hpp"
#include "time_text.hpp"

namespace tinman::cli {
namespace {

struct {
    LogChannel channel;
    Selection selection;
    bool json = false;
} options;

void declare(CLI::App& command) {
    options.channel.declare(command);
    options.selection.declare(command);
    command.add_flag("--json", options.json,
                     "Protobuf channels: one JSON object per line (timestamp, message) instead of text format;\n"
                     "text and JSON channels: one JSON object per line, {\"t\":ns,\"text\":...} or {\"t\":ns,\"value\":...}");
    command.footer(
        "Long axes show their first and last 3 entries. Compressed arrays and images are decoded first.\n"
        "Protobuf messages are printed through the schema stored in the channel (no .proto files needed).\n"
        "Text and JSON records are printed whole, control characters escaped (\\n, \\t, \\xNN).\n"
        "Reading stops before a torn or corrupt record, with a warning on stderr (exit status 1 or 5).");
}

#if TINMAN_HAVE_PROTOBUF
/// Prints each selected message of protobuf channel `name`; returns how reading ended.
ScanStatus print_messages(const std::string& name, const CodecDescriptor& stored) {
    const auto codec =
        with_context(ErrorContext{.channel = name}, "", [&] { return DynamicProtobufCodec{stored}; });
    const std::string type = codec.schema().type().full_name();
    return read_selected(options.channel.dir, name, options.selection, codec, [&](std::int64_t t, const DynamicMessage& m) {
        if (options.json)
            std::cout << R"({"timestamp":")" << iso_time(t) << R"(","timestamp_ns":)" << t << R"(,"message":)" << m.json()
                      << "}\n";
        else
            std::cout << iso_time(t) << ' ' << type << ' ' << m.text() << '\n';
    });
}
#endif

/// Prints each selected record of text or JSON channel `name`, whole; returns how reading ended.
ScanStatus print_texts(const std::string& name, const CodecDescriptor& stored) {
    const bool is_json = stored.name == "json";
    return read_selected(options.channel.dir, name, options.selection, TextRecordCodec{stored, options.json},
                         [&](std::int64_t t, const TextRecord& r) {
                             if (options.json) std::cout << r.json_line(t, is_json).dump() << '\n';
                             else std::cout << iso_time(t) << ' ' << printable(r.text) << '\n';
                         });
}

int run() {
    const ChannelRef channel = options.channel.find();
    if (channel.format == Format::tinman) {
        if (const auto stored = ObLogReader{options.channel.dir}.codec(channel.name); is_text_codec(stored)) {
            const auto status = print_texts(channel.name, stored);
            std::cout.flush();
            return damage_status("cat", options.channel.name, status);
        }
    }
#if TINMAN_HAVE_PROTOBUF
    if (channel.format == Format::tinman) {
        if (const auto stored = ObLogReader{options.channel.dir}.codec(channel.name); stored.name == "protobuf") {
            const auto status = print_messages(channel.name, stored);
            std::cout.flush();
            return damage_status("cat", options.channel.name, status,
                                 being_written(options.channel.dir, channel));
        }
    }
#endif
    const auto status = for_each_record(
        options.channel.dir, channel, options.selection,
        [](std::int64_t t, const AnyArray& a) {
            std::cout << iso_time(t) << ' ' << shape_text(a.shape()) << ' ' << a.dtype() << ' '
                      << (a.fields().empty() ? array_preview(a) : struct_preview(a)) << '\n';
        },
        [](std::int64_t t, std::span<const std::byte> bytes) {
            std::cout << iso_time(t) << ' ' << bytes.size() << " bytes " << bytes_preview(bytes) << '\n';
        });
    std::cout.flush();
    return damage_status("cat", options.channel.name, status, being_written(options.channel.dir, channel));
}

}  // namespace

const Command cat_command{"cat", "One line per record: timestamp, shape, dtype, values", declare, run};

}  // namespace tinman::cli
