// tinman export: the arrays of a channel stacked into one .npy file, timestamps in another;
// the frames of an image channel as image files, as stored; or channels as Parquet files.
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include "arguments.hpp"
#include "command.hpp"
#include "export_parquet.hpp"
#include "preview.hpp"
#include "records.hpp"
#include "text.hpp"

namespace tinman::cli {
namespace {

struct {
    LogChannel channel;
    std::filesystem::path out;
    std::filesystem::path timestamps;
    std::string format = "npy";
    ParquetSettings parquet;
    Selection selection;
} options;

void declare(CLI::App& command) {
    declare_log_directory(command, options.channel.dir);
    command.add_option("CHANNEL", options.channel.name, "Channel name (with --format parquet: default every channel)");
    command.add_option("OUT", options.out,
                       "The .npy file to write, of shape (records, *shape); for an image channel, the directory\n"
                       "to write its frames to; with --format parquet, the .parquet file, or a directory\n"
                       "that gets <channel>.parquet for each channel");
    command.add_option("-c,--channel", options.channel.name, "Channel name (as CHANNEL)")->type_name("NAME");
    command.add_option("-o,--output", options.out, "Where to write (as OUT)")->type_name("PATH");
    command.add_option("--format", options.format, "npy (default) or parquet")
        ->check(CLI::IsMember({"npy", "parquet"}));
    command.add_option("--timestamps", options.timestamps,
                       "Where the timestamps go (int64 ns since the epoch; default: OUT.timestamps.npy)")
        ->type_name("PATH");
    command.add_option("--compression", options.parquet.compression, "Parquet pages: none (default) or zstd")
        ->check(CLI::IsMember({"none", "zstd"}));
    command.add_option("--row-group-rows", options.parquet.row_group_rows, "Parquet rows per row group, at most")
        ->check(CLI::PositiveNumber);
    command.add_option("--row-group-mib", options.parquet.row_group_mib, "Parquet row group size in MiB, at most")
        ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{4096}));
    options.selection.declare(command);
    command.footer(
        "npy: the arrays must share one dtype and shape. They are copied from the mapped log to the file\n"
        "record by record, never all held in memory. Compressed arrays are decompressed. Image channels\n"
        "(PNG, JPEG) are written one file per frame, as stored: OUT/<record>.png or .jpg. Text and JSON\n"
        "channels are written to OUT as JSON lines, one record each: {\"t\":<ns>,\"text\":\"...\"} or\n"
        "{\"t\":<ns>,\"value\":<the document>} (no timestamps file: each line has its t).\n"
        "parquet: one file per channel, one row per record: a `timestamp` column (TIMESTAMP, ns, UTC), then\n"
        "one column per element for same-shape arrays of up to 64 elements (named after the channel when\n"
        "0-d, else v_0, v_1_2, ...; struct fields by name; complex as _re and _im), or `data` (raw bytes),\n"
        "`dtype` and `shape` (\"480x640x3\") for other arrays; `text`/`json` strings for text and JSON\n"
        "channels, `data` bytes for any other codec. Read them with DuckDB, Spark, pandas (docs/parquet.md):\n"
        "  tinman export --format parquet LOG -o out/ && duckdb -c \"SELECT * FROM 'out/imu.parquet'\"");
}

/// The header of a C-order .npy file (format 1.0): magic, version, length, and the
/// dict padded with spaces so that the data starts at a multiple of 64 bytes.
/// xtensor's npy support cannot write it: `xt::dump_npy` takes the whole array as
/// an expression of a C++ element type, while this file is written record by record
/// from dtypes known only at run time (any byte order, datetimes, byte strings).
[[nodiscard]] std::string npy_header(std::string_view dtype, const std::vector<std::size_t>& shape) {
    std::string dict = "{'descr': '" + std::string(dtype) + "', 'fortran_order': False, 'shape': (";
    for (std::size_t i = 0; i < shape.size(); ++i) dict += (i ? ", " : "") + std::to_string(shape[i]);
    dict += shape.size() == 1 ? ",), }" : "), }";
    constexpr std::size_t prefix = 10;  // magic (6), version (2), dict length (2)
    dict.append((64 - (prefix + dict.size() + 1) % 64) % 64, ' ');
    dict += '\n';
    if (dict.size() > 0xFFFF) throw error("npy header too long");
    std::string header = "\x93NUMPY\x01";
    header += '\0';
    header += static_cast<char>(dict.size() & 0xFF);
    header += static_cast<char>(dict.size() >> 8);
    return header + dict;
}

/// A file being written, removed unless `commit()` completes it.
class OutputFile {
public:
    explicit OutputFile(std::filesystem::path path) : path_(std::move(path)), file_(std::fopen(path_.c_str(), "wb")) {
        if (!file_) throw io_error({.path = path_}, "cannot create", errno);
    }
    OutputFile(const OutputFile&) = delete;
    OutputFile& operator=(const OutputFile&) = delete;
    ~OutputFile() {
        if (!file_) return;
        std::fclose(file_);
        std::error_code ec;
        std::filesystem::remove(path_, ec);
    }

    void write(std::span<const std::byte> bytes) {
        if (!bytes.empty() && std::fwrite(bytes.data(), 1, bytes.size(), file_) != bytes.size())
            throw io_error({.path = path_}, "cannot write", errno);
    }
    void write(std::string_view text) { write(std::as_bytes(std::span{text.data(), text.size()})); }
    void commit() {
        if (std::fclose(std::exchange(file_, nullptr)) != 0) throw io_error({.path = path_}, "cannot write", errno);
    }

private:
    std::filesystem::path path_;
    std::FILE* file_;
};

/// Throws unless writing `out` leaves the log in `dir` alone: `out` must not be, or
/// link to, a file of the log (writing would truncate the mapped input), nor be
/// created in it under a name the log reads as its own.
void refuse_log_file(const std::filesystem::path& dir, const std::filesystem::path& out) {
    const auto refuse = [&](const std::string& why) {
        throw usage_error({.path = out}, why + "; write the export outside the log");
    };
    struct stat target {}, log {};
    if (::stat(dir.c_str(), &log) != 0) return;  // reading the log reports it
    if (::stat(out.c_str(), &target) == 0) {
        std::error_code ec;
        for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
            struct stat file {};
            if (::stat(entry.path().c_str(), &file) == 0 && file.st_dev == target.st_dev && file.st_ino == target.st_ino)
                refuse("is the log's file '" + entry.path().filename().string() + "'");
        }
    }
    struct stat parent {};
    const auto name = out.filename().string();
    const auto in_parent = out.has_parent_path() ? out.parent_path() : std::filesystem::path(".");
    const bool log_name = name.ends_with(format::channel_suffix) || name.ends_with(format::index_suffix) ||
                          name.ends_with(format::attachment_suffix) ||
                          name.ends_with(python::blog_suffix) || name.starts_with(".");
    if (log_name && ::stat(in_parent.c_str(), &parent) == 0 && parent.st_dev == log.st_dev && parent.st_ino == log.st_ino)
        refuse("would be a file of the log");
}

/// Writes the timestamps `times` as an int64 .npy file.
void write_timestamps(const std::filesystem::path& path, const std::vector<std::int64_t>& times) {
    OutputFile file(path);
    file.write(npy_header("<i8", {times.size()}));
    for (const std::int64_t t : times) {
        unsigned char le[8];
        for (int i = 0; i < 8; ++i) le[i] = static_cast<unsigned char>(static_cast<std::uint64_t>(t) >> (8 * i));
        file.write(std::as_bytes(std::span{le}));
    }
    file.commit();
}

/// Writes each selected frame of image channel `name` to `options.out` as the image file it is stored as.
int export_frames(const std::string& name, const CodecDescriptor& codec, const std::filesystem::path& timestamps) {
    const std::string ext = codec.param("encoding") == "jpeg" ? ".jpg" : ".png";
    std::filesystem::create_directories(options.out);
    std::vector<std::int64_t> times;
    std::uint64_t n = 0;
    const auto status = read_selected(options.channel.dir, name, options.selection, RawCodec{codec},
                                      [&](std::int64_t t, std::span<const std::byte> image) {
                                          char file[32];
                                          std::snprintf(file, sizeof file, "%06llu", static_cast<unsigned long long>(n++));
                                          OutputFile out(options.out / (file + ext));
                                          out.write(image);
                                          out.commit();
                                          times.push_back(t);
                                      });
    if (times.empty()) throw error({.channel = name}, "no records selected");
    write_timestamps(timestamps, times);
    std::cout << "exported " << times.size() << " " << codec.param("encoding").value_or("image") << " frames to "
              << options.out.string() << " (timestamps: " << timestamps.string() << ")\n";
    return damage_status("export", name, status) == exit_corrupt ? exit_corrupt : exit_ok;
}

/// `--format parquet`: the channel named, or every channel, each to its own file.
int run_parquet() {
    const std::filesystem::path& dir = options.channel.dir;
    if (options.out.empty()) throw CLI::RequiredError("OUT (-o: a .parquet file or a directory)");
    const std::vector<ChannelRef> channels =
        options.channel.name.empty() ? list_channels(dir) : std::vector<ChannelRef>{options.channel.find()};
    std::error_code ec;
    const bool one_file = !options.channel.name.empty() &&
                          (options.out.extension() == ".parquet" ||
                           (std::filesystem::exists(options.out, ec) && !std::filesystem::is_directory(options.out, ec)));
    if (!one_file) std::filesystem::create_directories(options.out);
    int status = exit_ok;
    for (const ChannelRef& channel : channels) {
        const auto path = one_file ? options.out : options.out / (channel.label() + ".parquet");
        refuse_log_file(dir, path);
        status = std::max(status, export_parquet(dir, channel, path, options.selection, options.parquet));
    }
    return status;
}

/// Writes each selected record of text or JSON channel `name` to `options.out` as one JSON line.
int export_text_lines(const std::string& name, const CodecDescriptor& codec) {
    const bool is_json = codec.name == "json";
    OutputFile out(options.out);
    std::uint64_t n = 0;
    std::string line;
    const auto status = read_selected(options.channel.dir, name, options.selection, TextRecordCodec{codec, true},
                                      [&](std::int64_t t, const TextRecord& r) {
                                          line = r.json_line(t, is_json).dump();
                                          line += '\n';
                                          out.write(line);
                                          ++n;
                                      });
    if (n == 0) throw error({.channel = name}, "no records selected");
    out.commit();
    std::cout << "exported " << n << " " << codec.name << " records to " << options.out.string()
              << " (JSON lines)\n";
    return damage_status("export", name, status) == exit_corrupt ? exit_corrupt : exit_ok;
}

int run() {
    if (options.format == "parquet") return run_parquet();
    if (options.channel.name.empty()) throw CLI::RequiredError("CHANNEL");
    if (options.out.empty()) throw CLI::RequiredError("OUT");
    const ChannelRef channel = options.channel.find();
    const std::filesystem::path& dir = options.channel.dir;
    std::filesystem::path timestamps = options.timestamps;
    if (timestamps.empty()) timestamps = std::filesystem::path(options.out).replace_extension(".timestamps.npy");
    refuse_log_file(dir, options.out);
    refuse_log_file(dir, timestamps);
    if (channel.format == Format::tinman) {
        const auto codec = ObLogReader{dir}.codec(channel.name);
        if (codec.name == "image") return export_frames(channel.name, codec, timestamps);
        if (is_text_codec(codec)) return export_text_lines(channel.name, codec);
    }
    const auto not_arrays = [&](std::int64_t, std::span<const std::byte>) {
        throw codec_mismatch({.channel = channel.name},
                             "stores codec " + ObLogReader{dir}.codec(channel.name).to_string() + ", not arrays");
    };

    // Pass 1: count the records and check that they stack.
    std::uint64_t count = 0;
    std::string dtype;
    shape_type shape;
    const auto status = for_each_record(
        dir, channel, options.selection,
        [&](std::int64_t, const AnyArray& a) {
            if (count == 0) {
                dtype = a.dtype();
                shape = a.shape();
            } else if (a.dtype() != dtype || a.shape() != shape) {
                throw codec_mismatch({.channel = channel.name, .record = count},
                                     std::string(a.dtype()) + " " + shape_text(a.shape()) + " differs from the first "
                                         "record's " + dtype + " " + shape_text(shape) +
                                         ": only same-shape arrays stack (select records with --from/--to)");
            }
            ++count;
        },
        not_arrays);
    if (count == 0) throw error({.channel = channel.name}, "no records selected");

    // Pass 2: the header, then each record's bytes from the mapping to the file.
    std::vector<std::size_t> dims{static_cast<std::size_t>(count)};
    dims.insert(dims.end(), shape.begin(), shape.end());
    OutputFile data(options.out), times(timestamps);
    data.write(npy_header(dtype, dims));
    times.write(npy_header("<i8", {static_cast<std::size_t>(count)}));
    Selection again = options.selection;
    again.limit = count;  // a writer may have appended since pass 1
    std::uint64_t written = 0;
    (void)for_each_record(
        dir, channel, again,
        [&](std::int64_t t, const AnyArray& a) {
            data.write(a.bytes());
            unsigned char le[8];
            for (int i = 0; i < 8; ++i) le[i] = static_cast<unsigned char>(static_cast<std::uint64_t>(t) >> (8 * i));
            times.write(std::as_bytes(std::span{le}));
            ++written;
        },
        not_arrays);
    if (written != count) throw error({.channel = channel.name}, "the channel changed while it was exported");
    data.commit();
    times.commit();
    std::cout << "exported " << count << " records of " << dtype << " " << shape_text(shape) << " to "
              << options.out.string() << " (timestamps: " << timestamps.string() << ")\n";
    return damage_status("export", channel.name, status) == exit_corrupt ? exit_corrupt : exit_ok;
}

}  // namespace

const Command export_command{"export", "Stack same-shape arrays into one .npy (timestamps beside it), or write Parquet",
                              declare, run};

}  // namespace tinman::cli
