#pragma once
/// @file
/// `AnyArray`: an n-d array whose dtype is known only at run time (any numpy
/// dtype string): dtype, shape, bytes, and a checked zero-copy `as<T>()` or a
/// converting `copy_as<T>()`; for an array of structs, its fields by name.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "any_field.hpp"
#include "array_view.hpp"
#include "dtype.hpp"
#include "ndarray_payload.hpp"

namespace tinman {

/// A dynamically typed, read-only n-d array: a dtype, a shape and the bytes of
/// the elements in C order, usually inside a mapped file kept alive by `owner()`.
class AnyArray {
public:
    AnyArray() = default;

    /// An array over caller-owned `bytes` (kept alive by `owner` if given), e.g. to
    /// write records of a dtype chosen at run time. Throws `format_error` when the
    /// dtype is not a valid numpy dtype string or the size does not match.
    AnyArray(std::string_view dtype, shape_type shape, std::span<const std::byte> bytes, SegmentPtr owner = nullptr) {
        const std::size_t count = detail::checked_element_count(shape.size(), [&](std::size_t i) { return shape[i]; });
        *this = AnyArray(detail::ArrayPayload{dtype, std::move(shape), count, bytes}, std::move(owner));
    }

    /// Decodes from a parsed payload (used by `AnyArrayCodec`).
    AnyArray(const detail::ArrayPayload& a, SegmentPtr owner) : shape_(a.shape), data_(a.data), owner_(std::move(owner)) {
        const auto dt = a.dtype.size() <= dtype_.size() ? parse_dtype(a.dtype) : std::nullopt;
        if (!dt) throw format_error("unknown or malformed dtype '" + printable(a.dtype) + "'");
        info_ = *dt;
        detail::check_array_size(a, info_.itemsize);
        dtype_size_ = static_cast<unsigned char>(a.dtype.size());
        std::copy(a.dtype.begin(), a.dtype.end(), dtype_.begin());
    }

    /// Decodes records of the structured dtype `layout` (a struct channel's): the
    /// payload's dtype must be `layout->void_dtype()` ("|V<itemsize>").
    AnyArray(const detail::ArrayPayload& a, SegmentPtr owner, std::shared_ptr<const StructLayout> layout)
        : AnyArray(a, std::move(owner)) {
        if (layout && dtype() != layout->void_dtype())
            throw codec_mismatch("stored dtype '" + std::string(dtype()) + "' is not the channel's struct dtype '" +
                                 layout->void_dtype() + "'");
        layout_ = std::move(layout);
    }

    /// numpy's `dtype.str`, e.g. "<f8".
    [[nodiscard]] std::string_view dtype() const noexcept { return {dtype_.data(), dtype_size_}; }
    /// The dtype, parsed.
    [[nodiscard]] const DType& dtype_info() const noexcept { return info_; }
    [[nodiscard]] const shape_type& shape() const noexcept { return shape_; }
    [[nodiscard]] std::size_t dimension() const noexcept { return shape_.size(); }
    /// Number of elements.
    [[nodiscard]] std::size_t size() const noexcept { return info_.itemsize ? data_.size() / info_.itemsize : 0; }
    /// The elements' bytes, C order, in the stored byte order.
    [[nodiscard]] std::span<const std::byte> bytes() const noexcept { return data_; }
    [[nodiscard]] const SegmentPtr& owner() const noexcept { return owner_; }

    /// The structured dtype of an array of structs (read with `AnyArrayCodec{reader.codec(name)}`), or nullptr.
    [[nodiscard]] const StructLayout* layout() const noexcept { return layout_.get(); }
    /// The fields of an array of structs (name, dtype, subarray shape, offset); empty for other arrays.
    [[nodiscard]] std::span<const StructField> fields() const noexcept {
        return layout_ ? std::span<const StructField>(layout_->fields()) : std::span<const StructField>{};
    }
    /// Field `name` of every struct, as a strided view (no copy). Throws `usage_error`
    /// when the array has no such field.
    [[nodiscard]] AnyField field(std::string_view name) const {
        const StructField* f = layout_ ? layout_->find(name) : nullptr;
        if (f == nullptr) {
            std::string s = "no field '" + printable(name) + "' in an array of dtype '" + std::string(dtype()) + "'";
            if (layout_) s += " with fields " + layout_->to_string();
            throw usage_error(s);
        }
        return AnyField(layout_, *f, shape_, info_.itemsize, data_, owner_);
    }

    /// True when the stored dtype is `T`'s in native byte order.
    template <Element T>
    [[nodiscard]] bool is() const noexcept {
        return dtype() == dtype_of<T>;
    }
    /// True when `as<T>()` would succeed: dtype matches, the data is aligned for `T`
    /// and, for `bool`, every byte is 0 or 1 (checking that reads the whole array).
    template <Element T>
    [[nodiscard]] bool is_viewable_as() const noexcept {
        if (!is<T>() || (!data_.empty() && reinterpret_cast<std::uintptr_t>(data_.data()) % alignof(T) != 0))
            return false;
        if constexpr (std::is_same_v<T, bool>) return detail::bool_bytes_valid(data_);
        return true;
    }

    /// A zero-copy view as `T` (of rank `Rank`, if given). Throws `codec_mismatch`
    /// if the dtype is not `T`'s (including `T` in the other byte order) or the rank
    /// differs, and `format_error` if the data is misaligned; never copies.
    template <Element T, std::size_t Rank = dynamic_rank>
    [[nodiscard]] ArrayView<T, Rank> as() const {
        if (!is<T>()) throw codec_mismatch(mismatch_text<T>());
        return detail::view_array<T, Rank>(payload(), owner_);
    }

    /// A copy as `T`, from `T`'s dtype in either byte order, at any alignment.
    template <Element T>
    [[nodiscard]] xt::xarray<T> copy_as() const {
        constexpr auto want = *parse_dtype(dtype_of<T>);
        if (info_.kind != want.kind || info_.itemsize != want.itemsize) throw codec_mismatch(mismatch_text<T>());
        if constexpr (std::is_same_v<T, bool>)
            if (!detail::bool_bytes_valid(data_)) throw format_error("bool array holds a byte other than 0 or 1");
        xt::xarray<T> out = xt::xarray<T>::from_shape(shape_);
        if (!data_.empty()) std::memcpy(out.data(), data_.data(), data_.size());
        if (!info_.is_native()) {
            // complex numbers swap each of their two parts
            const std::size_t part = want.kind == 'c' ? sizeof(T) / 2 : sizeof(T);
            auto* b = reinterpret_cast<unsigned char*>(out.data());
            for (std::size_t i = 0; i < data_.size(); i += part) std::reverse(b + i, b + i + part);
        }
        return out;
    }

private:
    friend class AnyArrayCodec;  // its decoder rebases a prototype onto each record's bytes

    /// The array as `detail::view_array` reads it, the shape not copied.
    struct ShapedBytes {
        std::string_view dtype;
        const shape_type& shape;
        std::size_t count;
        std::span<const std::byte> data;
        [[nodiscard]] std::size_t rank() const noexcept { return shape.size(); }
        [[nodiscard]] std::size_t dim(std::size_t i) const noexcept { return shape[i]; }
    };
    [[nodiscard]] ShapedBytes payload() const noexcept { return {dtype(), shape_, size(), data_}; }

    template <Element T>
    [[nodiscard]] std::string mismatch_text() const {
        std::string s = "stored dtype '" + std::string(dtype()) + "', requested '" + std::string(dtype_of<T>) + "'";
        if (!info_.is_native() && parse_dtype(dtype_of<T>)->kind == info_.kind)
            s += " (stored in the other byte order: use copy_as() to convert)";
        return s;
    }

    static std::string printable(std::string_view s) {
        std::string out;
        for (char c : s) out += (c >= 0x20 && c < 0x7f) ? c : '?';
        return out;
    }

    std::array<char, max_dtype_size> dtype_{};
    unsigned char dtype_size_ = 0;
    DType info_;
    shape_type shape_;
    std::span<const std::byte> data_;
    SegmentPtr owner_;
    std::shared_ptr<const StructLayout> layout_;
};

}  // namespace tinman
