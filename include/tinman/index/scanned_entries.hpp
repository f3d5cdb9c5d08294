#pragma once
/// @file
/// `ScannedEntries`: the index entries a reader found by scanning a channel, in
/// memory while few, then in an unnamed temporary file that is mapped, so that
/// indexing a channel of 10^8 records costs page cache, not gigabytes of heap.

#include <fcntl.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <type_traits>
#include <vector>

#include "../detail/byte_buffer.hpp"
#include "../detail/posix.hpp"
#include "../io/mapped_segment.hpp"
#include "index_format.hpp"

namespace tinman {

/// An append-only array of index entries: the first `memory_entries` in a vector,
/// the rest written to an unnamed file in the temporary directory (`O_TMPFILE`,
/// gone when closed) and mapped by `finish()`. Where no such file can be made,
/// all stay in memory. Not thread-safe.
class ScannedEntries {
public:
    static_assert(std::is_trivially_copyable_v<format::IndexEntry>);
    static constexpr std::size_t memory_entries = std::size_t{1} << 15;  // 1 MiB

    void clear() {
        memory_.clear();
        spill_.reset();
        pending_.clear();
        mapped_.reset();
        spilled_ = 0;
        spill_failed_ = false;
    }

    void push_back(const format::IndexEntry& e) {
        if (memory_.size() < memory_entries || (!spill_ && !start_spill())) return memory_.push_back(e);
        std::memcpy(pending_.grow(sizeof e), &e, sizeof e);
        if (pending_.size() >= batch_bytes) write_pending();
    }

    /// Call once every entry was added: maps the spilled ones.
    void finish() {
        if (!spill_) return;
        write_pending();
        mapped_ = MappedSegment::map(spill_.get(), spilled_ * entry_size, "(scanned time index)");
    }

    [[nodiscard]] std::size_t size() const noexcept { return memory_.size() + static_cast<std::size_t>(spilled_); }
    [[nodiscard]] bool empty() const noexcept { return size() == 0; }

    /// Entry `i < size()` (after `finish()`).
    [[nodiscard]] format::IndexEntry operator[](std::size_t i) const noexcept {
        if (i < memory_.size()) return memory_[i];
        format::IndexEntry e;
        std::memcpy(&e, mapped_->bytes().data() + (i - memory_.size()) * entry_size, sizeof e);
        return e;
    }

private:
    static constexpr std::size_t entry_size = sizeof(format::IndexEntry);
    static constexpr std::size_t batch_bytes = std::size_t{1} << 20;

    bool start_spill() {
        if (spill_failed_) return false;
        std::error_code ec;
        const auto dir = std::filesystem::temp_directory_path(ec);
        if (!ec) spill_ = detail::FileHandle{::open(dir.c_str(), O_RDWR | O_TMPFILE | O_CLOEXEC, 0600)};
        spill_failed_ = !spill_;
        return !spill_failed_;
    }

    void write_pending() {
        const auto r = detail::write_all_at(spill_.get(), spilled_ * entry_size, pending_.bytes());
        if (r.error != 0) throw io_error({.path = "(scanned time index)"}, "cannot write the scanned time index", r.error);
        spilled_ += pending_.size() / entry_size;
        pending_.clear();
    }

    std::vector<format::IndexEntry> memory_;
    detail::FileHandle spill_;
    detail::ByteBuffer pending_;
    SegmentPtr mapped_;
    std::uint64_t spilled_ = 0;
    bool spill_failed_ = false;
};

}  // namespace tinman
