#pragma once
/// @file
/// `detail::CheckedMaxima`: the index files whose running maxima this process has
/// already checked (see `TimeIndex`), so that a time-range read through a new reader
/// does not read a whole index file again to check what an earlier one did.

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <span>

#include "index_format.hpp"

namespace tinman::detail {

/// What identifies an index file's checked entries: the file (device, inode), its
/// size and modification time, how many entries were checked and the bytes of the
/// last of them. tinman writes index files by appending or replaces them by renaming,
/// so any change it makes to checked entries changes one of these. (An index file
/// rewritten in place by other means, at the same size, with its last entry as it was,
/// within the file system's timestamp granularity, would not be checked again.)
struct IndexFileIdentity {
    std::uint64_t device = 0, inode = 0, size = 0;
    std::int64_t mtime_s = 0, mtime_ns = 0;
    std::uint64_t entries = 0;
    std::array<std::byte, format::index_entry_size> last{};

    [[nodiscard]] bool operator==(const IndexFileIdentity&) const = default;

    /// The identity of the first `entries` (> 0) entries of the index file open as `fd`,
    /// whose bytes are `file`; nullopt if it cannot be told.
    [[nodiscard]] static std::optional<IndexFileIdentity> of(int fd, std::span<const std::byte> file,
                                                             std::uint64_t entries) noexcept {
        struct stat st {};
        const std::uint64_t end = format::index_header_size + entries * format::index_entry_size;
        if (entries == 0 || ::fstat(fd, &st) != 0 || end > file.size()) return std::nullopt;
        IndexFileIdentity id;
        id.device = static_cast<std::uint64_t>(st.st_dev);
        id.inode = static_cast<std::uint64_t>(st.st_ino);
        id.size = static_cast<std::uint64_t>(st.st_size);
        id.mtime_s = static_cast<std::int64_t>(st.st_mtim.tv_sec);
        id.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_nsec);
        id.entries = entries;
        std::memcpy(id.last.data(), file.data() + end - format::index_entry_size, format::index_entry_size);
        return id;
    }
};

/// The last few index files checked in this process (thread-safe).
class CheckedMaxima {
public:
    [[nodiscard]] static CheckedMaxima& instance() {
        static CheckedMaxima checked;
        return checked;
    }
    [[nodiscard]] bool contains(const IndexFileIdentity& id) const {
        std::lock_guard lock(mutex_);
        return std::find(ids_.begin(), ids_.end(), id) != ids_.end();
    }
    void add(const IndexFileIdentity& id) {
        std::lock_guard lock(mutex_);
        if (std::find(ids_.begin(), ids_.end(), id) != ids_.end()) return;
        if (ids_.size() == capacity) ids_.pop_front();
        ids_.push_back(id);
    }

private:
    static constexpr std::size_t capacity = 256;
    mutable std::mutex mutex_;
    std::deque<IndexFileIdentity> ids_;
};

}  // namespace tinman::detail
