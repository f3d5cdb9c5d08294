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
        "file and time index), records per second, and whether the channel ends cleanly.");
}

/// One channel's line of the summary.
struct Summary {
    std::string name{}, format{}, codec{}, dtype = "-", shape = "-";
    std::string fields{};  ///< a struct channel's fields: "{ax <f8 @0, ...; 56 bytes}"
    std::optional<shape_type> fixed_shape{};  ///< the shape every record has, if they agree
    std::uint64_t records = 0, bytes = 0;
    std::optional<std::int64_t> first{}, last{};
    std::string status = "clean", problem{};

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

/// Reads every record of `records` into `s`: dtype and shape, and with
/// `count` also the record count and time range.
template <class Records>
void observe_all(Summary& s, Records&& records, bool count) {
    bool first = true;
    try {
        for (auto it = records.begin(); it != records.end(); ++it) {
            if (count) {
                if (!s.first) s.first = it.record().timestamp;
                s.last = it.record().timestamp;
                ++s.records;
            }
            s.observe((*it).value, first);
            first = false;
        }
    } catch (const error& e) {
        s.status = "corrupt";
        s.problem = e.what();
        return;
    }
    if (count && !records.status().clean()) s.damaged(records.status());
}

[[nodiscard]] Summary summarize(const ObLogReader& reader, const ChannelInfo& info) {
    Summary s{.name = info.name, .format = "tinman"};
    if (!info.error.empty()) {
        s.status = "unreadable";
        s.problem = info.error;
        return s;
    }
    s.codec = info.codec.to_string();
    s.records = info.records;
    s.first = info.first_timestamp;
    s.last = info.last_timestamp;
    if (!info.status.clean()) s.damaged(info.status);
    try {
        std::error_code ec;
        const auto index_file = index_path_for(channel_path(reader.directory(), info.name));
        const auto index_bytes = std::filesystem::file_size(index_file, ec);
        s.bytes = info.file_bytes + (ec ? 0 : index_bytes);
        if (info.codec.name == "protobuf") s.codec = "protobuf(message=" +
                                                       std::string(info.codec.param("message").value_or("?")) + ")";
        if (auto lib = missing_library(info.codec); !lib.empty()) {
            s.problem = "encoded with " + lib + ", which this tinman was built without";
        } else if (info.codec.name == "ndarray") {
            if (auto dtype = info.codec.param("dtype")) s.dtype = *dtype;
            if (const AnyArrayCodec any{info.codec}; any.layout() != nullptr) s.fields = any.layout()->to_string();
            observe_all(s, reader.read_channel<AnyArrayCodec>(info.name), false);
        } else if (is_encoded_array(info.codec)) {  // decodes every record: shapes may vary
            if (auto dtype = info.codec.param("dtype")) s.dtype = *dtype;
            observe_all(s, reader.read_channel(info.name, EncodedArrayCodec{info.codec}), false);
        }
    } catch (const error& e) {
        s.status = "unreadable";
        s.problem = e.what();
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
        if (!codec.is_numpy_codec()) {
            s.status = "unsupported";
            s.problem = "codec " + codec.qualified() + " cannot be decoded";
            return s;
        }
        observe_all(s, reader.read_channel(name), true);
    } catch (const error& e) {
        s.status = "unreadable";
        s.problem = e.what();
    }
    return s;
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
            {"problem", s.problem}};
}

void print_summary_table(const std::vector<Summary>& rows) {
    std::vector<std::vector<std::string>> cells;
    for (const Summary& s : rows) {
        char duration[32] = "-", rate[32] = "-";
        if (s.first) std::snprintf(duration, sizeof duration, "%.3f s", s.duration_s());
        if (s.rate()) std::snprintf(rate, sizeof rate, "%.1f/s", *s.rate());
        cells.push_back({s.name, s.format, s.codec, s.dtype, s.shape, std::to_string(s.records),
                         s.first ? iso_time(*s.first) : "-", s.last ? iso_time(*s.last) : "-", duration,
                         human_bytes(s.bytes), rate, s.status});
    }
    print_table({{"CHANNEL"}, {"FORMAT"}, {"CODEC"}, {"DTYPE"}, {"SHAPE"}, {"RECORDS", true}, {"FIRST"}, {"LAST"},
                 {"DURATION", true}, {"SIZE", true}, {"RATE", true}, {"STATUS"}},
                cells);
    for (const Summary& s : rows)
        if (!s.fields.empty()) std::cout << s.name << ": struct " << s.fields << '\n';
    for (const Summary& s : rows)
        if (!s.problem.empty()) std::cout << s.name << ": " << s.status << ": " << s.problem << '\n';
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
        print_json({{"directory", options.dir.string()}, {"channels", std::move(channels)}});
    } else if (rows.empty()) {
        std::cout << "no channels in '" << options.dir.string() << "'\n";
    } else {
        print_summary_table(rows);
    }
    return exit_ok;
}

}  // namespace

const Command info_command{"info", "Channels: codec, dtype, shape, records, time range, size, rate", declare, run};

}  // namespace tinman::cli
