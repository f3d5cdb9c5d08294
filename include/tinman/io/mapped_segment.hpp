#pragma once
/// @file
/// A read-only memory mapping of a file range, shared by everything decoded from it.

#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <new>
#include <span>
#include <utility>

#include "../detail/posix.hpp"
#include "read_ahead.hpp"

// Linux 5.14; older headers lack the name, older kernels refuse it with EINVAL.
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif

namespace tinman {

class MappedSegment;

/// Shared ownership of a mapping: every value decoded from a file holds one,
/// so the mapping lives exactly as long as the last of them.
using SegmentPtr = std::shared_ptr<const MappedSegment>;

namespace detail {

/// One `mmap` region, or page-aligned memory holding bytes read from a file;
/// unmapped (or freed) when the last segment seeing it goes.
struct Mapping {
    std::byte* base = nullptr;
    std::size_t length = 0;
    bool mapped = true;  // false: `base` is `operator new` memory, aligned to `page`
    /// Bytes [0, n) were populated once: a later scan of them needs no system call
    /// (pages the kernel reclaims since then simply fault in again).
    mutable std::atomic<std::size_t> populated_prefix{0};
    /// The `ReadAhead` last advised (-1: none yet), so that advising it again costs no
    /// system call; guarded so that it always says what the kernel was told last.
    mutable std::mutex advice_mutex;
    mutable int advice = -1;

    static constexpr std::align_val_t page{4096};

    Mapping(std::byte* b, std::size_t n, bool is_mapped = true) noexcept : base(b), length(n), mapped(is_mapped) {}
    Mapping(const Mapping&) = delete;
    Mapping& operator=(const Mapping&) = delete;
    ~Mapping() {
        if (mapped) ::munmap(base, length);
        else ::operator delete(base, page);
    }
};

[[nodiscard]] inline int madvice_for(ReadAhead access) noexcept {
    switch (access) {
    case ReadAhead::sequential: return MADV_SEQUENTIAL;
    case ReadAhead::random: return MADV_RANDOM;
    case ReadAhead::normal: break;
    }
    return MADV_NORMAL;
}

}  // namespace detail

/// A read-only (`PROT_READ`, `MAP_SHARED`) mapping of bytes [offset, offset + size) of a file.
/// Pages are read from disk only when touched. Appending to the file never
/// invalidates the mapping; shrinking the file under it would (SIGBUS), which
/// is why the library only ever cuts a file on an explicit request.
///
/// A mapping may reserve address space past the file's end (`capacity()`), so
/// that a file that grows is seen through the same mapping (`grown`), with the
/// pages already mapped kept: nothing past `size()` is ever read.
class MappedSegment {
public:
    /// Maps the first `size` bytes of the open file `fd` (an empty segment when `size` is 0).
    [[nodiscard]] static SegmentPtr map(int fd, std::uint64_t size, std::filesystem::path path,
                                        ReadAhead access = ReadAhead::normal) {
        return map(fd, 0, size, std::move(path), access);
    }

    /// Maps `size` bytes of `fd` from `offset`, which must be a multiple of the page
    /// size, reserving address space for `capacity` bytes (at least `size`).
    [[nodiscard]] static SegmentPtr map(int fd, std::uint64_t offset, std::uint64_t size, std::filesystem::path path,
                                        ReadAhead access = ReadAhead::normal, std::uint64_t capacity = 0) {
        return SegmentPtr(new MappedSegment(fd, offset, size, capacity < size ? size : capacity, std::move(path),
                                            access));
    }

    /// The page size: offsets given to `map` are multiples of it.
    [[nodiscard]] static std::uint64_t page_size() noexcept {
        static const auto size = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
        return size;
    }

    /// The first `size` bytes of the open file `fd`, read (`pread`) into page-aligned
    /// memory instead of mapped: for a few KiB, one system call costs less than the
    /// page faults and `munmap` of a mapping. Fewer bytes if the file is shorter now.
    [[nodiscard]] static SegmentPtr read(int fd, std::uint64_t size, std::filesystem::path path) {
        if (size > (std::uint64_t{1} << 30)) throw usage_error({.path = path}, "too large to read into memory");
        const auto n = static_cast<std::size_t>(size);
        auto* base = static_cast<std::byte*>(::operator new(n == 0 ? 1 : n, detail::Mapping::page));
        std::shared_ptr<const detail::Mapping> mapping;
        try {
            mapping = std::make_shared<const detail::Mapping>(base, n, false);  // owns `base` from here
        } catch (...) {
            ::operator delete(base, detail::Mapping::page);
            throw;
        }
        const ssize_t got = detail::read_all_at(fd, base, n, 0);
        if (got < 0) detail::throw_errno({.path = path}, "cannot read");
        return SegmentPtr(new MappedSegment(std::move(mapping), 0, static_cast<std::size_t>(got), std::move(path)));
    }

    /// Maps the whole of the file at `path` as it is now.
    [[nodiscard]] static SegmentPtr map(const std::filesystem::path& path) {
        const auto fd = detail::open_read_only(path);
        return map(fd.get(), detail::file_size(fd.get(), path), path);
    }

    MappedSegment(const MappedSegment&) = delete;
    MappedSegment& operator=(const MappedSegment&) = delete;
    ~MappedSegment() = default;

    /// The mapped bytes: those of the file from `offset()` on.
    [[nodiscard]] std::span<const std::byte> bytes() const noexcept { return {data_, size_}; }
    /// File offset of the first mapped byte.
    [[nodiscard]] std::uint64_t offset() const noexcept { return offset_; }
    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    /// Bytes the mapping can show without mapping again (see `grown`).
    [[nodiscard]] std::size_t capacity() const noexcept { return mapping_ ? mapping_->length : 0; }
    /// The file this segment maps, for messages.
    [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
    /// True when the bytes are a mapping of the file; false when they were read
    /// into memory (`read`), which sees no later change to the file.
    [[nodiscard]] bool mapped() const noexcept { return !mapping_ || mapping_->mapped; }
    /// True when `p` points into the mapping.
    [[nodiscard]] bool contains(const void* p) const noexcept {
        const auto* b = static_cast<const std::byte*>(p);
        return data_ != nullptr && b >= data_ && b < data_ + size_;
    }

    /// The same mapping showing `size` bytes, for a file that grew (or shrank) to
    /// `offset() + size`; null when `size` exceeds `capacity()` (map again then), or
    /// `size()` for bytes that were read, not mapped.
    [[nodiscard]] SegmentPtr grown(std::uint64_t size) const {
        if (size > capacity() || (!mapped() && size > size_)) return nullptr;  // bytes read hold no more
        return SegmentPtr(new MappedSegment(mapping_, offset_, static_cast<std::size_t>(size), path_));
    }

    /// Tells the kernel how the whole mapping will be read from now on. Unless at
    /// random, it may also fill the page cache with huge (2 MiB) folios, which later
    /// mappings of the file map with one page-table entry each instead of 512.
    void advise(ReadAhead access) const noexcept {
        if (!mapping_ || !mapping_->mapped) return;
        std::lock_guard lock(mapping_->advice_mutex);
        const int before = std::exchange(mapping_->advice, static_cast<int>(access));
        if (before == static_cast<int>(access)) return;
        // Advice only: a kernel that refuses it reads as it would anyway. Huge folios make
        // touching a page once much cheaper where page tables are costly to fill (about 30x
        // measured on a VM that shadows them), and unmapping too; a random read would
        // bring in 2 MiB for one record, so random access advises against them.
        if (before != -1 || access != ReadAhead::normal)  // a new mapping reads normally already
            (void)::madvise(mapping_->base, mapping_->length, detail::madvice_for(access));
        (void)::madvise(mapping_->base, mapping_->length, access == ReadAhead::random ? MADV_NOHUGEPAGE : MADV_HUGEPAGE);
    }

    /// Reads bytes [from, to) of the segment into the page cache and maps them, in
    /// one system call (`MADV_POPULATE_READ`), so that touching them later faults
    /// no page; on kernels without it, starts reading them ahead (`MADV_WILLNEED`).
    void populate(std::size_t from, std::size_t to) const noexcept {
        if (to > size_) to = size_;
        if (from >= to || !mapping_ || !mapping_->mapped) return;
        const std::size_t page = static_cast<std::size_t>(page_size());
        const std::size_t begin = from / page * page;
        const std::size_t end = (to + page - 1) / page * page;  // the page holding the last byte lies inside the file
        const std::size_t first = static_cast<std::size_t>(data_ - mapping_->base) + begin;  // offsets in the mapping
        const std::size_t last = first + (end - begin);
        std::size_t prefix = mapping_->populated_prefix.load(std::memory_order_relaxed);
        if (last <= prefix) return;
        static std::atomic<bool> populate_works{true};
        if (populate_works.load(std::memory_order_relaxed)) {
            if (::madvise(const_cast<std::byte*>(data_) + begin, end - begin, MADV_POPULATE_READ) == 0) {
                while (first <= prefix && last > prefix &&
                       !mapping_->populated_prefix.compare_exchange_weak(prefix, last, std::memory_order_relaxed)) {
                }
                return;
            }
            if (errno != EINVAL) return;
            populate_works.store(false, std::memory_order_relaxed);
        }
        (void)::madvise(const_cast<std::byte*>(data_) + begin, end - begin, MADV_WILLNEED);
    }

private:
    MappedSegment(int fd, std::uint64_t offset, std::uint64_t size, std::uint64_t capacity, std::filesystem::path path,
                  ReadAhead access)
        : offset_(offset), path_(std::move(path)) {
        if (capacity == 0) return;
        if (capacity > SIZE_MAX) throw format_error({.path = path_}, "too large to map");
        void* p = ::mmap(nullptr, static_cast<std::size_t>(capacity), PROT_READ, MAP_SHARED, fd,
                         static_cast<off_t>(offset));
        if (p == MAP_FAILED) detail::throw_errno({.path = path_}, "cannot map");
        mapping_ = std::make_shared<const detail::Mapping>(static_cast<std::byte*>(p), static_cast<std::size_t>(capacity));
        data_ = mapping_->base;
        size_ = static_cast<std::size_t>(size);
        advise(access);
    }

    MappedSegment(std::shared_ptr<const detail::Mapping> mapping, std::uint64_t offset, std::size_t size,
                  std::filesystem::path path)
        : mapping_(std::move(mapping)), data_(mapping_ ? mapping_->base : nullptr), size_(size), offset_(offset), path_(std::move(path)) {}

    std::shared_ptr<const detail::Mapping> mapping_;
    const std::byte* data_ = nullptr;
    std::size_t size_ = 0;
    std::uint64_t offset_ = 0;
    std::filesystem::path path_;
};

}  // namespace tinman
