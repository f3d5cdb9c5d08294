#pragma once
/// @file
/// `parquet::Writer`: a streaming writer of Apache Parquet files for flat tables of
/// REQUIRED columns: PLAIN encoding, version-1 data pages, optional page compression
/// (zstd through `tinman/codecs/zstd_compression.hpp`). Rows are appended one value
/// per column; one row group's column chunks at most are held in memory, so memory
/// does not grow with the number of rows. The subset and its mapping to the
/// specification are in docs/parquet.md.

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../detail/byte_buffer.hpp"
#include "../detail/endian.hpp"
#include "../error.hpp"
#include "column_statistics.hpp"
#include "thrift_compact.hpp"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

namespace tinman::parquet {

namespace detail {
/// A column chunk's bytes. Grown with realloc, which for large blocks moves the pages
/// (mremap) rather than copying them: a chunk grows to a row group's size without the
/// copies and fresh page faults of allocate-copy-free doubling. The pages about to be
/// filled are populated a window at a time (`MADV_POPULATE_WRITE`, Linux 5.14+), one
/// system call per MiB instead of a page fault per 4 KiB.
class ChunkBuffer {
public:
    ChunkBuffer() = default;
    ChunkBuffer(ChunkBuffer&& o) noexcept
        : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)),
          capacity_(std::exchange(o.capacity_, 0)), populated_(std::exchange(o.populated_, 0)),
          populate_works(o.populate_works) {}
    ChunkBuffer& operator=(ChunkBuffer&&) = delete;
    ChunkBuffer(const ChunkBuffer&) = delete;
    ChunkBuffer& operator=(const ChunkBuffer&) = delete;
    ~ChunkBuffer() { std::free(data_); }

    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    [[nodiscard]] std::byte* data() noexcept { return data_; }
    [[nodiscard]] std::span<const std::byte> bytes() const noexcept { return {data_, size_}; }
    void clear() noexcept { size_ = 0; }
    void drop_back(std::size_t n) noexcept { size_ -= std::min(n, size_); }
    /// `n` more bytes at the end, for the caller to fill.
    [[nodiscard]] std::byte* grow(std::size_t n) {
        if (n > capacity_ - size_) reserve(std::max({capacity_ * 2, size_ + n, std::size_t{4096}}));
        std::byte* at = data_ + size_;
        size_ += n;
        if (size_ > populated_) populate();
        return at;
    }
    void append(std::span<const std::byte> b) {
        if (!b.empty()) std::memcpy(grow(b.size()), b.data(), b.size());
    }

private:
    void reserve(std::size_t capacity) {
        void* p = std::realloc(data_, capacity);
        if (p == nullptr) throw std::bad_alloc();
        if (p != data_) populated_ = 0;  // moved: the new pages' state is unknown
        data_ = static_cast<std::byte*>(p);
        capacity_ = capacity;
    }

    /// Populates the pages from the one holding byte `size_ - 1` up to a window past it (a
    /// failure, as on kernels without the advice, only leaves them to be faulted in).
    void populate() noexcept {
        static constexpr std::size_t window = std::size_t{1} << 20;
        static const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
        const auto base = reinterpret_cast<std::uintptr_t>(data_);
        const std::uintptr_t from = (base + std::max(populated_, size_ - 1)) / page * page;
        const std::uintptr_t to = (base + std::min(capacity_, size_ + window)) / page * page;
        if (to > from && populate_works)
            populate_works = ::madvise(reinterpret_cast<void*>(from), to - from, MADV_POPULATE_WRITE) == 0;
        populated_ = std::min(capacity_, size_ + window);
    }

    std::byte* data_ = nullptr;
    std::size_t size_ = 0;
    std::size_t capacity_ = 0;
    std::size_t populated_ = 0;  ///< bytes [0, populated_) were populated or written
    bool populate_works = true;
};
}  // namespace detail

/// Parquet's physical types (parquet.thrift `Type`) that this writer writes.
enum class PhysicalType : std::int32_t { boolean = 0, int32 = 1, int64 = 2, float_ = 4, double_ = 5, byte_array = 6 };

/// The logical type annotating a column (parquet.thrift `LogicalType`), with its legacy `ConvertedType`.
struct LogicalType {
    enum class Kind : std::uint8_t { none, string, integer, timestamp_ns_utc };
    Kind kind = Kind::none;
    std::int8_t bit_width = 0;  ///< integer: 8, 16, 32 or 64
    bool is_signed = true;      ///< integer

    [[nodiscard]] static constexpr LogicalType string() noexcept { return {Kind::string, 0, true}; }
    [[nodiscard]] static constexpr LogicalType integer(int bits, bool is_signed) noexcept {
        return {Kind::integer, static_cast<std::int8_t>(bits), is_signed};
    }
    /// TIMESTAMP(isAdjustedToUTC=true, unit=NANOS): int64 ns since the Unix epoch.
    [[nodiscard]] static constexpr LogicalType timestamp_ns() noexcept { return {Kind::timestamp_ns_utc, 0, true}; }
};

/// One column of the table: a REQUIRED leaf of the root group.
struct Column {
    std::string name;
    PhysicalType type = PhysicalType::int64;
    LogicalType logical{};
};

/// parquet.thrift `CompressionCodec` values this writer can name.
enum class CompressionCodec : std::int32_t { uncompressed = 0, zstd = 6 };

/// How pages are compressed: the codec's id and a function that compresses `in`
/// into `out` (resized as needed) and returns the compressed size.
struct PageCompression {
    CompressionCodec codec = CompressionCodec::uncompressed;
    std::function<std::size_t(std::span<const std::byte> in, std::vector<std::byte>& out)> compress{};
};

/// Where row groups and pages end; the defaults suit analytics engines (DuckDB, Spark).
struct WriterOptions {
    std::uint64_t row_group_rows = 1u << 20;      ///< rows per row group, at most
    std::size_t row_group_bytes = 128u << 20;     ///< a row group ends once its values reach this size
    std::size_t page_bytes = 1u << 20;            ///< a page ends once its values reach this size
    PageCompression compression{};
    std::string created_by = "tinman";
};

/// Receives the file's bytes in order (a row group's pages, column by column, then the footer).
using Sink = std::function<void(std::span<const std::byte>)>;

/// Writes one Parquet file: `put_*` one value for each column of a row, in any
/// column order, then `end_row()`; `finish()` writes the last row group and the footer.
///
///     parquet::Writer w({{"timestamp", PhysicalType::int64, LogicalType::timestamp_ns()},
///                        {"x", PhysicalType::double_}}, sink);
///     w.put_int64(0, t); w.put_double(1, x); w.end_row();
///     w.finish();
class Writer {
public:
    Writer(std::vector<Column> columns, Sink sink, WriterOptions options = {})
        : sink_(std::move(sink)), options_(std::move(options)) {
        if (columns.empty()) throw usage_error("a Parquet table needs at least one column");
        if (options_.row_group_rows == 0 || options_.page_bytes == 0)
            throw usage_error("Parquet row groups and pages must hold at least one value");
        if (options_.compression.codec != CompressionCodec::uncompressed && !options_.compression.compress)
            throw usage_error("a Parquet page compression needs its compress function");
        columns_.reserve(columns.size());
        for (auto& c : columns) {
            columns_.push_back(ColumnState{std::move(c)});
            columns_.back().stats = statistics_for(columns_.back().spec);
        }
        static constexpr std::byte magic[4] = {std::byte{'P'}, std::byte{'A'}, std::byte{'R'}, std::byte{'1'}};
        emit(magic);
    }
    Writer(const Writer&) = delete;
    Writer& operator=(const Writer&) = delete;

    [[nodiscard]] const Column& column(std::size_t i) const { return columns_.at(i).spec; }
    [[nodiscard]] std::size_t column_count() const noexcept { return columns_.size(); }
    /// Rows ended so far.
    [[nodiscard]] std::uint64_t rows() const noexcept { return rows_written_ + group_rows_; }
    /// Row groups written so far.
    [[nodiscard]] std::size_t row_groups() const noexcept { return groups_.size(); }

    void put_bool(std::size_t c, bool v) {
        ColumnState& s = columns_[c];
        const std::uint32_t bit = s.page_values % 8;
        if (bit == 0) *s.chunk.grow(1) = std::byte{0};  // PLAIN booleans: bit-packed, first value in the lowest bit
        if (v) s.chunk.data()[s.chunk.size() - 1] |= static_cast<std::byte>(1u << bit);
        s.stats.add_bool(v);
        value_added(s, bit == 0 ? 1 : 0);
    }
    void put_int32(std::size_t c, std::int32_t v) { put_le(c, static_cast<std::uint32_t>(v)); }
    void put_int64(std::size_t c, std::int64_t v) { put_le(c, static_cast<std::uint64_t>(v)); }
    void put_float(std::size_t c, float v) { put_le(c, std::bit_cast<std::uint32_t>(v)); }
    void put_double(std::size_t c, double v) { put_le(c, std::bit_cast<std::uint64_t>(v)); }
    /// A BYTE_ARRAY value: its length (4 bytes, little-endian), then its bytes.
    void put_bytes(std::size_t c, std::span<const std::byte> v) {
        if (v.size() > max_page_size - 4)
            throw usage_error("Parquet column '" + columns_[c].spec.name + "': a value of " + std::to_string(v.size()) +
                              " bytes does not fit a page (at most 2 GiB)");
        ColumnState& s = columns_[c];
        std::byte* at = s.chunk.grow(4 + v.size());
        store_le(at, static_cast<std::uint32_t>(v.size()));
        if (!v.empty()) std::memcpy(at + 4, v.data(), v.size());
        s.stats.add_bytes(v);
        value_added(s, 4 + v.size());
    }
    void put_bytes(std::size_t c, std::string_view v) {
        put_bytes(c, std::as_bytes(std::span{v.data(), v.size()}));
    }

    /// Ends a row: every column must have had one value since the last row.
    void end_row() { end_rows(1); }

    /// Column-at-a-time appending, for tables of fixed-width values: `put_plain` gives
    /// a column several values at once, `end_rows(n)` ends n rows. Pages split where
    /// value-by-value appending splits them; so do row groups by row count when each
    /// call ends at most `rows_left_in_group()` rows (a group that reaches its byte size
    /// ends after the call that filled it).
    [[nodiscard]] std::uint64_t rows_left_in_group() const noexcept { return options_.row_group_rows - group_rows_; }
    /// Values of column `c` in PLAIN encoding, each `width` bytes (4 or 8, little-endian).
    void put_plain(std::size_t c, std::span<const std::byte> values, std::size_t width) {
        if (width == 0 || values.size() % width != 0)
            throw usage_error("put_plain: " + std::to_string(values.size()) + " bytes are not values of " +
                              std::to_string(width) + " bytes");
        ColumnState& s = columns_[c];
        while (!values.empty()) {
            // As many values as value-by-value appending puts in this page before it ends it.
            const std::size_t room = options_.page_bytes - (s.chunk.size() - s.page_start);
            const std::size_t n = std::min(values.size() / width, (room + width - 1) / width);
            std::memcpy(s.chunk.grow(n * width), values.data(), n * width);
            s.stats.add_values(values.first(n * width));
            values = values.subspan(n * width);
            s.page_values += static_cast<std::uint32_t>(n);
            group_bytes_ += n * width;
            if (s.chunk.size() - s.page_start >= options_.page_bytes) end_page(s);
        }
    }
    /// Ends `n` rows: every column must have had `n` values since the last row.
    void end_rows(std::uint64_t n) {
        group_rows_ += n;
        if (group_rows_ >= options_.row_group_rows || group_bytes_ >= options_.row_group_bytes) end_row_group();
    }

    /// Writes the last row group and the footer; the writer takes no more rows.
    void finish() {
        if (finished_) throw usage_error("the Parquet file is already finished");
        end_row_group();
        footer_.clear();
        write_file_metadata(footer_);
        emit(footer_);
        std::byte tail[8];
        store_le(tail, static_cast<std::uint32_t>(footer_.size()));
        std::memcpy(tail + 4, "PAR1", 4);
        emit(tail);
        finished_ = true;
    }

private:
    static constexpr std::size_t max_page_size = std::numeric_limits<std::int32_t>::max();

    struct ChunkMeta {
        std::int64_t offset = 0;  ///< of the chunk's first page
        std::int64_t values = 0;
        std::int64_t uncompressed = 0;  ///< pages with their headers
        std::int64_t compressed = 0;
        std::optional<std::pair<std::string, std::string>> min_max;  ///< encoded, see ColumnStatistics
    };
    struct GroupMeta {
        std::int64_t rows = 0;
        std::vector<ChunkMeta> chunks;
    };
    /// A finished page of a chunk: its header in `headers`, its data in `chunk`.
    struct PageSpan {
        std::size_t header_at = 0, header_size = 0, data_at = 0, data_size = 0;
    };
    /// Values go straight into `chunk` (PLAIN values need no staging), page after page;
    /// the page headers, whose sizes are known only when a page ends, wait apart.
    struct ColumnState {
        Column spec;
        detail::ChunkBuffer chunk{};           ///< the row group's page data, the last page being filled
        std::size_t page_start = 0;            ///< where the page being filled starts in `chunk`
        std::uint32_t page_values = 0;
        tinman::detail::ByteBuffer headers{};  ///< the finished pages' headers
        std::vector<PageSpan> pages{};
        ChunkMeta meta{};
        ColumnStatistics stats{};  ///< of the chunk being filled
    };

    /// How column `c`'s values compare, for its statistics.
    [[nodiscard]] static ColumnStatistics statistics_for(const Column& c) noexcept {
        const bool is_unsigned = c.logical.kind == LogicalType::Kind::integer && !c.logical.is_signed;
        const SortOrder integer = is_unsigned ? SortOrder::unsigned_int : SortOrder::signed_int;
        switch (c.type) {
            case PhysicalType::boolean: return {SortOrder::boolean, 1};
            case PhysicalType::int32: return {integer, 4};
            case PhysicalType::int64: return {integer, 8};
            case PhysicalType::float_: return {SortOrder::floating, 4};
            case PhysicalType::double_: return {SortOrder::floating, 8};
            case PhysicalType::byte_array: return {SortOrder::bytes, 0};
        }
        return {};
    }

    template <class U>
    static void store_le(std::byte* at, U v) noexcept {
        if constexpr (std::endian::native == std::endian::big) v = tinman::detail::byteswap(v);
        std::memcpy(at, &v, sizeof v);
    }
    template <class U>
    void put_le(std::size_t c, U v) {
        ColumnState& s = columns_[c];
        std::byte* at = s.chunk.grow(sizeof v);
        store_le(at, v);
        s.stats.add(at);
        value_added(s, sizeof v);
    }
    void value_added(ColumnState& s, std::size_t bytes) {
        ++s.page_values;
        group_bytes_ += bytes;
        if (s.chunk.size() - s.page_start >= options_.page_bytes) end_page(s);
    }

    void emit(std::span<const std::byte> bytes) {
        if (bytes.empty()) return;
        sink_(bytes);
        offset_ += static_cast<std::int64_t>(bytes.size());
    }

    /// Ends the page being filled: compresses it in place when asked, and writes its header.
    void end_page(ColumnState& s) {
        if (s.page_values == 0) return;
        const std::size_t raw = s.chunk.size() - s.page_start;
        std::size_t stored = raw;
        if (options_.compression.codec != CompressionCodec::uncompressed) {
            stored = options_.compression.compress(s.chunk.bytes().subspan(s.page_start), compressed_);
            s.chunk.drop_back(raw);
            s.chunk.append(std::span<const std::byte>(compressed_).first(stored));
        }
        if (raw > max_page_size || stored > max_page_size)
            throw usage_error("Parquet column '" + s.spec.name + "': a page exceeds 2 GiB");
        header_.clear();
        CompactWriter w{header_};
        w.begin_struct();  // PageHeader
        w.field_i32(1, 0);  // type: DATA_PAGE
        w.field_i32(2, static_cast<std::int32_t>(raw));
        w.field_i32(3, static_cast<std::int32_t>(stored));
        w.field_struct(5);  // data_page_header: DataPageHeader
        w.field_i32(1, static_cast<std::int32_t>(s.page_values));
        w.field_i32(2, 0);  // encoding: PLAIN
        w.field_i32(3, 3);  // definition_level_encoding: RLE (no levels: the column is REQUIRED)
        w.field_i32(4, 3);  // repetition_level_encoding: RLE
        w.end_struct();
        w.end_struct();
        s.pages.push_back({s.headers.size(), header_.size(), s.page_start, stored});
        s.headers.append(header_);
        s.meta.values += s.page_values;
        s.meta.uncompressed += static_cast<std::int64_t>(header_.size() + raw);
        s.meta.compressed += static_cast<std::int64_t>(header_.size() + stored);
        s.page_start = s.chunk.size();
        s.page_values = 0;
    }

    /// Writes the buffered column chunks, one after the other, as a row group.
    void end_row_group() {
        if (group_rows_ == 0) return;
        GroupMeta group{static_cast<std::int64_t>(group_rows_), {}};
        group.chunks.reserve(columns_.size());
        for (ColumnState& s : columns_) {
            end_page(s);
            if (s.meta.values != group.rows)
                throw usage_error("Parquet column '" + s.spec.name + "' has " + std::to_string(s.meta.values) +
                                  " values for " + std::to_string(group.rows) + " rows");
            s.meta.offset = offset_;
            s.meta.min_max = s.stats.encoded();
            s.stats.clear();
            for (const PageSpan& p : s.pages) {
                emit(s.headers.bytes().subspan(p.header_at, p.header_size));
                emit(s.chunk.bytes().subspan(p.data_at, p.data_size));
            }
            group.chunks.push_back(s.meta);
            s.chunk.clear();
            s.headers.clear();
            s.pages.clear();
            s.page_start = 0;
            s.meta = {};
        }
        groups_.push_back(std::move(group));
        rows_written_ += group_rows_;
        group_rows_ = 0;
        group_bytes_ = 0;
    }

    void write_logical_type(CompactWriter& w, const LogicalType& t) const {
        w.field_struct(10);  // SchemaElement.logicalType: LogicalType (a union: one field set)
        switch (t.kind) {
            case LogicalType::Kind::string:
                w.field_struct(1);  // STRING: StringType {}
                w.end_struct();
                break;
            case LogicalType::Kind::integer:
                w.field_struct(10);  // INTEGER: IntType
                w.field_i8(1, t.bit_width);
                w.field_bool(2, t.is_signed);
                w.end_struct();
                break;
            case LogicalType::Kind::timestamp_ns_utc:
                w.field_struct(8);  // TIMESTAMP: TimestampType
                w.field_bool(1, true);  // isAdjustedToUTC
                w.field_struct(2);      // unit: TimeUnit
                w.field_struct(3);      // NANOS: NanoSeconds {}
                w.end_struct();
                w.end_struct();
                w.end_struct();
                break;
            case LogicalType::Kind::none: break;
        }
        w.end_struct();
    }

    /// The legacy ConvertedType for readers that predate logical types; none for nanosecond timestamps.
    [[nodiscard]] static int converted_type(const LogicalType& t) noexcept {
        if (t.kind == LogicalType::Kind::string) return 0;  // UTF8
        if (t.kind != LogicalType::Kind::integer) return -1;
        const int index = t.bit_width == 8 ? 0 : t.bit_width == 16 ? 1 : t.bit_width == 32 ? 2 : 3;
        return (t.is_signed ? 15 : 11) + index;  // INT_8..INT_64 = 15..18, UINT_8..UINT_64 = 11..14
    }

    void write_file_metadata(std::vector<std::byte>& out) const {
        CompactWriter w{out};
        w.begin_struct();  // FileMetaData
        w.field_i32(1, 1);  // version
        w.field_list(2, CompactType::struct_, columns_.size() + 1);  // schema: the root, then the leaves
        w.begin_struct();
        w.field_binary(4, "schema");
        w.field_i32(5, static_cast<std::int32_t>(columns_.size()));  // num_children
        w.end_struct();
        for (const ColumnState& s : columns_) {
            w.begin_struct();
            w.field_i32(1, static_cast<std::int32_t>(s.spec.type));
            w.field_i32(3, 0);  // repetition_type: REQUIRED
            w.field_binary(4, s.spec.name);
            if (const int converted = converted_type(s.spec.logical); converted >= 0) w.field_i32(6, converted);
            if (s.spec.logical.kind != LogicalType::Kind::none) write_logical_type(w, s.spec.logical);
            w.end_struct();
        }
        w.field_i64(3, static_cast<std::int64_t>(rows_written_));  // num_rows
        w.field_list(4, CompactType::struct_, groups_.size());        // row_groups
        for (const GroupMeta& g : groups_) {
            w.begin_struct();  // RowGroup
            w.field_list(1, CompactType::struct_, g.chunks.size());  // columns
            std::int64_t uncompressed = 0, compressed = 0;
            for (std::size_t i = 0; i < g.chunks.size(); ++i) {
                const ChunkMeta& m = g.chunks[i];
                uncompressed += m.uncompressed;
                compressed += m.compressed;
                w.begin_struct();  // ColumnChunk
                w.field_i64(2, m.offset);  // file_offset
                w.field_struct(3);         // meta_data: ColumnMetaData
                w.field_i32(1, static_cast<std::int32_t>(columns_[i].spec.type));
                w.field_list(2, CompactType::i32, 1);  // encodings
                w.value_i64(0);                        // PLAIN
                w.field_list(3, CompactType::binary, 1);  // path_in_schema
                w.value_binary(columns_[i].spec.name);
                w.field_i32(4, static_cast<std::int32_t>(options_.compression.codec));
                w.field_i64(5, m.values);
                w.field_i64(6, m.uncompressed);
                w.field_i64(7, m.compressed);
                w.field_i64(9, m.offset);  // data_page_offset
                if (m.min_max) {
                    w.field_struct(12);    // statistics: Statistics
                    w.field_i64(3, 0);     // null_count: the columns are REQUIRED
                    w.field_binary(5, m.min_max->second);  // max_value
                    w.field_binary(6, m.min_max->first);   // min_value
                    w.end_struct();
                }
                w.end_struct();
                w.end_struct();
            }
            w.field_i64(2, uncompressed);  // total_byte_size
            w.field_i64(3, g.rows);        // num_rows
            w.field_i64(5, g.chunks.empty() ? 0 : g.chunks.front().offset);  // file_offset
            w.field_i64(6, compressed);    // total_compressed_size
            w.end_struct();
        }
        w.field_binary(6, options_.created_by);
        // column_orders: every column's statistics use the order its type defines.
        w.field_list(7, CompactType::struct_, columns_.size());
        for (std::size_t i = 0; i < columns_.size(); ++i) {
            w.begin_struct();   // ColumnOrder (a union)
            w.field_struct(1);  // TYPE_ORDER: TypeDefinedOrder {}
            w.end_struct();
            w.end_struct();
        }
        w.end_struct();
    }

    Sink sink_;
    WriterOptions options_;
    std::vector<ColumnState> columns_;
    std::vector<GroupMeta> groups_;
    std::uint64_t group_rows_ = 0;
    std::uint64_t rows_written_ = 0;
    std::size_t group_bytes_ = 0;
    std::int64_t offset_ = 0;
    bool finished_ = false;
    std::vector<std::byte> header_;
    std::vector<std::byte> footer_;
    std::vector<std::byte> compressed_;
};

}  // namespace tinman::parquet
