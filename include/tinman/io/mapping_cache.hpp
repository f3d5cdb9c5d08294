#pragma once
/// @file
/// `MappingCache`: one mapping per file, reused by every reader of a log, so that
/// reading a channel again neither maps it again nor faults its pages in again.

#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>

#include "../detail/posix.hpp"
#include "mapped_segment.hpp"

namespace tinman::detail {

/// Address space reserved past a file's end, so that it can grow under a mapping.
[[nodiscard]] inline std::uint64_t mapping_capacity_for(std::uint64_t size) noexcept {
    constexpr std::uint64_t min_spare = std::uint64_t{64} << 20;
    const std::uint64_t spare = size / 2 > min_spare ? size / 2 : min_spare;
    const std::uint64_t page = MappedSegment::page_size();
    return (size + spare + page - 1) / page * page;
}

/// The mappings of the files of one log, keyed by path and checked against the
/// file's identity (a replaced file is mapped anew). Thread-safe. A cached
/// mapping lives as long as the cache or the last value that points into it.
class MappingCache {
public:
    /// The whole of the open regular file `fd` (at `path`), with `access` advice:
    /// the cached mapping when it is of this file and has room for its current
    /// size, else a new one (with room to grow), which replaces it in the cache.
    [[nodiscard]] SegmentPtr map(int fd, const std::filesystem::path& path, ReadAhead access) {
        const FileIdentity id = file_identity(fd, path);
        std::lock_guard lock(mutex_);
        Entry& e = entries_[path.native()];
        if (e.segment && e.id.same_file(id)) {
            if (auto segment = e.segment->grown(id.size)) {
                segment->advise(access);
                return segment;
            }
        }
        e.id = id;
        e.segment = MappedSegment::map(fd, 0, id.size, path, access, mapping_capacity_for(id.size));
        return e.segment;
    }

    /// The cached mapping of the file `id` (at `path`), grown to its current size
    /// and given `access` advice; null when there is none to reuse.
    [[nodiscard]] SegmentPtr find(const FileIdentity& id, const std::filesystem::path& path, ReadAhead access) {
        std::lock_guard lock(mutex_);
        const auto it = entries_.find(path.native());
        if (it == entries_.end() || !it->second.segment || !it->second.id.same_file(id)) return nullptr;
        auto segment = it->second.segment->grown(id.size);
        if (segment) segment->advise(access);
        return segment;
    }

private:
    struct Entry {
        FileIdentity id;
        SegmentPtr segment;
    };
    std::mutex mutex_;
    std::map<std::string, Entry> entries_;
};

}  // namespace tinman::detail
