#pragma once
/// @file
/// `AnyArrayCodec`: n-d arrays of any dtype, read as `AnyArray`.

#include <algorithm>
#include <cstddef>
#include <span>
#include <string>

#include "any_array.hpp"
#include "codec.hpp"
#include "element_layout.hpp"
#include "ndarray_codec.hpp"
#include "ndarray_payload.hpp"

namespace tinman {

/// Reads any "ndarray" channel (any dtype, also varying per record) as `AnyArray`;
/// writes `AnyArray`s and any xtensor expression of an `Element` type.
class AnyArrayCodec {
public:
    using value_type = AnyArray;

    [[nodiscard]] CodecDescriptor descriptor() const { return {"ndarray", {}}; }

    [[nodiscard]] std::string mismatch(const CodecDescriptor& stored) const {
        return stored.name == "ndarray" ? std::string{} : codec_kind_mismatch(stored, descriptor());
    }

    [[nodiscard]] value_type decode(std::span<const std::byte> payload, const SegmentPtr& owner) const {
        return AnyArray(detail::parse_array_payload(payload), owner);
    }

    /// Where `payload` keeps its elements, which must be of `T`'s dtype in native
    /// byte order (see `StackableCodec`).
    template <Element T>
    [[nodiscard]] ElementLayout element_layout_as(std::span<const std::byte> payload) const {
        return detail::ndarray_element_layout(payload, dtype_of<T>, sizeof(T));
    }

    [[nodiscard]] Payload encode(const AnyArray& a, EncodeScratch& scratch) const {
        if (a.dtype().empty()) throw usage_error("cannot write an empty AnyArray (it has no dtype)");
        detail::write_array_head(scratch.head, a.dtype(), a.shape());
        const std::size_t itemsize = a.dtype_info().itemsize;
        const std::size_t element_alignment = std::min<std::size_t>(itemsize & (~itemsize + 1), 8);
        return {scratch.head, a.bytes(), detail::array_data_alignment(a.bytes().size(), element_alignment)};
    }

    template <class E>
        requires detail::is_xexpression_v<E> && Element<typename E::value_type>
    [[nodiscard]] Payload encode(const E& e, EncodeScratch& scratch) const {
        return NdArrayCodec<typename E::value_type>{}.encode(e, scratch);
    }
};

static_assert(Codec<AnyArrayCodec>);
static_assert(CodecFor<AnyArrayCodec, AnyArray>);

}  // namespace tinman
