#pragma once
/// @file
/// `BlogScanner` walks the `<QQ` records of a mapped `.blog` file and stops at a torn tail.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "../detail/endian.hpp"
#include "../framing/record_view.hpp"
#include "blog_format.hpp"

namespace tinman::python {

/// Walks the `<QQ` records of a `.blog` file image (`bytes`, the whole file),
/// from record 0 (the codec). Stops quietly at a torn tail; `status()` says
/// where. Timestamps above INT64_MAX (after the year 2262) count as damage.
class BlogScanner {
public:
    explicit BlogScanner(std::span<const std::byte> file) noexcept : file_(file) {}

    /// The next complete record (index 0 is the codec record), or nullopt at the end or a torn tail.
    [[nodiscard]] std::optional<RecordView> next() {
        if (status_.stop != ScanStop::none) return std::nullopt;
        const std::uint64_t remaining = file_.size() - pos_;
        if (remaining == 0) return stop(ScanStop::end, {});
        if (remaining < blog_header_size)
            return stop(ScanStop::torn, "truncated header (" + std::to_string(remaining) + " of 16 bytes)");
        const std::uint64_t ts = tinman::detail::load_le<std::uint64_t>(file_.data() + pos_);
        const std::uint64_t length = tinman::detail::load_le<std::uint64_t>(file_.data() + pos_ + 8);
        if (length > remaining - blog_header_size)
            return stop(ScanStop::torn, "truncated data (record of " + std::to_string(length) + " bytes, " +
                                            std::to_string(remaining - blog_header_size) + " present)");
        if (ts > static_cast<std::uint64_t>(INT64_MAX))
            return stop(ScanStop::corrupt, "timestamp " + std::to_string(ts) + " is out of range");
        RecordView r{static_cast<std::int64_t>(ts), file_.subspan(pos_ + blog_header_size, length), index_++, pos_};
        pos_ += blog_header_size + length;
        status_.intact_end = pos_;
        status_.records = index_;
        return r;
    }

    /// Records read so far (the codec record included) and why the scan stopped.
    [[nodiscard]] const ScanStatus& status() const noexcept { return status_; }

private:
    std::optional<RecordView> stop(ScanStop why, std::string reason) {
        status_.stop = why;
        status_.skipped_bytes = file_.size() - pos_;
        if (!reason.empty()) status_.reason = reason + " at offset " + std::to_string(pos_);
        return std::nullopt;
    }

    std::span<const std::byte> file_;
    std::uint64_t pos_ = 0;
    std::uint64_t index_ = 0;
    ScanStatus status_;
};

}  // namespace tinman::python
