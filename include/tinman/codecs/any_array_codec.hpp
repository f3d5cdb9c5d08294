#pragma once
/// @file
/// `AnyArrayCodec`: n-d arrays of any dtype, read as `AnyArray`.

#include <algorithm>
#include <cstddef>
#include <memory>
#include <span>
#include <string>

#include "any_array.hpp"
#include "codec.hpp"
#include "element_layout.hpp"
#include "ndarray_codec.hpp"
#include "ndarray_payload.hpp"
#include "remembered_head.hpp"

namespace tinman {

/// Reads any "ndarray" channel (any dtype, also varying per record) as `AnyArray`;
/// writes `AnyArray`s and any xtensor expression of an `Element` type.
///
/// Made from a channel's stored descriptor (`AnyArrayCodec{reader.codec("imu")}`),
/// it also reads the field list of a struct channel: its arrays then have
/// `fields()` and `field("ax")`, and it reads only channels of that layout.
class AnyArrayCodec {
public:
    using value_type = AnyArray;

    AnyArrayCodec() = default;
    /// Reads channels stored as `stored` (its struct layout, if any). Throws
    /// `format_error` when the stored layout is malformed.
    explicit AnyArrayCodec(const CodecDescriptor& stored) {
        if (auto s = stored.param("struct"); s && stored.name == "ndarray")
            layout_ = std::make_shared<const StructLayout>(StructLayout::parse_json(*s));
    }

    /// The struct layout this codec reads, or nullptr.
    [[nodiscard]] const StructLayout* layout() const noexcept { return layout_.get(); }

    [[nodiscard]] CodecDescriptor descriptor() const {
        if (!layout_) return {"ndarray", {}};
        return {"ndarray", {{"dtype", layout_->void_dtype()}, {"struct", layout_->json()}}};
    }

    [[nodiscard]] std::string mismatch(const CodecDescriptor& stored) const {
        if (stored.name != "ndarray") return codec_kind_mismatch(stored, descriptor());
        if (!layout_) return {};
        const auto s = stored.param("struct");
        try {
            if (s && StructLayout::parse_json(*s) == *layout_) return {};
        } catch (const format_error& e) {
            return std::string("stored struct layout is unreadable (") + e.what() + ")";
        }
        return "stored " + (s ? "struct " + StructLayout::parse_json(*s).to_string() : std::string("array without fields")) +
               ", this codec reads struct " + layout_->to_string();
    }

    [[nodiscard]] value_type decode(std::span<const std::byte> payload, const SegmentPtr& owner) const {
        if (layout_) return AnyArray(detail::parse_array_payload(payload), owner, layout_);
        return AnyArray(detail::parse_array_payload(payload), owner);
    }

    /// Decodes a pass over a channel: while records keep the head (dtype and shape)
    /// of the one before, the head is compared byte for byte instead of parsed, and
    /// the array is copied from a prototype of that dtype and shape.
    class Decoder {
    public:
        [[nodiscard]] value_type decode(const AnyArrayCodec& codec, std::span<const std::byte> payload,
                                        const SegmentPtr& owner) {
            if (head_.matches(payload)) return rebased(prototype_, payload.subspan(head_.size()), owner);
            value_type a = codec.decode(payload, owner);
            if (head_.remember(payload, payload.size() - a.bytes().size())) prototype_ = rebased(a, {}, nullptr);
            return a;
        }

    private:
        AnyArray prototype_;  // holds no mapping
        detail::RememberedHead head_;
    };

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
        // The largest power of two dividing the item size, up to 16: long double (`<f16`)
        // and its complex (`<c32`) need 16 to be viewed in place.
        const std::size_t element_alignment = std::min<std::size_t>(itemsize & (~itemsize + 1), 16);
        return {scratch.head, a.bytes(), detail::array_data_alignment(a.bytes().size(), element_alignment)};
    }

    template <class E>
        requires detail::is_xexpression_v<E> && Element<typename E::value_type>
    [[nodiscard]] Payload encode(const E& e, EncodeScratch& scratch) const {
        return NdArrayCodec<typename E::value_type>{}.encode(e, scratch);
    }

private:
    /// `a` over `data`, kept alive by `owner` (for the decoder: `data` has `a`'s dtype and shape).
    [[nodiscard]] static AnyArray rebased(const AnyArray& a, std::span<const std::byte> data, const SegmentPtr& owner) {
        AnyArray out = a;
        out.data_ = data;
        out.owner_ = owner;
        return out;
    }

    std::shared_ptr<const StructLayout> layout_;
};

static_assert(Codec<AnyArrayCodec>);
static_assert(CodecFor<AnyArrayCodec, AnyArray>);

}  // namespace tinman
