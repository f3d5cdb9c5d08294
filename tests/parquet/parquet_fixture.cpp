// Writes the logs that duckdb_check.mjs exports to Parquet and queries with DuckDB,
// and expected.json: for each channel its rows, its columns as DuckDB names their
// types, and each column's sums, minima and maxima computed here.
//   tinman_parquet_fixture <dir>   ->  <dir>/single/, <dir>/fleet/robot=<r>/, <dir>/expected.json
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <tinman.hpp>
#include <tinman/codecs/float16.hpp>
#if TINMAN_HAVE_ZSTD
#include <tinman/codecs/compressed_array_codec.hpp>
#include <tinman/codecs/zstd_compression.hpp>
#endif

namespace {

// Sums of 64-bit values need more bits (DuckDB sums them as HUGEINT).
__extension__ typedef __int128 i128;
__extension__ typedef unsigned __int128 u128;

std::string text(i128 v) {
    if (v == 0) return "0";
    const bool neg = v < 0;
    u128 u = neg ? static_cast<u128>(-(v + 1)) + 1 : static_cast<u128>(v);
    std::string s;
    for (; u; u /= 10) s.insert(s.begin(), static_cast<char>('0' + static_cast<int>(u % 10)));
    return neg ? "-" + s : s;
}
std::string number(double v) {
    char b[40];
    std::snprintf(b, sizeof b, "%.17g", v);
    return b;
}
std::string quoted(const std::string& s) { return "\"" + s + "\""; }

/// The expected statistics of one column, as duckdb_check.mjs queries them.
struct Stats {
    std::string type;  // as DuckDB's DESCRIBE names it
    std::string kind;  // int, float, bool, time, text, blob
    i128 isum = 0, imin = std::numeric_limits<i128>::max(), imax = std::numeric_limits<i128>::min();
    double fsum = 0, fmin = INFINITY, fmax = -INFINITY;
    std::string smin, smax, first_hex;
    bool any = false;

    void add_int(i128 v) {
        isum += v;
        imin = std::min(imin, v);
        imax = std::max(imax, v);
        any = true;
    }
    void add_float(double v) {
        fsum += v;
        fmin = std::min(fmin, v);
        fmax = std::max(fmax, v);
        any = true;
    }
    void add_text(const std::string& s) {
        if (!any || s < smin) smin = s;
        if (!any || s > smax) smax = s;
        isum += static_cast<i128>(s.size());
        any = true;
    }
    void add_blob(std::span<const std::byte> b) {
        if (!any) {
            static const char* hex = "0123456789ABCDEF";
            for (const std::byte x : b) {
                first_hex += hex[std::to_integer<int>(x) >> 4];
                first_hex += hex[std::to_integer<int>(x) & 15];
            }
        }
        isum += static_cast<i128>(b.size());
        any = true;
    }
    [[nodiscard]] std::string json() const {
        std::string j = "{\"type\":" + quoted(type) + ",\"kind\":" + quoted(kind);
        if (!any) return j + "}";
        if (kind == "int" || kind == "bool" || kind == "time")
            j += ",\"sum\":" + quoted(text(isum)) + ",\"min\":" + quoted(text(imin)) + ",\"max\":" + quoted(text(imax));
        if (kind == "float") j += ",\"sum\":" + number(fsum) + ",\"min\":" + number(fmin) + ",\"max\":" + number(fmax);
        if (kind == "text") j += ",\"length\":" + quoted(text(isum)) + ",\"min\":" + quoted(smin) + ",\"max\":" + quoted(smax);
        if (kind == "blob") j += ",\"length\":" + quoted(text(isum)) + ",\"first_hex\":" + quoted(first_hex);
        return j + "}";
    }
};

/// A channel's expectation: its rows and its columns in order.
struct Table {
    std::uint64_t rows = 0;
    std::vector<std::pair<std::string, Stats>> columns;
    Stats& col(const std::string& name, const std::string& type, const std::string& kind) {
        for (auto& [n, s] : columns)
            if (n == name) return s;
        Stats s;
        s.type = type;
        s.kind = kind;
        columns.emplace_back(name, std::move(s));
        return columns.back().second;
    }
    [[nodiscard]] std::string json() const {
        std::string j = "{\"rows\":" + std::to_string(rows) + ",\"columns\":[";
        for (std::size_t i = 0; i < columns.size(); ++i)
            j += (i ? "," : "") + std::string("[") + quoted(columns[i].first) + "," + columns[i].second.json() + "]";
        return j + "]}";
    }
};

constexpr std::int64_t t0 = 1'700'000'000'123'456'789;  // ns precision on purpose

/// An ndarray channel whose descriptor names its struct fields (docs/format.md, struct channels).
struct StructCodec : tinman::AnyArrayCodec {
    std::string dtype, json;
    [[nodiscard]] tinman::CodecDescriptor descriptor() const { return {"ndarray", {{"dtype", dtype}, {"struct", json}}}; }
};
/// A text channel (docs/format.md): UTF-8 payloads.
struct TextCodec : tinman::BytesCodec {
    [[nodiscard]] tinman::CodecDescriptor descriptor() const { return {"text", {{"encoding", "utf-8"}}}; }
    [[nodiscard]] std::string mismatch(const tinman::CodecDescriptor& d) const {
        return d.name == "text" ? "" : "not text";
    }
};

template <class T>
void put(std::vector<std::byte>& rec, std::size_t at, T v) {
    std::memcpy(rec.data() + at, &v, sizeof v);
}

void write_imu(const std::filesystem::path& dir, int n, double base, Table& t) {
    tinman::ObLogWriter log{dir};
    auto w = log.get_writer("imu", tinman::AnyArrayCodec{}, tinman::OpenMode::truncate);
    for (int i = 0; i < n; ++i) {
        const std::int64_t ts = t0 + std::int64_t{i} * 1'000'123;
        double v[3];
        for (int k = 0; k < 3; ++k) v[k] = base + (i % 97) * 0.25 + k - (i % 7) * 1.5;
        w.write(ts, tinman::AnyArray("<f8", {3}, std::as_bytes(std::span{v})));
        t.col("timestamp", "", "time").add_int(ts);
        for (int k = 0; k < 3; ++k) t.col("v_" + std::to_string(k), "DOUBLE", "float").add_float(v[k]);
        ++t.rows;
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: tinman_parquet_fixture DIR\n";
        return 2;
    }
    const std::filesystem::path root = argv[1];
    std::filesystem::remove_all(root);
    std::map<std::string, Table> single;
    const auto single_dir = root / "single";

    write_imu(single_dir, 3000, 0.0, single["imu"]);
    {
        tinman::ObLogWriter log{single_dir};
        Table& t = single["speed"];
        auto w = log.get_writer("speed", tinman::AnyArrayCodec{}, tinman::OpenMode::truncate);
        for (int i = 0; i < 100; ++i) {
            const float v = static_cast<float>(i) * 0.5f - 7.0f;
            w.write(t0 + i, tinman::AnyArray("<f4", {}, std::as_bytes(std::span{&v, 1})));
            t.col("timestamp", "", "time").add_int(t0 + i);
            t.col("speed", "FLOAT", "float").add_float(v);
            ++t.rows;
        }
    }
    {
        // Big-endian elements: the export writes Parquet's little-endian values.
        tinman::ObLogWriter log{single_dir};
        Table& t = single["be"];
        auto w = log.get_writer("be", tinman::AnyArrayCodec{}, tinman::OpenMode::truncate);
        for (std::int32_t i = 0; i < 50; ++i) {
            const std::int32_t v[2] = {i * 1000 + 1, -i};
            std::uint32_t be[2];
            for (int k = 0; k < 2; ++k) be[k] = __builtin_bswap32(static_cast<std::uint32_t>(v[k]));
            w.write(t0 + i, tinman::AnyArray(">i4", {2}, std::as_bytes(std::span{be})));
            t.col("timestamp", "", "time").add_int(t0 + i);
            for (int k = 0; k < 2; ++k) t.col("v_" + std::to_string(k), "INTEGER", "int").add_int(v[k]);
            ++t.rows;
        }
    }
    {
        // A struct of every element type.
        const std::string json =
            R"({"names":["a","b","c","d","e","f","g","h","k","m","n","p","q","r"],)"
            R"("formats":["|i1","<i2","<i4","|u1","<u2","<u4","<i8","<u8","<f2","<f4","<f8","|b1","<c16","(3,)<f4"],)"
            R"("offsets":[0,2,4,8,10,12,16,24,32,36,40,48,56,72],"itemsize":88})";
        tinman::ObLogWriter log{single_dir};
        Table& t = single["mixed"];
        auto w = log.get_writer("mixed", StructCodec{{}, "|V88", json}, tinman::OpenMode::truncate);
        std::vector<std::byte> rec(88);
        for (int i = 0; i < 500; ++i) {
            std::fill(rec.begin(), rec.end(), std::byte{0});
            const auto a = static_cast<std::int8_t>(i % 256 - 128);
            const auto b = static_cast<std::int16_t>(i * 7 - 1000);
            const std::int32_t c = i * 100000 - 3;
            const auto d = static_cast<std::uint8_t>(i % 256);
            const auto e = static_cast<std::uint16_t>(i * 130);
            const std::uint32_t f = 3'000'000'000u + static_cast<std::uint32_t>(i);
            const std::int64_t g = -static_cast<std::int64_t>(i) * 1'000'000'000'000;
            const std::uint64_t h = (std::uint64_t{1} << 63) + static_cast<std::uint64_t>(i) * 1000;
            const tinman::float16 k(static_cast<float>(i) * 0.25f);
            const float m = static_cast<float>(i) * 1.5f;
            const double n = i * 0.001;
            const bool p = i % 3 == 0;
            const double q[2] = {static_cast<double>(i), -2.0 * i};
            const float r[3] = {static_cast<float>(i), static_cast<float>(i) + 0.5f, -static_cast<float>(i)};
            put(rec, 0, a), put(rec, 2, b), put(rec, 4, c), put(rec, 8, d), put(rec, 10, e), put(rec, 12, f);
            put(rec, 16, g), put(rec, 24, h), put(rec, 32, k.bits), put(rec, 36, m), put(rec, 40, n);
            put(rec, 48, static_cast<std::uint8_t>(p)), put(rec, 56, q[0]), put(rec, 64, q[1]);
            put(rec, 72, r[0]), put(rec, 76, r[1]), put(rec, 80, r[2]);
            w.write(t0 + i * 10, tinman::AnyArray("|V88", {}, rec));
            t.col("timestamp", "", "time").add_int(t0 + i * 10);
            t.col("a", "TINYINT", "int").add_int(a);
            t.col("b", "SMALLINT", "int").add_int(b);
            t.col("c", "INTEGER", "int").add_int(c);
            t.col("d", "UTINYINT", "int").add_int(d);
            t.col("e", "USMALLINT", "int").add_int(e);
            t.col("f", "UINTEGER", "int").add_int(f);
            t.col("g", "BIGINT", "int").add_int(g);
            t.col("h", "UBIGINT", "int").add_int(h);
            t.col("k", "FLOAT", "float").add_float(static_cast<float>(k));
            t.col("m", "FLOAT", "float").add_float(m);
            t.col("n", "DOUBLE", "float").add_float(n);
            t.col("p", "BOOLEAN", "bool").add_int(p ? 1 : 0);
            t.col("q_re", "DOUBLE", "float").add_float(q[0]);
            t.col("q_im", "DOUBLE", "float").add_float(q[1]);
            for (int j = 0; j < 3; ++j) t.col("r_" + std::to_string(j), "FLOAT", "float").add_float(r[j]);
            ++t.rows;
        }
    }
#if TINMAN_HAVE_ZSTD
    {
        // Compressed arrays: each record is decompressed into memory the next one reuses,
        // so the export must take each row before it decodes the next.
        tinman::ObLogWriter log{single_dir};
        Table& t = single["zimu"];
        auto w = log.get_writer("zimu", tinman::CompressedArrayCodec<double, tinman::Zstd>{}, tinman::OpenMode::truncate);
        for (int i = 0; i < 5000; ++i) {
            const std::int64_t ts = t0 + std::int64_t{i} * 1000;
            const std::array<double, 2> v{i * 0.5 - 100.0, static_cast<double>((i * 37) % 1001)};
            w.write(ts, xt::xtensor<double, 1>{v[0], v[1]});
            t.col("timestamp", "", "time").add_int(ts);
            for (int k = 0; k < 2; ++k) t.col("v_" + std::to_string(k), "DOUBLE", "float").add_float(v[k]);
            ++t.rows;
        }
    }
#endif
    {
        // Arrays of varying shape: kept as bytes with their dtype and shape.
        tinman::ObLogWriter log{single_dir};
        Table& t = single["frames"];
        auto w = log.get_writer("frames", tinman::AnyArrayCodec{}, tinman::OpenMode::truncate);
        for (int i = 0; i < 20; ++i) {
            const std::size_t rows = static_cast<std::size_t>(i % 4 + 1);
            std::vector<std::uint8_t> px(rows * 5);
            for (std::size_t j = 0; j < px.size(); ++j) px[j] = static_cast<std::uint8_t>((static_cast<std::size_t>(i) + j * 3) % 256);
            const auto bytes = std::as_bytes(std::span{px});
            w.write(t0 + i, tinman::AnyArray("|u1", {rows, 5}, bytes));
            t.col("timestamp", "", "time").add_int(t0 + i);
            t.col("data", "BLOB", "blob").add_blob(bytes);
            t.col("dtype", "VARCHAR", "text").add_text("|u1");
            t.col("shape", "VARCHAR", "text").add_text(std::to_string(rows) + "x5");
            ++t.rows;
        }
    }
    {
        tinman::ObLogWriter log{single_dir};
        Table& t = single["notes"];
        auto w = log.get_writer("notes", TextCodec{}, tinman::OpenMode::truncate);
        for (int i = 0; i < 10; ++i) {
            const std::string s = "note " + std::to_string(i) + " \xC3\xA9t\xC3\xA9";  // UTF-8
            w.write(t0 + i, std::string_view(s));
            t.col("timestamp", "", "time").add_int(t0 + i);
            t.col("text", "VARCHAR", "text").add_text(s);
            ++t.rows;
        }
    }
    {
        tinman::ObLogWriter log{single_dir};
        Table& t = single["blobs"];
        auto w = log.get_writer("blobs", tinman::BytesCodec{}, tinman::OpenMode::truncate);
        for (int i = 0; i < 7; ++i) {
            std::vector<std::byte> b(static_cast<std::size_t>(i * 3));
            for (std::size_t j = 0; j < b.size(); ++j) b[j] = static_cast<std::byte>(j * 37 + 1);
            w.write(t0 + i, std::span<const std::byte>(b));
            t.col("timestamp", "", "time").add_int(t0 + i);
            t.col("data", "BLOB", "blob").add_blob(b);
            ++t.rows;
        }
    }
    {
        tinman::ObLogWriter log{single_dir};
        Table& t = single["empty"];
        auto w = log.get_writer("empty", tinman::AnyArrayCodec{}, tinman::OpenMode::truncate);
        t.col("timestamp", "", "time");
        t.col("data", "BLOB", "blob");
        t.col("dtype", "VARCHAR", "text");
        t.col("shape", "VARCHAR", "text");
    }

    // A fleet: the same channel in a log per robot, exported to fleet/robot=<r>/imu.parquet.
    std::string fleet = "[";
    for (int r = 0; r < 3; ++r) {
        Table t;
        write_imu(root / "fleet" / ("robot=" + std::to_string(r)), 1000 * (r + 1), 10.0 * r, t);
        fleet += (r ? "," : "") + std::string("{\"robot\":") + std::to_string(r) + ",\"rows\":" +
                 std::to_string(t.rows) + ",\"sum_v_0\":" + number(t.columns[1].second.fsum) + "}";
    }
    fleet += "]";

    std::ofstream out(root / "expected.json");
    out << "{\"channels\":{";
    bool first = true;
    for (const auto& [name, t] : single) {
        out << (first ? "" : ",") << quoted(name) << ":" << t.json();
        first = false;
    }
    out << "},\"fleet\":" << fleet << "}\n";
    return out.good() ? 0 : 1;
}
