// Writes the hand-written seeds of the fuzz corpora:
//   <corpus>/framing/          whole channel files: valid ones from ObLogWriter, then damaged and odd variants
//   <corpus>/ndarray_payload/  NdArrayCodec payloads: every element type, odd dtypes and shapes, malformed heads
// Usage: tinman_fuzz_make_corpus <corpus dir>. The output is deterministic; other files are left alone.

#include <unistd.h>

#include <algorithm>
#include <complex>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <tinman.hpp>

#include TINMAN_XTENSOR_HEADER(misc, xmanipulation.hpp)

namespace fs = std::filesystem;
using Bytes = std::vector<std::byte>;
using tinman::AnyArray;
using tinman::AnyArrayCodec;
using tinman::NdArrayCodec;

namespace {

constexpr std::size_t max_seed_size = 8192;
std::size_t written = 0;

void save(const fs::path& dir, const std::string& name, const Bytes& bytes) {
    if (bytes.size() >= max_seed_size) throw std::runtime_error("seed '" + name + "' is too large");
    std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!out) throw std::runtime_error("cannot write " + (dir / name).string());
    ++written;
}

Bytes read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    const std::vector<char> chars((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    Bytes out(chars.size());
    if (!chars.empty()) std::memcpy(out.data(), chars.data(), chars.size());
    return out;
}

void put_le(Bytes& out, std::uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out.push_back(static_cast<std::byte>((v >> (8 * i)) & 0xFF));
}

void set_le(Bytes& out, std::size_t at, std::uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out[at + static_cast<std::size_t>(i)] = static_cast<std::byte>((v >> (8 * i)) & 0xFF);
}

Bytes text(std::string_view s) {
    Bytes out(s.size());
    if (!s.empty()) std::memcpy(out.data(), s.data(), s.size());
    return out;
}

/// `n` deterministic values of `T`, shape {n}.
template <class T>
xt::xarray<T> values(std::size_t n, int seed = 0) {
    xt::xarray<T> a = xt::xarray<T>::from_shape({n});
    for (std::size_t i = 0; i < n; ++i) {
        const int k = static_cast<int>(i) + seed;
        if constexpr (std::is_same_v<T, bool>) a(i) = k % 3 == 1;
        else if constexpr (std::is_same_v<T, tinman::float16>) a(i) = tinman::float16(static_cast<float>(k) * 0.25f - 1.0f);
        else if constexpr (std::is_same_v<T, std::complex<float>>) a(i) = {static_cast<float>(k), -0.5f * static_cast<float>(k)};
        else if constexpr (std::is_same_v<T, std::complex<double>>) a(i) = {0.5 * k, -1.0 * k};
        else if constexpr (std::is_floating_point_v<T>) a(i) = static_cast<T>(k * 0.75 - 2);
        else a(i) = static_cast<T>(k * 37 - 5);
    }
    return a;
}

/// A channel file written by ObLogWriter: `fill(log)` writes channel "c".
template <class F>
Bytes channel_file(F fill) {
    const fs::path dir = fs::temp_directory_path() / ("tinman-corpus-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    {
        tinman::ObLogWriter log{dir};
        fill(log);
        log.close();
    }
    Bytes out = read(dir / "c.tinman");
    fs::remove_all(dir);
    return out;
}

/// A channel of codec `C` holding `values`, timestamped 1000, 1001, ...
template <class C, class... V>
Bytes channel_of(C codec, const V&... vs) {
    return channel_file([&](tinman::ObLogWriter& log) {
        auto w = log.get_writer("c", codec);
        std::int64_t t = 1000;
        (w(t++, vs), ...);
    });
}

/// The payload of `value` encoded with `codec`: head and body back to back.
template <class C, class V>
Bytes payload_of(C codec, const V& value) {
    tinman::EncodeScratch scratch;
    const tinman::Payload p = codec.encode(value, scratch);
    Bytes out(p.head.begin(), p.head.end());
    out.insert(out.end(), p.body.begin(), p.body.end());
    return out;
}

/// A payload with any dtype string and shape, and `data` as the element bytes.
Bytes raw_payload(std::string_view dtype, const std::vector<std::uint64_t>& shape, const Bytes& data) {
    Bytes out;
    put_le(out, dtype.size(), 4);
    const Bytes d = text(dtype);
    out.insert(out.end(), d.begin(), d.end());
    put_le(out, shape.size(), 4);
    for (auto s : shape) put_le(out, s, 8);
    out.insert(out.end(), data.begin(), data.end());
    return out;
}

Bytes counting(std::size_t n, unsigned start = 1) {
    Bytes b(n);
    for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::byte>((start + i * 7) & 0xFF);
    return b;
}

/// A file header with any descriptor text, flags, version and records offset; checksum valid.
Bytes raw_header(std::string_view descriptor, std::uint16_t flags = 0, std::uint16_t version = 1,
                 std::uint32_t records_offset = 0) {
    if (records_offset == 0) records_offset = static_cast<std::uint32_t>((64 + descriptor.size() + 63) / 64 * 64);
    Bytes h(std::max<std::size_t>(records_offset, 64 + descriptor.size()));
    std::copy(tinman::format::magic.begin(), tinman::format::magic.end(), h.begin());
    set_le(h, 8, version, 2);
    set_le(h, 10, flags, 2);
    set_le(h, 12, records_offset, 4);
    set_le(h, 16, descriptor.size(), 4);
    if (!descriptor.empty()) std::memcpy(&h[64], descriptor.data(), descriptor.size());
    set_le(h, 20, tinman::crc32c({h.data(), 64 + descriptor.size()}), 4);
    return h;
}

/// Appends a record with a valid header checksum (and payload checksum unless `crc` is given).
void append_record(Bytes& file, std::int64_t timestamp, const Bytes& payload, std::uint32_t padding = 0,
                   std::uint32_t flags = 0, std::optional<std::uint32_t> crc = std::nullopt) {
    tinman::format::RecordHeader h{timestamp, payload.size(), padding, crc ? *crc : tinman::crc32c(payload), flags};
    std::byte header[tinman::format::record_header_size];
    tinman::format::encode_record_header(h, header);
    file.insert(file.end(), std::begin(header), std::end(header));
    file.insert(file.end(), padding, std::byte{0});
    file.insert(file.end(), payload.begin(), payload.end());
}

/// Padding that puts the array data of `payload` (head length `head`) at a multiple of `align`.
std::uint32_t padding_for(const Bytes& file, std::size_t head, std::size_t align) {
    return static_cast<std::uint32_t>((align - (file.size() + 32 + head) % align) % align);
}

/// Offsets of the records of a valid file, and the end of each.
std::vector<std::pair<std::uint64_t, std::uint64_t>> records_of(const Bytes& file) {
    const auto header = tinman::format::parse_file_header(file);
    tinman::RecordScanner scanner(file, header.records_offset, SIZE_MAX);
    std::vector<std::pair<std::uint64_t, std::uint64_t>> out;
    while (auto r = scanner.next()) out.emplace_back(r->offset, scanner.status().intact_end);
    return out;
}

Bytes prefix(const Bytes& b, std::size_t n) { return Bytes(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(n)); }

Bytes flipped(Bytes b, std::size_t at, unsigned mask = 0x10) {
    b.at(at) ^= static_cast<std::byte>(mask);
    return b;
}

void framing_seeds(const fs::path& dir) {
    // Valid channels of every element type: a short array and one of 64 bytes or more (64-byte aligned data).
    auto typed = [&]<class T>(const char* name) {
        save(dir, std::string("valid_") + name, channel_of(NdArrayCodec<T>{}, values<T>(3), values<T>(20, 7)));
    };
    typed.operator()<bool>("b1");
    typed.operator()<std::int8_t>("i1");
    typed.operator()<std::int16_t>("i2");
    typed.operator()<std::int32_t>("i4");
    typed.operator()<std::int64_t>("i8");
    typed.operator()<std::uint8_t>("u1");
    typed.operator()<std::uint16_t>("u2");
    typed.operator()<std::uint32_t>("u4");
    typed.operator()<std::uint64_t>("u8");
    typed.operator()<tinman::float16>("f2");
    typed.operator()<float>("f4");
    typed.operator()<std::complex<float>>("c8");
    typed.operator()<std::complex<double>>("c16");

    // Shapes: 0-d, 1-d, 2-d, transposed, empty.
    const xt::xarray<double> m = {{1, 2, 3}, {4, 5, 6}};
    const Bytes shapes = channel_file([&](tinman::ObLogWriter& log) {
        auto w = log.get_writer("c", NdArrayCodec<double>{});
        w(1000, 1.5);
        w(1001, values<double>(4));
        w(1002, m);
        w(1003, xt::transpose(m));
        w(1004, xt::xarray<double>::from_shape({0}));
        w(1005, xt::xarray<double>::from_shape({2, 0, 3}));
        w(-7, values<double>(9, 3));
    });
    save(dir, "valid_f8_shapes", shapes);

    // Dynamically typed channel: mixed dtypes, including ones without a C++ element type.
    const Bytes mixed = channel_file([&](tinman::ObLogWriter& log) {
        auto w = log.get_writer("c", AnyArrayCodec{});
        w(1, values<float>(3));
        w(2, values<std::uint8_t>(70));
        w(3, AnyArray("<M8[ns]", {2}, counting(16)));
        w(4, AnyArray("|S5", {2}, text("helloworld")));
        w(5, AnyArray("|V3", {2, 1}, counting(6)));
        w(6, AnyArray("<U2", {1}, text(std::string_view("a\0\0\0b\0\0\0", 8))));
        w(7, AnyArray(">f8", {2}, counting(16)));
        w(8, AnyArray(">c8", {1}, counting(8)));
        w(9, AnyArray(">i2", {3}, counting(6)));
        w(10, AnyArray("<f16", {1}, counting(16)));
        w(11, AnyArray("|b1", {4}, Bytes{std::byte{0}, std::byte{1}, std::byte{1}, std::byte{0}}));
    });
    save(dir, "valid_any_mixed", mixed);

    save(dir, "valid_bytes_codec", channel_of(tinman::BytesCodec{}, std::string_view("hello"), std::string_view(""),
                                              std::string_view("0123456789abcdef0123456789abcdef")));
    const Bytes header_only = channel_file([](tinman::ObLogWriter& log) { (void)log.get_writer("c", NdArrayCodec<float>{}); });
    save(dir, "valid_header_only", header_only);

    // A payload over 4096 bytes: verified by strict reads only.
    const Bytes large = channel_of(NdArrayCodec<double>{}, values<double>(2), values<double>(560), values<double>(2, 1));
    save(dir, "valid_large_payload", large);
    const auto large_records = records_of(large);
    save(dir, "damaged_large_payload_bit", flipped(large, large_records.at(1).second - 100));

    // Damage to a valid file.
    const auto recs = records_of(shapes);
    save(dir, "empty_file", {});
    save(dir, "short_header", prefix(shapes, 40));
    save(dir, "truncated_in_descriptor", prefix(shapes, 70));
    save(dir, "truncated_in_record_header", prefix(shapes, recs.at(2).first + 10));
    save(dir, "truncated_in_payload", prefix(shapes, recs.at(2).second - 5));
    Bytes zero_tail = shapes;
    zero_tail.insert(zero_tail.end(), 256, std::byte{0});
    save(dir, "zero_tail", zero_tail);
    Bytes zeroed_last = shapes;
    std::fill(zeroed_last.begin() + static_cast<std::ptrdiff_t>(recs.back().first), zeroed_last.end(), std::byte{0});
    save(dir, "zeroed_last_record", zeroed_last);
    Bytes garbage = shapes;
    const Bytes junk = counting(45, 3);
    garbage.insert(garbage.end(), junk.begin(), junk.end());
    save(dir, "garbage_tail", garbage);
    save(dir, "corrupt_record_header", flipped(shapes, recs.at(1).first + 9, 0x01));
    save(dir, "corrupt_payload", flipped(shapes, recs.at(1).second - 3));
    save(dir, "corrupt_header_checksum", flipped(shapes, 20));
    save(dir, "bad_magic", flipped(shapes, 1));

    // File headers: versions, flags, descriptors, records offsets.
    const std::string_view f8 = "ndarray\ndtype=<f8\n";
    auto with_records = [&](Bytes head) {
        const Bytes p = payload_of(NdArrayCodec<double>{}, values<double>(3));
        append_record(head, 5, p, padding_for(head, p.size() - 24, 8));
        return head;
    };
    save(dir, "header_version_2", with_records(raw_header(f8, 0, 2)));
    save(dir, "header_required_flag", with_records(raw_header(f8, 0x0100)));
    save(dir, "header_optional_flag", with_records(raw_header(f8, 0x0001)));
    save(dir, "header_records_offset_unaligned", with_records(raw_header(f8, 0, 1, 100)));
    save(dir, "header_records_offset_spare", with_records(raw_header(f8, 0, 1, 192)));
    save(dir, "header_descriptor_params", with_records(raw_header("ndarray\ndtype=<f8\nunit=m/s = 1\nnote=\n")));
    save(dir, "header_descriptor_no_newline", with_records(raw_header("ndarray")));
    save(dir, "header_descriptor_bad_key", with_records(raw_header("ndarray\nkey with space=1\n")));
    save(dir, "header_descriptor_empty", with_records(raw_header("")));

    // Hand-made records: skip records, unknown flags, padding, odd payloads.
    const Bytes any_header = raw_header("ndarray\n");
    {
        Bytes f = any_header;
        const Bytes p1 = payload_of(NdArrayCodec<std::int32_t>{}, values<std::int32_t>(4));
        append_record(f, 1, p1, padding_for(f, p1.size() - 16, 64));
        append_record(f, 2, text("index"), 0, tinman::format::record_flag_skip);
        append_record(f, 3, p1, 3);  // misaligned data
        append_record(f, 4, {}, 0, tinman::format::record_flag_skip);
        save(dir, "records_skip_and_misaligned", f);
    }
    {
        Bytes f = any_header;
        append_record(f, 1, payload_of(NdArrayCodec<double>{}, 2.0), 20);
        append_record(f, 2, payload_of(NdArrayCodec<double>{}, 3.0), 0, 2);
        save(dir, "records_unknown_flag", f);
    }
    {
        Bytes f = any_header;
        append_record(f, 1, raw_payload("|O", {1}, counting(8)), 8);
        append_record(f, 2, raw_payload("<M8[ns]", {2}, counting(16)), 4);
        append_record(f, 3, raw_payload("|S5", {1}, text("abcde")), 0);
        append_record(f, 4, raw_payload("|V3", {0}, {}), 0);
        append_record(f, 5, raw_payload("|b1", {3}, Bytes{std::byte{0}, std::byte{2}, std::byte{1}}), 0);
        append_record(f, 6, raw_payload("<f8", std::vector<std::uint64_t>(64, 1), counting(8)), 8);
        append_record(f, 7, raw_payload("<f8", std::vector<std::uint64_t>(65, 1), counting(8)), 0);
        append_record(f, 8, raw_payload(">f8", {2}, counting(16)), padding_for(f, 19, 64));
        save(dir, "records_odd_payloads", f);
    }
    {
        Bytes f = any_header;
        const Bytes p = payload_of(NdArrayCodec<float>{}, values<float>(2));
        append_record(f, 1, p, padding_for(f, p.size() - 8, 8));
        append_record(f, 2, p, 0, 0, tinman::crc32c(p) ^ 1u);  // payload checksum wrong
        append_record(f, 3, p, padding_for(f, p.size() - 8, 8));
        save(dir, "records_bad_payload_crc_then_intact", f);
    }
    {
        Bytes f = any_header;
        Bytes p = payload_of(NdArrayCodec<std::uint16_t>{}, values<std::uint16_t>(3));
        append_record(f, 1, p, 1);
        Bytes hdr(32);
        tinman::format::encode_record_header({2, 1u << 20, 0, 0, 0}, hdr.data());  // claims more than follows
        f.insert(f.end(), hdr.begin(), hdr.end());
        f.insert(f.end(), p.begin(), p.end());
        save(dir, "records_oversized_claim", f);
    }
}

void payload_seeds(const fs::path& dir) {
    auto typed = [&]<class T>(const char* name) {
        save(dir, std::string("valid_") + name, payload_of(NdArrayCodec<T>{}, values<T>(3)));
    };
    typed.operator()<bool>("b1");
    typed.operator()<std::int8_t>("i1");
    typed.operator()<std::int16_t>("i2");
    typed.operator()<std::int32_t>("i4");
    typed.operator()<std::int64_t>("i8");
    typed.operator()<std::uint8_t>("u1");
    typed.operator()<std::uint16_t>("u2");
    typed.operator()<std::uint32_t>("u4");
    typed.operator()<std::uint64_t>("u8");
    typed.operator()<tinman::float16>("f2");
    typed.operator()<float>("f4");
    typed.operator()<double>("f8");
    typed.operator()<std::complex<float>>("c8");
    typed.operator()<std::complex<double>>("c16");

    const xt::xarray<float> m = {{1, 2, 3}, {4, 5, 6}};
    save(dir, "valid_f8_0d", payload_of(NdArrayCodec<double>{}, 2.5));
    save(dir, "valid_f4_2d", payload_of(NdArrayCodec<float>{}, m));
    save(dir, "valid_u1_3d", payload_of(NdArrayCodec<std::uint8_t>{}, xt::xarray<std::uint8_t>::from_shape({2, 3, 4})));
    save(dir, "valid_f8_empty", payload_of(NdArrayCodec<double>{}, xt::xarray<double>::from_shape({0})));
    save(dir, "valid_i4_empty_3d", payload_of(NdArrayCodec<std::int32_t>{}, xt::xarray<std::int32_t>::from_shape({2, 0, 3})));

    // Other byte orders and dtypes without a C++ element type.
    save(dir, "be_f8", raw_payload(">f8", {3}, counting(24)));
    save(dir, "be_i4", raw_payload(">i4", {2}, counting(8)));
    save(dir, "be_c16", raw_payload(">c16", {1}, counting(16)));
    save(dir, "be_f2", raw_payload(">f2", {2}, counting(4)));
    save(dir, "be_u2_2d", raw_payload(">u2", {3, 1}, counting(6)));
    save(dir, "be_i1", raw_payload(">i1", {2}, counting(2)));
    save(dir, "native_marker_i2", raw_payload("|i2", {2}, counting(4)));
    save(dir, "datetime_ns", raw_payload("<M8[ns]", {2}, counting(16)));
    save(dir, "timedelta_us", raw_payload("<m8[us]", {1}, counting(8)));
    save(dir, "bytes_s5", raw_payload("|S5", {2}, text("helloworld")));
    save(dir, "unicode_u3", raw_payload("<U3", {1}, counting(12)));
    save(dir, "void_v3", raw_payload("|V3", {2}, counting(6)));
    save(dir, "object_o", raw_payload("|O", {1}, counting(8)));
    save(dir, "longdouble_f16", raw_payload("<f16", {1}, counting(16)));
    save(dir, "bool_bad_byte", raw_payload("|b1", {4}, Bytes{std::byte{0}, std::byte{1}, std::byte{2}, std::byte{1}}));
    save(dir, "ndim_64", raw_payload("<f4", std::vector<std::uint64_t>(64, 1), counting(4)));

    // Malformed heads and sizes.
    save(dir, "ndim_65", raw_payload("<f4", std::vector<std::uint64_t>(65, 1), counting(4)));
    save(dir, "dtype_empty", raw_payload("", {1}, counting(1)));
    save(dir, "dtype_33_chars", raw_payload(std::string(33, 'S'), {1}, counting(1)));
    save(dir, "data_one_byte_short", raw_payload("<i4", {3}, counting(11)));
    save(dir, "data_one_byte_long", raw_payload("<i4", {3}, counting(13)));
    save(dir, "shape_product_overflow", raw_payload("|u1", {1ull << 32, 1ull << 32, 2}, counting(4)));
    save(dir, "truncated_shape", prefix(raw_payload("<f8", {2, 2}, {}), 20));
    save(dir, "truncated_dtype", prefix(raw_payload("<c16", {1}, {}), 6));
    save(dir, "length_only", prefix(raw_payload("<f8", {}, {}), 4));

    // Inputs shaped for the encode/decode round trip: type index, rank and flags, dimensions, values.
    auto roundtrip = [&](const char* name, std::uint8_t type, std::uint8_t flags, Bytes dims_and_values) {
        Bytes b{std::byte{type}, std::byte{flags}};
        b.insert(b.end(), dims_and_values.begin(), dims_and_values.end());
        save(dir, std::string("roundtrip_") + name, b);
    };
    roundtrip("bool_2d", 0, 2, counting(40));
    roundtrip("f2_3d_transposed", 9, 3 | 0x40, counting(100, 9));
    roundtrip("f8_4d", 11, 4, counting(300, 5));
    roundtrip("c16_scalar", 13, 0x20, counting(16));
    roundtrip("u8_1d_empty", 8, 1, Bytes{std::byte{0}});
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s <corpus dir>\n", argv[0]);
        return 2;
    }
    try {
        const fs::path root = argv[1];
        fs::create_directories(root / "framing");
        fs::create_directories(root / "ndarray_payload");
        framing_seeds(root / "framing");
        payload_seeds(root / "ndarray_payload");
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
    std::printf("wrote %zu seeds\n", written);
    return 0;
}
