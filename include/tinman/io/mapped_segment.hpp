#pragma once
/// @file
/// A read-only memory mapping of a file range, shared by everything decoded from it.

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>

#include "../detail/posix.hpp"
#include "read_ahead.hpp"

namespace tinman {

class MappedSegment;

/// Shared ownership of a mapping: every value decoded from a file holds one,
/// so the mapping lives exactly as long as the last of them.
using SegmentPtr = std::shared_ptr<const MappedSegment>;

/// A read-only (`PROT_READ`, `MAP_SHARED`) mapping of bytes [offset, offset + size) of a file.
/// Pages are read from disk only when touched. Appending to the file never
/// invalidates the mapping; shrinking the file under it would (SIGBUS), which
/// is why the library only ever cuts a file on an explicit request.
class MappedSegment {
public:
    /// Maps the first `size` bytes of the open file `fd` (an empty segment when `size` is 0).
    [[nodiscard]] static SegmentPtr map(int fd, std::uint64_t size, std::filesystem::path path,
                                        ReadAhead access = ReadAhead::normal) {
        return map(fd, 0, size, std::move(path), access);
    }

    /// Maps `size` bytes of `fd` from `offset`, which must be a multiple of the page size.
    [[nodiscard]] static SegmentPtr map(int fd, std::uint64_t offset, std::uint64_t size, std::filesystem::path path,
                                        ReadAhead access = ReadAhead::normal) {
        return SegmentPtr(new MappedSegment(fd, offset, size, std::move(path), access));
    }

    /// The page size: offsets given to `map` are multiples of it.
    [[nodiscard]] static std::uint64_t page_size() noexcept {
        static const auto size = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
        return size;
    }

    /// Maps the whole of the file at `path` as it is now.
    [[nodiscard]] static SegmentPtr map(const std::filesystem::path& path) {
        const auto fd = detail::open_read_only(path);
        return map(fd.get(), detail::file_size(fd.get(), path), path);
    }

    MappedSegment(const MappedSegment&) = delete;
    MappedSegment& operator=(const MappedSegment&) = delete;
    ~MappedSegment() {
        if (data_ != nullptr) ::munmap(const_cast<std::byte*>(data_), size_);
    }

    /// The mapped bytes: those of the file from `offset()` on.
    [[nodiscard]] std::span<const std::byte> bytes() const noexcept { return {data_, size_}; }
    /// File offset of the first mapped byte.
    [[nodiscard]] std::uint64_t offset() const noexcept { return offset_; }
    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    /// The file this segment maps, for messages.
    [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
    /// True when `p` points into the mapping.
    [[nodiscard]] bool contains(const void* p) const noexcept {
        const auto* b = static_cast<const std::byte*>(p);
        return data_ != nullptr && b >= data_ && b < data_ + size_;
    }

private:
    MappedSegment(int fd, std::uint64_t offset, std::uint64_t size, std::filesystem::path path, ReadAhead access)
        : offset_(offset), path_(std::move(path)) {
        if (size == 0) return;
        if (size > SIZE_MAX) throw format_error({.path = path_}, "too large to map");
        void* p = ::mmap(nullptr, static_cast<std::size_t>(size), PROT_READ, MAP_SHARED, fd, static_cast<off_t>(offset));
        if (p == MAP_FAILED) detail::throw_errno({.path = path_}, "cannot map");
        data_ = static_cast<const std::byte*>(p);
        size_ = static_cast<std::size_t>(size);
        // Advice only: a kernel that refuses it reads as it would anyway.
        if (access != ReadAhead::normal)
            (void)::madvise(p, size_, access == ReadAhead::random ? MADV_RANDOM : MADV_SEQUENTIAL);
    }

    const std::byte* data_ = nullptr;
    std::size_t size_ = 0;
    std::uint64_t offset_ = 0;
    std::filesystem::path path_;
};

}  // namespace tinman
