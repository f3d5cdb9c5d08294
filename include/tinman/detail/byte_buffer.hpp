#pragma once
/// @file
/// A growable byte buffer for writers: bytes are appended at the back and
/// written out from the front; growing does not initialise bytes the caller is
/// about to overwrite, and clearing keeps the memory for reuse.

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>
#include <span>

namespace tinman::detail {

class ByteBuffer {
public:
    ByteBuffer() = default;
    explicit ByteBuffer(std::size_t capacity) { reserve(capacity); }

    [[nodiscard]] std::size_t size() const noexcept { return used_; }
    [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
    [[nodiscard]] bool empty() const noexcept { return used_ == 0; }
    [[nodiscard]] std::byte* data() noexcept { return buf_.get(); }
    [[nodiscard]] const std::byte* data() const noexcept { return buf_.get(); }
    [[nodiscard]] std::span<const std::byte> bytes() const noexcept { return {buf_.get(), used_}; }

    void clear() noexcept { used_ = 0; }
    /// Clears and gives the memory back.
    void release() noexcept {
        buf_.reset();
        used_ = capacity_ = 0;
    }
    /// Forgets the last `n` bytes.
    void drop_back(std::size_t n) noexcept { used_ -= std::min(n, used_); }
    /// Forgets the first `n` bytes (they were written out).
    void drop_front(std::size_t n) noexcept {
        n = std::min(n, used_);
        if (n != used_) std::memmove(buf_.get(), buf_.get() + n, used_ - n);
        used_ -= n;
    }
    /// Room for at least `capacity` bytes in all.
    void reserve(std::size_t capacity) {
        if (capacity <= capacity_) return;
        auto bigger = std::make_unique_for_overwrite<std::byte[]>(capacity);
        if (used_) std::memcpy(bigger.get(), buf_.get(), used_);
        buf_ = std::move(bigger);
        capacity_ = capacity;
    }
    /// `n` more bytes at the end, for the caller to fill.
    [[nodiscard]] std::byte* grow(std::size_t n) {
        if (used_ + n > capacity_) reserve(std::max({capacity_ * 2, used_ + n, std::size_t{4096}}));
        std::byte* at = buf_.get() + used_;
        used_ += n;
        return at;
    }
    /// Appends `bytes`.
    void append(std::span<const std::byte> bytes) {
        if (!bytes.empty()) std::memcpy(grow(bytes.size()), bytes.data(), bytes.size());
    }

private:
    std::unique_ptr<std::byte[]> buf_;
    std::size_t used_ = 0;
    std::size_t capacity_ = 0;
};

}  // namespace tinman::detail
