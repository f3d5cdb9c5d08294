// tinman convert: copy a log between this library's format and Python tinman's .blog files.
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <tinman/channel/oblog_writer.hpp>
#include <tinman/codecs/any_array_codec.hpp>
#include <tinman/python/blog_writer.hpp>

#include "channels.hpp"
#include "command.hpp"
#include "encoded.hpp"
#include "output.hpp"

namespace tinman::cli {
namespace {

struct {
    std::filesystem::path src;
    std::filesystem::path dst;
    std::string to;  ///< "python", "tinman" or empty
    bool force = false;
    std::vector<std::string> channels;
} options;

void declare(CLI::App& command) {
    command.add_option("SRC", options.src, "Log directory to read")->required();
    command.add_option("DST", options.dst, "Log directory to write (created if needed)")->required();
    const auto check_format = [](const std::string& to) -> std::string {
        return to == "python" || to == "tinman" ? "" : "must be 'python' or 'tinman', got '" + to + "'";
    };
    command.add_option("--to", options.to, "Format to write; needed only when SRC holds both")
        ->type_name("python|tinman")
        ->check(CLI::Validator{check_format, ""});
    command.add_flag("--force", options.force, "Replace channels that exist in DST");
    command.add_option("--channel", options.channels, "Convert only this channel (repeatable)")->type_name("NAME");
    command.footer(
        "tinman channels (NdArrayCodec/AnyArrayCodec, and compressed arrays and images, decoded) become\n"
        ".blog files that Python tinman's ObLogReader reads; .blog channels (NumpyArrayCodec) become\n"
        "tinman channels. Channels of other codecs are skipped with a warning. Only intact records are copied.");
}

/// An AnyArray codec that records one dtype in the channel header, so that
/// `info` and typed readers see it, for channels whose records share a dtype.
struct FixedDtypeCodec {
    using value_type = AnyArray;
    std::string dtype;
    [[nodiscard]] CodecDescriptor descriptor() const { return {"ndarray", {{"dtype", dtype}}}; }
    [[nodiscard]] std::string mismatch(const CodecDescriptor& stored) const { return AnyArrayCodec{}.mismatch(stored); }
    [[nodiscard]] value_type decode(std::span<const std::byte> payload, const SegmentPtr& owner) const {
        return AnyArrayCodec{}.decode(payload, owner);
    }
    [[nodiscard]] Payload encode(const AnyArray& a, EncodeScratch& scratch) const {
        if (a.dtype() != dtype)
            throw codec_mismatch("record of dtype '" + std::string(a.dtype()) + "' in a '" + dtype + "' channel");
        return AnyArrayCodec{}.encode(a, scratch);
    }
};
static_assert(CodecFor<FixedDtypeCodec, AnyArray>);

/// What copying a channel did: records copied, and how reading the source ended.
struct Copied {
    std::uint64_t records = 0;
    ScanStatus status;
};

/// Copies tinman channel `name` to a .blog file, if its codec has a Python equivalent.
[[nodiscard]] std::optional<Copied> to_python(const std::string& name, OpenMode mode) {
    const ObLogReader reader{options.src};
    const auto codec = reader.codec(name);
    const bool decodable = is_encoded_array(codec) && missing_library(codec).empty();
    if (codec.name != "ndarray" && !decodable) {
        std::cerr << "tinman convert: skipping channel '" << name << "': codec " << printable(codec.to_string())
                  << " has no Python tinman equivalent\n";
        return std::nullopt;
    }
    std::unique_ptr<python::BlogWriter> out;
    std::uint64_t n = 0;
    auto copy = [&](auto records) {  // compressed arrays and images are written decoded
        for (auto&& [t, a] : records) {
            // The codec record takes the first record's time, so converting is reproducible.
            if (!out) out = std::make_unique<python::BlogWriter>(options.dst, name, mode, t);
            out->write(t, a);
            ++n;
        }
        return records.status();
    };
    const ScanStatus status = codec.name == "ndarray" ? copy(reader.read_channel<AnyArrayCodec>(name))
                                                      : copy(reader.read_channel(name, EncodedArrayCodec{codec}));
    if (!out)
        out = std::make_unique<python::BlogWriter>(options.dst, name, mode,
                                                   reader.info(name).first_timestamp.value_or(0));
    out->close();
    return Copied{n, status};
}

/// Copies .blog channel `name` to a tinman channel, if its records can be decoded
/// (numpy arrays); otherwise warns and leaves it out, so one channel (or an empty
/// file) does not stop the conversion of the others.
[[nodiscard]] std::optional<Copied> to_tinman(const std::string& name, OpenMode mode) {
    const python::BlogReader reader{options.src};
    try {
        if (const auto codec = reader.codec(name); !codec.is_numpy_codec()) {
            std::cerr << "tinman convert: skipping channel '" << name << "': codec " << printable(codec.qualified())
                      << " cannot be decoded (only numpy arrays can)\n";
            return std::nullopt;
        }
    } catch (const format_error& e) {
        std::cerr << "tinman convert: skipping channel '" << name << "': " << printable(without_path(e)) << '\n';
        return std::nullopt;
    }
    std::optional<std::string> dtype;
    bool same = true;
    for (auto&& [t, a] : reader.read_channel(name)) {
        if (!dtype) dtype = a.dtype();
        same = same && *dtype == a.dtype();
    }
    ObLogWriter log{options.dst};
    Copied copied;
    auto write_all = [&](auto writer) {
        auto records = reader.read_channel(name);
        for (auto&& [t, a] : records) {
            writer(t, a);
            ++copied.records;
        }
        writer.close();
        copied.status = records.status();
    };
    if (dtype && same) write_all(log.get_writer(name, FixedDtypeCodec{*dtype}, mode));
    else write_all(log.get_writer(name, AnyArrayCodec{}, mode));
    log.close();
    return copied;
}

int run() {
    const auto channels = list_channels(options.src);
    const bool has_python = std::ranges::any_of(channels, [](const auto& c) { return c.format == Format::python; });
    const bool has_tinman = std::ranges::any_of(channels, [](const auto& c) { return c.format == Format::tinman; });
    if (options.to.empty() && has_python && has_tinman)
        throw CLI::ValidationError("--to",
                                   "'" + options.src.string() + "' holds both .tinman and .blog channels; choose one");
    Format from = has_python ? Format::python : Format::tinman;
    if (!options.to.empty()) from = options.to == "python" ? Format::tinman : Format::python;

    std::vector<std::string> names = options.channels;
    for (const auto& name : names)
        if (std::ranges::none_of(channels, [&](const auto& c) { return c.name == name && c.format == from; }))
            throw channel_not_found({.channel = name, .path = options.src},
                                    std::string("it has no such ") + (from == Format::python ? ".blog" : ".tinman") +
                                        " channel");
    if (names.empty())
        for (const auto& c : channels)
            if (c.format == from) names.push_back(c.name);

    const OpenMode mode = options.force ? OpenMode::truncate : OpenMode::create;
    int status = exit_ok;
    std::uint64_t converted = 0;
    for (const auto& name : names) {
        const auto copied = from == Format::tinman ? to_python(name, mode) : to_tinman(name, mode);
        if (!copied) continue;
        const auto& [records, scan] = *copied;
        std::cout << name << ": " << records << " records -> " << (options.dst / name).string()
                  << (from == Format::tinman ? ".blog" : ".tinman") << '\n';
        ++converted;
        if (!scan.clean()) {
            std::cerr << "tinman convert: channel '" << name << "': copied the records before damage: " << scan.reason
                      << '\n';
            status = std::max<int>(status, scan.stop == ScanStop::torn ? exit_damaged : exit_corrupt);
        }
    }
    std::cout << "converted " << converted << " channels to " << (from == Format::tinman ? "Python tinman" : "tinman")
              << " format in '" << options.dst.string() << "'\n";
    return status;
}

}  // namespace

const Command convert_command{"convert", "Copy a log between this format and Python tinman's .blog", declare, run};

}  // namespace tinman::cli
