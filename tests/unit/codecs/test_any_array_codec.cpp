#include <doctest/doctest.h>

#include <set>

#include <tinman.hpp>
#include <tinman/channel/record_writer.hpp>

#include "test_support.hpp"

using namespace tinman;
using test::TempDir;

namespace {
std::vector<std::byte> big_endian_doubles(std::initializer_list<double> values) {
    std::vector<std::byte> out;
    for (double v : values) {
        std::uint64_t bits;
        std::memcpy(&bits, &v, 8);
        for (int k = 7; k >= 0; --k) out.push_back(static_cast<std::byte>(bits >> (8 * k)));
    }
    return out;
}
}  // namespace

TEST_CASE("AnyArrayCodec: dtype, shape and bytes of records of any dtype") {
    TempDir dir;
    const auto be = big_endian_doubles({1.5, -2.0, 3.25, 4.0, 5.0, 6.0});
    const std::string text = "helloworld";
    {
        ObLogWriter log{dir.path()};
        auto w = log.get_writer("any", AnyArrayCodec{});
        w(xt::xarray<float>{{1.f, 2.f}, {3.f, 4.f}});
        w(AnyArray(">f8", {2, 3}, be));
        w(AnyArray("|S5", {2}, std::as_bytes(std::span{text.data(), text.size()})));
        w(xt::xarray<std::uint8_t>{7, 8, 9});
    }
    ObLogReader reader{dir.path()};
    CHECK(reader.codec("any") == CodecDescriptor{"ndarray", {}});
    std::vector<AnyArray> records;
    for (auto&& [t, a] : reader.read_channel<AnyArrayCodec>("any")) records.push_back(a);
    REQUIRE(records.size() == 4);

    const auto& f = records[0];
    CHECK(f.dtype() == "<f4");
    CHECK(f.shape() == shape_type{2, 2});
    CHECK(f.size() == 4);
    CHECK(f.bytes().size() == 16);
    CHECK(f.is<float>());
    CHECK_FALSE(f.is<double>());
    CHECK(f.as<float>()(1, 0) == 3.f);
    CHECK(f.owner()->contains(f.as<float>().data()));
    CHECK_THROWS_AS((void)f.as<double>(), codec_mismatch);
    CHECK_THROWS_AS((void)f.copy_as<double>(), codec_mismatch);  // copy_as converts byte order, not types

    const auto& b = records[1];
    CHECK(b.dtype() == ">f8");
    CHECK_FALSE(b.dtype_info().is_native());
    CHECK_FALSE(b.is_viewable_as<double>());
    CHECK_THROWS_WITH_AS((void)b.as<double>(), doctest::Contains("use copy_as()"), codec_mismatch);
    const xt::xarray<double> converted = b.copy_as<double>();
    CHECK(converted == xt::xarray<double>{{1.5, -2.0, 3.25}, {4.0, 5.0, 6.0}});

    const auto& s = records[2];
    CHECK(s.dtype() == "|S5");
    CHECK(s.size() == 2);
    CHECK(std::string_view(reinterpret_cast<const char*>(s.bytes().data()), 10) == "helloworld");

    CHECK(records[3].as<std::uint8_t>() == xt::xarray<std::uint8_t>{7, 8, 9});
    // Typed reading of the same channel checks each record.
    auto typed = reader.read_channel<NdArrayCodec<float>>("any");
    CHECK((*typed.begin()).value(0, 1) == 2.f);
    // A default-constructed AnyArray has no dtype: writing it is a clear error.
    EncodeScratch scratch;
    CHECK_THROWS_WITH_AS((void)AnyArrayCodec{}.encode(AnyArray{}, scratch), doctest::Contains("no dtype"), error);
}

TEST_CASE("AnyArrayCodec: long double arrays (<f16, <c32) are stored at their full 16-byte alignment") {
    TempDir dir;
    std::vector<std::byte> f16(16), c32(32);
    for (std::size_t i = 0; i < c32.size(); ++i) c32[i] = static_cast<std::byte>(i);
    {
        ObLogWriter log{dir.path()};
        auto w = log.get_writer("ld", AnyArrayCodec{});
        // Records of other sizes in between move every following record to a new offset.
        for (std::size_t i = 0; i < 8; ++i) {
            w(static_cast<std::int64_t>(i), AnyArray("<f16", {1}, f16));
            w(static_cast<std::int64_t>(i), AnyArray("<c32", {}, c32));
            w(static_cast<std::int64_t>(i), AnyArray("|u1", {i + 1}, std::span(c32).first(i + 1)));
        }
    }
    std::size_t checked = 0;
    for (auto&& [t, a] : ObLogReader{dir.path()}.read_channel<AnyArrayCodec>("ld")) {
        if (a.dtype() == "|u1") continue;
        CHECK(reinterpret_cast<std::uintptr_t>(a.bytes().data()) % 16 == 0);
        ++checked;
    }
    CHECK(checked == 16);
}

TEST_CASE("NdArrayCodec and AnyArray: an empty array is never misaligned, wherever its (absent) data would start") {
    TempDir dir;
    const xt::xarray<double> none = xt::xarray<double>::from_shape({0, 3});
    EncodeScratch scratch;
    const Payload p = NdArrayCodec<double>{}.encode(none, scratch);
    REQUIRE(p.body.empty());
    const std::vector<std::byte> payload(p.head.begin(), p.head.end());
    {
        // Written without padding (alignment 1): record after record, the place where the
        // data would start moves through every residue modulo 8.
        RecordWriter w(dir.path(), "empty", NdArrayCodec<double>{}.descriptor());
        for (int i = 0; i < 8; ++i) w.append(i, {{}, payload, 1});
    }
    std::set<std::uintptr_t> residues;
    std::size_t n = 0;
    for (auto&& [t, v] : ObLogReader{dir.path()}.read_channel<NdArrayCodec<double>>("empty")) {
        CHECK(v.size() == 0);
        CHECK(v.shape(1) == 3);
        ++n;
    }
    CHECK(n == 8);
    auto records = ObLogReader{dir.path()}.read_channel<AnyArrayCodec>("empty");
    for (auto it = records.begin(); it != records.end(); ++it) {
        const auto end = it.record().payload.data() + it.record().payload.size();
        residues.insert(reinterpret_cast<std::uintptr_t>(end) % 8);
        const AnyArray a = (*it).value;
        CHECK(a.is_viewable_as<double>());
        CHECK(a.as<double>().size() == 0);
    }
    CHECK(residues.size() > 1);  // some of them would have been "misaligned"
}

TEST_CASE("AnyArrayCodec::Decoder: a record with the head of the one before reuses it, any other is parsed") {
    TempDir dir;
    const std::string text = "abcdeABCDE";
    {
        ObLogWriter log{dir.path()};
        auto w = log.get_writer("any", AnyArrayCodec{});
        for (int i = 0; i < 3; ++i) w(xt::xarray<double>{i * 1.0, i + 0.5});  // the same head three times
        w(xt::xarray<double>(std::vector<std::size_t>{2, 1}, 2.0));           // same bytes of data, another shape
        w(xt::xarray<float>{1.f, 2.f, 3.f, 4.f});                             // same bytes, another dtype
        w(AnyArray("|S5", {2}, std::as_bytes(std::span{text.data(), text.size()})));
        w(xt::xarray<double>{7.0, 8.0});
        w(xt::xarray<double>{9.0, 10.0});
        w(xt::xarray<double>::from_shape({0}));  // empty
    }
    std::vector<AnyArray> a;
    auto records = ObLogReader{dir.path()}.read_channel<AnyArrayCodec>("any");
    for (auto&& [t, v] : records) a.push_back(v);
    REQUIRE(a.size() == 9);
    for (int i = 0; i < 3; ++i) {
        CHECK(a[i].dtype() == "<f8");
        CHECK(a[i].shape() == shape_type{2});
        CHECK(a[i].as<double>() == xt::xarray<double>{i * 1.0, i + 0.5});
        CHECK(a[i].owner() == records.segment());  // each keeps the mapping alive
    }
    CHECK(a[3].shape() == shape_type{2, 1});
    CHECK(a[3].as<double>()(1, 0) == 2.0);
    CHECK(a[4].dtype() == "<f4");
    CHECK(a[4].as<float>()(3) == 4.f);
    CHECK(a[5].dtype() == "|S5");
    CHECK(std::string_view(reinterpret_cast<const char*>(a[5].bytes().data()), 10) == text);
    CHECK(a[6].as<double>() == xt::xarray<double>{7.0, 8.0});
    CHECK(a[7].as<double>() == xt::xarray<double>{9.0, 10.0});
    CHECK(a[8].size() == 0);
    CHECK(a[8].shape() == shape_type{0});
}
