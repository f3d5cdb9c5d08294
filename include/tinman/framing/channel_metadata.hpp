#pragma once
/// @file
/// `ChannelMetadata`: key/value pairs fixed when a channel is created (units,
/// frame ids), stored in the channel file header as lines "<key>=<value>\n"
/// (docs/format.md, "Channel metadata").

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../detail/utf8.hpp"
#include "../error.hpp"
#include "codec_descriptor.hpp"

namespace tinman {

namespace format {
/// Largest metadata block a channel file may hold.
inline constexpr std::size_t max_metadata_size = std::size_t{1} << 20;
}  // namespace format

/// Key/value pairs describing a channel, in the order given at creation. Keys
/// are 1+ bytes of [A-Za-z0-9_.-], unique; values are UTF-8 without '\n' or NUL.
///
///     tinman::ChannelMetadata{{"units", "m/s^2"}, {"frame_id", "imu_link"}}
class ChannelMetadata {
public:
    using entry = std::pair<std::string, std::string>;
    using const_iterator = std::vector<entry>::const_iterator;

    ChannelMetadata() = default;
    /// Throws `usage_error` for an invalid or repeated key, an invalid value, or more than 1 MiB in all.
    ChannelMetadata(std::initializer_list<entry> entries) : ChannelMetadata(std::vector<entry>(entries)) {}
    explicit ChannelMetadata(std::vector<entry> entries) : entries_(std::move(entries)) {
        if (auto why = problem(entries_); !why.empty()) throw usage_error("invalid channel metadata: " + why);
    }

    /// The value of `key`, if present.
    [[nodiscard]] std::optional<std::string_view> find(std::string_view key) const noexcept {
        for (const auto& [k, v] : entries_)
            if (k == key) return std::string_view(v);
        return std::nullopt;
    }
    [[nodiscard]] bool contains(std::string_view key) const noexcept { return find(key).has_value(); }
    /// The value of `key`; throws `usage_error` if there is none.
    [[nodiscard]] std::string_view at(std::string_view key) const {
        if (auto v = find(key)) return *v;
        throw usage_error("channel metadata has no key '" + std::string(key) + "'");
    }

    [[nodiscard]] const std::vector<entry>& entries() const noexcept { return entries_; }
    [[nodiscard]] const_iterator begin() const noexcept { return entries_.begin(); }
    [[nodiscard]] const_iterator end() const noexcept { return entries_.end(); }
    [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }
    [[nodiscard]] bool empty() const noexcept { return entries_.empty(); }

    /// "{units=m/s^2, frame_id=imu_link}", for messages.
    [[nodiscard]] std::string to_string() const {
        std::string s = "{";
        for (std::size_t i = 0; i < entries_.size(); ++i)
            s += (i ? ", " : "") + entries_[i].first + '=' + entries_[i].second;
        return s + '}';
    }

    /// The block as stored: "<key>=<value>\n" per entry.
    [[nodiscard]] std::string encode() const {
        std::string s;
        for (const auto& [k, v] : entries_) s += k + '=' + v + '\n';
        return s;
    }

    /// The metadata stored as `block`; nullopt with `why` set when it is malformed.
    [[nodiscard]] static std::optional<ChannelMetadata> parse(std::string_view block, std::string& why) {
        std::vector<entry> entries;
        while (!block.empty()) {
            const auto nl = block.find('\n');
            if (nl == std::string_view::npos) {
                why = "the last line has no '\\n'";
                return std::nullopt;
            }
            const auto line = block.substr(0, nl);
            block.remove_prefix(nl + 1);
            const auto eq = line.find('=');
            if (eq == std::string_view::npos) {
                why = "a line has no '='";
                return std::nullopt;
            }
            entries.emplace_back(line.substr(0, eq), line.substr(eq + 1));
        }
        why = problem(entries);
        if (!why.empty()) return std::nullopt;
        ChannelMetadata m;
        m.entries_ = std::move(entries);
        return m;
    }

    /// Why `entries` cannot be stored, or an empty string if they can.
    [[nodiscard]] static std::string problem(const std::vector<entry>& entries) {
        std::size_t bytes = 0;
        for (std::size_t i = 0; i < entries.size(); ++i) {
            const auto& [k, v] = entries[i];
            bool key_ok = !k.empty();
            for (char c : k) key_ok = key_ok && format::is_name_char(c);
            if (!key_ok) return "key '" + k + "' is not 1 or more of [A-Za-z0-9_.-]";
            for (std::size_t j = 0; j < i; ++j)
                if (entries[j].first == k) return "key '" + k + "' is repeated";
            if (v.find('\n') != std::string::npos || v.find('\0') != std::string::npos)
                return "the value of '" + k + "' holds a newline or NUL";
            if (!detail::is_utf8(v)) return "the value of '" + k + "' is not UTF-8";
            bytes += k.size() + v.size() + 2;
        }
        if (bytes > format::max_metadata_size)
            return std::to_string(bytes) + " bytes is more than " + std::to_string(format::max_metadata_size);
        return {};
    }

    friend bool operator==(const ChannelMetadata&, const ChannelMetadata&) = default;

private:
    std::vector<entry> entries_;
};

}  // namespace tinman
