// tinman info: a summary of every channel of a log, as a table or as JSON.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <tinman/codecs/any_array_codec.hpp>

#include "arguments.hpp"
#include "channels.hpp"
#include "command.hpp"
#include "encoded.hpp"
#include "output.hpp"
#include "preview.hpp"
#include "records.hpp"
#include "text.hpp"
#include "time_text.hpp"

namespace tinman::cli {
namespace {

struct {
    std::filesystem::path dir;
    bool json = false;
} options;

void declare(CLI::App& command) {
    declare_log_directory(command, options.dir);
    command.add_flag("--json", options.json,
                     "Print one JSON object for scripts (sizes and times exact, in bytes and ns)");
    command.footer(
        "For each channel (.tinman and .blog files): format, codec, dtype and shape (\"varies\" if records\n"
        "differ), record count, first and last timestamp (ISO-8601 UTC), duration, bytes on disk (channel\n"
        "file and time index), records per second, and whether the channel ends cleanly (\"being written\"\n"
        "when a writer has it open: its records so far, and a record in progress is not damage); then each\n"
        "channel's metadata (key=value, fixed when it was created) and the log's attachments.");
}

/// One channel's line of the summary.
struct Summary {
    std::string name{}, format{}, codec{}, dtype = "-", shape = "-";
    std::string fields{};  ///< a struct channel's fields: "{ax <f8 @0, ...; 56 bytes}"
    std::optional<shape_type> fixed_shape{};  ///< the shape every record has, if they agree
    std::uint64_t records = 0, bytes = 0;
    std::optional<std::int64_t> first{}, last{};
    std::string status = "clean", problem{};
    ChannelMetadata metadata{};

    [[nodiscard]] double duration_s() const {
        if (!first) return 0.0;
        // Exact when the int64 difference fits, which it does unless the signs differ.
        if ((*first < 0) == (*last < 0)) return static_cast<double>(*last - *first) / 1e9;
        return (static_cast<double>(*last) - static_cast<double>(*first)) / 1e9;
    }
    [[nodiscard]] std::optional<double> rate() const {
        if (records < 2 || duration_s() <= 0) return std::nullopt;
        return static_cast<double>(records - 1) / duration_s();
    }

    /// Folds one record's dtype and shape in ("varies" once they differ).
    void observe(const AnyArray& a, bool first_record) {
        if (first_record) {
            dtype = a.dtype();
            fixed_shape = a.shape();
            shape = shape_text(a.shape());
            return;
        }
        if (dtype != a.dtype()) dtype = "varies";
        if (fixed_shape && *fixed_shape != a.shape()) {
            fixed_shape.reset();
            shape = "varies";
        }
    }
    void damaged(const ScanStatus& s) {
        status = s.stop == ScanStop::torn ? "torn" : "corrupt";
        problem = s.reason;
    }
};

/// Reads every record of `records` into `s`: the record count and time range of
/// the records a reader yields (up to the first damage), and with `arrays` their
/// dtype and shape.
template <class Records>
void observe_all(Summary& s, Records&& records, bool arrays = true) {
    bool first = true;
    try {
        for (auto it = records.begin(); it != records.end(); ++it) {
            if (!s.first) s.first = it.record().timestamp;
            s.last = it.record().timestamp;
            ++s.records;
            if constexpr (requires { s.observe((*it).value, first); }) {
                if (arrays) s.observe((*it).value, first);
            }
            first = false;
        }
    } catch (const error& e) {
        s.status = "corrupt";
        s.problem = e.what();
        return;
    }
    if (!records.status().clean()) s.damaged(records.status());
}

[[nodiscard]] Summary summarize(const ObLogReader& reader, const ChannelInfo& info) {
    Summary s{.name = info.name, .format = "tinman"};
    if (!info.error.empty()) {
        s.status = "unreadable";
        s.problem = info.error;
        return s;
    }
    s.codec = info.codec.to_string();
    s.metadata = info.metadata;
    std::string library_note;
    try {
        std::error_code ec;
        const auto index_file = index_path_for(channel_path(reader.directory(), info.name));
        const auto index_bytes = std::filesystem::file_size(index_file, ec);
        s.bytes = info.file_bytes + (ec ? 0 : index_bytes);
        if (info.codec.name == "protobuf") s.codec = "protobuf(message=" +
                                                       std::string(info.codec.param("message").value_or("?")) + ")";
        // Counted by reading, as every reader does: the records up to the first damage,
        // also in a channel whose codec this build cannot decode.
        if (auto lib = missing_library(info.codec); !lib.empty()) {
            library_note = s.problem = "encoded with " + lib + ", which this tinman was built without";
            observe_all(s, reader.read_channel(info.name, RawCodec{info.codec}));
        } else if (info.codec.name == "ndarray") {
            if (auto dtype = info.codec.param("dtype")) s.dtype = *dtype;
            if (const AnyArrayCodec any{info.codec}; any.layout() != nullptr) s.fields = any.layout()->to_string();
            observe_all(s, reader.read_channel<AnyArrayCodec>(info.name));
        } else if (is_encoded_array(info.codec)) {  // decodes every record: shapes may vary
            if (auto dtype = info.codec.param("dtype")) s.dtype = *dtype;
            observe_all(s, reader.read_channel(info.name, EncodedArrayCodec{info.codec}));
        } else {
            observe_all(s, reader.read_channel(info.name, RawCodec{info.codec}));
        }
    } catch (const error& e) {
        s.status = "unreadable";
        s.problem = e.what();
    }
    // With a live writer, what follows the intact records is the record being written
    // (`tinman verify` still finds damage before it).
    if (info.being_written && (s.status == "clean" || s.status == "torn")) {
        s.status = "being written";
        s.problem = library_note;
    }
    return s;
}

[[nodiscard]] Summary summarize(const python::BlogReader& reader, const std::string& name) {
    Summary s{.name = name, .format = "python"};
    try {
        std::error_code ec;
        s.bytes = std::filesystem::file_size(reader.channel_path(name), ec);
        const auto codec = reader.codec(name);
        s.codec = codec.is_numpy_codec() ? codec.name : codec.qualified();
        if (!codec.is_numpy_codec()) {  // counted all the same, by the framing
            const DamageReport report = reader.damage_report(name);
            s.records = report.records;
            s.status = "unsupported";
            s.problem = "codec " + codec.qualified() + " cannot be decoded";
            if (!report.clean()) s.problem += "; " + report.damage.front().reason;
            return s;
        }
        observe_all(s, reader.read_channel(name));
    } catch (const error& e) {
        s.status = "unreadable";
        s.problem = e.what();
    }
    return s;
}

/// Metadata as a JSON object, keys in their stored order.
[[nodiscard]] nlohmann::ordered_json metadata_json(const ChannelMetadata& m) {
    auto out = nlohmann::ordered_json::object();
    for (const auto& [k, v] : m) out[k] = v;
    return out;
}

[[nodiscard]] nlohmann::ordered_json to_json(const Summary& s) {
    auto time_text = [](const std::optional<std::int64_t>& t) {
        return t ? nlohmann::ordered_json(iso_time(*t)) : nlohmann::ordered_json(nullptr);
    };
    return {{"name", s.name},
            {"format", s.format},
            {"codec", s.codec},
            {"dtype", s.dtype},
            {"shape", s.fixed_shape ? nlohmann::ordered_json(std::vector<std::size_t>(s.fixed_shape->begin(),
                                                                                     s.fixed_shape->end()))
                                    : nlohmann::ordered_json(s.shape)},
            {"records", s.records},
            {"bytes", s.bytes},
            {"first_timestamp_ns", json_or_null(s.first)},
            {"last_timestamp_ns", json_or_null(s.last)},
            {"first_timestamp", time_text(s.first)},
            {"last_timestamp", time_text(s.last)},
            {"duration_s", s.duration_s()},
            {"records_per_s", json_or_null(s.rate())},
            {"status", s.status},
            {"problem", s.problem},
            {"metadata", metadata_json(s.metadata)}};
}

void print_summary_table(const std::vector<Summary>& rows) {
    std::vector<std::vector<std::string>> cells;
    for (const Summary& s : rows) {
        char duration[32] = "-", rate[32] = "-";
        if (s.first) std::snprintf(duration, sizeof duration, "%.3f s", s.duration_s());
        if (s.rate()) std::snprintf(rate, sizeof rate, "%.1f/s", *s.rate());
        cells.push_back({printable(s.name), s.format, printable(s.codec), printable(s.dtype), s.shape,
                         std::to_string(s.records),
                         s.first ? iso_time(*s.first) : "-", s.last ? iso_time(*s.last) : "-", duration,
                         human_bytes(s.bytes), rate, s.status});
    }
    print_table({{"CHANNEL"}, {"FORMAT"}, {"CODEC"}, {"DTYPE"}, {"SHAPE"}, {"RECORDS", true}, {"FIRST"}, {"LAST"},
                 {"DURATION", true}, {"SIZE", true}, {"RATE", true}, {"STATUS"}},
                cells);
    for (const Summary& s : rows)
        if (!s.fields.empty()) std::cout << printable(s.name) << ": struct " << printable(s.fields) << '\n';
    for (const Summary& s : rows)
        if (!s.problem.empty()) std::cout << printable(s.name) << ": " << s.status << ": " << printable(s.problem) << '\n';
    for (const Summary& s : rows) {
        if (s.metadata.empty()) continue;
        std::cout << printable(s.name) << " metadata:";
        for (const auto& [k, v] : s.metadata) std::cout << ' ' << k << '=' << printable(v);
        std::cout << '\n';
    }
}

/// The log's attachments, one line or JSON object each.
void print_attachments(const std::vector<AttachmentInfo>& list) {
    if (list.empty()) return;
    std::cout << "attachments:";
    for (const auto& a : list)
        std::cout << ' ' << printable(a.name) << " (" << human_bytes(a.size) << (a.intact ? ")" : ", damaged)");
    std::cout << '\n';
}
[[nodiscard]] nlohmann::ordered_json attachments_json(const std::vector<AttachmentInfo>& list) {
    auto out = nlohmann::ordered_json::array();
    for (const auto& a : list)
        out.push_back({{"name", a.name}, {"bytes", a.size}, {"intact", a.intact}, {"problem", a.error}});
    return out;
}

int run() {
    const ObLogReader native{options.dir};
    const python::BlogReader blogs{options.dir};
    std::vector<Summary> rows;
    for (const auto& info : native.channel_infos()) rows.push_back(summarize(native, info));
    for (const auto& name : blogs.channel_names()) rows.push_back(summarize(blogs, name));

    if (options.json) {
        auto channels = nlohmann::ordered_json::array();
        for (const Summary& s : rows) {
            channels.push_back(to_json(s));
            if (!s.fields.empty()) channels.back()["fields"] = s.fields;  // struct channels only
        }
        print_json({{"directory", options.dir.string()},
                    {"channels", std::move(channels)},
                    {"attachments", attachments_json(native.attachments())}});
    } else if (rows.empty()) {
        std::cout << "no channels in '" << options.dir.string() << "'\n";
        print_attachments(native.attachments());
    } else {
        print_summary_table(rows);
        print_attachments(native.attachments());
    }
    return exit_ok;
}

}  // namespace

const Command info_command{"info", "Channels: codec, dtype, shape, records, time range, size, rate", declare, run};

}  // namespace tinman::cli
