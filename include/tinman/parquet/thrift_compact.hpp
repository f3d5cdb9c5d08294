#pragma once
/// @file
/// `parquet::CompactWriter`: the encoding side of Apache Thrift's compact protocol,
/// which Parquet uses for its page headers and its footer (FileMetaData). Only what
/// a writer needs: structs, field headers, booleans, i8/i16/i32/i64, binary and lists.
/// See docs/parquet.md.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "../error.hpp"

/// Set by the Parquet headers, which the core never includes (tests/unit/test_tinman.cpp checks).
#define TINMAN_PARQUET_HEADERS 1

namespace tinman::parquet {

/// The compact protocol's type codes, as they appear in field and list headers.
enum class CompactType : std::uint8_t {
    bool_true = 1,  ///< in a field header: a boolean field whose value is true
    bool_false = 2,
    i8 = 3,
    i16 = 4,
    i32 = 5,
    i64 = 6,
    double_ = 7,
    binary = 8,
    list = 9,
    set = 10,
    map = 11,
    struct_ = 12,
};

/// Appends compact-protocol bytes to a buffer. Fields are written in increasing
/// id order within a struct (the short field header encodes the id as a delta
/// from the previous one); `begin_struct`/`end_struct` nest.
///
///     CompactWriter w{buffer};
///     w.begin_struct();
///     w.field_i32(1, 42);
///     w.end_struct();
class CompactWriter {
public:
    explicit CompactWriter(std::vector<std::byte>& out) : out_(out) {}

    /// Starts a struct (the top-level one, a struct field's value after `field_begin`, or a list element).
    void begin_struct() {
        last_ids_.push_back(last_id_);
        last_id_ = 0;
    }
    /// Writes the stop byte and returns to the enclosing struct.
    void end_struct() {
        if (last_ids_.empty()) throw usage_error("thrift compact: end_struct without begin_struct");
        byte(0);
        last_id_ = last_ids_.back();
        last_ids_.pop_back();
    }

    /// A field header: the id as a 4-bit delta when 1..15 above the previous id, else in full.
    void field_begin(std::int16_t id, CompactType type) {
        const int delta = id - last_id_;
        if (delta > 0 && delta <= 15) {
            byte(static_cast<std::uint8_t>(delta << 4 | static_cast<int>(type)));
        } else {
            byte(static_cast<std::uint8_t>(type));
            varint(zigzag(id));
        }
        last_id_ = id;
    }

    void field_bool(std::int16_t id, bool v) { field_begin(id, v ? CompactType::bool_true : CompactType::bool_false); }
    void field_i8(std::int16_t id, std::int8_t v) {
        field_begin(id, CompactType::i8);
        byte(static_cast<std::uint8_t>(v));
    }
    void field_i32(std::int16_t id, std::int32_t v) {
        field_begin(id, CompactType::i32);
        value_i64(v);
    }
    void field_i64(std::int16_t id, std::int64_t v) {
        field_begin(id, CompactType::i64);
        value_i64(v);
    }
    void field_binary(std::int16_t id, std::string_view v) {
        field_begin(id, CompactType::binary);
        value_binary(v);
    }
    /// A struct-valued field: the header, then the struct begins (end it with `end_struct`).
    void field_struct(std::int16_t id) {
        field_begin(id, CompactType::struct_);
        begin_struct();
    }
    /// A list-valued field of `size` elements of `element`; write the elements next.
    void field_list(std::int16_t id, CompactType element, std::size_t size) {
        field_begin(id, CompactType::list);
        list_header(element, size);
    }

    /// A list header: size and element type in one byte below 15 elements, else the size follows.
    void list_header(CompactType element, std::size_t size) {
        if (size < 15) {
            byte(static_cast<std::uint8_t>(size << 4 | static_cast<std::size_t>(element)));
        } else {
            byte(static_cast<std::uint8_t>(0xF0 | static_cast<int>(element)));
            varint(size);
        }
    }

    /// i16, i32 and i64 values (list elements, enum values): zigzag, then varint.
    void value_i64(std::int64_t v) { varint(zigzag(v)); }
    /// binary and string values: the length as a varint, then the bytes.
    void value_binary(std::string_view v) {
        varint(v.size());
        const auto* p = reinterpret_cast<const std::byte*>(v.data());
        out_.insert(out_.end(), p, p + v.size());
    }

    /// ULEB128: 7 bits a byte, least significant first, the high bit saying more follow.
    void varint(std::uint64_t v) {
        while (v >= 0x80) {
            byte(static_cast<std::uint8_t>(v | 0x80));
            v >>= 7;
        }
        byte(static_cast<std::uint8_t>(v));
    }
    /// Maps signed to unsigned so that small magnitudes stay small: 0, -1, 1, -2 -> 0, 1, 2, 3.
    [[nodiscard]] static constexpr std::uint64_t zigzag(std::int64_t v) noexcept {
        return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
    }

private:
    void byte(std::uint8_t b) { out_.push_back(static_cast<std::byte>(b)); }

    std::vector<std::byte>& out_;
    std::int16_t last_id_ = 0;
    std::vector<std::int16_t> last_ids_;
};

}  // namespace tinman::parquet
