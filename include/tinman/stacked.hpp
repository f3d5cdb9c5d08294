#pragma once
/// @file
/// A whole channel as one array: the records of a channel whose payloads share
/// one element type and shape lie at a fixed stride in the file, so `stacked(channel)`
/// views them in place as one strided array of shape (N, ...), and
/// `timestamps(channel)` views the N timestamps in the time index file.

#include <array>
#include <bit>
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include "channel/indexed_channel.hpp"
#include "channel/opened_channel.hpp"
#include "codecs/array_view.hpp"
#include "codecs/element_layout.hpp"
#include "codecs/struct_layout.hpp"
#include "error.hpp"
#include "index/time_index.hpp"
#include "xtensor.hpp"

namespace tinman {

/// How much of a channel `stacked()` checks before viewing it.
enum class StackCheck {
    /// Records 0 and N-1 against the writer's uniform-layout claim (O(1)), then any
    /// records past the claim one by one; without a claim, every record (O(N)).
    claim,
    /// Every record's header and head, whatever the claim says (O(N), no payload read).
    headers,
    /// Also every payload's checksum (reads the whole channel).
    payloads,
};

/// A whole channel as one read-only array of shape (N, record shape...), strided
/// over the mapped channel file; holds the mapping alive like every view.
/// `T` is any trivially copyable element (a number, or a struct of a struct codec).
template <class T>
    requires std::is_trivially_copyable_v<T>
using StackedView = xt::xarray_adaptor<xt::xbuffer_adaptor<const T*, xt::smart_ownership, SegmentPtr>,
                                       xt::layout_type::dynamic, shape_type>;

/// The N timestamps of a channel, a read-only strided view of its time index file.
using TimestampsView = xt::xtensor_adaptor<ViewBuffer<std::int64_t>, 1, xt::layout_type::dynamic>;

namespace detail {

template <class C>
struct default_element {
    using type = void;  // the caller names the element type
};
template <class C>
    requires requires { typename C::element_type; }
struct default_element<C> {
    using type = typename C::element_type;
};
/// `C::element_type` if the codec fixes one, else `void`.
template <class C>
using default_element_t = typename default_element<C>::type;

/// Where the records of a uniform channel are: record `i`'s elements start at
/// file offset `first_body + i * stride`.
struct UniformLayout {
    std::uint64_t records = 0;
    std::uint64_t first_body = 0;
    std::uint64_t stride = 0;  ///< bytes; 0 when there are fewer than 2 records
    ElementLayout element;
    std::size_t count = 0;  ///< elements per record
};

/// Finds and checks the layout of the first `records` records of channel `opened`
/// as arrays of `T` (see `StackCheck`) whose stride is a multiple of `Unit` bytes
/// (the size of what will be viewed: `T`, or one field of it); throws `not_uniform`
/// naming the first record that breaks it and why, or `format_error` for damage.
template <class T, class C, std::size_t Unit = sizeof(T)>
[[nodiscard]] UniformLayout find_uniform_layout(const C& codec, TimeIndex& index, std::uint64_t records,
                                                const OpenedChannel& opened, StackCheck check) {
    static constexpr const char* copy_hint = "; tinman::stack(channel) copies records of one shape into an array";
    const auto file = index.segment()->bytes();
    const auto where = [&](std::uint64_t i, std::optional<std::uint64_t> offset = std::nullopt) {
        return ErrorContext{.channel = opened.name, .path = opened.segment->path(), .record = i, .offset = offset};
    };
    if (const auto& s = index.status(); s.stop == ScanStop::corrupt)
        throw format_error(where(s.records, s.intact_end),
                           "damaged (" + s.reason + "), so the channel cannot be viewed whole" + copy_hint);
    UniformLayout u;
    u.records = records;
    if (u.records == 0) return u;
    const std::size_t verify = check == StackCheck::payloads ? SIZE_MAX : 0;
    const auto record = [&](std::uint64_t i) {
        try {
            return index.record(i, verify);
        } catch (const error& e) {
            throw format_error(where(i), e.reason() + copy_hint);
        }
    };
    const auto layout_of = [&](std::uint64_t i, std::span<const std::byte> payload) {
        try {
            return element_layout_of<T>(codec, payload);
        } catch (const codec_mismatch& e) {
            throw codec_mismatch(where(i), e.reason());
        } catch (const error& e) {
            throw format_error(where(i), e.reason());
        }
    };
    const RecordView r0 = record(0);
    u.element = layout_of(0, r0.payload);
    const std::size_t h = u.element.head_size;
    const auto head0 = r0.payload.first(h);
    const std::size_t payload_size = r0.payload.size();
    u.count = (payload_size - h) / sizeof(T);
    u.first_body = static_cast<std::uint64_t>(r0.payload.data() - file.data()) + h;
    if (reinterpret_cast<std::uintptr_t>(file.data() + u.first_body) % alignof(T) != 0)
        throw not_uniform(where(0, r0.offset), "its elements are not aligned to " + std::to_string(alignof(T)) +
                                                   " bytes, so they cannot be viewed in place" + copy_hint);

    const auto shape_text = [](const shape_type& s) {
        std::string t = "(";
        for (std::size_t i = 0; i < s.size(); ++i) t += (i ? ", " : "") + std::to_string(s[i]);
        return t + (s.size() == 1 ? ",)" : ")");
    };
    // Record `i` must have record 0's payload size and head, and its body at the stride.
    const auto check_record = [&](std::uint64_t i, const RecordView& r) {
        if (r.payload.size() != payload_size || std::memcmp(r.payload.data(), head0.data(), h) != 0) {
            const auto l = layout_of(i, r.payload);  // throws when it is no array of T
            throw not_uniform(where(i, r.offset), "its shape " + shape_text(l.shape) + " differs from record 0's " +
                                                      shape_text(u.element.shape) + copy_hint);
        }
        const auto body = static_cast<std::uint64_t>(r.payload.data() - file.data()) + h;
        if (i == 1) {
            if (body <= u.first_body || (body - u.first_body) % Unit != 0)
                throw not_uniform(where(i, r.offset),
                                  "its elements are " + std::to_string(body - u.first_body) +
                                      " bytes after record 0's, not a multiple of the element size (" +
                                      std::to_string(Unit) + ")" +
                                      (Unit > 16 ? "; tinman::stacked_field(channel, name) views one field of a "
                                                   "struct in place"
                                                 : "") +
                                      copy_hint);
            u.stride = body - u.first_body;
        } else if (body != u.first_body + i * u.stride) {
            throw not_uniform(where(i, r.offset),
                              "its elements are at offset " + std::to_string(body) + ", not at the stride of " +
                                  std::to_string(u.stride) + " bytes from record 0's (offset " +
                                  std::to_string(u.first_body + i * u.stride) +
                                  "): the padding before it is irregular, as after a failed write" + copy_hint);
        }
        if constexpr (std::is_same_v<T, bool>)
            if (!bool_bytes_valid(r.payload.subspan(h)))
                throw format_error(where(i, r.offset), "bool array holds a byte other than 0 or 1");
    };
    if constexpr (std::is_same_v<T, bool>)
        if (!bool_bytes_valid(r0.payload.subspan(h)))
            throw format_error(where(0, r0.offset), "bool array holds a byte other than 0 or 1");

    // The writer's claim, if it describes record 0 as found: then records 0..M-1 are
    // uniform once record M-1 is where the claim puts it.
    std::uint64_t checked = 1;
    const bool trust_claim = check == StackCheck::claim && !std::is_same_v<T, bool>;
    if (const auto c = trust_claim ? index.uniform_claim() : std::nullopt;
        c && c->records >= 2 && c->payload_size == payload_size && c->head_size == h && c->head_crc == crc32c(head0) &&
        c->first_body == u.first_body && c->stride % Unit == 0) {
        const std::uint64_t m = std::min(c->records, u.records);
        if (m >= 2) {
            u.stride = c->stride;
            check_record(m - 1, record(m - 1));
            checked = m;
        }
    }
    for (std::uint64_t i = checked; i < u.records; ++i) check_record(i, record(i));
    return u;
}

/// The view of a channel whose layout is `u`, over the channel file mapped in `segment` (from offset 0).
template <class T>
[[nodiscard]] StackedView<T> make_stacked_view(const UniformLayout& u, const SegmentPtr& segment) {
    const auto& inner = u.element.shape;
    shape_type shape(inner.size() + 1);
    xt::svector<std::ptrdiff_t, 4> strides(inner.size() + 1);
    shape[0] = static_cast<std::size_t>(u.records);
    std::ptrdiff_t step = 1;
    for (std::size_t d = inner.size(); d-- > 0;) {
        shape[d + 1] = inner[d];
        strides[d + 1] = inner[d] == 1 ? 0 : step;
        step *= static_cast<std::ptrdiff_t>(inner[d]);
    }
    strides[0] = u.records < 2 ? 0 : static_cast<std::ptrdiff_t>(u.stride / sizeof(T));
    const T* data = u.records > 0 ? reinterpret_cast<const T*>(segment->bytes().data() + u.first_body) : nullptr;
    // xtensor sizes a container's storage by its shape (N x count elements): the
    // buffer starts at record 0's elements and the strides reach the others, all
    // inside the mapping (the storage is not the array's elements in order: use the view).
    const std::size_t size = static_cast<std::size_t>(u.records) * u.count;
    return StackedView<T>(xt::xbuffer_adaptor<const T*, xt::smart_ownership, SegmentPtr>(data, size, segment), shape,
                          strides);
}

/// The timestamps of the first `n` records, viewed in the index file (entry `i`'s
/// first 8 bytes, every 32 bytes); throws `usage_error` when some are not in the
/// index file.
[[nodiscard]] inline TimestampsView timestamps_view(TimeIndex& index, std::uint64_t n, const OpenedChannel& opened) {
    static_assert(format::index_entry_size % sizeof(std::int64_t) == 0);
    const std::array<std::size_t, 1> shape{static_cast<std::size_t>(n)};
    constexpr std::ptrdiff_t stride = format::index_entry_size / sizeof(std::int64_t);
    if (n == 0) return TimestampsView(ViewBuffer<std::int64_t>(nullptr, 0, SegmentPtr()), shape, std::array{stride});
    if (std::endian::native != std::endian::little || index.indexed_records() < n || !index.index_segment())
        throw usage_error({.channel = opened.name, .path = opened.segment->path(), .record = index.indexed_records()},
                          "timestamps from this record on are not in the channel's time index file (it is missing, "
                          "stale or behind the records), so they are not at a fixed stride; "
                          "tinman::copy_timestamps(channel) copies them");
    const auto& seg = index.index_segment();
    const auto* first = reinterpret_cast<const std::int64_t*>(seg->bytes().data() + format::index_header_size);
    return TimestampsView(ViewBuffer<std::int64_t>(first, static_cast<std::size_t>(n), seg), shape, std::array{stride});
}

/// Reaches the state of an `IndexedChannel` (its codec, index and file).
struct IndexedChannelAccess {
    template <class C>
    [[nodiscard]] static auto& state(const IndexedChannel<C>& channel) {
        return channel.state();
    }
};

/// Stands for "the codec's own element type" in `stacked<T>`.
struct codec_element {};

template <class T, class C>
using stacked_element_t = std::conditional_t<std::is_same_v<T, codec_element>, default_element_t<C>, T>;

}  // namespace detail
/// The whole channel as one read-only array of shape (N, record shape...), viewed
/// in place: `all(i, ...)` is record `i`'s array. For channels whose records are
/// arrays of one element type and shape: `NdArrayCodec<T>` channels as
/// `stacked(channel)`; `AnyArrayCodec` (and other caller-typed codecs) as
/// `stacked<T>(channel)`; any `StackableCodec`. No copy: such records lie at a
/// fixed stride in the file.
///
///     auto imu = reader.indexed_channel<tinman::NdArrayCodec<double>>("imu");
///     auto all = tinman::stacked(imu);              // shape (N, 8)
///     xt::xtensor<double, 1> mean = xt::mean(all, {0});
///
/// O(1) in the record count when the writer's uniform-layout claim in the time
/// index covers the records: records 0 and N-1 are checked against it (headers,
/// heads, positions); the records between are trusted to the claim and the index,
/// as `IndexedChannel::operator[]` trusts an entry until it is used. Without a
/// claim (files of other writers, a channel without an index file) every record's
/// header and head are checked once (O(N), no payload read). Payload checksums are
/// not verified; `StackCheck::payloads` verifies every record's. Throws
/// `not_uniform` naming the first record whose shape, dtype or position breaks the
/// layout, `format_error` for a damaged channel, and never copies: `stack()` does.
template <class T = detail::codec_element, class C>
    requires StackableCodec<C, detail::stacked_element_t<T, C>>
[[nodiscard]] StackedView<detail::stacked_element_t<T, C>> stacked(const IndexedChannel<C>& channel,
                                                                   StackCheck check = StackCheck::claim) {
    using E = detail::stacked_element_t<T, C>;
    auto& s = detail::IndexedChannelAccess::state(channel);
    return detail::make_stacked_view<E>(detail::find_uniform_layout<E>(s.codec, s.index, s.size, s.opened, check),
                                        s.opened.segment);
}

/// Field `name` of every record of a struct channel (`StructCodec<S>`,
/// `StructArrayCodec<S>`) as one read-only array of `F`, in place: shape (N, record
/// shape..., field shape...), strided over the mapped file. This is how the fields of
/// a struct channel are viewed whole: a struct of 56 bytes at a stride of 104 cannot
/// be a strided array of structs, but each of its fields can. `F` must be the field's
/// element type (`double` for `double q[4]`). Checks as `stacked()` does; throws
/// `usage_error` for an unknown field, `codec_mismatch` for another type.
///
///     auto imu = reader.indexed_channel<tinman::StructCodec<Imu>>("imu");
///     auto ax = tinman::stacked_field<double>(imu, "ax");  // shape (N,)
template <class F, class C>
    requires std::is_arithmetic_v<F> && requires { C::layout(); typename C::element_type; }
[[nodiscard]] StackedView<F> stacked_field(const IndexedChannel<C>& channel, std::string_view name,
                                           StackCheck check = StackCheck::claim) {
    using S = typename C::element_type;
    auto& s = detail::IndexedChannelAccess::state(channel);
    const StructField* field = C::layout().find(name);
    if (field == nullptr)
        throw usage_error(s.opened.where(), "struct " + C::layout().to_string() + " has no field '" +
                                                std::string(name) + "'");
    if (field->dtype != dtype_of<F>)
        throw codec_mismatch(s.opened.where(), "field '" + std::string(name) + "' holds " + field->dtype + ", not " +
                                                   std::string(dtype_of<F>));
    const detail::UniformLayout u = detail::find_uniform_layout<S, C, sizeof(F)>(s.codec, s.index, s.size, s.opened, check);
    if (sizeof(S) % sizeof(F) != 0 && !u.element.shape.empty())
        throw not_uniform(s.opened.where(), "the structs of a record are " + std::to_string(sizeof(S)) +
                                                " bytes apart, not a multiple of field '" + std::string(name) +
                                                "''s element size; tinman::stack(channel) copies the records");
    // Strides in elements of F: records, then the structs of a record, then the field's own axes.
    const auto& record_shape = u.element.shape;
    shape_type shape{static_cast<std::size_t>(u.records)};
    shape.insert(shape.end(), record_shape.begin(), record_shape.end());
    shape.insert(shape.end(), field->shape.begin(), field->shape.end());
    xt::svector<std::ptrdiff_t, 4> strides(shape.size());
    std::ptrdiff_t step = 1;
    for (std::size_t d = field->shape.size(); d-- > 0;) {
        strides[1 + record_shape.size() + d] = field->shape[d] == 1 ? 0 : step;
        step *= static_cast<std::ptrdiff_t>(field->shape[d]);
    }
    step = static_cast<std::ptrdiff_t>(sizeof(S) / sizeof(F));
    for (std::size_t d = record_shape.size(); d-- > 0;) {
        strides[1 + d] = record_shape[d] == 1 ? 0 : step;
        step *= static_cast<std::ptrdiff_t>(record_shape[d]);
    }
    strides[0] = u.records < 2 ? 0 : static_cast<std::ptrdiff_t>(u.stride / sizeof(F));
    const std::byte* first = u.records > 0 ? s.opened.segment->bytes().data() + u.first_body + field->offset : nullptr;
    if (reinterpret_cast<std::uintptr_t>(first) % alignof(F) != 0)
        throw not_uniform(s.opened.where(), "field '" + std::string(name) + "' is not aligned to " +
                                                std::to_string(alignof(F)) + " bytes in the file");
    // Sized by the shape, as xtensor sizes an adaptor's storage (see make_stacked_view):
    // the strides reach every element inside the mapping.
    std::size_t size = 1;
    for (auto n : shape) size *= n;
    return StackedView<F>(xt::xbuffer_adaptor<const F*, xt::smart_ownership, SegmentPtr>(
                              reinterpret_cast<const F*>(first), size, s.opened.segment),
                          shape, strides);
}

/// The records of `channel` copied into one array of shape (N, record shape...),
/// wherever they lie in the file; throws `not_uniform` when their shapes differ.
/// Reads and verifies each record like `IndexedChannel::operator[]`.
template <class T = detail::codec_element, class C>
    requires StackableCodec<C, detail::stacked_element_t<T, C>>
[[nodiscard]] xt::xarray<detail::stacked_element_t<T, C>> stack(const IndexedChannel<C>& channel) {
    using E = detail::stacked_element_t<T, C>;
    auto& s = detail::IndexedChannelAccess::state(channel);
    const std::uint64_t n = channel.size();
    if (n == 0) return xt::xarray<E>::from_shape({0});
    shape_type first;
    xt::xarray<E> out;
    std::size_t bytes = 0;
    for (std::uint64_t i = 0; i < n; ++i) {
        const RecordView r = s.checked_record(i);
        ElementLayout l;
        try {
            l = element_layout_of<E>(s.codec, r.payload);
        } catch (const codec_mismatch& e) {
            throw codec_mismatch(s.where(i), e.reason());
        } catch (const error& e) {
            throw format_error(s.where(i), e.reason());
        }
        if (i == 0) {
            first = l.shape;
            shape_type shape(l.shape.size() + 1);
            shape[0] = static_cast<std::size_t>(n);
            std::copy(l.shape.begin(), l.shape.end(), shape.begin() + 1);
            out = xt::xarray<E>::from_shape(shape);
            bytes = r.payload.size() - l.head_size;
        } else if (l.shape != first) {
            throw not_uniform(s.where(i), "its shape differs from record 0's, so the records cannot be stacked");
        }
        const auto body = r.payload.subspan(l.head_size);
        if constexpr (std::is_same_v<E, bool>)
            if (!detail::bool_bytes_valid(body)) throw format_error(s.where(i), "bool array holds a byte other than 0 or 1");
        if (bytes != 0) std::memcpy(reinterpret_cast<std::byte*>(out.data()) + i * bytes, body.data(), bytes);
    }
    return out;
}

/// The N timestamps of `channel` as a read-only strided view of its time index
/// file, in O(1). Entries between the first and the last are trusted until
/// checked: `StackCheck::headers` (or `payloads`) verifies every entry's checksum
/// first. Throws `usage_error` when some records are not in the index file (it is
/// missing, stale or behind the channel); `copy_timestamps()` works for every channel.
template <class C>
[[nodiscard]] TimestampsView timestamps(const IndexedChannel<C>& channel, StackCheck check = StackCheck::claim) {
    auto& s = detail::IndexedChannelAccess::state(channel);
    if (check != StackCheck::claim)
        for (std::uint64_t i = 0; i < s.size; ++i) (void)s.checked(i, [&] { return s.index.entry(i); });
    return detail::timestamps_view(s.index, s.size, s.opened);
}

/// The N timestamps of `channel`, copied.
template <class C>
[[nodiscard]] xt::xtensor<std::int64_t, 1> copy_timestamps(const IndexedChannel<C>& channel) {
    xt::xtensor<std::int64_t, 1> out = xt::xtensor<std::int64_t, 1>::from_shape({static_cast<std::size_t>(channel.size())});
    for (std::size_t i = 0; i < out.size(); ++i) out(i) = channel.timestamp(i);
    return out;
}

}  // namespace tinman
