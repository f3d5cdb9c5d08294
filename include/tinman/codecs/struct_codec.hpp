#pragma once
/// @file
/// `StructCodec<T>` and `StructArrayCodec<T>`: records that are C++ structs with
/// named fields (a numpy structured dtype), one struct or an n-d array of them
/// per record, read in place.
///
///     struct Imu { double ax, ay, az, gx, gy, gz; std::int32_t status; };
///     TINMAN_STRUCT(Imu, ax, ay, az, gx, gy, gz, status)
///
///     auto write = log.get_writer("imu", tinman::StructCodec<Imu>{});
///     write(Imu{...});
///     for (auto&& [t, imu] : reader.read_channel<tinman::StructCodec<Imu>>("imu")) use(imu->ax);

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "element_layout.hpp"
#include "codec.hpp"
#include "ndarray_codec.hpp"
#include "ndarray_payload.hpp"
#include "struct_fields.hpp"
#include "struct_layout.hpp"
#include "struct_view.hpp"

namespace tinman {

namespace detail {

/// What both struct codecs of `T` share, computed once per type.
template <Struct T>
struct StructInfo {
    StructLayout layout = struct_layout_of<T>();
    std::string dtype = layout.void_dtype();
    CodecDescriptor descriptor{"ndarray", {{"dtype", dtype}, {"struct", layout.json()}}};
    std::vector<std::size_t> bool_offsets = [this] {  // bytes that must hold 0 or 1
        std::vector<std::size_t> v;
        for (const auto& f : layout.fields())
            if (f.info.kind == 'b')
                for (std::size_t i = 0; i < f.count(); ++i) v.push_back(f.offset + i);
        return v;
    }();

    static const StructInfo& get() {
        static const StructInfo info;
        return info;
    }
};

/// Why a codec of `want` cannot read a channel stored as `stored` (empty if it can).
[[nodiscard]] inline std::string struct_mismatch(const CodecDescriptor& stored, const CodecDescriptor& requested,
                                                 const StructLayout& want) {
    if (stored.name != "ndarray") return codec_kind_mismatch(stored, requested);
    const auto text = stored.param("struct");
    if (!text) {
        return "stored dtype '" + std::string(stored.param("dtype").value_or("(any)")) +
               "' has no field list, requested struct " + want.to_string();
    }
    try {
        const auto have = StructLayout::parse_json(*text);
        if (have == want) return {};
        std::string why = "stored struct " + have.to_string() + ", requested struct " + want.to_string();
        if (have.itemsize() != want.itemsize()) return why + ": itemsize differs";
        const std::size_t n = std::min(have.fields().size(), want.fields().size());
        for (std::size_t i = 0; i < n; ++i)
            if (!(have.fields()[i] == want.fields()[i]))
                return why + ": field " + std::to_string(i) + " is '" + have.fields()[i].name + "' " +
                       have.fields()[i].format() + " @" + std::to_string(have.fields()[i].offset) + ", requested '" +
                       want.fields()[i].name + "' " + want.fields()[i].format() + " @" +
                       std::to_string(want.fields()[i].offset);
        return why + ": " + std::to_string(have.fields().size()) + " fields stored, " +
               std::to_string(want.fields().size()) + " requested";
    } catch (const format_error& e) {
        return std::string("stored struct layout is unreadable (") + e.what() + "), requested struct " +
               want.to_string();
    }
}

/// Encoding shared by the struct codecs: like NdArrayCodec's, with dtype "|V<sizeof(T)>".
template <Struct T>
struct StructEncoder {
    static Payload payload(const EncodeScratch& scratch, const T* data, std::size_t n) {
        const std::size_t nbytes = n * sizeof(T);
        return {scratch.head, {reinterpret_cast<const std::byte*>(data), nbytes},
                array_data_alignment(nbytes, alignof(T))};
    }

    template <class E>
    static Payload expression(const E& e, EncodeScratch& scratch) {
        write_array_head(scratch.head, StructInfo<T>::get().dtype, e.shape());
        const std::size_t n = static_cast<std::size_t>(e.size());
        const T* data = c_order_data<T>(e);
        if (data == nullptr && n != 0) {
            // Scratch memory is aligned for the usual types only: leave room to align past it.
            scratch.body.resize(n * sizeof(T) + alignof(T));
            void* p = scratch.body.data();
            std::size_t room = scratch.body.size();
            T* out_data = static_cast<T*>(std::align(alignof(T), n * sizeof(T), p, room));
            const shape_type shape(e.shape().begin(), e.shape().end());
            auto out = xt::adapt(out_data, n, xt::no_ownership(), shape);
            xt::noalias(out) = e;
            data = out_data;
        }
        return payload(scratch, data, n);
    }

    static Payload one(const T& value, EncodeScratch& scratch) {
        write_array_head(scratch.head, StructInfo<T>::get().dtype, std::array<std::size_t, 0>{});
        return payload(scratch, &value, 1);
    }

    template <class R>
    static Payload range(const R& r, EncodeScratch& scratch) {
        const auto n = static_cast<std::size_t>(std::ranges::size(r));
        write_array_head(scratch.head, StructInfo<T>::get().dtype, std::array<std::size_t, 1>{n});
        return payload(scratch, std::ranges::data(r), n);
    }

    /// Checks a payload holds `T`s that can be read in place; their address and count.
    static std::pair<const T*, std::size_t> check(const ArrayHead& a) {
        const auto& info = StructInfo<T>::get();
        if (a.dtype != info.dtype)
            throw codec_mismatch("stored dtype '" + std::string(a.dtype) + "', requested '" + info.dtype +
                                 "' (struct " + info.layout.to_string() + ")");
        check_array_size(a, sizeof(T));
        if (reinterpret_cast<std::uintptr_t>(a.data.data()) % alignof(T) != 0)
            throw format_error("struct data is not aligned to " + std::to_string(alignof(T)) +
                               " bytes, so it cannot be read in place; read it with AnyArrayCodec and copy the bytes");
        if (!info.bool_offsets.empty())
            for (std::size_t r = 0; r < a.count; ++r)
                for (auto o : info.bool_offsets)
                    if ((std::to_integer<unsigned>(a.data[r * sizeof(T) + o]) & 0xFEu) != 0)
                        throw format_error("struct " + std::to_string(r) + " holds a bool byte other than 0 or 1");
        return {reinterpret_cast<const T*>(a.data.data()), a.count};
    }
};

}  // namespace detail

/// Stores one struct `T` (declared with `TINMAN_STRUCT`) per record as a 0-d
/// numpy structured array; reads it in place as `StructRef<T>` (a `const T&` that
/// keeps the mapping alive). Also writes arrays of `T` (as `StructArrayCodec<T>`
/// does, to the same channel), which it then refuses to read.
template <Struct T>
class StructCodec {
public:
    using value_type = StructRef<T>;
    using element_type = T;
    static constexpr std::size_t itemsize = sizeof(T);
    static constexpr std::size_t alignment = alignof(T);
    static_assert(alignof(T) <= 64, "tinman: struct alignment above 64 bytes is not stored");

    /// `ndarray`, dtype `|V<sizeof(T)>`, struct: the fields as JSON.
    [[nodiscard]] CodecDescriptor descriptor() const { return detail::StructInfo<T>::get().descriptor; }
    /// The stored structured dtype: `T`'s fields and size.
    [[nodiscard]] static const StructLayout& layout() { return detail::StructInfo<T>::get().layout; }
    /// The element dtype string, "|V<sizeof(T)>".
    [[nodiscard]] static const std::string& dtype() { return detail::StructInfo<T>::get().dtype; }

    [[nodiscard]] std::string mismatch(const CodecDescriptor& stored) const {
        return detail::struct_mismatch(stored, descriptor(), layout());
    }

    /// Where a payload keeps its struct(s): for whole-channel views (`tinman/stacked.hpp`).
    [[nodiscard]] ElementLayout element_layout(std::span<const std::byte> payload) const {
        return detail::ndarray_element_layout(payload, dtype(), sizeof(T));
    }

    [[nodiscard]] value_type decode(std::span<const std::byte> payload, const SegmentPtr& owner) const {
        const auto a = detail::parse_array_head(payload);
        const T* data = detail::StructEncoder<T>::check(a).first;
        if (a.ndim != 0)
            throw codec_mismatch("stored array of structs has " + std::to_string(a.ndim) +
                                 " dimensions; StructCodec reads one struct per record (use StructArrayCodec)");
        return value_type(data, owner);
    }

    /// One `T`, stored from its own memory as a 0-d array.
    template <class V>
        requires std::same_as<V, T>
    [[nodiscard]] Payload encode(const V& value, EncodeScratch& scratch) const {
        return detail::StructEncoder<T>::one(value, scratch);
    }
    /// An xtensor expression of `T`, in C order (from its own memory when contiguous).
    template <class E>
        requires detail::is_xexpression_v<E> && std::same_as<typename E::value_type, T>
    [[nodiscard]] Payload encode(const E& e, EncodeScratch& scratch) const {
        return detail::StructEncoder<T>::expression(e, scratch);
    }
    /// `std::vector<T>`, `std::span<const T>`, `std::array<T, N>`: a 1-d array.
    template <class R>
        requires detail::contiguous_of<R, T>
    [[nodiscard]] Payload encode(const R& range, EncodeScratch& scratch) const {
        return detail::StructEncoder<T>::range(range, scratch);
    }
};

/// Stores n-d arrays of struct `T` (declared with `TINMAN_STRUCT`) as numpy
/// structured arrays; reads them in place as `StructArrayView<T, Rank>`, whose
/// fields `field<&T::member>(view)` views without copying. A fixed `Rank` is
/// checked on reading and writing. Same channels as `StructCodec<T>`.
template <Struct T, std::size_t Rank = dynamic_rank>
class StructArrayCodec {
public:
    using value_type = StructArrayView<T, Rank>;
    using element_type = T;
    static constexpr std::size_t itemsize = sizeof(T);
    static constexpr std::size_t alignment = alignof(T);
    static_assert(alignof(T) <= 64, "tinman: struct alignment above 64 bytes is not stored");

    [[nodiscard]] CodecDescriptor descriptor() const { return detail::StructInfo<T>::get().descriptor; }
    [[nodiscard]] static const StructLayout& layout() { return detail::StructInfo<T>::get().layout; }
    [[nodiscard]] static const std::string& dtype() { return detail::StructInfo<T>::get().dtype; }

    [[nodiscard]] std::string mismatch(const CodecDescriptor& stored) const {
        return detail::struct_mismatch(stored, descriptor(), layout());
    }

    /// Where a payload keeps its struct(s): for whole-channel views (`tinman/stacked.hpp`).
    [[nodiscard]] ElementLayout element_layout(std::span<const std::byte> payload) const {
        return detail::ndarray_element_layout(payload, dtype(), sizeof(T));
    }

    [[nodiscard]] value_type decode(std::span<const std::byte> payload, const SegmentPtr& owner) const {
        const auto a = detail::parse_array_head(payload);
        if constexpr (Rank != dynamic_rank) {
            if (a.ndim != Rank)
                throw codec_mismatch("stored array has " + std::to_string(a.ndim) + " dimensions, requested " +
                                     std::to_string(Rank));
        }
        const auto [data, count] = detail::StructEncoder<T>::check(a);
        using shape = std::conditional_t<Rank == dynamic_rank, shape_type, std::array<std::size_t, Rank>>;
        shape s{};
        if constexpr (Rank == dynamic_rank) s.resize(a.ndim);
        for (std::size_t i = 0; i < s.size(); ++i) s[i] = a.dim(i);
        return value_type(StructBuffer<T>(data, count, owner), s);
    }

    template <class V>
        requires std::same_as<V, T> && (Rank == 0 || Rank == dynamic_rank)
    [[nodiscard]] Payload encode(const V& value, EncodeScratch& scratch) const {
        return detail::StructEncoder<T>::one(value, scratch);
    }
    template <class E>
        requires detail::is_xexpression_v<E> && std::same_as<typename E::value_type, T>
    [[nodiscard]] Payload encode(const E& e, EncodeScratch& scratch) const {
        if constexpr (Rank != dynamic_rank) {
            if (e.dimension() != Rank)
                throw usage_error("cannot write an array of " + std::to_string(e.dimension()) +
                                  " dimensions with a rank " + std::to_string(Rank) + " StructArrayCodec");
        }
        return detail::StructEncoder<T>::expression(e, scratch);
    }
    template <class R>
        requires detail::contiguous_of<R, T> && (Rank == 1 || Rank == dynamic_rank)
    [[nodiscard]] Payload encode(const R& range, EncodeScratch& scratch) const {
        return detail::StructEncoder<T>::range(range, scratch);
    }
};

}  // namespace tinman
