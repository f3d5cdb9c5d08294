#pragma once
/// @file
/// `parquet::ColumnStatistics`: the minimum and maximum of a column chunk's values in
/// the sort order the Parquet specification defines for its type (parquet.thrift
/// `ColumnOrder`, TypeDefinedOrder), written as the chunk's `Statistics` so that
/// engines skip row groups a filter excludes (docs/parquet.md).

#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "../detail/endian.hpp"

namespace tinman::parquet {

/// How a column's values compare (parquet.thrift: "Sort order").
enum class SortOrder : std::uint8_t {
    signed_int,    ///< INT32, INT64 (also TIMESTAMP): two's complement
    unsigned_int,  ///< INT32, INT64 with an unsigned INTEGER logical type
    floating,      ///< FLOAT, DOUBLE: NaN left out; a zero minimum is -0.0, a zero maximum +0.0
    boolean,       ///< false < true
    bytes,         ///< BYTE_ARRAY: unsigned lexicographic
};

/// The running minimum and maximum of one column chunk's PLAIN values.
class ColumnStatistics {
public:
    /// Byte arrays longer than this leave the chunk without statistics (a truncated
    /// maximum would have to be rounded up; short strings are what filters use).
    static constexpr std::size_t max_bytes = 64;

    ColumnStatistics() = default;
    /// For values of `width` bytes (4 or 8; 1 for booleans, 0 for byte arrays) compared in `order`.
    ColumnStatistics(SortOrder order, std::size_t width) noexcept : order_(order), width_(width) {}

    /// One fixed-width value, little-endian, `width` bytes.
    void add(const std::byte* v) noexcept {
        switch (order_) {
            case SortOrder::signed_int:
                return width_ == 4 ? update_int(static_cast<std::int64_t>(detail::load_le<std::int32_t>(v)))
                                   : update_int(detail::load_le<std::int64_t>(v));
            case SortOrder::unsigned_int:
                return width_ == 4 ? update_uint(detail::load_le<std::uint32_t>(v))
                                   : update_uint(detail::load_le<std::uint64_t>(v));
            case SortOrder::floating:
                return width_ == 4 ? update_float(std::bit_cast<float>(detail::load_le<std::uint32_t>(v)))
                                   : update_float(std::bit_cast<double>(detail::load_le<std::uint64_t>(v)));
            case SortOrder::boolean: return update_uint(std::to_integer<std::uint64_t>(*v) != 0);
            case SortOrder::bytes: return;
        }
    }
    /// Fixed-width values one after the other (a batch of `put_plain`): one pass, the
    /// type's comparison chosen once.
    void add_values(std::span<const std::byte> values) noexcept {
        if (width_ == 0 || values.size() < width_) return;
        const std::byte* p = values.data();
        const std::size_t n = values.size() / width_;
        switch (order_) {
            case SortOrder::signed_int:
                if (width_ == 4) return merge_int(range<std::int32_t>(p, n));
                return merge_int(range<std::int64_t>(p, n));
            case SortOrder::unsigned_int:
                if (width_ == 4) return merge_uint(range<std::uint32_t>(p, n));
                return merge_uint(range<std::uint64_t>(p, n));
            case SortOrder::floating:
                if (width_ == 4) return merge_float(range<float, std::uint32_t>(p, n));
                return merge_float(range<double, std::uint64_t>(p, n));
            case SortOrder::boolean:
            case SortOrder::bytes:
                for (std::size_t i = 0; i < n; ++i) add(p + i * width_);
                return;
        }
    }
    void add_bool(bool v) noexcept { update_uint(v ? 1 : 0); }
    void add_bytes(std::span<const std::byte> v) {
        if (too_long_) return;
        if (v.size() > max_bytes) {
            too_long_ = true;
            return;
        }
        const std::string_view s(reinterpret_cast<const char*>(v.data()), v.size());
        if (!has_ || s < min_bytes_) min_bytes_.assign(s);
        if (!has_ || s > max_bytes_) max_bytes_.assign(s);
        has_ = true;
    }

    /// The chunk's minimum and maximum as the specification stores them (PLAIN, without
    /// a length for byte arrays), or nullopt when there are none to give.
    [[nodiscard]] std::optional<std::pair<std::string, std::string>> encoded() const {
        if (!has_ || too_long_) return std::nullopt;
        switch (order_) {
            case SortOrder::signed_int: return std::pair{fixed(static_cast<std::uint64_t>(imin_)), fixed(static_cast<std::uint64_t>(imax_))};
            case SortOrder::unsigned_int: return std::pair{fixed(umin_), fixed(umax_)};
            case SortOrder::boolean: return std::pair{std::string(1, static_cast<char>(umin_)), std::string(1, static_cast<char>(umax_))};
            case SortOrder::floating: {
                const double lo = fmin_ == 0 ? -0.0 : fmin_, hi = fmax_ == 0 ? 0.0 : fmax_;
                if (width_ == 4)
                    return std::pair{fixed(std::bit_cast<std::uint32_t>(static_cast<float>(lo))),
                                     fixed(std::bit_cast<std::uint32_t>(static_cast<float>(hi)))};
                return std::pair{fixed(std::bit_cast<std::uint64_t>(lo)), fixed(std::bit_cast<std::uint64_t>(hi))};
            }
            case SortOrder::bytes: return std::pair{min_bytes_, max_bytes_};
        }
        return std::nullopt;
    }

    /// Forgets the values (for the next chunk).
    void clear() noexcept {
        has_ = false;
        too_long_ = false;
    }

private:
    /// The least and greatest of `n` values of `T` (stored as `Bits`) at `p`, NaN left
    /// out; nullopt if there is none.
    template <class T, class Bits = T>
    [[nodiscard]] static std::optional<std::pair<T, T>> range(const std::byte* p, std::size_t n) noexcept {
        std::size_t i = 0;
        const auto at = [&](std::size_t k) { return std::bit_cast<T>(detail::load_le<Bits>(p + k * sizeof(T))); };
        if constexpr (std::is_floating_point_v<T>)
            while (i < n && std::isnan(at(i))) ++i;
        if (i == n) return std::nullopt;
        T lo = at(i), hi = lo;
        for (++i; i < n; ++i) {
            const T v = at(i);
            lo = v < lo ? v : lo;  // false for NaN: it never replaces either
            hi = v > hi ? v : hi;
        }
        return std::pair{lo, hi};
    }
    template <class T>
    void merge_int(const std::optional<std::pair<T, T>>& r) noexcept {
        if (r) update_int(r->first), update_int(r->second);
    }
    template <class T>
    void merge_uint(const std::optional<std::pair<T, T>>& r) noexcept {
        if (r) update_uint(r->first), update_uint(r->second);
    }
    template <class T>
    void merge_float(const std::optional<std::pair<T, T>>& r) noexcept {
        if (r) update_float(r->first), update_float(r->second);
    }

    void update_int(std::int64_t v) noexcept {
        if (!has_ || v < imin_) imin_ = v;
        if (!has_ || v > imax_) imax_ = v;
        has_ = true;
    }
    void update_uint(std::uint64_t v) noexcept {
        if (!has_ || v < umin_) umin_ = v;
        if (!has_ || v > umax_) umax_ = v;
        has_ = true;
    }
    void update_float(double v) noexcept {
        if (std::isnan(v)) return;
        if (!has_ || v < fmin_) fmin_ = v;
        if (!has_ || v > fmax_) fmax_ = v;
        has_ = true;
    }
    /// `v`'s low `width_` bytes, little-endian.
    [[nodiscard]] std::string fixed(std::uint64_t v) const {
        std::string out(width_, '\0');
        for (std::size_t i = 0; i < width_; ++i) out[i] = static_cast<char>(v >> (8 * i));
        return out;
    }

    SortOrder order_ = SortOrder::bytes;
    std::size_t width_ = 0;
    bool has_ = false;
    bool too_long_ = false;
    std::int64_t imin_ = 0, imax_ = 0;
    std::uint64_t umin_ = 0, umax_ = 0;
    double fmin_ = 0, fmax_ = 0;
    std::string min_bytes_, max_bytes_;
};

}  // namespace tinman::parquet
