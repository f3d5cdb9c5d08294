#pragma once
/// @file
/// `detail::RememberedHead`: the head (dtype and shape) of the last array payload a
/// decoder parsed, so that the next payload of that dtype and shape is recognised by
/// comparing bytes, not parsed again (the decoders of `NdArrayCodec`, `AnyArrayCodec`).

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "../detail/endian.hpp"

namespace tinman::detail {

class RememberedHead {
public:
    /// True when `payload` is the remembered head followed by as many body bytes as before.
    [[nodiscard]] bool matches(std::span<const std::byte> payload) const noexcept {
        if (size_ == 0 || payload.size() != size_ + body_bytes_) return false;
        const std::byte* p = payload.data();
        std::uint64_t diff = 0;
        std::size_t i = 0;  // 8 bytes at a time: heads are short
        for (; i + 8 <= size_; i += 8) diff |= load_le<std::uint64_t>(p + i) ^ load_le<std::uint64_t>(head_.data() + i);
        for (; i < size_; ++i) diff |= std::to_integer<std::uint64_t>(p[i] ^ head_[i]);
        return diff == 0;
    }

    /// Remembers the first `head_size` bytes of `payload` (and the size of the rest);
    /// false, remembering nothing, for a head too long to keep (arrays of over 14 dimensions).
    bool remember(std::span<const std::byte> payload, std::size_t head_size) noexcept {
        size_ = 0;
        if (head_size == 0 || head_size > head_.size() || head_size > payload.size()) return false;
        std::memcpy(head_.data(), payload.data(), head_size);
        size_ = head_size;
        body_bytes_ = payload.size() - head_size;
        return true;
    }

    /// The remembered head's size (0: nothing remembered).
    [[nodiscard]] std::size_t size() const noexcept { return size_; }

private:
    std::array<std::byte, 128> head_{};
    std::size_t size_ = 0;
    std::size_t body_bytes_ = 0;
};

}  // namespace tinman::detail
