#pragma once
/// @file
/// Fuzz targets for the parts of tinman that read untrusted bytes: the channel
/// file framing (file header, record scanning) and the NdArrayCodec payload.
///
/// Each target takes arbitrary bytes and returns 0. It must never crash, leak,
/// read outside its input or hit undefined behaviour, whatever the bytes; every
/// property it checks that does not hold ends the process with `__builtin_trap()`
/// after naming the property on stderr. The libFuzzer drivers (fuzz_*.cpp) and
/// the corpus replay in the unit tests (test_fuzz_corpus.cpp) call these.

#include <algorithm>
#include <complex>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#if defined(__has_include)
#if __has_include(<sanitizer/asan_interface.h>)
#include <sanitizer/asan_interface.h>
#endif
#endif
#ifndef ASAN_POISON_MEMORY_REGION
#define ASAN_POISON_MEMORY_REGION(addr, size) ((void)(addr), (void)(size))
#define ASAN_UNPOISON_MEMORY_REGION(addr, size) ((void)(addr), (void)(size))
#endif

#include <tinman/codecs/any_array_codec.hpp>
#include <tinman/framing/record_scanner.hpp>
#include <tinman/framing/crc32c.hpp>
#include <tinman/codecs/dtype.hpp>
#include <tinman/error.hpp>
#include <tinman/codecs/float16.hpp>
#include <tinman/framing/file_header.hpp>
#include <tinman/framing/record_header.hpp>
#include <tinman/index/index_format.hpp>
#include <tinman/codecs/ndarray_codec.hpp>

/// Traps, naming the property, unless `cond` holds.
#define TINMAN_FUZZ_CHECK(cond) ::tinman::fuzz::detail::check((cond), #cond, __FILE__, __LINE__)

namespace tinman::fuzz {
namespace detail {

inline void check(bool ok, const char* what, const char* file, int line) {
    if (ok) return;
    std::fprintf(stderr, "tinman fuzz: property violated at %s:%d: %s\n", file, line, what);
    std::fflush(stderr);
    __builtin_trap();
}

/// A copy of some bytes in memory of exactly their size: under ASan the bytes
/// around the copy are poisoned, so any read past its end (or, to ASan's 8-byte
/// granularity, before its start) is reported. The copy starts `misalign` bytes
/// after a 64-byte boundary.
class Buffer {
public:
    Buffer(const void* data, std::size_t size, std::size_t misalign) : size_(size) {
        misalign %= 64;
        capacity_ = std::max<std::size_t>((misalign + size + 63) / 64 * 64, 64);
        base_ = static_cast<std::byte*>(std::aligned_alloc(64, capacity_));
        if (base_ == nullptr) throw std::bad_alloc();
        data_ = base_ + misalign;
        if (size != 0) std::memcpy(data_, data, size);
        ASAN_POISON_MEMORY_REGION(base_, misalign);
        ASAN_POISON_MEMORY_REGION(data_ + size, capacity_ - misalign - size);
    }
    Buffer(const Buffer&) = delete;
    Buffer& operator=(const Buffer&) = delete;
    ~Buffer() {
        ASAN_UNPOISON_MEMORY_REGION(base_, capacity_);
        std::free(base_);
    }
    [[nodiscard]] std::span<const std::byte> span() const noexcept { return {data_, size_}; }

private:
    std::byte* base_ = nullptr;
    std::byte* data_ = nullptr;
    std::size_t size_ = 0;
    std::size_t capacity_ = 0;
};

template <class... Ts>
struct type_list {};

/// Every element type NdArrayCodec stores.
using element_types = type_list<bool, std::int8_t, std::int16_t, std::int32_t, std::int64_t, std::uint8_t,
                                std::uint16_t, std::uint32_t, std::uint64_t, float16, float, double,
                                std::complex<float>, std::complex<double>>;
inline constexpr std::size_t element_type_count = 14;

/// Calls `f.template operator()<T>()` for every element type `T`.
template <class F, class... Ts>
void for_each_type(type_list<Ts...>, F&& f) {
    (f.template operator()<Ts>(), ...);
}

/// Calls `f.template operator()<T>()` for the `i`-th element type.
template <class F, class... Ts>
void with_type_at(std::size_t i, type_list<Ts...>, F&& f) {
    std::size_t k = 0;
    ((k++ == i ? f.template operator()<Ts>() : void()), ...);
}

inline std::uint32_t load_u32(const std::byte* p) {
    std::uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = (v << 8) | std::to_integer<std::uint32_t>(p[i]);
    return v;
}

inline std::uint64_t load_u64(const std::byte* p) {
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | std::to_integer<std::uint64_t>(p[i]);
    return v;
}

inline void store_le(std::vector<std::byte>& out, std::uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out.push_back(static_cast<std::byte>((v >> (8 * i)) & 0xFF));
}

/// True when the spans hold the same bytes.
inline bool same_bytes(std::span<const std::byte> a, std::span<const std::byte> b) {
    return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size()) == 0);
}

inline bool aligned(const void* p, std::size_t alignment) {
    return reinterpret_cast<std::uintptr_t>(p) % alignment == 0;
}

/// True when `p` points into `outer` (or just past its end, for an empty `p` there).
inline bool inside(std::span<const std::byte> p, std::span<const std::byte> outer) {
    const auto begin = reinterpret_cast<std::uintptr_t>(outer.data());
    const auto at = reinterpret_cast<std::uintptr_t>(p.data());
    return at >= begin && at - begin <= outer.size() && p.size() <= outer.size() - (at - begin);
}

template <class Shape1, class Shape2>
bool equal_shapes(const Shape1& a, const Shape2& b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

inline bool valid_bools(std::span<const std::byte> bytes) {
    return std::all_of(bytes.begin(), bytes.end(), [](std::byte b) { return std::to_integer<unsigned>(b) <= 1; });
}

/// The head an NdArrayCodec payload of this dtype and shape has, built independently of the library.
template <class Shape>
std::vector<std::byte> expected_head(std::string_view dtype, const Shape& shape) {
    std::vector<std::byte> head;
    store_le(head, dtype.size(), 4);
    for (char c : dtype) head.push_back(static_cast<std::byte>(c));
    store_le(head, shape.size(), 4);
    for (auto d : shape) store_le(head, static_cast<std::uint64_t>(d), 8);
    return head;
}

/// The layout of a payload as read by a reference parser: where dtype, shape and data are.
struct PayloadLayout {
    bool complete = false;  ///< dtype length, dtype, ndim and shape all fit
    std::string_view dtype;
    std::vector<std::uint64_t> shape;
    std::size_t data_offset = 0;
};

inline PayloadLayout reference_layout(std::span<const std::byte> p) {
    PayloadLayout l;
    if (p.size() < 4) return l;
    const std::uint64_t dlen = load_u32(p.data());
    if (dlen > p.size() - 4 || p.size() - 4 - dlen < 4) return l;
    l.dtype = {reinterpret_cast<const char*>(p.data() + 4), static_cast<std::size_t>(dlen)};
    const std::uint64_t ndim = load_u32(p.data() + 4 + dlen);
    if (ndim > (p.size() - 8 - dlen) / 8) return l;
    for (std::uint64_t i = 0; i < ndim; ++i) l.shape.push_back(load_u64(p.data() + 8 + dlen + 8 * i));
    l.data_offset = static_cast<std::size_t>(8 + dlen + 8 * ndim);
    l.complete = true;
    return l;
}

/// Bytes `src` as `copy_as` must give them: each `part`-byte unit reversed when `swap`.
inline bool is_converted_copy(std::span<const std::byte> copy, std::span<const std::byte> src, std::size_t part,
                              bool swap) {
    if (copy.size() != src.size()) return false;
    if (!swap) return same_bytes(copy, src);
    for (std::size_t i = 0; i < src.size(); ++i)
        if (copy[i] != src[i / part * part + (part - 1 - i % part)]) return false;
    return true;
}

template <class T>
std::span<const std::byte> bytes_of(const T* data, std::size_t n) {
    return {reinterpret_cast<const std::byte*>(data), n * sizeof(T)};
}

/// Reads every element of a bool array through `bool` (UBSan checks each load) and counts the true ones.
template <class E>
std::size_t count_true(const E& e) {
    std::size_t n = 0;
    for (bool b : e) n += b ? 1 : 0;
    return n;
}

/// Whether to try reading a payload of dtype `dtype` as `T`: when `T` is the
/// dtype's element type in either byte order, and for two fixed types, which
/// stand for all the others (trying every type costs an exception each).
template <class T>
bool worth_trying(std::string_view dtype) {
    if (std::is_same_v<T, double> || std::is_same_v<T, std::uint8_t>) return true;
    constexpr auto want = *parse_dtype(dtype_of<T>);
    const auto d = parse_dtype(dtype);
    return d && d->kind == want.kind && d->itemsize == want.itemsize;
}

/// Checks `AnyArray::copy_as<T>()`, `is<T>()`, `is_viewable_as<T>()` and `as<T>()` against each other and the bytes.
template <class T>
void check_element_access(const AnyArray& a) {
    constexpr auto want = *parse_dtype(dtype_of<T>);
    const DType& info = a.dtype_info();
    const bool kind_matches = info.kind == want.kind && info.itemsize == want.itemsize;
    const bool is_bool = std::is_same_v<T, bool>;
    const bool bool_ok = !is_bool || valid_bools(a.bytes());
    const bool empty = a.size() == 0;

    std::optional<xt::xarray<T>> copy;
    try {
        copy = a.copy_as<T>();
        TINMAN_FUZZ_CHECK(kind_matches && bool_ok);
    } catch (const codec_mismatch&) {
        TINMAN_FUZZ_CHECK(!kind_matches);
    } catch (const format_error&) {
        TINMAN_FUZZ_CHECK(kind_matches && !bool_ok);
    }
    if (copy) {
        TINMAN_FUZZ_CHECK(equal_shapes(copy->shape(), a.shape()));
        TINMAN_FUZZ_CHECK(copy->size() == a.size());
        const char other_order = tinman::detail::native_order == '<' ? '>' : '<';
        const std::size_t part = want.kind == 'c' ? sizeof(T) / 2 : sizeof(T);
        const bool swap = info.byte_order == other_order && part > 1;
        TINMAN_FUZZ_CHECK(is_converted_copy(bytes_of(copy->data(), copy->size()), a.bytes(), part, swap));
        if constexpr (std::is_same_v<T, bool>) {
            const auto ones = static_cast<std::size_t>(
                std::count(a.bytes().begin(), a.bytes().end(), std::byte{1}));
            TINMAN_FUZZ_CHECK(count_true(*copy) == ones);
        }
    }

    const bool is_t = a.dtype() == dtype_of<T>;
    TINMAN_FUZZ_CHECK(a.is<T>() == is_t);
    // No element, nothing to misalign: an empty array is viewable wherever its data would start.
    const bool data_aligned = a.bytes().empty() || aligned(a.bytes().data(), alignof(T));
    TINMAN_FUZZ_CHECK(a.is_viewable_as<T>() == (is_t && data_aligned && bool_ok));
    if (is_t) TINMAN_FUZZ_CHECK(kind_matches);

    std::optional<ArrayView<T>> view;
    try {
        view = a.as<T>();
        TINMAN_FUZZ_CHECK(is_t);
        if (!empty) TINMAN_FUZZ_CHECK(data_aligned && bool_ok);
    } catch (const codec_mismatch&) {
        TINMAN_FUZZ_CHECK(!is_t);
    } catch (const format_error&) {
        TINMAN_FUZZ_CHECK(is_t);
        if (!empty) TINMAN_FUZZ_CHECK(!data_aligned || !bool_ok);
    }
    TINMAN_FUZZ_CHECK(view.has_value() == a.is_viewable_as<T>());  // it says exactly when as<T>() works
    if (view) {
        // Zero-copy: the view is the array's own bytes, and equals the copy.
        TINMAN_FUZZ_CHECK(equal_shapes(view->shape(), a.shape()));
        TINMAN_FUZZ_CHECK(view->size() == a.size());
        if (!empty) TINMAN_FUZZ_CHECK(reinterpret_cast<const std::byte*>(view->data()) == a.bytes().data());
        TINMAN_FUZZ_CHECK(copy.has_value());
        if (copy) TINMAN_FUZZ_CHECK(same_bytes(bytes_of(view->data(), view->size()), bytes_of(copy->data(), copy->size())));
        if constexpr (std::is_same_v<T, bool>)
            if (copy) TINMAN_FUZZ_CHECK(count_true(*view) == count_true(*copy));
    }
}

/// Decodes `payload` (a span inside an exactly-sized buffer) with every array codec and checks they agree.
inline void check_payload(std::span<const std::byte> payload) {
    const PayloadLayout layout = reference_layout(payload);

    std::optional<AnyArray> any;
    try {
        any = AnyArrayCodec{}.decode(payload, nullptr);
    } catch (const error&) {
    }

    if (any) {
        const AnyArray& a = *any;
        // What was decoded is what the payload says, by a parser independent of the library's.
        TINMAN_FUZZ_CHECK(layout.complete);
        TINMAN_FUZZ_CHECK(!layout.dtype.empty() && layout.dtype.size() <= max_dtype_size);
        TINMAN_FUZZ_CHECK(a.dtype() == layout.dtype);
        TINMAN_FUZZ_CHECK(parse_dtype(a.dtype()).has_value());
        TINMAN_FUZZ_CHECK(a.dimension() == layout.shape.size() && a.dimension() <= max_ndim);
        TINMAN_FUZZ_CHECK(equal_shapes(a.shape(), layout.shape));
        TINMAN_FUZZ_CHECK(a.bytes().data() == payload.data() + layout.data_offset);
        TINMAN_FUZZ_CHECK(a.bytes().size() == payload.size() - layout.data_offset);
        const std::size_t itemsize = a.dtype_info().itemsize;
        TINMAN_FUZZ_CHECK(itemsize > 0 && a.bytes().size() == a.size() * itemsize);
        bool overflow = false, empty = false;
        std::size_t count = 1;
        for (auto d : layout.shape) {
            empty |= d == 0;
            overflow |= static_cast<std::uint64_t>(static_cast<std::size_t>(d)) != d ||
                        __builtin_mul_overflow(count, static_cast<std::size_t>(d), &count);
        }
        if (empty) TINMAN_FUZZ_CHECK(a.size() == 0);
        else TINMAN_FUZZ_CHECK(!overflow && a.size() == count);

        // Re-encoding gives back exactly the input bytes, without copying the data.
        EncodeScratch scratch;
        const Payload p = AnyArrayCodec{}.encode(a, scratch);
        TINMAN_FUZZ_CHECK(p.head.size() + p.body.size() == payload.size());
        TINMAN_FUZZ_CHECK(same_bytes(p.head, payload.first(p.head.size())));
        TINMAN_FUZZ_CHECK(same_bytes(p.body, payload.subspan(p.head.size())));
        TINMAN_FUZZ_CHECK(p.body.data() == a.bytes().data());
        TINMAN_FUZZ_CHECK(p.body_alignment >= 1 && p.body_alignment <= 64 &&
                          (p.body_alignment & (p.body_alignment - 1)) == 0);

        for_each_type(element_types{}, [&]<class T>() {
            if (worth_trying<T>(layout.dtype)) check_element_access<T>(a);
        });
    }

    // NdArrayCodec<T> decodes exactly what AnyArray can view as T.
    for_each_type(element_types{}, [&]<class T>() {
        if (!worth_trying<T>(layout.dtype)) return;
        std::optional<ArrayView<T>> view;
        try {
            view = NdArrayCodec<T>{}.decode(payload, nullptr);
        } catch (const error&) {
        }
        if (!any) {
            TINMAN_FUZZ_CHECK(!view);
            return;
        }
        const bool viewable = any->is_viewable_as<T>() && (!std::is_same_v<T, bool> || valid_bools(any->bytes()));
        if (any->size() != 0) TINMAN_FUZZ_CHECK(view.has_value() == viewable);
        else if (view) TINMAN_FUZZ_CHECK(any->is<T>());
        if (view) {
            TINMAN_FUZZ_CHECK(equal_shapes(view->shape(), any->shape()));
            TINMAN_FUZZ_CHECK(view->size() == any->size());
            if (view->size() != 0)
                TINMAN_FUZZ_CHECK(reinterpret_cast<const std::byte*>(view->data()) == any->bytes().data());
        }
    });
}

/// The offset of `p` inside `file`.
inline std::uint64_t offset_in(std::span<const std::byte> p, std::span<const std::byte> file) {
    return static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(p.data()) -
                                      reinterpret_cast<std::uintptr_t>(file.data()));
}

struct ScanResult {
    std::vector<RecordView> records;
    ScanStatus status;
};

/// Scans `file` from `start` and checks each record and the final status.
inline ScanResult scan(std::span<const std::byte> file, std::uint64_t start, std::size_t verify) {
    ScanResult result;
    RecordScanner scanner(file, start, verify);
    std::uint64_t previous_end = start;
    while (auto r = scanner.next()) {
        TINMAN_FUZZ_CHECK(result.records.size() <= file.size() / format::record_header_size);
        TINMAN_FUZZ_CHECK(r->index == result.records.size());
        TINMAN_FUZZ_CHECK(scanner.status().records == r->index + 1);
        TINMAN_FUZZ_CHECK(r->offset >= previous_end);  // skip records may come between
        TINMAN_FUZZ_CHECK(r->offset <= file.size() && file.size() - r->offset >= format::record_header_size);
        TINMAN_FUZZ_CHECK(inside(r->payload, file));
        const std::uint64_t payload_at = offset_in(r->payload, file);
        TINMAN_FUZZ_CHECK(payload_at >= r->offset + format::record_header_size);
        // The record ends with its payload, and the scan's intact part with the record.
        TINMAN_FUZZ_CHECK(scanner.status().intact_end == payload_at + r->payload.size());
        TINMAN_FUZZ_CHECK(scanner.status().stop == ScanStop::none);

        // The header the scanner read is the one at the record's offset, and it frames the payload.
        const auto h = format::decode_record_header(file.data() + r->offset);
        TINMAN_FUZZ_CHECK(h.has_value());
        if (h) {
            TINMAN_FUZZ_CHECK(h->timestamp == r->timestamp && h->payload_size == r->payload.size());
            TINMAN_FUZZ_CHECK(r->offset + format::record_header_size + h->padding == payload_at);
            TINMAN_FUZZ_CHECK((h->flags & format::record_flag_skip) == 0 && h->flags == 0);
            TINMAN_FUZZ_CHECK(scanner.last_header().payload_crc == h->payload_crc);
            if (r->payload.size() <= verify) TINMAN_FUZZ_CHECK(crc32c(r->payload) == h->payload_crc);
        }
        // A record is found again by searching from just before it.
        TINMAN_FUZZ_CHECK(find_next_record(file, r->offset - 1) == r->offset);

        previous_end = scanner.status().intact_end;
        result.records.push_back(*r);
    }
    const ScanStatus& s = scanner.status();
    TINMAN_FUZZ_CHECK(s.stop != ScanStop::none);
    TINMAN_FUZZ_CHECK(s.records == result.records.size());
    TINMAN_FUZZ_CHECK(s.intact_end >= previous_end && s.intact_end >= start && s.intact_end <= file.size());
    TINMAN_FUZZ_CHECK(s.intact_end + s.skipped_bytes == file.size());
    TINMAN_FUZZ_CHECK(s.clean() == (s.skipped_bytes == 0));
    TINMAN_FUZZ_CHECK(s.clean() == s.reason.empty());
    TINMAN_FUZZ_CHECK(!scanner.next().has_value());  // stays stopped
    TINMAN_FUZZ_CHECK(scanner.status().intact_end == s.intact_end);
    result.status = s;
    return result;
}

/// Checks a `find_next_record` answer: after `from`, with a valid header whose record fits.
inline void check_find_next(std::span<const std::byte> file, std::uint64_t from) {
    const auto found = find_next_record(file, from);
    if (!found) return;
    TINMAN_FUZZ_CHECK(*found > from);
    TINMAN_FUZZ_CHECK(*found <= file.size() && file.size() - *found >= format::record_header_size);
    const auto h = format::decode_record_header(file.data() + *found);
    TINMAN_FUZZ_CHECK(h.has_value());
    const std::uint64_t after = file.size() - *found - format::record_header_size;
    if (h) TINMAN_FUZZ_CHECK(h->padding <= after && h->payload_size <= after - h->padding);
}

/// Rescanning from a record's offset, over the file's bytes from `base` on (as a
/// reader following a growing file does), yields the same records.
inline void check_rescan(std::span<const std::byte> file, const ScanResult& full, std::size_t verify,
                         std::size_t from_record) {
    const std::uint64_t start = full.records[from_record].offset;
    const std::uint64_t base = start / 64 * 64;
    RecordScanner scanner(file.subspan(static_cast<std::size_t>(base)), start, verify, base, from_record);
    std::size_t i = from_record;
    while (auto r = scanner.next()) {
        TINMAN_FUZZ_CHECK(i < full.records.size());
        if (i >= full.records.size()) break;
        const RecordView& want = full.records[i];
        TINMAN_FUZZ_CHECK(r->index == want.index && r->offset == want.offset && r->timestamp == want.timestamp);
        TINMAN_FUZZ_CHECK(r->payload.data() == want.payload.data() && r->payload.size() == want.payload.size());
        ++i;
    }
    TINMAN_FUZZ_CHECK(i == full.records.size());
    TINMAN_FUZZ_CHECK(scanner.status().stop == full.status.stop);
    TINMAN_FUZZ_CHECK(scanner.status().intact_end == full.status.intact_end);
    TINMAN_FUZZ_CHECK(scanner.status().skipped_bytes == full.status.skipped_bytes);
    TINMAN_FUZZ_CHECK(scanner.status().records == full.status.records);
}

/// The codec descriptor's text round-trips when it is one the library would write.
inline void check_descriptor(std::span<const std::byte> file, const format::FileHeader& header) {
    const std::uint32_t codec_size = load_u32(file.data() + 16);
    const std::string_view text{reinterpret_cast<const char*>(file.data() + format::file_header_size), codec_size};
    std::string encoded;
    try {
        encoded = format::encode_codec_descriptor(header.codec);
    } catch (const error&) {
        return;  // readable, but not something a writer produces (e.g. a key with odd characters)
    }
    TINMAN_FUZZ_CHECK(encoded == text);
    const auto again = format::parse_codec_descriptor(encoded);
    TINMAN_FUZZ_CHECK(again.has_value() && *again == header.codec);
    const auto fresh = format::encode_file_header(header.codec);
    const auto parsed = format::parse_file_header(fresh);
    TINMAN_FUZZ_CHECK(parsed.codec == header.codec && parsed.flags == 0 && parsed.version == format::version);
    TINMAN_FUZZ_CHECK(parsed.records_offset == fresh.size() && fresh.size() % 64 == 0);
}

/// Element `i` of an array filled from `bytes`: bytes taken cyclically (bools as 0/1).
template <class T>
void fill_from(xt::xarray<T>& a, std::span<const std::byte> bytes) {
    auto* out = reinterpret_cast<unsigned char*>(a.data());
    const std::size_t n = a.size() * sizeof(T);
    for (std::size_t i = 0; i < n; ++i) {
        const unsigned char b = bytes.empty() ? 0 : std::to_integer<unsigned char>(bytes[i % bytes.size()]);
        out[i] = std::is_same_v<T, bool> ? (b & 1) : b;
    }
}

/// Encodes an array built from the input with NdArrayCodec<T>, decodes it back and compares.
template <class T>
void check_encode_decode(std::span<const std::byte> in) {
    const unsigned flags = std::to_integer<unsigned>(in[1]);
    const std::size_t rank = flags % 5;
    const bool as_scalar = (flags & 0x20) != 0;   // rank 0: encode a plain T
    const bool transposed = (flags & 0x40) != 0;  // rank >= 2: encode a (non-contiguous) transposed view
    shape_type shape(rank);
    std::size_t pos = 2;
    for (auto& d : shape) d = pos < in.size() ? std::to_integer<std::size_t>(in[pos++]) % 7 : 1;  // <= 6^4 elements
    const auto values = in.subspan(std::min(pos, in.size()));

    xt::xarray<T> source = xt::xarray<T>::from_shape(shape);
    fill_from(source, values);

    EncodeScratch scratch;
    std::optional<xt::xarray<T>> stored;  // what the payload must hold, in C order
    Payload p;
    const T scalar = source.size() == 1 ? *source.data() : T{};
    if (rank == 0 && as_scalar) {
        p = NdArrayCodec<T>{}.encode(scalar, scratch);
        stored = source;
    } else if (rank >= 2 && transposed) {
        auto t = xt::transpose(source);
        p = NdArrayCodec<T>{}.encode(t, scratch);
        stored = xt::xarray<T>(t);
    } else {
        p = NdArrayCodec<T>{}.encode(source, scratch);
        stored = source;
    }
    const std::size_t nbytes = stored->size() * sizeof(T);
    TINMAN_FUZZ_CHECK(same_bytes(p.head, expected_head(dtype_of<T>, stored->shape())));
    TINMAN_FUZZ_CHECK(same_bytes(p.body, bytes_of(stored->data(), stored->size())));
    TINMAN_FUZZ_CHECK(p.body_alignment == (nbytes >= 64 ? 64 : alignof(T)));

    // The payload as a file holds it: the data 64-byte aligned.
    std::vector<std::byte> joined(p.head.begin(), p.head.end());
    joined.insert(joined.end(), p.body.begin(), p.body.end());
    const Buffer buf(joined.data(), joined.size(), (64 - p.head.size() % 64) % 64);
    const auto payload = buf.span();

    std::optional<ArrayView<T>> view;
    try {
        view = NdArrayCodec<T>{}.decode(payload, nullptr);
    } catch (const error& e) {
        std::fprintf(stderr, "tinman fuzz: decoding what was encoded failed: %s\n", e.what());
    }
    TINMAN_FUZZ_CHECK(view.has_value());
    if (!view) return;
    TINMAN_FUZZ_CHECK(equal_shapes(view->shape(), stored->shape()));
    TINMAN_FUZZ_CHECK(view->size() == stored->size());
    TINMAN_FUZZ_CHECK(same_bytes(bytes_of(view->data(), view->size()), bytes_of(stored->data(), stored->size())));
    if (nbytes != 0) TINMAN_FUZZ_CHECK(reinterpret_cast<const std::byte*>(view->data()) == payload.data() + p.head.size());

    // Re-encoding the decoded view gives identical bytes.
    EncodeScratch scratch2;
    const Payload again = NdArrayCodec<T>{}.encode(*view, scratch2);
    TINMAN_FUZZ_CHECK(same_bytes(again.head, p.head));
    TINMAN_FUZZ_CHECK(same_bytes(again.body, bytes_of(stored->data(), stored->size())));

    // AnyArray reads it as T, zero-copy.
    check_payload(payload);
    std::optional<AnyArray> any;
    try {
        any = AnyArrayCodec{}.decode(payload, nullptr);
    } catch (const error&) {
    }
    TINMAN_FUZZ_CHECK(any.has_value() && any->is_viewable_as<T>());
}

}  // namespace detail

/// The bytes are a whole channel file image: header, codec descriptor, records.
inline int framing(const std::uint8_t* data, std::size_t size) {
    // 64-byte aligned, as a mapping is, and exactly sized.
    const detail::Buffer buf(data, size, 0);
    const auto file = buf.span();
    format::FileHeader header;
    try {
        header = format::parse_file_header(file);
    } catch (const error&) {
        return 0;
    }
    TINMAN_FUZZ_CHECK(header.version == format::version);
    TINMAN_FUZZ_CHECK((header.flags & format::required_flags_mask) == 0);
    TINMAN_FUZZ_CHECK(header.records_offset % 64 == 0 && header.records_offset <= size);
    const std::uint32_t codec_size = detail::load_u32(file.data() + 16);
    TINMAN_FUZZ_CHECK(codec_size <= format::max_codec_descriptor_size);
    TINMAN_FUZZ_CHECK(header.records_offset >= format::file_header_size + codec_size);
    TINMAN_FUZZ_CHECK(!header.codec.name.empty());
    detail::check_descriptor(file, header);
    // Channel metadata, when flagged, lies before the records and round-trips.
    if (header.flags & format::metadata_flag) {
        TINMAN_FUZZ_CHECK(header.records_offset >=
                          format::file_header_size + codec_size + detail::load_u32(file.data() + 32));
        try {
            const auto fresh = format::encode_file_header(header.codec, header.metadata);
            TINMAN_FUZZ_CHECK(format::parse_file_header(fresh).metadata == header.metadata);
        } catch (const usage_error&) {  // a descriptor no writer produces (see check_descriptor)
        }
    }

    const auto quick = detail::scan(file, header.records_offset, default_verify_max_bytes);
    const auto strict = detail::scan(file, header.records_offset, SIZE_MAX);

    // Strict scanning yields a prefix of what the default scan yields.
    TINMAN_FUZZ_CHECK(strict.records.size() <= quick.records.size());
    for (std::size_t i = 0; i < strict.records.size() && i < quick.records.size(); ++i)
        TINMAN_FUZZ_CHECK(strict.records[i].offset == quick.records[i].offset &&
                          strict.records[i].payload.data() == quick.records[i].payload.data() &&
                          strict.records[i].payload.size() == quick.records[i].payload.size());
    TINMAN_FUZZ_CHECK(strict.status.intact_end <= quick.status.intact_end);
    if (strict.records.size() < quick.records.size()) TINMAN_FUZZ_CHECK(strict.status.stop == ScanStop::corrupt);
    // With no payload too large to verify, both scans are the same.
    if (size - header.records_offset <= default_verify_max_bytes + format::record_header_size) {
        TINMAN_FUZZ_CHECK(strict.records.size() == quick.records.size());
        TINMAN_FUZZ_CHECK(strict.status.stop == quick.status.stop && strict.status.reason == quick.status.reason);
        TINMAN_FUZZ_CHECK(strict.status.intact_end == quick.status.intact_end);
    }

    // Looking past the intact part (as appending to a damaged channel does), and elsewhere.
    detail::check_find_next(file, quick.status.intact_end);
    detail::check_find_next(file, header.records_offset);
    detail::check_find_next(file, size == 0 ? 0 : data[size - 1] * std::uint64_t{size} / 256);

    // Rescanning from a record, over a suffix of the file, as a reader following the file does.
    if (!quick.records.empty()) {
        detail::check_rescan(file, quick, default_verify_max_bytes, 0);
        detail::check_rescan(file, quick, default_verify_max_bytes, quick.records.size() - 1);
    }

    for (const RecordView& r : quick.records) detail::check_payload(r.payload);
    return 0;
}

/// The bytes are one NdArrayCodec payload; they also drive an encode/decode round trip.
inline int ndarray_payload(const std::uint8_t* data, std::size_t size) {
    // Where a file puts it: the array data 64-byte aligned (when the head parses)...
    std::size_t head = 0;
    if (size >= 8) {
        const std::size_t dlen = detail::load_u32(reinterpret_cast<const std::byte*>(data));
        if (dlen <= max_dtype_size && size >= 8 + dlen) {
            const std::size_t ndim = detail::load_u32(reinterpret_cast<const std::byte*>(data) + 4 + dlen);
            if (ndim <= max_ndim) head = 8 + dlen + 8 * ndim;
        }
    }
    {
        const detail::Buffer buf(data, size, (64 - head % 64) % 64);
        detail::check_payload(buf.span());
    }
    // ... and one byte later, misaligned for every element type wider than a byte.
    {
        const detail::Buffer buf(data, size, (65 - head % 64) % 64);
        detail::check_payload(buf.span());
    }

    if (size >= 2) {
        const detail::Buffer buf(data, size, 0);
        detail::with_type_at(data[0] % detail::element_type_count, detail::element_types{},
                             [&]<class T>() { detail::check_encode_decode<T>(buf.span()); });
    }
    return 0;
}

}  // namespace tinman::fuzz
