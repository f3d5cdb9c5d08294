#pragma once
/// @file
/// The uniform-layout claim a writer keeps in its time index header: records
/// `0..n-1` have the same payload size and head, and their bodies lie at a fixed
/// stride (docs/format.md, "Uniform channels"). It lets a reader view a whole
/// channel as one strided array after checking two records instead of all.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <vector>

#include "../detail/endian.hpp"
#include "../framing/crc32c.hpp"
#include "../framing/record_header.hpp"

namespace tinman::format {

/// Offsets of the claim's fields in the index header (inside the bytes `header_crc` covers).
namespace claim_field {
inline constexpr std::size_t records = 24;       ///< u64: records 0..n-1 are uniform (0: no claim)
inline constexpr std::size_t first_body = 32;    ///< u64: file offset of record 0's body
inline constexpr std::size_t stride = 40;        ///< u32: bytes from one body to the next (0 when n < 2)
inline constexpr std::size_t payload_size = 44;  ///< u32: every payload's size
inline constexpr std::size_t head_size = 48;     ///< u32: bytes of head before each body
inline constexpr std::size_t head_crc = 52;      ///< u32: CRC32C of record 0's head
inline constexpr std::size_t end = 60;           ///< bytes 56..60 are reserved, 0
}  // namespace claim_field

/// Records `0..records-1` of a channel file share `payload_size` and a head of
/// `head_size` bytes (CRC `head_crc`), and record `i`'s body starts at
/// `first_body + i * stride`.
struct UniformClaim {
    std::uint64_t records = 0;
    std::uint64_t first_body = 0;
    std::uint32_t stride = 0;
    std::uint32_t payload_size = 0;
    std::uint32_t head_size = 0;
    std::uint32_t head_crc = 0;
    friend bool operator==(const UniformClaim&, const UniformClaim&) = default;
};

/// Writes `c` into the index header `h` (64 bytes); the caller recomputes `header_crc`.
inline void store_uniform_claim(std::byte* h, const UniformClaim& c) noexcept {
    namespace field = claim_field;
    std::memset(h + field::records, 0, field::end - field::records);
    if (c.records == 0) return;
    detail::store_le<std::uint64_t>(h + field::records, c.records);
    detail::store_le<std::uint64_t>(h + field::first_body, c.first_body);
    detail::store_le<std::uint32_t>(h + field::stride, c.stride);
    detail::store_le<std::uint32_t>(h + field::payload_size, c.payload_size);
    detail::store_le<std::uint32_t>(h + field::head_size, c.head_size);
    detail::store_le<std::uint32_t>(h + field::head_crc, c.head_crc);
}

/// The claim in index header `h` (its checksum already verified); nullopt when
/// there is none or its fields contradict each other.
[[nodiscard]] inline std::optional<UniformClaim> load_uniform_claim(const std::byte* h) noexcept {
    namespace field = claim_field;
    UniformClaim c{detail::load_le<std::uint64_t>(h + field::records),
                   detail::load_le<std::uint64_t>(h + field::first_body),
                   detail::load_le<std::uint32_t>(h + field::stride),
                   detail::load_le<std::uint32_t>(h + field::payload_size),
                   detail::load_le<std::uint32_t>(h + field::head_size),
                   detail::load_le<std::uint32_t>(h + field::head_crc)};
    if (c.records == 0 || c.head_size > c.payload_size || (c.records > 1) != (c.stride != 0) ||
        (c.records > 1 && std::uint64_t{c.stride} < std::uint64_t{c.payload_size} + record_header_size))
        return std::nullopt;
    return c;
}

/// Follows the records a writer appends and keeps the longest uniform prefix:
/// the claim stops growing at the first record whose payload size, head or body
/// offset breaks it (another shape, or padding left by a failed write). Keeps
/// one copy of the first head; nothing is allocated per record.
class UniformTracker {
public:
    void reset() noexcept {
        claim_ = {};
        broken_ = false;
        head_.clear();
    }

    /// Record number `claim().records` was appended, its body at file offset `body`,
    /// after `head` (both parts of a payload of `payload_size` bytes).
    void add(std::uint64_t body, std::span<const std::byte> head, std::uint64_t payload_size) {
        if (broken_) return;
        if (claim_.records == 0) {
            if (payload_size > UINT32_MAX) return stop();
            head_.assign(head.begin(), head.end());
            claim_ = {1, body, 0, static_cast<std::uint32_t>(payload_size), static_cast<std::uint32_t>(head.size()),
                      crc32c(head)};
            return;
        }
        if (payload_size != claim_.payload_size || head.size() != head_.size() ||
            (!head.empty() && std::memcmp(head.data(), head_.data(), head.size()) != 0))
            return stop();
        if (claim_.records == 1) {
            if (body <= claim_.first_body || body - claim_.first_body > UINT32_MAX) return stop();
            claim_.stride = static_cast<std::uint32_t>(body - claim_.first_body);
        } else if (body != claim_.first_body + claim_.records * claim_.stride) {
            return stop();
        }
        ++claim_.records;
    }

    /// The claim for the records added so far, limited to the first `written` of them.
    [[nodiscard]] UniformClaim claim(std::uint64_t written) const noexcept {
        UniformClaim c = claim_;
        if (written < c.records) c.records = written;
        if (c.records < 2) c.stride = 0;
        if (c.records == 0) c = {};
        return c;
    }

    /// Ends the claim at the records added so far.
    void stop() noexcept { broken_ = true; }

private:

    UniformClaim claim_;
    bool broken_ = false;
    std::vector<std::byte> head_;
};

}  // namespace tinman::format
