#pragma once
/// @file
/// Read-only zero-copy views of stored structs: `StructRef<T>` (one record's
/// `const T&`), `StructArrayView<T>` (an xtensor adaptor of `T`) and
/// `FieldView<U>` (one field across an array of structs, strided), all keeping
/// the mapping alive.

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "../io/mapped_segment.hpp"
#include "../xtensor.hpp"
#include "array_shape.hpp"
#include "struct_fields.hpp"

namespace tinman {

/// One stored `T`, read in place: `*r`, `r->ax`, `r.get()`. Copies share the
/// mapping, which stays alive as long as any copy does.
template <class T>
class StructRef {
public:
    StructRef(const T* p, SegmentPtr owner) noexcept : p_(p), owner_(std::move(owner)) {}

    [[nodiscard]] const T& get() const noexcept { return *p_; }
    [[nodiscard]] const T& operator*() const noexcept { return *p_; }
    [[nodiscard]] const T* operator->() const noexcept { return p_; }
    [[nodiscard]] const SegmentPtr& owner() const noexcept { return owner_; }

private:
    const T* p_;
    SegmentPtr owner_;
};

/// The buffer of a read-only view of any trivially copyable `T`.
template <class T>
using StructBuffer = xt::xbuffer_adaptor<const T*, xt::smart_ownership, SegmentPtr>;

/// A read-only n-d array of structs `T` over mapped memory, row-major (like `ArrayView`).
template <class T, std::size_t Rank = dynamic_rank>
using StructArrayView = std::conditional_t<Rank == dynamic_rank,
                                           xt::xarray_adaptor<StructBuffer<T>, xt::layout_type::row_major, shape_type>,
                                           xt::xtensor_adaptor<StructBuffer<T>, Rank, xt::layout_type::row_major>>;

/// A read-only strided n-d view of one field's elements `U` across an array of
/// structs: the array's dimensions, then the field's own (for an array field).
/// `Owner` keeps the memory alive: the mapping, or for `field<>()` a copy of the
/// viewed array's buffer, which holds the mapping (xtensor does not hand it out).
template <class U, class Owner = SegmentPtr>
using FieldView =
    xt::xarray_adaptor<xt::xbuffer_adaptor<const U*, xt::smart_ownership, Owner>, xt::layout_type::dynamic, shape_type>;

namespace detail {

/// Keeps `buffer` (and so its mapping) alive for a field view. xtensor keeps a
/// buffer's owner when it is a smart pointer or callable: this is the callable.
template <class Buffer>
struct KeepBuffer {
    Buffer buffer;
    void operator()() const noexcept {}
};

/// A view of the elements `U` at `base`, with `shape` and strides in elements,
/// xtensor's way (stride 0 along dimensions of 1); `base` may be null when empty.
template <class U, class Owner>
[[nodiscard]] FieldView<U, Owner> strided_view(const U* base, const shape_type& shape,
                                               const xt::svector<std::ptrdiff_t, 4>& strides, const Owner& owner) {
    // xtensor sizes a strided container's storage as the product of its shape.
    std::size_t count = 1;
    for (auto d : shape) count *= d;
    const bool empty = count == 0;
    typename FieldView<U, Owner>::strides_type s(strides.begin(), strides.end());
    for (std::size_t i = 0; i < shape.size(); ++i)
        if (shape[i] == 1) s[i] = 0;
    using Buffer = xt::xbuffer_adaptor<const U*, xt::smart_ownership, Owner>;
    return FieldView<U, Owner>(Buffer(empty ? nullptr : base, count, owner), shape, s);
}

}  // namespace detail

/// Field `Member` (e.g. `&Imu::ax`) of every struct in `array`, without copying:
/// `field<&Imu::ax>(imus)` is a strided view of doubles of `imus`'s shape;
/// an array member (`double q[4]`) adds its dimensions.
template <auto Member, class A>
[[nodiscard]] auto field(const A& array) {
    using T = typename A::value_type;
    using M = std::remove_cvref_t<decltype(std::declval<const T&>().*Member)>;
    using U = typename detail::member_traits<M>::element;
    static_assert(Element<U>, "tinman: field<>() views members of element type (or arrays of them)");
    static_assert(sizeof(T) % sizeof(U) == 0,
                  "tinman: the struct's size is not a multiple of the field's element size, so the field cannot be "
                  "viewed with element strides; copy it instead");
    constexpr std::size_t step = sizeof(T) / sizeof(U);
    constexpr std::size_t inner = detail::member_traits<M>::ndim;
    shape_type shape(array.shape().begin(), array.shape().end());
    const std::size_t outer = shape.size();
    for (std::size_t i = 0; i < inner; ++i) shape.push_back(detail::member_traits<M>::dims[i]);
    xt::svector<std::ptrdiff_t, 4> strides(shape.size());
    std::ptrdiff_t s = 1;
    for (std::size_t i = shape.size(); i-- > outer;) {
        strides[i] = s;
        s *= static_cast<std::ptrdiff_t>(shape[i]);
    }
    s = static_cast<std::ptrdiff_t>(step);
    for (std::size_t i = outer; i-- > 0;) {
        strides[i] = s;
        s *= static_cast<std::ptrdiff_t>(shape[i]);
    }
    const U* base = nullptr;
    if (array.size() != 0) base = reinterpret_cast<const U*>(&(array.data()->*Member));
    using Keep = detail::KeepBuffer<std::remove_cvref_t<decltype(array.storage())>>;
    return detail::strided_view<U>(base, shape, strides, Keep{array.storage()});
}

}  // namespace tinman
