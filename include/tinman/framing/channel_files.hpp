#pragma once
/// @file
/// The files of a log directory: channel names, the file each one lives in
/// (a name can never reach outside its directory), its time index beside it,
/// and the listing of a directory's channels.

#include <dirent.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "../detail/posix.hpp"
#include "../error.hpp"
#include "file_header.hpp"

namespace tinman {

/// Longest channel name in bytes: leaves room under NAME_MAX (255) for the suffix and temporary names.
inline constexpr std::size_t max_channel_name_size = 200;

/// Why `name` is not a valid channel name, or an empty string if it is.
/// A name is 1..200 bytes with no '/', '\\', NUL or control character, no "..", and no leading '.'.
[[nodiscard]] inline std::string channel_name_problem(std::string_view name) {
    if (name.empty()) return "is empty";
    if (name.size() > max_channel_name_size)
        return "is longer than " + std::to_string(max_channel_name_size) + " bytes";
    if (name.front() == '.') return "starts with '.'";
    if (name.find("..") != std::string_view::npos) return "contains \"..\"";
    for (char c : name) {
        if (c == '/' || c == '\\') return "contains a path separator";
        if (c == '\0') return "contains a NUL byte";
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return "contains a control character";
    }
    return {};
}

/// Throws `channel_error` unless `name` is a valid channel name.
inline void validate_channel_name(std::string_view name) {
    if (auto problem = channel_name_problem(name); !problem.empty()) {
        std::string shown;
        for (char c : name) shown += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
        throw channel_error({.channel = shown}, "invalid channel name: " + problem);
    }
}

/// The file of channel `name` in log directory `dir` (the name is validated).
[[nodiscard]] inline std::filesystem::path channel_path(const std::filesystem::path& dir, std::string_view name) {
    validate_channel_name(name);
    return dir / (std::string(name) + std::string(format::channel_suffix));
}

namespace format {
/// File name suffix of a channel's time index: `<dir>/<channel>.tinman-index`.
inline constexpr std::string_view index_suffix = ".tinman-index";
}  // namespace format

/// The time index file of the channel file at `channel_file`: `<dir>/<channel>.tinman-index`.
[[nodiscard]] inline std::filesystem::path index_path_for(const std::filesystem::path& channel_file) {
    auto p = channel_file;
    p.replace_extension(format::index_suffix);
    return p;
}

/// Throws `log_not_found` unless `dir` is a directory (what log readers open).
inline void require_log_directory(const std::filesystem::path& dir) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec))
        throw log_not_found({.path = dir}, std::filesystem::exists(dir, ec) ? "not a directory" : "no log directory");
}

/// The sorted names of the channels in `dir`: stems of files ending in `suffix`
/// that are valid channel names.
[[nodiscard]] inline std::vector<std::string> channel_names_in(const std::filesystem::path& dir,
                                                              std::string_view suffix) {
    std::vector<std::string> names;
    // readdir, not std::filesystem::directory_iterator: half the system calls, for a listing
    // that summaries of a few channels wait for.
    const std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), &::closedir);
    if (!d) detail::throw_errno({.path = dir}, "cannot list the directory");
    errno = 0;
    while (const dirent* entry = ::readdir(d.get())) {
        const std::string_view file = entry->d_name;
        if (file.size() > suffix.size() && file.ends_with(suffix)) {
            std::string name(file.substr(0, file.size() - suffix.size()));
            if (channel_name_problem(name).empty()) names.push_back(std::move(name));
        }
        errno = 0;
    }
    if (errno != 0) detail::throw_errno({.path = dir}, "cannot list the directory");
    std::sort(names.begin(), names.end());
    return names;
}

}  // namespace tinman
