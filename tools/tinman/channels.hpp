#pragma once
/// @file
/// The channels of a log directory in either format: `<name>.tinman` (this
/// library) and `<name>.blog` (Python tinman), found by name or listed.

#include <filesystem>
#include <string>
#include <vector>

#include <tinman/channel/oblog_reader.hpp>
#include <tinman/python/blog_reader.hpp>

namespace tinman::cli {

enum class Format { tinman, python };

/// A channel of a log directory and the format of its file.
struct ChannelRef {
    std::string name;
    Format format = Format::tinman;

    /// How output names it: "imu", or "imu.blog" for a Python tinman channel.
    [[nodiscard]] std::string label() const { return format == Format::python ? name + ".blog" : name; }
};

/// Every channel of `dir`: the .tinman ones, then the .blog ones, each sorted.
/// Throws `log_not_found` when `dir` is not a directory.
[[nodiscard]] inline std::vector<ChannelRef> list_channels(const std::filesystem::path& dir) {
    std::vector<ChannelRef> out;
    for (auto& name : ObLogReader{dir}.channel_names()) out.push_back({std::move(name), Format::tinman});
    for (auto& name : python::BlogReader{dir}.channel_names()) out.push_back({std::move(name), Format::python});
    return out;
}

/// Channel `name` of `dir` (a .tinman file if there are both). Throws
/// `channel_not_found` listing the channels there when there is none.
[[nodiscard]] inline ChannelRef find_channel(const std::filesystem::path& dir, const std::string& name) {
    const auto channels = list_channels(dir);
    try {
        validate_channel_name(name);
    } catch (const channel_error& e) {
        throw channel_not_found({.channel = e.context().channel, .path = dir}, e.reason());
    }
    std::string known;
    for (const auto& c : channels) {
        if (c.name == name) return c;
        known += (known.empty() ? "" : ", ") + c.name + (c.format == Format::python ? " (.blog)" : "");
    }
    throw channel_not_found({.channel = name, .path = dir},
                            known.empty() ? "it has no channels" : "channels: " + known);
}

/// The channels `names` of `dir`, or all of them when `names` is empty.
[[nodiscard]] inline std::vector<ChannelRef> select_channels(const std::filesystem::path& dir,
                                                             const std::vector<std::string>& names) {
    if (names.empty()) return list_channels(dir);
    std::vector<ChannelRef> out;
    for (const auto& name : names) out.push_back(find_channel(dir, name));
    return out;
}

}  // namespace tinman::cli
