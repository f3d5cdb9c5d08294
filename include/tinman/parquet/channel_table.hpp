#pragma once
/// @file
/// `parquet::ChannelTable`: how the records of a channel become the rows of a
/// Parquet table (docs/parquet.md): a `timestamp` column, then
/// - fixed-shape arrays of at most 64 elements: one column per element (per field
///   of a struct channel, per real and imaginary part of a complex number);
/// - any other arrays: the raw element bytes (`data`), their `dtype` and `shape`;
/// - other payloads: one BYTE_ARRAY column, a STRING for text and JSON channels.

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "../codecs/any_array.hpp"
#include "../codecs/dtype.hpp"
#include "../codecs/float16.hpp"
#include "../codecs/struct_layout.hpp"
#include "../detail/endian.hpp"
#include "../error.hpp"
#include "parquet_writer.hpp"

namespace tinman::parquet {

/// What is known of an array channel's records: how many, the first one's dtype and
/// shape, and whether every record has the same (a table is made from the first
/// record alone, and made again if a later one differs).
struct ArraySurvey {
    std::uint64_t records = 0;
    std::string dtype;
    shape_type shape;
    bool uniform = true;

    void add(const AnyArray& a) {
        if (records++ == 0) {
            dtype = a.dtype();
            shape = a.shape();
        } else if (uniform && (a.dtype() != dtype || a.shape() != shape)) {
            uniform = false;
        }
    }
};

/// The columns of a channel's table, and how each record fills a row.
class ChannelTable {
public:
    /// Arrays of at most this many elements, all of one shape, get a column per element.
    static constexpr std::size_t max_fixed_elements = 64;

    /// A channel of arrays. `struct_json` is the `struct=` value of a struct
    /// channel's descriptor (empty otherwise): its fields become columns.
    [[nodiscard]] static ChannelTable arrays(std::string_view channel, const ArraySurvey& survey,
                                             std::string_view struct_json = {}) {
        ChannelTable t;
        std::size_t elements = 1;
        for (const std::size_t d : survey.shape) elements = elements > max_fixed_elements ? elements : elements * d;
        const auto dt = parse_dtype(survey.dtype);
        if (survey.records > 0 && survey.uniform && dt && elements <= max_fixed_elements) {
            t.dtype_ = survey.dtype;
            t.shape_ = survey.shape;
            t.record_bytes_ = elements * dt->itemsize;
            if (!struct_json.empty()) {
                const StructLayout s = StructLayout::parse_json(struct_json);
                if (dt->kind != 'V' || dt->itemsize != s.itemsize())
                    throw format_error("the records' dtype " + survey.dtype + " is not the struct's " +
                                       s.void_dtype());
                t.add_elements(channel, survey.shape, dt->itemsize, &s, *dt);
            } else {
                t.add_elements(channel, survey.shape, dt->itemsize, nullptr, *dt);
            }
            if (t.names_unique()) return t;
            t = ChannelTable{};  // names collide (a field "v_0" beside a subarray "v"): keep the bytes instead
        }
        t.columns_ = {timestamp_column(),
                      {"data", PhysicalType::byte_array, {}},
                      {"dtype", PhysicalType::byte_array, LogicalType::string()},
                      {"shape", PhysicalType::byte_array, LogicalType::string()}};
        t.kind_ = Kind::array_bytes;
        return t;
    }

    /// A channel of other payloads: a STRING column `name` when `utf8` (text, JSON), else BYTE_ARRAY.
    [[nodiscard]] static ChannelTable payloads(std::string name, bool utf8) {
        ChannelTable t;
        t.columns_ = {timestamp_column(),
                      {std::move(name), PhysicalType::byte_array, utf8 ? LogicalType::string() : LogicalType{}}};
        t.kind_ = Kind::payload;
        return t;
    }

    [[nodiscard]] const std::vector<Column>& columns() const noexcept { return columns_; }
    /// True when each element has a column of its own (else the arrays are kept as bytes).
    [[nodiscard]] bool per_element() const noexcept { return kind_ == Kind::elements; }

    /// True when `a` has the dtype and shape of the records this table has a column per element for.
    [[nodiscard]] bool fits(const AnyArray& a) const noexcept {
        return a.dtype() == dtype_ && a.shape() == shape_ && a.bytes().size() == record_bytes_;
    }

    /// Appends the row of an array record.
    void add(Writer& w, std::int64_t t, const AnyArray& a) {
        if (kind_ == Kind::payload) throw usage_error("this channel's table holds payloads, not arrays");
        if (kind_ == Kind::array_bytes) {
            w.put_int64(0, t);
            w.put_bytes(1, a.bytes());
            w.put_bytes(2, a.dtype());
            shape_text_.clear();
            for (std::size_t i = 0; i < a.shape().size(); ++i) {
                char digits[24];
                const auto r = std::to_chars(digits, digits + sizeof digits, a.shape()[i]);
                if (i) shape_text_ += 'x';
                shape_text_.append(digits, r.ptr);
            }
            w.put_bytes(3, shape_text_);
            w.end_row();
            return;
        }
        if (!fits(a))
            throw codec_mismatch("a record's dtype or shape differs from the first record's " + dtype_);
        const std::byte* p = a.bytes().data();
        w.put_int64(0, t);
        for (std::size_t i = 0; i < leaves_.size(); ++i) put_leaf(w, i + 1, leaves_[i], p + leaves_[i].offset);
        w.end_row();
    }

    /// Appends the rows of array records `arrays` with timestamps `t`, a column at a
    /// time: for many small records, much faster than `add` record by record (each
    /// column's values are written in one sweep). The file is the same.
    void add_rows(Writer& w, std::span<const std::int64_t> t, std::span<const AnyArray> arrays) {
        if (t.size() != arrays.size()) throw usage_error("add_rows: as many timestamps as arrays are needed");
        if (kind_ != Kind::elements) {
            for (std::size_t r = 0; r < arrays.size(); ++r) add(w, t[r], arrays[r]);
            return;
        }
        for (const AnyArray& a : arrays)
            if (!fits(a)) throw codec_mismatch("a record's dtype or shape differs from the first record's " + dtype_);
        for (std::size_t done = 0; done < arrays.size();) {
            const std::size_t n = static_cast<std::size_t>(
                std::min<std::uint64_t>(arrays.size() - done, w.rows_left_in_group()));
            const auto rows = arrays.subspan(done, n);
            gather<std::int64_t>(w, 0, n, [&](std::size_t r) { return t[done + r]; });
            for (std::size_t i = 0; i < leaves_.size(); ++i) put_column(w, i + 1, leaves_[i], rows);
            w.end_rows(n);
            done += n;
        }
    }

    /// Appends the row of a payload record.
    void add(Writer& w, std::int64_t t, std::span<const std::byte> payload) {
        if (kind_ != Kind::payload) throw usage_error("this channel's table holds arrays, not payloads");
        w.put_int64(0, t);
        w.put_bytes(1, payload);
        w.end_row();
    }

private:
    enum class Kind : std::uint8_t { elements, array_bytes, payload };
    enum class Conv : std::uint8_t { boolean, i8, i16, i32, u8, u16, u32, i64, u64, f16, f32, f64, raw };
    struct Leaf {
        std::size_t offset = 0;
        std::size_t size = 0;
        Conv conv = Conv::raw;
        bool swap = false;  ///< stored big-endian on a little-endian machine, or the other way round
    };

    [[nodiscard]] static Column timestamp_column() {
        return {"timestamp", PhysicalType::int64, LogicalType::timestamp_ns()};
    }

    /// Columns for every element of `shape` (named after the channel when 0-d, else
    /// v_<i>_<j>...), each element's struct fields when `s` is set.
    void add_elements(std::string_view channel, const shape_type& shape, std::size_t itemsize, const StructLayout* s,
                      const DType& dt) {
        columns_ = {timestamp_column()};
        kind_ = Kind::elements;
        std::vector<std::size_t> dims(shape.begin(), shape.end());
        std::size_t count = 1;
        for (const std::size_t d : dims) count *= d;
        for (std::size_t e = 0; e < count; ++e) {
            std::string name = dims.empty() ? (s ? std::string{} : std::string(channel)) : "v" + index_text(dims, e);
            if (!s) {
                add_leaf(name, dt, e * itemsize);
                continue;
            }
            for (const StructField& f : s->fields()) {
                const std::string field = name.empty() ? f.name : name + "_" + f.name;
                const std::vector<std::size_t> dims_of_field(f.shape.begin(), f.shape.end());
                for (std::size_t k = 0; k < f.count(); ++k)
                    add_leaf(f.shape.empty() ? field : field + index_text(dims_of_field, k), f.info,
                             e * itemsize + f.offset + k * f.info.itemsize);
            }
        }
    }

    /// "_i_j": the C-order index of element `flat` of `dims`.
    [[nodiscard]] static std::string index_text(const std::vector<std::size_t>& dims, std::size_t flat) {
        std::string out;
        std::size_t stride = 1;
        for (const std::size_t d : dims) stride *= d;
        for (const std::size_t d : dims) {
            stride /= d;
            out += "_" + std::to_string(flat / stride % d);
        }
        return out;
    }

    void add_leaf(std::string name, const DType& d, std::size_t offset) {
        if (name == "timestamp") name += "_";  // the row's own timestamp column keeps its name
        const bool swap = !d.is_native();
        const auto leaf = [&](std::string n, Conv c, PhysicalType p, LogicalType l, std::size_t at, std::size_t size) {
            columns_.push_back({std::move(n), p, l});
            leaves_.push_back({at, size, c, swap});
        };
        const std::size_t n = d.itemsize;
        using P = PhysicalType;
        switch (d.kind) {
            case 'b':
                if (n == 1) return leaf(name, Conv::boolean, P::boolean, {}, offset, 1);
                break;
            case 'i':
                if (n == 1) return leaf(name, Conv::i8, P::int32, LogicalType::integer(8, true), offset, 1);
                if (n == 2) return leaf(name, Conv::i16, P::int32, LogicalType::integer(16, true), offset, 2);
                if (n == 4) return leaf(name, Conv::i32, P::int32, LogicalType::integer(32, true), offset, 4);
                if (n == 8) return leaf(name, Conv::i64, P::int64, {}, offset, 8);
                break;
            case 'u':
                if (n == 1) return leaf(name, Conv::u8, P::int32, LogicalType::integer(8, false), offset, 1);
                if (n == 2) return leaf(name, Conv::u16, P::int32, LogicalType::integer(16, false), offset, 2);
                if (n == 4) return leaf(name, Conv::u32, P::int32, LogicalType::integer(32, false), offset, 4);
                if (n == 8) return leaf(name, Conv::u64, P::int64, LogicalType::integer(64, false), offset, 8);
                break;
            case 'f':
                if (n == 2) return leaf(name, Conv::f16, P::float_, {}, offset, 2);
                if (n == 4) return leaf(name, Conv::f32, P::float_, {}, offset, 4);
                if (n == 8) return leaf(name, Conv::f64, P::double_, {}, offset, 8);
                break;
            case 'c':
                if (n == 8 || n == 16) {
                    const Conv c = n == 8 ? Conv::f32 : Conv::f64;
                    const P p = n == 8 ? P::float_ : P::double_;
                    leaf(name + "_re", c, p, {}, offset, n / 2);
                    return leaf(name + "_im", c, p, {}, offset + n / 2, n / 2);
                }
                break;
            default: break;
        }
        leaf(std::move(name), Conv::raw, P::byte_array, {}, offset, n);  // datetimes, byte strings...: as stored
    }

    [[nodiscard]] bool names_unique() const {
        for (std::size_t i = 0; i < columns_.size(); ++i)
            for (std::size_t j = i + 1; j < columns_.size(); ++j)
                if (columns_[i].name == columns_[j].name) return false;
        return true;
    }

    template <class U>
    [[nodiscard]] static U load(const std::byte* p, bool swap) noexcept {
        U v;
        std::memcpy(&v, p, sizeof v);
        if constexpr (sizeof(U) > 1) {
            if (swap) v = tinman::detail::byteswap(v);
        }
        return v;
    }

    /// Column `c`'s values of `n` rows, `value(r)` each, stored as `Out` through the
    /// table's scratch buffer, then handed to the writer in one call.
    template <class Out, class Value>
    void gather(Writer& w, std::size_t c, std::size_t n, Value&& value) {
        scratch_.resize(n * sizeof(Out));
        for (std::size_t r = 0; r < n; ++r)
            tinman::detail::store_le(scratch_.data() + r * sizeof(Out), static_cast<Out>(value(r)));
        w.put_plain(c, scratch_, sizeof(Out));
    }

    /// Leaf `l` of every row of `rows`, as column `c`: the column-at-a-time `put_leaf`.
    void put_column(Writer& w, std::size_t c, const Leaf& l, std::span<const AnyArray> rows) {
        const auto at = [&](std::size_t r) { return rows[r].bytes().data() + l.offset; };
        const std::size_t n = rows.size();
        switch (l.conv) {
            case Conv::i8: return gather<std::int32_t>(w, c, n, [&](std::size_t r) { return static_cast<std::int8_t>(load<std::uint8_t>(at(r), false)); });
            case Conv::i16: return gather<std::int32_t>(w, c, n, [&](std::size_t r) { return static_cast<std::int16_t>(load<std::uint16_t>(at(r), l.swap)); });
            case Conv::u8: return gather<std::int32_t>(w, c, n, [&](std::size_t r) { return load<std::uint8_t>(at(r), false); });
            case Conv::u16: return gather<std::int32_t>(w, c, n, [&](std::size_t r) { return load<std::uint16_t>(at(r), l.swap); });
            case Conv::i32:
            case Conv::u32: return gather<std::uint32_t>(w, c, n, [&](std::size_t r) { return load<std::uint32_t>(at(r), l.swap); });
            case Conv::i64:
            case Conv::u64: return gather<std::uint64_t>(w, c, n, [&](std::size_t r) { return load<std::uint64_t>(at(r), l.swap); });
            case Conv::f16: return gather<std::uint32_t>(w, c, n, [&](std::size_t r) { return std::bit_cast<std::uint32_t>(static_cast<float>(float16::from_bits(load<std::uint16_t>(at(r), l.swap)))); });
            case Conv::f32: return gather<std::uint32_t>(w, c, n, [&](std::size_t r) { return load<std::uint32_t>(at(r), l.swap); });
            case Conv::f64: return gather<std::uint64_t>(w, c, n, [&](std::size_t r) { return load<std::uint64_t>(at(r), l.swap); });
            case Conv::boolean:
            case Conv::raw:
                for (std::size_t r = 0; r < n; ++r) put_leaf(w, c, l, at(r));
                return;
        }
    }

    static void put_leaf(Writer& w, std::size_t c, const Leaf& l, const std::byte* p) {
        switch (l.conv) {
            case Conv::boolean: return w.put_bool(c, load<std::uint8_t>(p, false) != 0);
            case Conv::i8: return w.put_int32(c, static_cast<std::int8_t>(load<std::uint8_t>(p, false)));
            case Conv::i16: return w.put_int32(c, static_cast<std::int16_t>(load<std::uint16_t>(p, l.swap)));
            case Conv::i32: return w.put_int32(c, static_cast<std::int32_t>(load<std::uint32_t>(p, l.swap)));
            case Conv::u8: return w.put_int32(c, load<std::uint8_t>(p, false));
            case Conv::u16: return w.put_int32(c, load<std::uint16_t>(p, l.swap));
            // UINT_32 and UINT_64 store the bits of the unsigned value in INT32 and INT64.
            case Conv::u32: return w.put_int32(c, static_cast<std::int32_t>(load<std::uint32_t>(p, l.swap)));
            case Conv::i64:
            case Conv::u64: return w.put_int64(c, static_cast<std::int64_t>(load<std::uint64_t>(p, l.swap)));
            case Conv::f16: return w.put_float(c, float16::from_bits(load<std::uint16_t>(p, l.swap)));
            case Conv::f32: return w.put_float(c, std::bit_cast<float>(load<std::uint32_t>(p, l.swap)));
            case Conv::f64: return w.put_double(c, std::bit_cast<double>(load<std::uint64_t>(p, l.swap)));
            case Conv::raw: return w.put_bytes(c, std::span<const std::byte>(p, l.size));
        }
    }

    Kind kind_ = Kind::payload;
    std::vector<Column> columns_;
    std::vector<Leaf> leaves_;
    std::string dtype_;
    shape_type shape_;
    std::size_t record_bytes_ = 0;
    std::string shape_text_;
    std::vector<std::byte> scratch_;  // one column of a batch of rows (see add_rows)
};

}  // namespace tinman::parquet
