#pragma once
/// @file
/// Walks the records of a mapped channel file, verifying each header and (up to
/// a size limit) each payload, and stops at the first damage.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "../config.hpp"
#include "range_crc.hpp"
#include "record_header.hpp"
#include "record_view.hpp"

namespace tinman {

/// True when the payload of the checked record `r` of `file` matches its checksum, by `crcs` (over `file`).
[[nodiscard]] inline bool payload_matches(RangeCrc& crcs, std::span<const std::byte> file,
                                          const format::CheckedRecord& r) {
    const auto begin = static_cast<std::uint64_t>(r.payload.data() - file.data());
    return crcs.of(begin, begin + r.payload.size()) == r.header.payload_crc;
}

/// Iterates the records of a channel file image: `bytes` holds the file's bytes
/// from offset `base` to its end (typically a whole mapping, `base` 0), and the
/// scan starts at file offset `start`. Record headers are always verified;
/// payloads of at most `verify_max_bytes` are verified too, and larger ones when
/// no complete record follows them (the last record). All reads stay
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

    /// Verifies every payload through `crcs` (which covers `bytes`, from `base`) instead
    /// of hashing it: a full check that tries many overlapping candidates stays linear.
    void verify_with(RangeCrc& crcs) noexcept { crcs_ = &crcs; }

    /// The next intact data record; nullopt at the end of the file or at the first damage (see `status()`).
    [[nodiscard]] std::optional<RecordView> next() {
        using format::RecordCheck;
        if (status_.stop != ScanStop::none) return std::nullopt;
        for (;;) {
            if (pos_ == file_.size()) return stop(ScanStop::end, {});
            auto r = format::check_record(file_, pos_, crcs_ != nullptr ? 0 : verify_max_);
            if (crcs_ != nullptr && r.check == RecordCheck::intact && !payload_matches(*crcs_, file_, r))
                r.check = RecordCheck::bad_payload;
            switch (r.check) {
            case RecordCheck::intact: break;
            case RecordCheck::short_header:
                return stop(ScanStop::torn,
                            "incomplete record header (" + std::to_string(file_.size() - pos_) + " of 32 bytes)");
            case RecordCheck::zero_header:
                return stop(ScanStop::torn, "unwritten (zero) bytes where a record header should be");
            case RecordCheck::bad_header: return stop(ScanStop::corrupt, "record header checksum mismatch");
            case RecordCheck::unknown_flags:
                return stop(ScanStop::corrupt, "unknown record flags " + std::to_string(r.header.flags));
            case RecordCheck::past_end:
                return stop(ScanStop::torn, "record of " + std::to_string(r.header.payload_size) +
                                                " payload bytes extends past the end of the file (" +
                                                std::to_string(file_.size() - pos_ - format::record_header_size) +
                                                " bytes follow its header)");
            case RecordCheck::bad_payload: return stop(ScanStop::corrupt, "payload checksum mismatch");
            }
            // A crash damages the record being written last, which a large payload can hide
            // (zeros where its data never reached the disk): verify it whole unless a complete
            // record follows it. Decoding the others stays O(1).
            if (crcs_ == nullptr && r.payload.size() > verify_max_ && !complete_record_at(pos_ + r.header.extent()) &&
                crc32c(r.payload) != r.header.payload_crc)
                return stop(ScanStop::corrupt, "payload checksum mismatch (the last record is verified whole)");
            const std::uint64_t offset = base_ + pos_;
            pos_ += r.header.extent();
            status_.intact_end = base_ + pos_;
            if (r.header.flags & format::record_flag_skip) continue;
            last_header_ = r.header;
            return RecordView{r.header.timestamp, r.payload, status_.records++, offset};
        }
    }

    /// The scan's progress and, once stopped, why.
    [[nodiscard]] const ScanStatus& status() const noexcept { return status_; }
    /// The header of the record last returned by `next()`.
    [[nodiscard]] const format::RecordHeader& last_header() const noexcept { return last_header_; }

private:
    /// True when a record with a valid header that fits in the file starts at `pos` (relative to `base_`).
    [[nodiscard]] bool complete_record_at(std::uint64_t pos) const noexcept {
        const auto check = format::check_record(file_, pos, 0).check;
        return check == format::RecordCheck::intact || check == format::RecordCheck::bad_payload;
    }

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
    RangeCrc* crcs_ = nullptr;
    ScanStatus status_;
    format::RecordHeader last_header_;
};

/// The offset of the first position after `from` holding a record header whose
/// checksum is valid and whose payload fits in `file`, if any: tells damage in
/// the middle of a file (intact records follow) from a torn tail (nothing does).
/// With `crcs` (over `file`), the payload's checksum must match too.
[[nodiscard]] inline std::optional<std::uint64_t> find_next_record(std::span<const std::byte> file,
                                                                   std::uint64_t from, RangeCrc* crcs = nullptr) {
    for (std::uint64_t pos = from + 1; pos + format::record_header_size <= file.size(); ++pos) {
        // Cheap rejections before the checksum: most positions are not a header.
        const std::byte* p = file.data() + pos;
        const std::uint64_t after = file.size() - pos - format::record_header_size;
        const auto size = detail::load_le<std::uint64_t>(p + format::record_field::payload_size);
        const auto padding = detail::load_le<std::uint32_t>(p + format::record_field::padding);
        if (padding > after || size > after - padding) continue;
        const auto r = format::check_record(file, pos, 0);
        if (r.check == format::RecordCheck::unknown_flags) return pos;
        if (r.check == format::RecordCheck::intact && (crcs == nullptr || payload_matches(*crcs, file, r))) return pos;
    }
    return std::nullopt;
}

}  // namespace tinman
