#pragma once
/// @file
/// `NdArrayCodec<T>`, n-d arrays of one element type. Reading hands back a
/// read-only xtensor adaptor over the mapped file: O(1), no copy.

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "array_view.hpp"
#include "codec.hpp"
#include "dtype.hpp"
#include "element_layout.hpp"
#include "ndarray_payload.hpp"
#include "remembered_head.hpp"

namespace tinman {

namespace detail {

template <class E>
inline constexpr bool is_xexpression_v = xt::is_xexpression<E>::value;

/// Where `e` keeps its elements, if they are contiguous and in C order; nullptr otherwise.
template <class T, class E>
[[nodiscard]] const T* c_order_data(const E& e) {
    if constexpr (xt::has_data_interface<E>::value && requires { e.data_offset(); e.strides(); }) {
        std::ptrdiff_t expected = 1;
        const auto& shape = e.shape();
        const auto& strides = e.strides();
        for (std::size_t i = shape.size(); i-- > 0;) {
            if (shape[i] != 1 && static_cast<std::ptrdiff_t>(strides[i]) != expected) return nullptr;
            expected *= static_cast<std::ptrdiff_t>(shape[i]);
        }
        return e.data() + e.data_offset();
    } else {
        return nullptr;
    }
}

/// Contiguous containers of exactly `T` that are not xtensor expressions:
/// `std::vector<T>`, `std::span<const T>`, `std::array<T, N>`, ... (written as 1-d arrays).
template <class R, class T>
concept contiguous_of = !is_xexpression_v<R> && requires(const R& r) {
    { std::ranges::data(r) } -> std::convertible_to<const T*>;
    std::ranges::size(r);
} && std::same_as<std::remove_cvref_t<decltype(*std::ranges::data(std::declval<const R&>()))>, T>;

}  // namespace detail

/// Stores n-d arrays of element type `T` as the Python NumpyArrayCodec does,
/// with the element data 64-byte aligned in the file. With a fixed `Rank`,
/// reading yields `ArrayView<T, Rank>` and checks each record's rank, and
/// writing checks it too; the file is the same either way.
///
/// Writes any xtensor expression whose `value_type` is `T` (containers, fixed
/// tensors, views, adaptors, lazy expressions; any layout), in C order;
/// `std::vector<T>`, `std::span<const T>` and `std::array<T, N>` as 1-d arrays;
/// and plain `T` values as 0-d arrays. Contiguous row-major input is written from
/// its own memory; anything else is evaluated into reused scratch memory.
/// Reads `ArrayView<T>`; the stored dtype must be exactly `dtype_of<T>`.
template <Element T, std::size_t Rank = dynamic_rank>
class NdArrayCodec {
public:
    using value_type = ArrayView<T, Rank>;
    using element_type = T;

    [[nodiscard]] CodecDescriptor descriptor() const { return {"ndarray", {{"dtype", std::string(dtype_of<T>)}}}; }

    [[nodiscard]] std::string mismatch(const CodecDescriptor& stored) const {
        if (stored.name != "ndarray") return codec_kind_mismatch(stored, descriptor());
        if (auto dt = stored.param("dtype"); dt && *dt != dtype_of<T>) return dtype_mismatch(*dt);
        return {};
    }

    /// Where `payload` keeps its elements (see `StackableCodec`).
    [[nodiscard]] ElementLayout element_layout(std::span<const std::byte> payload) const {
        auto l = detail::ndarray_element_layout(payload, dtype_of<T>, sizeof(T));
        if (Rank != dynamic_rank && l.shape.size() != Rank)
            throw codec_mismatch("stored array has " + std::to_string(l.shape.size()) + " dimensions, requested " +
                                 std::to_string(Rank));
        return l;
    }

    [[nodiscard]] value_type decode(std::span<const std::byte> payload, const SegmentPtr& owner) const {
        const auto a = detail::parse_array_head(payload);
        if (a.dtype != dtype_of<T>) throw codec_mismatch(dtype_mismatch(a.dtype));
        return detail::view_array<T, Rank>(a, owner);
    }

    /// Decodes a pass over a channel: while records keep the head (dtype and
    /// shape) of the one before, the head is compared byte for byte instead of
    /// parsed, and the view is copied from a prototype of that shape (no shape or
    /// stride computation; one reference count increment for the owner).
    class Decoder {
    public:
        [[nodiscard]] value_type decode(const NdArrayCodec& codec, std::span<const std::byte> payload,
                                        const SegmentPtr& owner) {
            if (head_.matches(payload)) {
                const std::byte* data = payload.data() + head_.size();
                if (reinterpret_cast<std::uintptr_t>(data) % alignof(T) == 0 &&
                    (!std::is_same_v<T, bool> || detail::bool_bytes_valid(payload.subspan(head_.size()))))
                    return view(data, owner);
            }
            // Anything else (another shape, or an error to report) takes the full path.
            return decode_and_remember(codec, payload, owner);
        }

    private:
        // (One named value per function, so that it is returned in place, never moved.)
        [[nodiscard]] value_type view(const std::byte* data, const SegmentPtr& owner) const {
            value_type v = *prototype_;
            v.storage().reset_data(reinterpret_cast<const T*>(data), count_, owner);
            return v;
        }

        [[nodiscard]] value_type decode_and_remember(const NdArrayCodec& codec, std::span<const std::byte> payload,
                                                     const SegmentPtr& owner) {
            value_type v = codec.decode(payload, owner);
            if (head_.remember(payload, payload.size() - v.size() * sizeof(T))) {
                prototype_.emplace(v);
                prototype_->storage().reset_data(v.data(), v.size(), SegmentPtr());  // holds no mapping
                count_ = v.size();
            }
            return v;
        }

        detail::RememberedHead head_;
        std::size_t count_ = 0;
        std::optional<value_type> prototype_;
    };

    /// Expressions whose `value_type` is exactly `T` (convert others with `xt::cast<T>(...)`).
    template <class E>
        requires detail::is_xexpression_v<E> && std::same_as<typename E::value_type, T>
    [[nodiscard]] Payload encode(const E& e, EncodeScratch& scratch) const {
        if constexpr (Rank != dynamic_rank) {
            if (e.dimension() != Rank)
                throw usage_error("cannot write an array of " + std::to_string(e.dimension()) +
                                  " dimensions with a rank " + std::to_string(Rank) + " NdArrayCodec");
        }
        detail::write_array_head(scratch.head, dtype_of<T>, e.shape());
        const std::size_t n = static_cast<std::size_t>(e.size());
        const T* data = detail::c_order_data<T>(e);
        if (data == nullptr && n != 0) {
            scratch.body.resize(n * sizeof(T));
            const shape_type shape(e.shape().begin(), e.shape().end());
            auto out = xt::adapt(reinterpret_cast<T*>(scratch.body.data()), n, xt::no_ownership(), shape);
            xt::noalias(out) = e;
            data = reinterpret_cast<const T*>(scratch.body.data());
        }
        return payload(scratch, data, n);
    }

    /// A contiguous container of exactly `T` (`std::vector<T>`, `std::span<const T>`,
    /// `std::array<T, N>`), stored as a 1-d array straight from its memory.
    template <class R>
        requires detail::contiguous_of<R, T> && (Rank == 1 || Rank == dynamic_rank)
    [[nodiscard]] Payload encode(const R& range, EncodeScratch& scratch) const {
        const auto n = static_cast<std::size_t>(std::ranges::size(range));
        detail::write_array_head(scratch.head, dtype_of<T>, std::array<std::size_t, 1>{n});
        return payload(scratch, std::ranges::data(range), n);
    }

    /// A single value of exactly type `T` (no silent conversion), stored as a 0-d array.
    template <class V>
        requires std::same_as<V, T> && (Rank == 0 || Rank == dynamic_rank)
    [[nodiscard]] Payload encode(const V& value, EncodeScratch& scratch) const {
        detail::write_array_head(scratch.head, dtype_of<T>, std::array<std::size_t, 0>{});
        return payload(scratch, &value, 1);
    }

private:
    static Payload payload(const EncodeScratch& scratch, const T* data, std::size_t n) {
        const std::size_t nbytes = n * sizeof(T);
        return {scratch.head, {reinterpret_cast<const std::byte*>(data), nbytes},
                detail::array_data_alignment(nbytes, alignof(T))};
    }

    static std::string dtype_mismatch(std::string_view stored) {
        return "stored dtype '" + std::string(stored) + "', requested '" + std::string(dtype_of<T>) + "'";
    }
};

static_assert(Codec<NdArrayCodec<double>>);

}  // namespace tinman
