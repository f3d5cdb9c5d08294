#pragma once
/// @file
/// Layer 2, reading: walks the records of a mapped channel file, verifying each
/// header and (up to a size limit) each payload, and stops at the first damage.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>

#include "config.hpp"
#include "format.hpp"

namespace tinman {

/// One intact record of a channel file.
struct RecordView {
    std::int64_t timestamp = 0;
    std::span<const std::byte> payload;
    std::uint64_t index = 0;   ///< data record number, from 0
    std::uint64_t offset = 0;  ///< file offset of the record header
};

/// Why a scan stopped.
enum class ScanStop {
    none,     ///< not stopped yet
    end,      ///< every byte was an intact record: the file is clean
    torn,     ///< the last record is incomplete (a writer was interrupted or is still writing)
    corrupt,  ///< a checksum or field is wrong
};

/// Where a scan stands: records seen, where the intact part ends and what follows it.
struct ScanStatus {
    std::uint64_t records = 0;      ///< intact data records yielded so far
    std::uint64_t intact_end = 0;   ///< file offset just past the last intact record
    std::uint64_t skipped_bytes = 0;///< bytes after `intact_end` that were not yielded
    ScanStop stop = ScanStop::none;
    std::string reason;             ///< for torn/corrupt: what is wrong, with its offset

    /// True once the scan reached the end of the file with nothing skipped.
    [[nodiscard]] bool clean() const noexcept { return stop == ScanStop::end; }
};

/// Iterates the records of a channel file image: `bytes` holds the file's bytes
/// from offset `base` to its end (typically a whole mapping, `base` 0), and the
/// scan starts at file offset `start`. Record headers are always verified;
/// payloads of at most `verify_max_bytes` are verified too. All reads stay
/// inside `bytes`, whatever they say. Offsets in results are file offsets.
class RecordScanner {
public:
    RecordScanner(std::span<const std::byte> bytes, std::uint64_t start,
                  std::size_t verify_max_bytes = default_verify_max_bytes, std::uint64_t base = 0,
                  std::uint64_t first_index = 0) noexcept
        : file_(bytes), base_(base), pos_(start - base), verify_max_(verify_max_bytes) {
        status_.records = first_index;
        status_.intact_end = start;
    }

    /// The next intact data record; nullopt at the end of the file or at the first damage (see `status()`).
    [[nodiscard]] std::optional<RecordView> next() {
        if (status_.stop != ScanStop::none) return std::nullopt;
        for (;;) {
            const std::uint64_t end = file_.size();
            if (pos_ == end) return stop(ScanStop::end, {});
            const std::uint64_t remaining = end - pos_;
            if (remaining < format::record_header_size)
                return stop(ScanStop::torn, "incomplete record header (" + std::to_string(remaining) + " of 32 bytes)");
            const auto h = format::decode_record_header(file_.data() + pos_);
            if (!h) {
                // The writer never writes an all-zero header: zeros are space that was never written.
                static constexpr std::byte zeros[format::record_header_size]{};
                if (std::memcmp(file_.data() + pos_, zeros, sizeof zeros) == 0)
                    return stop(ScanStop::torn, "unwritten (zero) bytes where a record header should be");
                return stop(ScanStop::corrupt, "record header checksum mismatch");
            }
            if (h->flags & ~format::record_flag_skip)
                return stop(ScanStop::corrupt, "unknown record flags " + std::to_string(h->flags));
            const std::uint64_t after = remaining - format::record_header_size;
            if (h->padding > after || h->payload_size > after - h->padding)
                return stop(ScanStop::torn, "record of " + std::to_string(h->payload_size) +
                                                " payload bytes extends past the end of the file (" +
                                                std::to_string(after) + " bytes follow its header)");
            const auto payload = file_.subspan(pos_ + format::record_header_size + h->padding, h->payload_size);
            if (payload.size() <= verify_max_ && crc32c(payload) != h->payload_crc)
                return stop(ScanStop::corrupt, "payload checksum mismatch");
            const std::uint64_t offset = base_ + pos_;
            pos_ += format::record_header_size + h->padding + h->payload_size;
            status_.intact_end = base_ + pos_;
            if (h->flags & format::record_flag_skip) continue;
            last_header_ = *h;
            return RecordView{h->timestamp, payload, status_.records++, offset};
        }
    }

    /// The scan's progress and, once stopped, why.
    [[nodiscard]] const ScanStatus& status() const noexcept { return status_; }
    /// The header of the record last returned by `next()`.
    [[nodiscard]] const format::RecordHeader& last_header() const noexcept { return last_header_; }

private:
    std::optional<RecordView> stop(ScanStop why, std::string reason) {
        status_.stop = why;
        status_.skipped_bytes = file_.size() - pos_;
        if (!reason.empty()) status_.reason = reason + " at offset " + std::to_string(base_ + pos_);
        return std::nullopt;
    }

    std::span<const std::byte> file_;
    std::uint64_t base_;
    std::uint64_t pos_;  // relative to base_
    std::size_t verify_max_;
    ScanStatus status_;
    format::RecordHeader last_header_;
};

/// The offset of the first position after `from` holding a record header whose
/// checksum is valid and whose payload fits in `file`, if any: tells damage in
/// the middle of a file (intact records follow) from a torn tail (nothing does).
[[nodiscard]] inline std::optional<std::uint64_t> find_next_record(std::span<const std::byte> file,
                                                                   std::uint64_t from) {
    constexpr std::size_t hs = format::record_header_size;
    static constexpr std::byte zeros[hs]{};
    for (std::uint64_t pos = from + 1; pos + hs <= file.size(); ++pos) {
        const std::byte* p = file.data() + pos;
        // An all-zero header never has a valid checksum; zero-filled tails are common after power loss.
        if (std::memcmp(p, zeros, hs) == 0) continue;
        const std::uint64_t after = file.size() - pos - hs;
        const auto size = detail::load_le<std::uint64_t>(p + 8);
        const auto padding = detail::load_le<std::uint32_t>(p + 16);
        if (padding > after || size > after - padding) continue;
        if (format::decode_record_header(p)) return pos;
    }
    return std::nullopt;
}

}  // namespace tinman
