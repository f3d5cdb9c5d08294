#pragma once
/// @file
/// `FileReads`: small reads of a large file by `pread`, for lookups that need a
/// few hundred bytes of it (a header, an index entry, one record): no mapping,
/// so no page fault per page touched and no `munmap` afterwards.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "../detail/posix.hpp"

namespace tinman::detail {

/// Reads a file of `size` bytes open as `fd` in windows of up to 4 KiB; a read
/// that the last window holds costs no system call. Every result is clipped to
/// the file's size as given; nullopt when the file returns fewer bytes (it
/// shrank) or a read fails.
class FileReads {
public:
    static constexpr std::size_t window = 4096;

    FileReads(int fd, std::uint64_t size) noexcept : fd_(fd), size_(size) {}

    [[nodiscard]] std::uint64_t size() const noexcept { return size_; }

    /// The bytes [pos, pos + n) of the file, n <= `window`, fewer at the end of the
    /// file; valid until the next call.
    [[nodiscard]] std::optional<std::span<const std::byte>> bytes(std::uint64_t pos, std::size_t n) noexcept {
        if (pos > size_) return std::nullopt;
        n = static_cast<std::size_t>(std::min<std::uint64_t>({n, window, size_ - pos}));
        if (pos < start_ || pos + n > start_ + filled_) {
            const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(window, size_ - pos));
            if (!read_exactly(buffer_.data(), want, pos)) {
                filled_ = 0;
                return std::nullopt;
            }
            start_ = pos;
            filled_ = want;
        }
        return std::span<const std::byte>{buffer_.data() + (pos - start_), n};
    }

    /// Calls `f(chunk)` on the bytes [pos, pos + n) in file order: the window when it
    /// holds them, else chunks of up to 256 KiB (one system call each, not one per
    /// page). False when they could not all be read.
    template <class F>
    [[nodiscard]] bool for_each_chunk(std::uint64_t pos, std::uint64_t n, F&& f) {
        if (pos > size_ || n > size_ - pos) return false;
        if (n <= window) {
            const auto part = bytes(pos, static_cast<std::size_t>(n));
            if (!part || part->size() != n) return false;
            f(*part);
            return true;
        }
        constexpr std::uint64_t chunk = std::uint64_t{256} << 10;
        std::vector<std::byte> buffer(static_cast<std::size_t>(std::min(n, chunk)));
        while (n > 0) {
            const auto part = static_cast<std::size_t>(std::min<std::uint64_t>(n, buffer.size()));
            if (!read_exactly(buffer.data(), part, pos)) return false;
            f(std::span<const std::byte>{buffer.data(), part});
            pos += part;
            n -= part;
        }
        return true;
    }

    /// Reads exactly `n` bytes at `pos` into `out`.
    [[nodiscard]] bool read_exactly(std::byte* out, std::size_t n, std::uint64_t pos) const noexcept {
        return read_all_at(fd_, out, n, pos) == static_cast<ssize_t>(n);
    }

private:
    int fd_;
    std::uint64_t size_;
    std::uint64_t start_ = 0;  // the window holds the file's bytes [start_, start_ + filled_)
    std::size_t filled_ = 0;
    alignas(8) std::array<std::byte, window> buffer_;
};

}  // namespace tinman::detail
