#pragma once
/// @file
/// `RangeCrc`: the CRC32C of any byte range of a buffer in O(block) time, after
/// one pass over the buffer, so that a check trying many overlapping candidate
/// records (each claiming a payload up to the end of a damaged file) stays linear.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "crc32c.hpp"

namespace tinman {

namespace detail {

/// a * b modulo the CRC32C polynomial, both in the CRC's bit-reflected form
/// (bit 31 is the coefficient of x^0).
[[nodiscard]] constexpr std::uint32_t crc32c_multiply(std::uint32_t a, std::uint32_t b) noexcept {
    std::uint32_t product = 0;
    for (std::uint32_t bit = 1u << 31; bit != 0; bit >>= 1) {
        if (a & bit) product ^= b;
        b = (b & 1u) ? (b >> 1) ^ crc32c_poly : b >> 1;  // b * x
    }
    return product;
}

/// x^(8 n) modulo the polynomial: what appending n bytes does to a CRC's register.
[[nodiscard]] inline std::uint32_t crc32c_shift_of(std::uint64_t n) noexcept {
    // x^(2^k) for k = 3..66 by repeated squaring, so that x^(8 n) takes one product per set bit of n.
    static const auto powers = [] {
        std::array<std::uint32_t, 64> p{};
        std::uint32_t x = 1u << 30;  // x^1
        for (int k = 0; k < 3; ++k) x = crc32c_multiply(x, x);  // x^8
        for (auto& v : p) {
            v = x;
            x = crc32c_multiply(x, x);
        }
        return p;
    }();
    std::uint32_t r = 1u << 31;  // x^0
    for (std::size_t k = 0; n != 0; n >>= 1, ++k)
        if (n & 1u) r = crc32c_multiply(r, powers[k]);
    return r;
}

}  // namespace detail

/// The CRC32C of `crc32c(a ++ b)` from `crc32c(a)`, `crc32c(b)` and the length of `b`.
[[nodiscard]] inline std::uint32_t crc32c_combine(std::uint32_t crc_a, std::uint32_t crc_b,
                                                  std::uint64_t length_b) noexcept {
    return detail::crc32c_multiply(crc_a, detail::crc32c_shift_of(length_b)) ^ crc_b;
}

/// CRC32C of any range of `data` (which must outlive it): the constructor hashes
/// `data` once, keeping the CRC of every prefix that ends at a multiple of
/// `block` bytes (4 bytes of memory per block); `of(begin, end)` then hashes at
/// most two partial blocks and combines. `hashed_bytes()` counts every byte
/// hashed, so that tests can check the total work.
class RangeCrc {
public:
    static constexpr std::size_t block = 4096;

    /// `progress(offset)` is called every 64 MiB while the prefixes are computed.
    template <class Progress>
    RangeCrc(std::span<const std::byte> data, Progress&& progress) : data_(data) {
        prefixes_.reserve(data.size() / block + 1);
        std::uint32_t crc = 0;
        prefixes_.push_back(crc);
        for (std::size_t at = 0; at + block <= data.size(); at += block) {
            crc = crc32c(data.subspan(at, block), crc);
            prefixes_.push_back(crc);
            if ((at + block) % (std::size_t{64} << 20) == 0) progress(at + block);
        }
        hashed_ = (data.size() / block) * block;
    }
    explicit RangeCrc(std::span<const std::byte> data) : RangeCrc(data, [](std::uint64_t) {}) {}

    /// CRC32C of `data[begin, end)`; requires `begin <= end <= data.size()`.
    [[nodiscard]] std::uint32_t of(std::uint64_t begin, std::uint64_t end) {
        if (end - begin <= block) return hash(begin, end, 0);
        // prefix(end) = combine(prefix(begin), crc[begin, end), end - begin), solved for the range.
        return prefix(end) ^ detail::crc32c_multiply(prefix(begin), detail::crc32c_shift_of(end - begin));
    }

    [[nodiscard]] std::uint64_t hashed_bytes() const noexcept { return hashed_; }

private:
    /// CRC32C of `data[0, x)`.
    [[nodiscard]] std::uint32_t prefix(std::uint64_t x) {
        const std::uint64_t start = x / block * block;
        return hash(start, x, prefixes_[static_cast<std::size_t>(x / block)]);
    }

    [[nodiscard]] std::uint32_t hash(std::uint64_t begin, std::uint64_t end, std::uint32_t crc) {
        hashed_ += end - begin;
        return crc32c(data_.subspan(static_cast<std::size_t>(begin), static_cast<std::size_t>(end - begin)), crc);
    }

    std::span<const std::byte> data_;
    std::vector<std::uint32_t> prefixes_;  // prefixes_[k]: CRC32C of data[0, k * block)
    std::uint64_t hashed_ = 0;
};

}  // namespace tinman
