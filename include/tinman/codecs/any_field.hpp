#pragma once
/// @file
/// `AnyField`: one named field of an array of structs whose layout is known only
/// at run time (`AnyArray::field("ax")`): dtype, shape, byte strides, and a
/// checked zero-copy `as<T>()` or a converting `copy_as<T>()`.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "../error.hpp"
#include "../io/mapped_segment.hpp"
#include "array_view.hpp"
#include "struct_layout.hpp"
#include "struct_view.hpp"

namespace tinman {

/// A read-only strided view of field `f` of every record of an array of structs:
/// the array's dimensions, then the field's subarray dimensions.
class AnyField {
public:
    /// Field `f` of the records `data` (row-major, `shape`, `itemsize` bytes each),
    /// which the caller has checked to hold them all.
    AnyField(std::shared_ptr<const StructLayout> layout, const StructField& f, const shape_type& shape,
             std::size_t itemsize, std::span<const std::byte> data, SegmentPtr owner)
        : layout_(std::move(layout)), field_(&f), shape_(shape), strides_(shape.size() + f.shape.size()), data_(data), owner_(std::move(owner)) {
        const std::size_t outer = shape_.size();
        shape_.insert(shape_.end(), f.shape.begin(), f.shape.end());
        std::ptrdiff_t s = static_cast<std::ptrdiff_t>(f.info.itemsize);
        for (std::size_t i = shape_.size(); i-- > outer;) {
            strides_[i] = s;
            s *= static_cast<std::ptrdiff_t>(shape_[i]);
        }
        s = static_cast<std::ptrdiff_t>(itemsize);
        for (std::size_t i = outer; i-- > 0;) {
            strides_[i] = s;
            s *= static_cast<std::ptrdiff_t>(shape_[i]);
        }
        count_ = data.empty() ? 0 : data.size() / itemsize * f.count();
    }

    [[nodiscard]] std::string_view name() const noexcept { return field_->name; }
    /// The element's numpy dtype string, e.g. "<f8".
    [[nodiscard]] std::string_view dtype() const noexcept { return field_->dtype; }
    [[nodiscard]] const DType& dtype_info() const noexcept { return field_->info; }
    /// Byte offset of the field inside each record.
    [[nodiscard]] std::size_t offset() const noexcept { return field_->offset; }
    [[nodiscard]] const shape_type& shape() const noexcept { return shape_; }
    [[nodiscard]] std::size_t dimension() const noexcept { return shape_.size(); }
    /// Bytes between consecutive elements along each dimension.
    [[nodiscard]] const xt::svector<std::ptrdiff_t, 4>& byte_strides() const noexcept { return strides_; }
    /// Number of elements.
    [[nodiscard]] std::size_t size() const noexcept { return count_; }
    [[nodiscard]] const SegmentPtr& owner() const noexcept { return owner_; }

    /// True when the field's dtype is `T`'s in native byte order.
    template <Element T>
    [[nodiscard]] bool is() const noexcept {
        return dtype() == dtype_of<T>;
    }

    /// A zero-copy strided view as `T`. Throws `codec_mismatch` if the dtype is not
    /// `T`'s, `format_error` if the elements are misaligned for `T` or their strides
    /// are not whole elements (then `copy_as()` reads them); never copies.
    template <Element T>
    [[nodiscard]] FieldView<T> as() const {
        if (!is<T>())
            throw codec_mismatch("field '" + field_->name + "' has dtype '" + field_->dtype + "', requested '" +
                                 std::string(dtype_of<T>) + "'");
        xt::svector<std::ptrdiff_t, 4> strides(strides_.size());
        for (std::size_t i = 0; i < strides_.size(); ++i) {
            if (strides_[i] % static_cast<std::ptrdiff_t>(sizeof(T)) != 0 && shape_[i] > 1)
                throw format_error("field '" + field_->name + "' elements are " + std::to_string(strides_[i]) +
                                   " bytes apart, not a multiple of " + std::to_string(sizeof(T)) +
                                   ", so they cannot be viewed in place; use copy_as()");
            strides[i] = strides_[i] / static_cast<std::ptrdiff_t>(sizeof(T));
        }
        const std::byte* base = count_ == 0 ? nullptr : data_.data() + field_->offset;
        if (reinterpret_cast<std::uintptr_t>(base) % alignof(T) != 0)
            throw format_error("field '" + field_->name + "' is not aligned to " + std::to_string(alignof(T)) +
                               " bytes, so it cannot be viewed in place; use copy_as()");
        if constexpr (std::is_same_v<T, bool>)
            for_each_element([&](const std::byte* p) {
                if ((std::to_integer<unsigned>(*p) & 0xFEu) != 0)
                    throw format_error("bool field '" + field_->name + "' holds a byte other than 0 or 1");
            });
        return detail::strided_view<T>(reinterpret_cast<const T*>(base), shape_, strides, owner_);
    }

    /// A copy as `T`, from `T`'s dtype in either byte order, at any alignment and stride.
    template <Element T>
    [[nodiscard]] xt::xarray<T> copy_as() const {
        constexpr auto want = *parse_dtype(dtype_of<T>);
        const DType& info = field_->info;
        if (info.kind != want.kind || info.itemsize != want.itemsize)
            throw codec_mismatch("field '" + field_->name + "' has dtype '" + field_->dtype + "', requested '" +
                                 std::string(dtype_of<T>) + "'");
        xt::xarray<T> out = xt::xarray<T>::from_shape(shape_);
        auto* b = reinterpret_cast<unsigned char*>(out.data());
        const std::size_t part = want.kind == 'c' ? sizeof(T) / 2 : sizeof(T);  // complex: swap each part
        for_each_element([&](const std::byte* p) {
            if constexpr (std::is_same_v<T, bool>)
                if ((std::to_integer<unsigned>(*p) & 0xFEu) != 0)
                    throw format_error("bool field '" + field_->name + "' holds a byte other than 0 or 1");
            std::memcpy(b, p, sizeof(T));
            if (!info.is_native())
                for (std::size_t i = 0; i < sizeof(T); i += part) std::reverse(b + i, b + i + part);
            b += sizeof(T);
        });
        return out;
    }

private:
    /// Calls `f(address)` for each element, in C order.
    template <class F>
    void for_each_element(F f) const {
        if (count_ == 0) return;
        shape_type index(shape_.size(), 0);
        std::ptrdiff_t at = static_cast<std::ptrdiff_t>(field_->offset);
        for (std::size_t n = 0; n < count_; ++n) {
            f(data_.data() + at);
            for (std::size_t i = shape_.size(); i-- > 0;) {  // odometer step
                at += strides_[i];
                if (++index[i] < shape_[i]) break;
                at -= strides_[i] * static_cast<std::ptrdiff_t>(shape_[i]);
                index[i] = 0;
            }
        }
    }

    std::shared_ptr<const StructLayout> layout_;
    const StructField* field_;  // inside *layout_
    shape_type shape_;
    xt::svector<std::ptrdiff_t, 4> strides_;
    std::size_t count_ = 0;
    std::span<const std::byte> data_;
    SegmentPtr owner_;
};

}  // namespace tinman
