// tinman: look at, check, repair, export and convert tinman logs from the command line.
//
//   tinman info DIR [--json]                       channels, dtypes, shapes, counts, time ranges
//   tinman cat DIR CHANNEL [--from T] [--to T] [--limit N]
//   tinman verify DIR [CHANNEL...]                 every checksum; exit status says if the log is clean
//   tinman recover DIR [CHANNEL...]                cut torn tails (never intact records)
//   tinman export DIR CHANNEL OUT.npy              stack same-shape arrays into one .npy (+ timestamps)
//   tinman convert SRC DST [--to python|tinman]    between tinman and Python tinman .blog logs
//
// Reads both formats: DIR/<channel>.tinman (this library) and DIR/<channel>.blog (Python tinman).
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <tinman.hpp>
#include <tinman/python/blog.hpp>

namespace fs = std::filesystem;
using namespace tinman;

namespace {

/// Exit statuses; also listed by `tinman --help`.
enum Exit : int {
    exit_ok = 0,
    exit_damaged = 1,       // verify/cat: torn or damaged tails (recover can cut them)
    exit_usage = 2,         // bad command line
    exit_no_directory = 3,  // the log directory does not exist
    exit_no_channel = 4,    // unknown channel
    exit_corrupt = 5,       // corrupt file: bad header, damage followed by intact records, undecodable record
    exit_failure = 6,       // anything else: I/O errors, codec mismatches, locked channels, ...
};

/// An error that ends the command with `code`.
struct CliError {
    int code;
    std::string message;
};

const char* const main_help = R"(usage: tinman <command> [options]

Look at, check, repair and convert tinman logs. A log is a directory of channel
files: <channel>.tinman (this library) or <channel>.blog (Python tinman).

commands:
  info DIR [--json]                      channels: codec, dtype, shape, records, time range, size, rate
  cat DIR CHANNEL [--from T] [--to T] [--limit N]
                                         one line per record: timestamp, shape, dtype, values
  verify DIR [CHANNEL...]                check every checksum; report torn tails and corrupt records
  recover DIR [CHANNEL...]               cut torn tails so writers can append again
  export DIR CHANNEL OUT.npy [--from T] [--to T] [--limit N] [--timestamps PATH]
                                         stack same-shape arrays into one .npy, timestamps beside it
  convert SRC DST [--to python|tinman] [--force]
                                         copy a log between this format and Python tinman's .blog

Run 'tinman <command> --help' for details.

exit status: 0 ok; 1 damaged tails found (recover cuts them); 2 usage error;
3 no such log directory; 4 unknown channel; 5 corrupt file; 6 other failure.
Times (T) are ISO-8601 UTC ("2026-11-25T22:00:00.5Z", "2026-11-25") or integers (ns since the epoch).
)";

const std::map<std::string, std::string, std::less<>> command_help{
    {"info", R"(usage: tinman info DIR [--json]

Lists the channels of the log DIR (.tinman and .blog files): format, codec, dtype
("varies" if records differ), shape ("varies" if records differ), record count,
first and last timestamp (ISO-8601 UTC, ns), duration, bytes on disk (channel
file and time index), records
per second, and whether the channel ends cleanly. A table by default; --json
prints one JSON object for scripts (sizes and times exact, in bytes and ns).
)"},
    {"cat", R"(usage: tinman cat DIR CHANNEL [--from T] [--to T] [--limit N]

Prints one line per record of CHANNEL: timestamp (ISO-8601 UTC), shape, dtype
and a short numpy-like preview of the values (long axes show their first and
last 3 entries). --from T keeps records with timestamp >= T, --to T those < T;
--limit N stops after N lines. T is ISO-8601 UTC ("2026-11-25T22:00:00.123Z",
"2026-11-25") or an integer (ns since the epoch). Reading stops before a torn
or corrupt record, with a warning on stderr (exit status 1 or 5).
)"},
    {"verify", R"(usage: tinman verify DIR [CHANNEL...]

Verifies every checksum of every channel (or of the channels named), large
payloads included, and reports intact records, torn tails and corrupt records
with their file offsets. Damage followed by intact records is reported region
by region. Progress is shown on a terminal for large files.
exit status: 0 every channel is clean; 1 only damaged tails (tinman recover
cuts them); 5 a file is corrupt (unreadable header, or damage followed by
intact records); 3/4 missing directory/channel.
.blog channels have no checksums: only their framing is checked.
)"},
    {"recover", R"(usage: tinman recover DIR [CHANNEL...]

Cuts the torn or damaged tail of each channel (or of the channels named) the
way a writer opening it with OpenMode::append does, and reports what it
removed; a time index that is missing or covers fewer records than the
channel holds is rebuilt the same way. Intact records are never touched: a channel whose damage is followed
by intact records is left alone and reported (exit status 5). A channel that
has a writer is skipped (exit status 6). .blog channels are not modified.
)"},
    {"export", R"(usage: tinman export DIR CHANNEL OUT.npy [--from T] [--to T] [--limit N] [--timestamps PATH]

Stacks the arrays of CHANNEL (all of one dtype and shape) into OUT.npy, of shape
(records, *shape), and writes their timestamps (int64 ns since the epoch) to
PATH, by default OUT.timestamps.npy beside it. The arrays are copied from the
mapped log to the output file record by record, never all held in memory.
--from/--to/--limit select records as for cat.
)"},
    {"convert", R"(usage: tinman convert SRC DST [--to python|tinman] [--force] [--channel NAME]...

Copies the channels of the log SRC into DST in the other format: tinman
channels (NdArrayCodec/AnyArrayCodec) become Python tinman .blog files that
Python's ObLogReader reads; .blog channels (NumpyArrayCodec) become tinman
channels. The direction follows SRC's files; --to chooses when SRC holds both.
Existing channels in DST are an error unless --force replaces them. Channels
of other codecs are skipped with a warning. Only intact records are copied.
)"},
};

// ---- command line -------------------------------------------------------------------------

struct Args {
    std::vector<std::string> positional;
    std::map<std::string, std::string, std::less<>> options;
    std::multimap<std::string, std::string, std::less<>> repeated;
    std::set<std::string, std::less<>> flags;

    [[nodiscard]] std::optional<std::string> option(std::string_view k) const {
        if (auto it = options.find(k); it != options.end()) return it->second;
        return std::nullopt;
    }
    [[nodiscard]] bool flag(std::string_view k) const { return flags.contains(k); }
};

Args parse_args(const std::string& command, int argc, char** argv, std::set<std::string, std::less<>> flags,
                std::set<std::string, std::less<>> valued, std::set<std::string, std::less<>> repeated = {}) {
    Args a;
    flags.insert("--help");
    for (int i = 0; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "-h") arg = "--help";
        if (arg.size() > 2 && arg.starts_with("--")) {
            std::string value;
            bool has_value = false;
            if (auto eq = arg.find('='); eq != std::string::npos) {
                value = arg.substr(eq + 1);
                arg = arg.substr(0, eq);
                has_value = true;
            }
            if (flags.contains(arg) && !has_value) {
                a.flags.insert(arg);
            } else if (valued.contains(arg) || repeated.contains(arg)) {
                if (!has_value) {
                    if (i + 1 >= argc) throw CliError{exit_usage, command + ": " + arg + " needs a value"};
                    value = argv[++i];
                }
                if (repeated.contains(arg)) a.repeated.emplace(arg, value);
                else a.options[arg] = value;
            } else {
                throw CliError{exit_usage, command + ": unknown option '" + arg + "' (see tinman " + command + " --help)"};
            }
        } else {
            a.positional.push_back(arg);
        }
    }
    return a;
}

void need_positional(const std::string& command, const Args& a, std::size_t min, std::size_t max) {
    if (a.positional.size() < min || a.positional.size() > max)
        throw CliError{exit_usage, command + ": expected " +
                                       (min == max ? std::to_string(min) : std::to_string(min) + " or more") +
                                       " arguments, got " + std::to_string(a.positional.size()) + " (see tinman " +
                                       command + " --help)"};
}

// ---- times --------------------------------------------------------------------------------

// Days since 1970-01-01 of a proleptic Gregorian date, and back (H. Hinnant's algorithms).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp < 10 ? mp + 3 : mp - 9;
    y = static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2);
}

/// ns since the epoch as ISO-8601 UTC with nanoseconds: "2026-11-25T22:00:00.123456789Z".
std::string iso(std::int64_t ns) {
    std::int64_t secs = ns / 1'000'000'000, frac = ns % 1'000'000'000;
    if (frac < 0) {
        frac += 1'000'000'000;
        --secs;
    }
    std::int64_t days = secs / 86400, sod = secs % 86400;
    if (sod < 0) {
        sod += 86400;
        --days;
    }
    std::int64_t y;
    unsigned m, d;
    civil_from_days(days, y, m, d);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%09lldZ", static_cast<long long>(y), m, d,
                  static_cast<long long>(sod / 3600), static_cast<long long>(sod / 60 % 60),
                  static_cast<long long>(sod % 60), static_cast<long long>(frac));
    return buf;
}

/// Parses an ISO-8601 UTC time (date, optional "THH:MM[:SS[.frac]]", optional "Z") or integer ns.
std::int64_t parse_time(const std::string& s, const std::string& what) {
    auto bad = [&]() -> std::int64_t {
        throw CliError{exit_usage, what + ": cannot read time '" + s +
                                       "' (expected e.g. 2026-11-25T22:00:00.5Z, 2026-11-25, or ns since the epoch)"};
    };
    if (s.empty()) return bad();
    {
        std::int64_t v = 0;
        const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (ec == std::errc{} && p == s.data() + s.size()) return v;
    }
    std::size_t pos = 0;
    auto number = [&](std::size_t digits) -> std::int64_t {
        if (pos + digits > s.size()) return bad();
        std::int64_t v = 0;
        for (std::size_t i = 0; i < digits; ++i) {
            const char c = s[pos++];
            if (c < '0' || c > '9') return bad();
            v = v * 10 + (c - '0');
        }
        return v;
    };
    auto expect = [&](char c) {
        if (pos >= s.size() || s[pos] != c) bad();
        ++pos;
    };
    const std::int64_t y = number(4);
    expect('-');
    const auto mo = number(2);
    expect('-');
    const auto d = number(2);
    if (mo < 1 || mo > 12 || d < 1 || d > 31) return bad();
    std::int64_t h = 0, mi = 0, sec = 0, frac = 0;
    if (pos < s.size() && (s[pos] == 'T' || s[pos] == ' ')) {
        ++pos;
        h = number(2);
        expect(':');
        mi = number(2);
        if (pos < s.size() && s[pos] == ':') {
            ++pos;
            sec = number(2);
            if (pos < s.size() && s[pos] == '.') {
                ++pos;
                std::int64_t scale = 100'000'000;
                const std::size_t start = pos;
                while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
                    if (scale == 0) return bad();
                    frac += (s[pos++] - '0') * scale;
                    scale /= 10;
                }
                if (pos == start) return bad();
            }
        }
        if (h > 23 || mi > 59 || sec > 60) return bad();
    }
    if (pos < s.size() && s[pos] == 'Z') ++pos;
    if (pos != s.size()) return bad();
    const std::int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
    return ((days * 86400 + h * 3600 + mi * 60 + sec) * 1'000'000'000) + frac;
}

// ---- values -------------------------------------------------------------------------------

std::string shape_text(const shape_type& s) {
    std::string out = "(";
    for (std::size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
    if (s.size() == 1) out += ',';
    return out + ')';
}

std::string float_text(double v) {
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    char buf[64];
    // 8 significant digits, as numpy prints arrays (its default print precision).
    const auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, 8);
    std::string s(buf, p);
    if (s.find_first_of(".e") == std::string::npos) s += '.';  // numpy prints 2.0 as "2."
    return s;
}

std::string float_text(float v) {
    if (std::isnan(v) || std::isinf(v)) return float_text(static_cast<double>(v));
    char buf[64];
    const auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, 8);
    std::string s(buf, p);
    if (s.find_first_of(".e") == std::string::npos) s += '.';
    return s;
}

/// Element `i` of an array's bytes as numpy would print it (any alignment, either byte order).
std::string element_text(const DType& dt, std::span<const std::byte> bytes, std::size_t i) {
    const std::size_t n = dt.itemsize;
    unsigned char b[64];
    if (n > sizeof b) return "?";
    std::memcpy(b, bytes.data() + i * n, n);
    const bool swap = !dt.is_native();
    auto load = [&]<class U>(std::size_t at, std::size_t width) {
        if (swap) std::reverse(b + at, b + at + width);
        U v;
        std::memcpy(&v, b + at, sizeof v);
        return v;
    };
    switch (dt.kind) {
    case 'b': return b[0] ? "True" : "False";
    case 'i':
    case 'm':
    case 'M':
        switch (n) {
        case 1: return std::to_string(load.operator()<std::int8_t>(0, 1));
        case 2: return std::to_string(load.operator()<std::int16_t>(0, 2));
        case 4: return std::to_string(load.operator()<std::int32_t>(0, 4));
        default: return std::to_string(load.operator()<std::int64_t>(0, 8));
        }
    case 'u':
        switch (n) {
        case 1: return std::to_string(load.operator()<std::uint8_t>(0, 1));
        case 2: return std::to_string(load.operator()<std::uint16_t>(0, 2));
        case 4: return std::to_string(load.operator()<std::uint32_t>(0, 4));
        default: return std::to_string(load.operator()<std::uint64_t>(0, 8));
        }
    case 'f':
        if (n == 2) return float_text(static_cast<float>(float16::from_bits(load.operator()<std::uint16_t>(0, 2))));
        if (n == 4) return float_text(load.operator()<float>(0, 4));
        if (n == 8) return float_text(load.operator()<double>(0, 8));
        return "?";
    case 'c':
        if (n == 8 || n == 16) {
            const double re = n == 8 ? load.operator()<float>(0, 4) : load.operator()<double>(0, 8);
            const double im = n == 8 ? load.operator()<float>(4, 4) : load.operator()<double>(8, 8);
            std::string is = float_text(im);
            if (is.front() != '-') is = "+" + is;
            return "(" + float_text(re) + is + "j)";
        }
        return "?";
    case 'S': {
        std::string s = "b'";
        for (std::size_t k = 0; k < n && b[k]; ++k) s += (b[k] >= 0x20 && b[k] < 0x7f) ? static_cast<char>(b[k]) : '?';
        return s + "'";
    }
    default: {  // 'U' shown as ASCII where it is, 'V' as hex
        std::string s;
        static const char* digits = "0123456789abcdef";
        for (std::size_t k = 0; k < n && k < 8; ++k) {
            s += digits[b[k] >> 4];
            s += digits[b[k] & 15];
        }
        return (n > 8 ? s + ".." : s);
    }
    }
}

/// A numpy-like one-line preview: axes longer than 6 show their first and last 3 entries.
std::string preview(const AnyArray& a, std::size_t max_chars = 240) {
    const auto& shape = a.shape();
    if (a.size() == 0) return "[]";
    std::vector<std::size_t> strides(shape.size(), 1);
    for (std::size_t k = shape.size(); k-- > 1;) strides[k - 1] = strides[k] * shape[k];
    std::string out;
    auto rec = [&](auto&& self, std::size_t dim, std::size_t base) -> void {
        if (out.size() > max_chars) return;
        if (dim == shape.size()) {
            out += element_text(a.dtype_info(), a.bytes(), base);
            return;
        }
        out += '[';
        const std::size_t n = shape[dim];
        for (std::size_t i = 0; i < n; ++i) {
            if (n > 6 && i == 3) {
                out += "... ";
                i = n - 3;
            }
            self(self, dim + 1, base + i * strides[dim]);
            if (i + 1 < n) out += ' ';
        }
        out += ']';
    };
    rec(rec, 0, 0);
    if (out.size() > max_chars) out = out.substr(0, max_chars) + " ...";
    return out;
}

std::string human_bytes(std::uint64_t n) {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = static_cast<double>(n);
    int u = 0;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        ++u;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
    return buf;
}

std::string json_string(std::string_view s) {
    std::string out = "\"";
    for (char c : s) {
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\t': out += "\\t"; break;
        default:
            if (static_cast<unsigned char>(c) < 0x20) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
                out += buf;
            } else {
                out += c;
            }
        }
    }
    return out + "\"";
}

std::string json_number(double v) {
    if (!std::isfinite(v)) return "null";
    char buf[64];
    const auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
    return {buf, p};
}

// ---- opening logs -------------------------------------------------------------------------

/// Reads any channel's raw payloads: a codec that accepts every stored codec, and
/// writes with the stored identity (so that `OpenMode::append` accepts it).
struct RawCodec {
    using value_type = std::span<const std::byte>;
    CodecDescriptor stored;
    [[nodiscard]] CodecDescriptor descriptor() const { return stored; }
    [[nodiscard]] std::string mismatch(const CodecDescriptor&) const { return {}; }
    [[nodiscard]] value_type decode(std::span<const std::byte> payload, const SegmentPtr&) const { return payload; }
};
static_assert(Codec<RawCodec>);

/// An AnyArray codec that records one dtype in the channel header (so `info` and
/// typed readers see it), for converting channels whose records share a dtype.
struct FixedDtypeCodec {
    using value_type = AnyArray;
    std::string dtype;
    [[nodiscard]] CodecDescriptor descriptor() const { return {"ndarray", {{"dtype", dtype}}}; }
    [[nodiscard]] std::string mismatch(const CodecDescriptor& s) const { return AnyArrayCodec{}.mismatch(s); }
    [[nodiscard]] value_type decode(std::span<const std::byte> p, const SegmentPtr& o) const {
        return AnyArrayCodec{}.decode(p, o);
    }
    [[nodiscard]] Payload encode(const AnyArray& a, EncodeScratch& scratch) const {
        if (a.dtype() != dtype) throw error("record of dtype '" + std::string(a.dtype()) + "' in a '" + dtype + "' channel");
        return AnyArrayCodec{}.encode(a, scratch);
    }
};
static_assert(CodecFor<FixedDtypeCodec, AnyArray>);

enum class Format { tinman, python };

void require_directory(const fs::path& dir) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec))
        throw CliError{exit_no_directory, "no log directory '" + dir.string() + "'" +
                                              (fs::exists(dir, ec) ? " (it is not a directory)" : "")};
}

std::vector<std::string> blog_channels(const fs::path& dir) { return python::BlogReader{dir}.channel_names(); }
std::vector<std::string> native_channels(const fs::path& dir) { return ObLogReader{dir}.channel_names(); }

/// Which format channel `name` of `dir` is in; exits with 4 if it is in neither.
Format find_channel(const fs::path& dir, const std::string& name) {
    require_directory(dir);
    if (auto problem = channel_name_problem(name); !problem.empty())
        throw CliError{exit_no_channel, "invalid channel name '" + name + "': " + problem};
    if (ObLogReader{dir}.has_channel(name)) return Format::tinman;
    std::error_code ec;
    if (fs::is_regular_file(dir / (name + ".blog"), ec)) return Format::python;
    std::string known;
    for (const auto& n : native_channels(dir)) known += (known.empty() ? "" : ", ") + n;
    for (const auto& n : blog_channels(dir)) known += (known.empty() ? "" : ", ") + n + " (.blog)";
    throw CliError{exit_no_channel, "no channel '" + name + "' in '" + dir.string() + "'" +
                                        (known.empty() ? " (it has no channels)" : " (channels: " + known + ")")};
}

// ---- info ---------------------------------------------------------------------------------

struct Summary {
    std::string name, format, codec, dtype = "-", shape = "-";
    std::vector<std::size_t> shape_dims;
    bool shape_fixed = false;
    std::uint64_t records = 0, bytes = 0;
    std::optional<std::int64_t> first, last;
    std::string status = "clean", problem;

    [[nodiscard]] double duration_s() const {
        return first ? static_cast<double>(*last - *first) / 1e9 : 0.0;
    }
    [[nodiscard]] std::optional<double> rate() const {
        if (records < 2 || duration_s() <= 0) return std::nullopt;
        return static_cast<double>(records - 1) / duration_s();
    }
};

/// Folds one record's dtype and shape into the summary ("varies" once they differ).
void observe(Summary& s, const AnyArray& a, bool first) {
    const std::string shape = shape_text(a.shape());
    if (first) {
        s.dtype = a.dtype();
        s.shape = shape;
        s.shape_dims.assign(a.shape().begin(), a.shape().end());
        s.shape_fixed = true;
        return;
    }
    if (s.dtype != a.dtype()) s.dtype = "varies";
    if (s.shape != shape && s.shape != "varies") {
        s.shape = "varies";
        s.shape_fixed = false;
    }
}

Summary summarize_native(const ObLogReader& reader, const std::string& name) {
    Summary s;
    s.name = name;
    s.format = "tinman";
    const ChannelInfo info = reader.info(name);
    s.codec = info.codec.to_string();
    s.records = info.records;
    std::error_code ec;
    const auto index_bytes = fs::file_size(index_path_for(channel_path(reader.directory(), name)), ec);
    s.bytes = info.file_bytes + (ec ? 0 : index_bytes);  // the channel file and its time index
    s.first = info.first_timestamp;
    s.last = info.last_timestamp;
    if (!info.status.clean()) {
        s.status = info.status.stop == ScanStop::torn ? "torn" : "corrupt";
        s.problem = info.status.reason;
    }
    if (info.codec.name == "ndarray") {
        if (auto dt = info.codec.param("dtype")) s.dtype = *dt;
        bool first = true;
        try {
            for (auto&& [t, a] : reader.read_channel<AnyArrayCodec>(name)) {
                observe(s, a, first);
                first = false;
            }
        } catch (const error& e) {
            s.status = "corrupt";
            s.problem = e.what();
        }
    }
    return s;
}

Summary summarize_blog(const python::BlogReader& reader, const std::string& name) {
    Summary s;
    s.name = name;
    s.format = "python";
    std::error_code ec;
    s.bytes = fs::file_size(reader.channel_path(name), ec);
    const auto codec = reader.codec(name);
    s.codec = codec.name;
    if (!codec.is_numpy_codec()) {
        s.codec = codec.qualified();
        s.status = "unsupported";
        s.problem = "codec " + codec.qualified() + " cannot be decoded";
        return s;
    }
    auto channel = reader.read_channel(name);
    bool first = true;
    try {
        for (auto it = channel.begin(); it != channel.end(); ++it) {
            const auto& r = it.record();
            if (!s.first) s.first = r.timestamp;
            s.last = r.timestamp;
            ++s.records;
            observe(s, (*it).value, first);
            first = false;
        }
    } catch (const error& e) {
        s.status = "corrupt";
        s.problem = e.what();
    }
    if (s.status == "clean" && !channel.status().clean()) {
        s.status = "torn";
        s.problem = channel.status().reason;
    }
    return s;
}

int cmd_info(const Args& args) {
    need_positional("info", args, 1, 1);
    const fs::path dir = args.positional[0];
    require_directory(dir);
    std::vector<Summary> rows;
    const ObLogReader native{dir};
    for (const auto& name : native.channel_names()) {
        try {
            rows.push_back(summarize_native(native, name));
        } catch (const error& e) {
            Summary s;
            s.name = name;
            s.format = "tinman";
            s.status = "unreadable";
            s.problem = e.what();
            rows.push_back(s);
        }
    }
    const python::BlogReader blogs{dir};
    for (const auto& name : blogs.channel_names()) {
        try {
            rows.push_back(summarize_blog(blogs, name));
        } catch (const error& e) {
            Summary s;
            s.name = name;
            s.format = "python";
            s.status = "unreadable";
            s.problem = e.what();
            rows.push_back(s);
        }
    }

    if (args.flag("--json")) {
        std::string out = "{\"directory\": " + json_string(dir.string()) + ", \"channels\": [";
        for (std::size_t i = 0; i < rows.size(); ++i) {
            const Summary& s = rows[i];
            out += i ? ",\n  " : "\n  ";
            out += "{\"name\": " + json_string(s.name) + ", \"format\": " + json_string(s.format) +
                   ", \"codec\": " + json_string(s.codec) + ", \"dtype\": " + json_string(s.dtype) + ", \"shape\": ";
            if (s.shape_fixed) {
                out += "[";
                for (std::size_t k = 0; k < s.shape_dims.size(); ++k) out += (k ? ", " : "") + std::to_string(s.shape_dims[k]);
                out += "]";
            } else {
                out += json_string(s.shape);
            }
            out += ", \"records\": " + std::to_string(s.records) + ", \"bytes\": " + std::to_string(s.bytes);
            out += ", \"first_timestamp_ns\": " + (s.first ? std::to_string(*s.first) : "null");
            out += ", \"last_timestamp_ns\": " + (s.last ? std::to_string(*s.last) : "null");
            out += ", \"first_timestamp\": " + (s.first ? json_string(iso(*s.first)) : "null");
            out += ", \"last_timestamp\": " + (s.last ? json_string(iso(*s.last)) : "null");
            out += ", \"duration_s\": " + json_number(s.duration_s());
            out += ", \"records_per_s\": " + (s.rate() ? json_number(*s.rate()) : "null");
            out += ", \"status\": " + json_string(s.status) + ", \"problem\": " + json_string(s.problem) + "}";
        }
        out += rows.empty() ? "]}\n" : "\n]}\n";
        std::cout << out;
        return exit_ok;
    }

    if (rows.empty()) {
        std::cout << "no channels in '" << dir.string() << "'\n";
        return exit_ok;
    }
    const std::vector<std::string> head{"CHANNEL", "FORMAT", "CODEC", "DTYPE", "SHAPE", "RECORDS", "FIRST",
                                        "LAST", "DURATION", "SIZE", "RATE", "STATUS"};
    std::vector<std::vector<std::string>> cells{head};
    for (const Summary& s : rows) {
        char dur[32] = "-", rate[32] = "-";
        if (s.first) std::snprintf(dur, sizeof dur, "%.3f s", s.duration_s());
        if (s.rate()) std::snprintf(rate, sizeof rate, "%.1f/s", *s.rate());
        cells.push_back({s.name, s.format, s.codec, s.dtype, s.shape, std::to_string(s.records),
                         s.first ? iso(*s.first) : "-", s.last ? iso(*s.last) : "-", dur, human_bytes(s.bytes), rate,
                         s.status});
    }
    std::vector<std::size_t> width(head.size(), 0);
    for (const auto& row : cells)
        for (std::size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
    const bool tty = ::isatty(STDOUT_FILENO) != 0;
    for (std::size_t r = 0; r < cells.size(); ++r) {
        std::string line;
        for (std::size_t c = 0; c < cells[r].size(); ++c) {
            std::string cell = cells[r][c];
            const bool numeric = c == 5 || c == 8 || c == 9 || c == 10;
            const std::string pad(width[c] - cell.size(), ' ');
            cell = numeric ? pad + cell : cell + pad;
            line += (c ? "  " : "") + cell;
        }
        while (!line.empty() && line.back() == ' ') line.pop_back();
        std::cout << (tty && r == 0 ? "\033[1m" + line + "\033[0m" : line) << '\n';
    }
    for (const Summary& s : rows)
        if (!s.problem.empty()) std::cout << s.name << ": " << s.status << ": " << s.problem << '\n';
    return exit_ok;
}

// ---- cat ----------------------------------------------------------------------------------

struct Selection {
    std::optional<std::int64_t> from, to;
    std::optional<std::uint64_t> limit;

    explicit Selection(const Args& args, const std::string& command) {
        if (auto v = args.option("--from")) from = parse_time(*v, command + " --from");
        if (auto v = args.option("--to")) to = parse_time(*v, command + " --to");
        if (auto v = args.option("--limit")) {
            std::uint64_t n = 0;
            const auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
            if (ec != std::errc{} || p != v->data() + v->size())
                throw CliError{exit_usage, command + ": --limit needs a non-negative integer, got '" + *v + "'"};
            limit = n;
        }
    }
    [[nodiscard]] bool wants(std::int64_t t) const { return (!from || t >= *from) && (!to || t < *to); }
};

/// Visits the selected records of a channel in either format as `(timestamp, AnyArray)`;
/// `other(timestamp, bytes)` gets records of non-array codecs. Returns how reading ended.
template <class F, class G>
ScanStatus for_each_record(const fs::path& dir, const std::string& name, const Selection& sel, F&& f, G&& other) {
    std::uint64_t taken = 0;
    auto done = [&] { return sel.limit && taken >= *sel.limit; };
    if (find_channel(dir, name) == Format::python) {
        auto channel = python::BlogReader{dir}.read_channel(name);
        for (auto it = channel.begin(); it != channel.end() && !done(); ++it) {
            if (!sel.wants(it.record().timestamp)) continue;
            f(it.record().timestamp, (*it).value);
            ++taken;
        }
        return channel.status();
    }
    const ObLogReader reader{dir};
    // With --from/--to the time index finds the first record in O(log n).
    auto open = [&](auto codec) {
        if (sel.from || sel.to)
            return reader.read_channel(name, sel.from.value_or(INT64_MIN), sel.to.value_or(INT64_MAX), codec);
        return reader.read_channel(name, codec);
    };
    auto visit = [&](auto channel, auto&& use) {
        for (auto it = channel.begin(); it != channel.end() && !done(); ++it) {
            if (!sel.wants(it.record().timestamp)) continue;  // filtered before decoding
            use(it.record().timestamp, (*it).value);
            ++taken;
        }
        return channel.status();
    };
    if (reader.codec(name).name == "ndarray") return visit(open(AnyArrayCodec{}), f);
    return visit(open(RawCodec{reader.codec(name)}), other);
}

int damage_exit(const std::string& command, const std::string& name, const ScanStatus& status) {
    if (status.stop != ScanStop::torn && status.stop != ScanStop::corrupt) return exit_ok;  // clean, or stopped early
    std::cerr << "tinman " << command << ": channel '" << name << "': stopped before "
              << (status.stop == ScanStop::torn ? "a torn tail" : "a corrupt record") << ": " << status.reason << " ("
              << status.skipped_bytes << " bytes not read)\n";
    return status.stop == ScanStop::torn ? exit_damaged : exit_corrupt;
}

int cmd_cat(const Args& args) {
    need_positional("cat", args, 2, 2);
    const fs::path dir = args.positional[0];
    const std::string name = args.positional[1];
    const Selection sel(args, "cat");
    std::string line;
    const auto status = for_each_record(
        dir, name, sel,
        [&](std::int64_t t, const AnyArray& a) {
            line = iso(t) + ' ' + shape_text(a.shape()) + ' ' + std::string(a.dtype()) + ' ' + preview(a) + '\n';
            std::cout << line;
        },
        [&](std::int64_t t, std::span<const std::byte> bytes) {
            std::string shown;
            for (std::size_t i = 0; i < bytes.size() && i < 48; ++i) {
                const auto c = std::to_integer<unsigned char>(bytes[i]);
                shown += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '.';
            }
            std::cout << iso(t) << ' ' << bytes.size() << " bytes " << shown << (bytes.size() > 48 ? "..." : "")
                      << '\n';
        });
    std::cout.flush();
    return damage_exit("cat", name, status);
}

// ---- verify / recover ---------------------------------------------------------------------

/// One channel's verification: intact records, and each damaged region.
struct Verification {
    std::uint64_t records = 0;
    std::uint64_t file_bytes = 0;
    struct Damage {
        std::uint64_t offset, end;
        ScanStop kind;
        std::string reason;
    };
    std::vector<Damage> damage;
    std::string unreadable;  // the file header could not be read

    /// Damage only at the end, which a writer in append mode (and `recover`) cuts.
    [[nodiscard]] bool tail_only() const { return unreadable.empty() && damage.size() == 1 && damage[0].end == file_bytes; }
    [[nodiscard]] bool clean() const { return unreadable.empty() && damage.empty(); }
};

class Progress {
public:
    Progress(std::string name, std::uint64_t total)
        : name_(std::move(name)), total_(total), on_(::isatty(STDERR_FILENO) != 0 && total >= (64u << 20)) {}
    void update(std::uint64_t done) {
        if (!on_) return;
        const auto pct = static_cast<int>(100 * done / total_);
        if (pct == last_) return;
        last_ = pct;
        std::fprintf(stderr, "\rverifying %s: %3d%%", name_.c_str(), pct);
        std::fflush(stderr);
    }
    ~Progress() {
        if (on_ && last_ >= 0) std::fprintf(stderr, "\r\033[K");
    }

private:
    std::string name_;
    std::uint64_t total_;
    bool on_;
    int last_ = -1;
};

Verification verify_native(const fs::path& dir, const std::string& name) {
    Verification v;
    const auto path = channel_path(dir, name);
    const auto segment = MappedSegment::map(path);
    const auto file = segment->bytes();
    v.file_bytes = file.size();
    format::FileHeader header;
    try {
        header = format::parse_file_header(file, {.channel = name});
    } catch (const format_error& e) {
        v.unreadable = e.what();
        return v;
    }
    Progress progress(name, file.size());
    std::uint64_t start = header.records_offset;
    for (;;) {
        RecordScanner scanner(file, start, SIZE_MAX);
        while (auto r = scanner.next()) progress.update(r->offset);
        const auto& st = scanner.status();
        progress.update(st.intact_end);
        v.records += st.records;
        if (st.clean()) break;
        const auto next = find_next_record(file, st.intact_end);
        v.damage.push_back({st.intact_end, next ? *next : file.size(), st.stop, st.reason});
        if (!next) break;
        start = *next;
    }
    return v;
}

Verification verify_blog(const fs::path& dir, const std::string& name) {
    Verification v;
    const auto segment = MappedSegment::map(dir / (name + ".blog"));
    v.file_bytes = segment->size();
    python::BlogScanner scanner(segment->bytes());
    while (scanner.next()) {
    }
    const auto& st = scanner.status();
    v.records = st.records > 0 ? st.records - 1 : 0;  // the codec record is not data
    if (st.records == 0) v.unreadable = "no codec record" + (st.reason.empty() ? std::string(" (empty file)") : ": " + st.reason);
    else if (!st.clean()) v.damage.push_back({st.intact_end, segment->size(), st.stop, st.reason});
    return v;
}

std::vector<std::pair<std::string, Format>> selected_channels(const fs::path& dir, const Args& args, std::size_t first) {
    require_directory(dir);
    std::vector<std::pair<std::string, Format>> out;
    if (args.positional.size() > first) {
        for (std::size_t i = first; i < args.positional.size(); ++i)
            out.emplace_back(args.positional[i], find_channel(dir, args.positional[i]));
        return out;
    }
    for (const auto& n : native_channels(dir)) out.emplace_back(n, Format::tinman);
    for (const auto& n : blog_channels(dir)) out.emplace_back(n, Format::python);
    return out;
}

void print_verification(const std::string& name, Format fmt, const Verification& v) {
    std::cout << name << (fmt == Format::python ? ".blog" : "") << ": ";
    if (!v.unreadable.empty()) {
        std::cout << "unreadable: " << v.unreadable << '\n';
        return;
    }
    std::cout << v.records << " intact records";
    if (v.clean()) {
        std::cout << ", clean\n";
        return;
    }
    std::cout << '\n';
    for (const auto& d : v.damage) {
        const bool tail = d.end == v.file_bytes;
        std::cout << "  " << (d.kind == ScanStop::torn ? "torn" : "corrupt") << (tail ? " tail: " : " record: ")
                  << d.reason << "; " << (d.end - d.offset) << " damaged bytes [" << d.offset << ", " << d.end << ")"
                  << (tail ? " to the end of the file" : ", intact records follow") << '\n';
    }
}

int cmd_verify(const Args& args) {
    need_positional("verify", args, 1, SIZE_MAX);
    const fs::path dir = args.positional[0];
    int rc = exit_ok;
    std::size_t clean = 0, total = 0;
    for (const auto& [name, fmt] : selected_channels(dir, args, 1)) {
        const Verification v = fmt == Format::tinman ? verify_native(dir, name) : verify_blog(dir, name);
        print_verification(name, fmt, v);
        ++total;
        if (v.clean()) ++clean;
        else rc = std::max(rc, v.tail_only() ? static_cast<int>(exit_damaged) : static_cast<int>(exit_corrupt));
    }
    std::cout << clean << " of " << total << " channels clean\n";
    return rc;
}

int cmd_recover(const Args& args) {
    need_positional("recover", args, 1, SIZE_MAX);
    const fs::path dir = args.positional[0];
    int rc = exit_ok;
    for (const auto& [name, fmt] : selected_channels(dir, args, 1)) {
        if (fmt == Format::python) {
            std::cout << name << ".blog: not modified (Python tinman files are left as they are; "
                      << "convert copies their intact records)\n";
            continue;
        }
        const Verification v = verify_native(dir, name);
        std::uint64_t indexed = 0;
        if (v.clean()) {
            indexed = ObLogReader{dir}.info(name).indexed_records;
            if (indexed == v.records) {
                std::cout << name << ": clean, " << v.records << " records, nothing to do\n";
                continue;
            }
        }
        if (!v.clean() && !v.tail_only()) {
            print_verification(name, fmt, v);
            std::cout << name << ": not modified: "
                      << (v.unreadable.empty() ? "damage is followed by intact records" : "the file header is unreadable")
                      << "; cutting would lose intact data\n";
            rc = std::max(rc, static_cast<int>(exit_corrupt));
            continue;
        }
        try {
            ObLogWriter log{dir};
            auto w = log.get_writer(name, RawCodec{ObLogReader{dir}.codec(name)}, OpenMode::append);
            const std::uint64_t cut = w.record_writer().cut_bytes(), kept = w.record_writer().existing_records();
            const std::uint64_t size = w.record_writer().size();
            w.close();
            if (v.clean())  // opening for append brought the time index in step
                std::cout << name << ": clean, " << v.records << " records; time index rebuilt (it covered " << indexed
                          << ")\n";
            else
                std::cout << name << ": cut " << cut << " bytes at offset " << size << " ("
                          << (v.damage[0].kind == ScanStop::torn ? "torn" : "damaged")
                          << " tail: " << v.damage[0].reason << "); " << kept << " intact records kept\n";
        } catch (const channel_error& e) {
            std::cout << name << ": not modified: " << e.what() << '\n';
            rc = std::max(rc, static_cast<int>(exit_failure));
        }
    }
    return rc;
}

// ---- export -------------------------------------------------------------------------------

/// A file written with stdio, removed if it was not completed.
class OutFile {
public:
    explicit OutFile(fs::path path) : path_(std::move(path)), f_(std::fopen(path_.c_str(), "wb")) {
        if (!f_) throw io_error("cannot create '" + path_.string() + "'", errno);
    }
    OutFile(const OutFile&) = delete;
    OutFile& operator=(const OutFile&) = delete;
    ~OutFile() {
        if (f_) {
            std::fclose(f_);
            std::error_code ec;
            fs::remove(path_, ec);
        }
    }
    void write(const void* p, std::size_t n) {
        if (n && std::fwrite(p, 1, n, f_) != n) throw io_error("cannot write '" + path_.string() + "'", errno);
    }
    void commit() {
        FILE* f = std::exchange(f_, nullptr);
        if (std::fclose(f) != 0) throw io_error("cannot write '" + path_.string() + "'", errno);
    }

private:
    fs::path path_;
    FILE* f_;
};

/// A .npy (format 1.0) header for a C-order array: magic, version, length, dict padded to 64 bytes.
std::string npy_header(std::string_view descr, const std::vector<std::size_t>& shape) {
    std::string dict = "{'descr': '" + std::string(descr) + "', 'fortran_order': False, 'shape': (";
    for (std::size_t i = 0; i < shape.size(); ++i) dict += (i ? ", " : "") + std::to_string(shape[i]);
    dict += shape.size() == 1 ? ",), }" : "), }";
    std::size_t total = 10 + dict.size() + 1;
    const std::size_t padded = (total + 63) / 64 * 64;
    dict += std::string(padded - total, ' ') + '\n';
    if (dict.size() > 65535) throw error("npy header too long");
    std::string h = "\x93NUMPY\x01";
    h += '\0';
    h += static_cast<char>(dict.size() & 0xFF);
    h += static_cast<char>(dict.size() >> 8);
    return h + dict;
}

int cmd_export(const Args& args) {
    need_positional("export", args, 3, 3);
    const fs::path dir = args.positional[0];
    const std::string name = args.positional[1];
    const fs::path out = args.positional[2];
    fs::path ts_path = args.option("--timestamps").value_or("");
    if (ts_path.empty()) {
        ts_path = out;
        ts_path.replace_extension(".timestamps.npy");
    }
    const Selection sel(args, "export");
    auto no_other = [&](std::int64_t, std::span<const std::byte>) {
        throw CliError{exit_failure, "export: channel '" + name + "' does not hold arrays"};
    };
    // Pass 1: count the records and check they share dtype and shape.
    std::uint64_t count = 0;
    std::string dtype;
    shape_type shape;
    const auto status = for_each_record(
        dir, name, sel,
        [&](std::int64_t, const AnyArray& a) {
            if (count == 0) {
                dtype = a.dtype();
                shape = a.shape();
            } else if (a.dtype() != dtype || a.shape() != shape) {
                throw CliError{exit_failure, "export: record " + std::to_string(count) + " of channel '" + name +
                                                 "' is " + std::string(a.dtype()) + " " + shape_text(a.shape()) +
                                                 ", the first is " + dtype + " " + shape_text(shape) +
                                                 ": only same-shape arrays stack (select records with --from/--to)"};
            }
            ++count;
        },
        no_other);
    if (count == 0) throw CliError{exit_failure, "export: no records selected in channel '" + name + "'"};
    // Pass 2: copy each record's bytes from the mapping to the file (nothing is accumulated).
    std::vector<std::size_t> dims{static_cast<std::size_t>(count)};
    dims.insert(dims.end(), shape.begin(), shape.end());
    OutFile data(out), times(ts_path);
    const std::string h = npy_header(dtype, dims), th = npy_header("<i8", {static_cast<std::size_t>(count)});
    data.write(h.data(), h.size());
    times.write(th.data(), th.size());
    Selection again = sel;
    again.limit = count;  // a live writer may have appended since pass 1
    std::uint64_t written = 0;
    for_each_record(
        dir, name, again,
        [&](std::int64_t t, const AnyArray& a) {
            data.write(a.bytes().data(), a.bytes().size());
            unsigned char le[8];
            for (int i = 0; i < 8; ++i) le[i] = static_cast<unsigned char>(static_cast<std::uint64_t>(t) >> (8 * i));
            times.write(le, 8);
            ++written;
        },
        no_other);
    if (written != count) throw CliError{exit_failure, "export: channel '" + name + "' changed while it was exported"};
    data.commit();
    times.commit();
    std::cout << "exported " << count << " records of " << dtype << " " << shape_text(shape) << " to "
              << out.string() << " (timestamps: " << ts_path.string() << ")\n";
    return damage_exit("export", name, status) == exit_corrupt ? exit_corrupt : exit_ok;
}

// ---- convert ------------------------------------------------------------------------------

int cmd_convert(const Args& args) {
    need_positional("convert", args, 2, 2);
    const fs::path src = args.positional[0], dst = args.positional[1];
    require_directory(src);
    const auto natives = native_channels(src);
    const auto blogs = blog_channels(src);
    Format from;
    if (auto to = args.option("--to")) {
        if (*to == "python") from = Format::tinman;
        else if (*to == "tinman") from = Format::python;
        else throw CliError{exit_usage, "convert: --to must be 'python' or 'tinman', got '" + *to + "'"};
    } else if (!natives.empty() && !blogs.empty()) {
        throw CliError{exit_usage, "convert: '" + src.string() + "' holds both .tinman and .blog channels; choose with --to"};
    } else {
        from = blogs.empty() ? Format::tinman : Format::python;
    }
    std::vector<std::string> names;
    for (auto [it, end] = args.repeated.equal_range("--channel"); it != end; ++it) {
        if (find_channel(src, it->second) != from)
            throw CliError{exit_no_channel, "convert: channel '" + it->second + "' is not in the source format"};
        names.push_back(it->second);
    }
    if (names.empty()) names = from == Format::tinman ? natives : blogs;
    const OpenMode mode = args.flag("--force") ? OpenMode::truncate : OpenMode::create;
    int rc = exit_ok;
    std::uint64_t converted = 0;
    for (const auto& name : names) {
        std::uint64_t n = 0;
        ScanStatus status;
        if (from == Format::tinman) {
            const ObLogReader reader{src};
            if (reader.codec(name).name != "ndarray") {
                std::cerr << "tinman convert: skipping channel '" << name << "': codec " << reader.codec(name).to_string()
                          << " has no Python tinman equivalent\n";
                continue;
            }
            const auto info = reader.info(name);
            std::unique_ptr<python::BlogWriter> out;
            auto channel = reader.read_channel<AnyArrayCodec>(name);
            for (auto&& [t, a] : channel) {
                // The codec record takes the first record's time, so converting is reproducible.
                if (!out) out = std::make_unique<python::BlogWriter>(dst, name, mode, t);
                out->write(t, a);
                ++n;
            }
            if (!out) out = std::make_unique<python::BlogWriter>(dst, name, mode, info.first_timestamp.value_or(0));
            out->close();
            status = channel.status();
        } else {
            const python::BlogReader reader{src};
            std::optional<std::string> dtype;
            bool same = true;
            for (auto&& [t, a] : reader.read_channel(name)) {
                if (!dtype) dtype = a.dtype();
                same = same && *dtype == a.dtype();
            }
            ObLogWriter log{dst};
            auto write_all = [&](auto writer) {
                auto channel = reader.read_channel(name);
                for (auto&& [t, a] : channel) {
                    writer(t, a);
                    ++n;
                }
                writer.close();
                status = channel.status();
            };
            if (dtype && same) write_all(log.get_writer(name, FixedDtypeCodec{*dtype}, mode));
            else write_all(log.get_writer(name, AnyArrayCodec{}, mode));
            log.close();
        }
        std::cout << name << ": " << n << " records -> " << (dst / name).string()
                  << (from == Format::tinman ? ".blog" : ".tinman") << '\n';
        ++converted;
        if (!status.clean()) {
            std::cerr << "tinman convert: channel '" << name << "': copied the records before damage: " << status.reason
                      << '\n';
            rc = std::max(rc, static_cast<int>(status.stop == ScanStop::torn ? exit_damaged : exit_corrupt));
        }
    }
    std::cout << "converted " << converted << " channels to " << (from == Format::tinman ? "Python tinman" : "tinman")
              << " format in '" << dst.string() << "'\n";
    return rc;
}

// ---- main ---------------------------------------------------------------------------------

int run(int argc, char** argv) {
    if (argc < 2) {
        std::cerr << main_help;
        return exit_usage;
    }
    const std::string command = argv[1];
    if (command == "--help" || command == "-h" || command == "help") {
        if (argc > 2 && command_help.contains(argv[2])) std::cout << command_help.at(argv[2]);
        else std::cout << main_help;
        return exit_ok;
    }
    const auto help = command_help.find(command);
    if (help == command_help.end()) {
        std::cerr << "tinman: unknown command '" << command << "'\n\n" << main_help;
        return exit_usage;
    }
    std::set<std::string, std::less<>> flags, valued, repeated;
    if (command == "info") flags = {"--json"};
    if (command == "cat") valued = {"--from", "--to", "--limit"};
    if (command == "export") valued = {"--from", "--to", "--limit", "--timestamps"};
    if (command == "convert") {
        valued = {"--to"};
        flags = {"--force"};
        repeated = {"--channel"};
    }
    const Args args = parse_args(command, argc - 2, argv + 2, flags, valued, repeated);
    if (args.flag("--help")) {
        std::cout << help->second;
        return exit_ok;
    }
    if (command == "info") return cmd_info(args);
    if (command == "cat") return cmd_cat(args);
    if (command == "verify") return cmd_verify(args);
    if (command == "recover") return cmd_recover(args);
    if (command == "export") return cmd_export(args);
    return cmd_convert(args);
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const CliError& e) {
        std::cerr << "tinman: " << e.message << '\n';
        return e.code;
    } catch (const format_error& e) {
        std::cerr << "tinman: corrupt file: " << e.what() << '\n';
        return exit_corrupt;
    } catch (const std::exception& e) {
        std::cerr << "tinman: " << e.what() << '\n';
        return exit_failure;
    }
}
