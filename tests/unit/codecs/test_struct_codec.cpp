#include <doctest/doctest.h>

#include <array>
#include <complex>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include <tinman.hpp>
#include <tinman/codecs/struct_codec.hpp>
#include TINMAN_XTENSOR_HEADER(containers, xtensor.hpp)
#include TINMAN_XTENSOR_HEADER(views, xview.hpp)

#include "test_support.hpp"

using namespace tinman;
using test::TempDir;

namespace sensors {

struct Imu {
    double ax, ay, az, gx, gy, gz;
    std::int32_t status;  // followed by 4 bytes of tail padding
};
TINMAN_STRUCT(Imu, ax, ay, az, gx, gy, gz, status)

/// Padding inside (after `flag`, after `id`) and at the end; array fields of 1 and 2 dimensions.
struct Pose {
    bool flag;
    double q[4];
    std::uint8_t id;
    std::array<float, 3> p;
    float m[3][3];
    std::int16_t code;
    std::complex<float> c;
    std::uint8_t unnamed;  // not declared: stored as unnamed bytes
};
TINMAN_STRUCT(Pose, flag, q, id, p, m, code, c)

/// The same size as Imu with another field list.
struct ImuRenamed {
    double ax, ay, az, wx, wy, wz;
    std::int32_t status;
};
TINMAN_STRUCT(ImuRenamed, ax, ay, az, wx, wy, wz, status)

struct alignas(32) Wide {
    float v[3];
};
TINMAN_STRUCT(Wide, v)

}  // namespace sensors

using sensors::Imu;
using sensors::Pose;

static_assert(Codec<StructCodec<Imu>>);
static_assert(Codec<StructArrayCodec<Imu>>);
static_assert(Codec<StructArrayCodec<Pose, 2>>);
static_assert(CodecFor<StructCodec<Imu>, Imu>);
static_assert(CodecFor<StructCodec<Imu>, std::vector<Imu>>);
static_assert(CodecFor<StructArrayCodec<Imu>, xt::xarray<Imu>>);
static_assert(CodecFor<StructArrayCodec<Imu>, std::span<const Imu>>);
static_assert(CodecFor<StructArrayCodec<Imu>, std::array<Imu, 2>>);
static_assert(!CodecFor<StructArrayCodec<Imu, 2>, Imu>);
static_assert(!CodecFor<StructArrayCodec<Imu, 2>, std::vector<Imu>>);
static_assert(!CodecFor<StructCodec<Imu>, Pose>);
static_assert(!CodecFor<StructCodec<Imu>, std::vector<Pose>>);
static_assert(std::is_same_v<StructCodec<Imu>::element_type, Imu> && StructCodec<Imu>::itemsize == 56 &&
              StructCodec<Imu>::alignment == 8);
static_assert(std::is_same_v<StructCodec<Imu>::value_type, StructRef<Imu>>);
static_assert(std::is_same_v<decltype(*std::declval<StructRef<Imu>>()), const Imu&>);
// Reading is read-only.
template <class A>
concept element_assignable = requires(A& a) { a(0) = a(0); };
static_assert(!element_assignable<StructArrayView<Imu>>);

namespace {

Imu imu(int i) {
    Imu v;
    std::memset(static_cast<void*>(&v), 0xA5, sizeof v);  // padding bytes with a known value
    v.ax = i + 0.5;
    v.ay = -i;
    v.az = 9.81;
    v.gx = i * 0.25;
    v.gy = 1e-3 * i;
    v.gz = -2.0;
    v.status = i * 3 - 7;
    return v;
}

Pose pose(int i) {
    Pose v;
    std::memset(static_cast<void*>(&v), 0x5C, sizeof v);
    v.flag = i % 2 == 1;
    for (int k = 0; k < 4; ++k) v.q[k] = i + k * 0.125;
    v.id = static_cast<std::uint8_t>(i);
    for (int k = 0; k < 3; ++k) v.p[static_cast<std::size_t>(k)] = static_cast<float>(i * 10 + k);
    for (int r = 0; r < 3; ++r)
        for (int c = 0; c < 3; ++c) v.m[r][c] = static_cast<float>(i * 100 + r * 3 + c);
    v.code = static_cast<std::int16_t>(-i);
    v.c = {static_cast<float>(i), -1.5f};
    v.unnamed = 0x77;
    return v;
}

template <class T>
bool same_bytes(const T& a, const T& b) {
    return std::memcmp(&a, &b, sizeof(T)) == 0;
}

/// An encoded payload as one buffer.
std::vector<std::byte> bytes_of(const Payload& p) {
    std::vector<std::byte> v(p.head.begin(), p.head.end());
    v.insert(v.end(), p.body.begin(), p.body.end());
    return v;
}

}  // namespace

TEST_CASE("StructCodec: the layout is the numpy structured dtype of the struct") {
    CHECK(StructCodec<Imu>::layout().json() ==
          R"({"names":["ax","ay","az","gx","gy","gz","status"],"formats":["<f8","<f8","<f8","<f8","<f8","<f8","<i4"],)"
          R"("offsets":[0,8,16,24,32,40,48],"itemsize":56})");
    CHECK(StructCodec<Imu>{}.descriptor() ==
          CodecDescriptor{"ndarray", {{"dtype", "|V56"}, {"struct", StructCodec<Imu>::layout().json()}}});
    const auto& pose_layout = StructCodec<Pose>::layout();
    CHECK(pose_layout.itemsize() == sizeof(Pose));
    CHECK(pose_layout.json() ==
          R"({"names":["flag","q","id","p","m","code","c"],"formats":["|b1","(4,)<f8","|u1","(3,)<f4","(3,3)<f4",)"
          R"("<i2","<c8"],"offsets":[0,8,40,44,56,92,96],"itemsize":112})");
    CHECK(pose_layout.to_string().starts_with("{flag |b1 @0, q (4,)<f8 @8, "));
    // The JSON form reads back to the same layout.
    CHECK(StructLayout::parse_json(pose_layout.json()) == pose_layout);
    CHECK(StructLayout::parse_json(" {\"itemsize\" : 56,\n \"offsets\":[0], \"formats\":[\"<f8\"], \"names\":[\"a\"]} ") ==
          StructLayout({{.name = "a", .dtype = "<f8", .shape = {}, .offset = 0, .info = {}}}, 56));
}

TEST_CASE("StructCodec: one struct per record round-trips in place, padding included") {
    TempDir dir;
    {
        ObLogWriter log{dir.path()};
        auto w = log.get_writer("imu", StructCodec<Imu>{});
        auto p = log.get_writer("pose", StructCodec<Pose>{});
        for (int i = 0; i < 20; ++i) {
            w(imu(i));
            p(pose(i));
        }
    }
    ObLogReader reader{dir.path()};
    CHECK(reader.codec("imu") == StructCodec<Imu>{}.descriptor());
    int i = 0;
    auto channel = reader.read_channel<StructCodec<Imu>>("imu");
    for (auto&& [t, r] : channel) {
        CAPTURE(i);
        const Imu& v = *r;
        CHECK(same_bytes(v, imu(i)));  // every byte, the 4 bytes of tail padding too
        CHECK(r->status == i * 3 - 7);
        CHECK(&r.get() == r.operator->());
        CHECK(channel.segment()->contains(&v));  // in the mapping, not a copy
        CHECK(reinterpret_cast<std::uintptr_t>(&v) % alignof(Imu) == 0);
        ++i;
    }
    CHECK(i == 20);
    i = 0;
    for (auto&& [t, r] : reader.read_channel<StructCodec<Pose>>("pose")) {
        CAPTURE(i);
        CHECK(same_bytes(*r, pose(i)));
        CHECK(r->m[2][1] == static_cast<float>(i * 100 + 7));
        CHECK(r->unnamed == 0x77);
        ++i;
    }
    CHECK(i == 20);
}

TEST_CASE("StructArrayCodec: arrays of structs round-trip, and fields are strided views") {
    xt::xarray<Imu> grid = xt::xarray<Imu>::from_shape({2, 3});
    for (std::size_t k = 0; k < grid.size(); ++k) grid.data()[k] = imu(static_cast<int>(k));
    std::vector<Pose> poses;
    for (int k = 0; k < 5; ++k) poses.push_back(pose(k));
    TempDir dir;
    {
        ObLogWriter log{dir.path()};
        auto w = log.get_writer("imu", StructArrayCodec<Imu>{});
        w(grid);                                           // 2-d, contiguous
        w(xt::view(grid, xt::all(), xt::range(0, 3, 2)));  // strided: copied into scratch, C order
        w(std::vector<Imu>{});                             // empty
        w(imu(9));                                         // 0-d
        auto p = log.get_writer("pose", StructArrayCodec<Pose, 1>{});
        p(poses);
        p(std::span<const Pose>(poses).subspan(1, 2));
        CHECK_THROWS_AS(p(xt::xarray<Pose>::from_shape({1, 1})), usage_error);
    }
    ObLogReader reader{dir.path()};
    std::vector<StructArrayView<Imu>> got;
    for (auto&& [t, a] : reader.read_channel<StructArrayCodec<Imu>>("imu")) got.push_back(a);
    REQUIRE(got.size() == 4);
    REQUIRE(got[0].shape() == shape_type{2, 3});
    CHECK(same_bytes(got[0](1, 2), grid(1, 2)));
    CHECK(got[0].size() == 6);
    REQUIRE(got[1].shape() == shape_type{2, 2});
    // (Evaluated by assignment, which need not copy padding: the fields are compared.)
    CHECK(got[1](1, 1).ax == grid(1, 2).ax);
    CHECK(got[1](1, 0).gy == grid(1, 0).gy);
    CHECK(got[1](0, 1).status == grid(0, 2).status);
    CHECK(got[2].size() == 0);
    CHECK(got[3].dimension() == 0);
    CHECK(same_bytes(got[3](), imu(9)));
    CHECK(reinterpret_cast<std::uintptr_t>(got[0].data()) % 64 == 0);  // >= 64 bytes: cache-line aligned

    SUBCASE("field views by member") {
        const auto ax = field<&Imu::ax>(got[0]);
        static_assert(std::is_same_v<std::decay_t<decltype(ax(0, 0))>, double>);
        REQUIRE(ax.shape() == shape_type{2, 3});
        for (std::size_t r = 0; r < 2; ++r)
            for (std::size_t c = 0; c < 3; ++c) CHECK(ax(r, c) == grid(r, c).ax);
        CHECK(&ax(1, 1) == &got[0](1, 1).ax);  // no copy
        const auto status = field<&Imu::status>(got[1]);
        CHECK(status(1, 1) == grid(1, 2).status);
        CHECK(xt::xarray<std::int32_t>(status) == xt::xarray<std::int32_t>{{grid(0, 0).status, grid(0, 2).status},
                                                                            {grid(1, 0).status, grid(1, 2).status}});
        CHECK(field<&Imu::gz>(got[2]).size() == 0);
        CHECK(field<&Imu::gy>(got[3])() == imu(9).gy);
    }
    SUBCASE("array fields add their dimensions") {
        auto channel = reader.read_channel<StructArrayCodec<Pose, 1>>("pose");
        auto it = channel.begin();
        const auto all = (*it).value;
        static_assert(std::is_same_v<std::decay_t<decltype(all)>, StructArrayView<Pose, 1>>);
        REQUIRE(all.size() == 5);
        for (std::size_t k = 0; k < 5; ++k) CHECK(same_bytes(all(k), poses[k]));
        const auto m = field<&Pose::m>(all);
        REQUIRE(m.shape() == shape_type{5, 3, 3});
        CHECK(m(4, 2, 1) == poses[4].m[2][1]);
        CHECK(m(0, 0, 2) == poses[0].m[0][2]);
        const auto p = field<&Pose::p>(all);
        REQUIRE(p.shape() == shape_type{5, 3});
        CHECK(p(3, 2) == poses[3].p[2]);
        const auto q = field<&Pose::q>(all);
        CHECK(q(2, 3) == poses[2].q[3]);
        CHECK(field<&Pose::flag>(all)(1) == true);
        CHECK(field<&Pose::c>(all)(4) == poses[4].c);
        ++it;
        CHECK(same_bytes((*it).value(1), poses[2]));
        // A field view keeps the mapping alive on its own.
        const auto code = [&] {
            ObLogReader own{dir.path()};
            auto c = own.read_channel<StructArrayCodec<Pose, 1>>("pose");
            return field<&Pose::code>((*c.begin()).value);
        }();
        CHECK(code(4) == -4);
    }
    SUBCASE("StructCodec refuses arrays, and a fixed rank is checked") {
        auto one = reader.read_channel<StructCodec<Imu>>("imu");
        auto it = one.begin();
        CHECK_THROWS_WITH_AS((void)*it, doctest::Contains("use StructArrayCodec"), codec_mismatch);
        auto ranked = reader.read_channel<StructArrayCodec<Imu, 2>>("imu");
        std::size_t n = 0;
        for (auto i = ranked.begin(); n < 2; ++i, ++n) CHECK((*i).value.dimension() == 2);
    }
}

TEST_CASE("StructCodec: the payload is an ndarray payload of dtype |V<itemsize>, re-encoded identically") {
    const Imu v = imu(3);
    EncodeScratch scratch;
    const auto p = StructCodec<Imu>{}.encode(v, scratch);
    CHECK(p.body.data() == reinterpret_cast<const std::byte*>(&v));  // written from its own memory
    CHECK(p.body_alignment == 8);                                    // 56 bytes: the struct's alignment
    const auto payload = bytes_of(p);
    const auto a = AnyArrayCodec{}.decode(payload, nullptr);  // readers that know only ndarray read the bytes
    CHECK(a.dtype() == "|V56");
    CHECK(a.dimension() == 0);
    CHECK(std::memcmp(a.bytes().data(), &v, sizeof v) == 0);
    // decode -> encode gives the same bytes.
    alignas(64) std::array<std::byte, 256> buf{};
    std::memcpy(buf.data() + 64 - p.head.size(), payload.data(), payload.size());
    const auto r = StructCodec<Imu>{}.decode(std::span<const std::byte>(buf).subspan(64 - p.head.size(), payload.size()), nullptr);
    CHECK(bytes_of(StructCodec<Imu>{}.encode(*r, scratch)) == payload);
    CHECK(StructArrayCodec<Imu>{}.encode(std::vector<Imu>(2, v), scratch).body_alignment == 64);
}

TEST_CASE("StructCodec: a channel of another layout is a mismatch naming both layouts") {
    TempDir dir;
    {
        ObLogWriter log{dir.path()};
        log.get_writer("imu", StructCodec<Imu>{})(imu(1));
        log.get_writer("pose", StructCodec<Pose>{})(pose(1));
        const Imu one = imu(1);
        log.get_writer("raw", AnyArrayCodec{})(AnyArray("|V56", {}, std::as_bytes(std::span(&one, 1))));
        log.get_writer("doubles", NdArrayCodec<double>{})(1.0);
    }
    ObLogReader reader{dir.path()};
    const auto renamed = StructCodec<sensors::ImuRenamed>::layout().to_string();
    const auto stored = StructCodec<Imu>::layout().to_string();
    const std::string both = "stored struct " + stored + ", requested struct " + renamed +
                             ": field 3 is 'gx' <f8 @24, requested 'wx' <f8 @24";
    CHECK_THROWS_WITH_AS((void)reader.read_channel<StructCodec<sensors::ImuRenamed>>("imu"),
                         doctest::Contains(both.c_str()), codec_mismatch);
    CHECK_THROWS_WITH_AS((void)reader.read_channel<StructArrayCodec<Imu>>("pose"),
                         doctest::Contains("itemsize differs"), codec_mismatch);
    const std::string no_fields = "has no field list, requested struct " + stored;
    CHECK_THROWS_WITH_AS((void)reader.read_channel<StructCodec<Imu>>("raw"), doctest::Contains(no_fields.c_str()),
                         codec_mismatch);
    CHECK_THROWS_WITH_AS((void)reader.read_channel<StructCodec<Imu>>("doubles"),
                         doctest::Contains("stored dtype '<f8' has no field list"), codec_mismatch);
    CHECK_THROWS_AS((void)reader.read_channel<NdArrayCodec<double>>("imu"), codec_mismatch);
    // Appending with another layout is refused too.
    ObLogWriter log{dir.path()};
    CHECK_THROWS_AS((void)log.get_writer("imu", StructCodec<sensors::ImuRenamed>{}, OpenMode::append), codec_mismatch);
}

TEST_CASE("StructLayout: corrupt JSON and invalid layouts are format errors with the reason") {
    auto refuses = [](std::string_view text, const char* why) {
        CAPTURE(text);
        CHECK_THROWS_WITH_AS((void)StructLayout::parse_json(text), doctest::Contains(why), format_error);
    };
    const std::string good = R"({"names":["a","b"],"formats":["<f8","(2,)<i4"],"offsets":[0,8],"itemsize":16})";
    CHECK(StructLayout::parse_json(good).json() == good);
    // Every strict prefix of a valid text fails cleanly (no read past the end).
    for (std::size_t n = 0; n < good.size(); ++n) CHECK_THROWS_AS((void)StructLayout::parse_json(good.substr(0, n)), format_error);
    refuses("", "expected '{'");
    refuses(R"({"names":["a"],"formats":["<f8"],"offsets":[0]})", "needs names, formats, offsets and itemsize");
    refuses(R"({"names":["a"],"formats":["<f8"],"offsets":[0],"itemsize":8,"x":1})", "unknown key 'x'");
    refuses(R"({"names":["a"],"names":["a"],"formats":["<f8"],"offsets":[0],"itemsize":8})", "appears twice");
    refuses(R"({"names":["a","b"],"formats":["<f8"],"offsets":[0],"itemsize":8})", "2 names, 1 formats, 1 offsets");
    refuses(R"({"names":["a\"b"],"formats":["<f8"],"offsets":[0],"itemsize":8})", "unsupported character");
    refuses(R"({"names":["a"],"formats":["<f8"],"offsets":[-1],"itemsize":8})", "non-negative integer");
    refuses(R"({"names":["a"],"formats":["<f8"],"offsets":[01],"itemsize":8})", "leading zero");
    refuses(R"({"names":["a"],"formats":["<f8"],"offsets":[0],"itemsize":99999999999999999999})", "too large");
    refuses(R"({"names":["a"],"formats":["<f8"],"offsets":[0],"itemsize":8} x)", "text after the object");
    refuses(R"({"names":["a"],"formats":["<f8"],"offsets":[1],"itemsize":8})", "ends past the itemsize 8");
    refuses(R"({"names":["a"],"formats":["<f8"],"offsets":[18446744073709551],"itemsize":8})", "ends past");
    refuses(R"({"names":["a-b"],"formats":["<f8"],"offsets":[0],"itemsize":8})", "[A-Za-z0-9_]");
    refuses(R"({"names":[""],"formats":["<f8"],"offsets":[0],"itemsize":8})", "[A-Za-z0-9_]");
    refuses(R"({"names":["a","a"],"formats":["<f8","<f8"],"offsets":[0,0],"itemsize":8})", "'a' appears twice");
    refuses(R"({"names":["a"],"formats":["<q8"],"offsets":[0],"itemsize":8})", "unknown dtype '<q8'");
    refuses(R"({"names":["a"],"formats":["(2<f8"],"offsets":[0],"itemsize":16})", "malformed subarray");
    refuses(R"({"names":["a"],"formats":["(,)<f8"],"offsets":[0],"itemsize":16})", "malformed subarray");
    refuses(R"({"names":["a"],"formats":["(0,)<f8"],"offsets":[0],"itemsize":16})", "invalid subarray shape");
    refuses(R"({"names":["a"],"formats":["(4294967296,4294967296)<f8"],"offsets":[0],"itemsize":16})",
            "invalid subarray shape");
    refuses(R"({"names":[],"formats":[],"offsets":[],"itemsize":8})", "no fields");
    refuses(R"({"names":["a"],"formats":["|b1"],"offsets":[0],"itemsize":0})", "itemsize 0");

    // A channel whose stored layout is corrupt: a mismatch with the reason, not a crash.
    CodecDescriptor corrupt = StructCodec<Imu>{}.descriptor();
    corrupt.params[1].second = R"({"names":["ax"],"formats":["<f8"],"offsets":[0],"itemsize":)";
    CHECK_THROWS_WITH_AS(
        throw codec_mismatch(StructCodec<Imu>{}.mismatch(corrupt)),
        doctest::Contains("stored struct layout is unreadable (malformed struct layout at byte"), codec_mismatch);
}

TEST_CASE("StructCodec: misaligned, short, or invalid payloads are errors, never reads") {
    std::vector<Pose> poses{pose(1), pose(2)};
    EncodeScratch scratch;
    const auto p = StructArrayCodec<Pose>{}.encode(poses, scratch);
    const auto payload = bytes_of(p);
    std::vector<std::byte> buffer(payload.size() + 64);
    std::size_t start = 0;
    while (reinterpret_cast<std::uintptr_t>(buffer.data() + start + p.head.size()) % 8 != 4) ++start;
    std::copy(payload.begin(), payload.end(), buffer.begin() + static_cast<std::ptrdiff_t>(start));
    const auto misaligned = std::span<const std::byte>(buffer).subspan(start, payload.size());
    CHECK_THROWS_WITH_AS((void)StructArrayCodec<Pose>{}.decode(misaligned, nullptr),
                         doctest::Contains("not aligned to 8 bytes"), format_error);
    // Aligned, it reads.
    while (reinterpret_cast<std::uintptr_t>(buffer.data() + start + p.head.size()) % 8 != 0) ++start;
    std::copy(payload.begin(), payload.end(), buffer.begin() + static_cast<std::ptrdiff_t>(start));
    auto aligned = std::span<std::byte>(buffer).subspan(start, payload.size());
    CHECK(same_bytes(StructArrayCodec<Pose>{}.decode(aligned, nullptr)(1), poses[1]));
    // A bool field holding 2 is refused (reading it as bool would be undefined).
    aligned[p.head.size() + sizeof(Pose)] = std::byte{2};
    CHECK_THROWS_WITH_AS((void)StructArrayCodec<Pose>{}.decode(aligned, nullptr),
                         doctest::Contains("struct 1 holds a bool byte other than 0 or 1"), format_error);
    // Short data, and another record dtype.
    CHECK_THROWS_WITH_AS((void)StructArrayCodec<Pose>{}.decode(aligned.first(aligned.size() - 1), nullptr),
                         doctest::Contains("array data is"), format_error);
    const auto doubles = bytes_of(NdArrayCodec<double>{}.encode(xt::xarray<double>{1.0, 2.0}, scratch));
    CHECK_THROWS_WITH_AS((void)StructCodec<Imu>{}.decode(doubles, nullptr),
                         doctest::Contains("stored dtype '<f8', requested '|V56'"), codec_mismatch);
    // Over-aligned structs: strided input is evaluated into aligned scratch memory.
    xt::xarray<sensors::Wide> w = xt::xarray<sensors::Wide>::from_shape({4});
    for (std::size_t k = 0; k < 4; ++k) w(k) = sensors::Wide{{float(k), 1.f, 2.f}};
    const auto pw = StructArrayCodec<sensors::Wide>{}.encode(xt::view(w, xt::range(0, 4, 2)), scratch);
    CHECK(reinterpret_cast<std::uintptr_t>(pw.body.data()) % 32 == 0);
    CHECK(pw.body.size() == 64);
    CHECK(pw.body_alignment == 64);
}

TEST_CASE("AnyArray: the fields of a struct channel by name, as strided views or copies") {
    std::vector<Pose> poses;
    for (int k = 0; k < 4; ++k) poses.push_back(pose(k));
    TempDir dir;
    {
        ObLogWriter log{dir.path()};
        log.get_writer("pose", StructArrayCodec<Pose>{})(xt::adapt(poses, std::vector<std::size_t>{2, 2}));
        log.get_writer("imu", StructCodec<Imu>{})(imu(5));
        log.get_writer("doubles", NdArrayCodec<double>{})(1.0);
    }
    ObLogReader reader{dir.path()};
    const AnyArrayCodec codec{reader.codec("pose")};
    REQUIRE(codec.layout() != nullptr);
    CHECK(*codec.layout() == StructCodec<Pose>::layout());
    CHECK(codec.descriptor() == reader.codec("pose"));
    auto channel = reader.read_channel("pose", codec);
    const AnyArray a = (*channel.begin()).value;
    CHECK(a.dtype() == "|V112");
    REQUIRE(a.fields().size() == 7);
    CHECK(a.fields()[4].name == "m");
    CHECK(a.fields()[4].format() == "(3,3)<f4");
    CHECK(a.fields()[4].offset == offsetof(Pose, m));
    CHECK(a.fields()[4].shape == shape_type{3, 3});

    const AnyField m = a.field("m");
    CHECK(m.dtype() == "<f4");
    CHECK(m.shape() == shape_type{2, 2, 3, 3});
    CHECK(m.byte_strides()[0] == 2 * 112);
    CHECK(m.byte_strides()[3] == 4);
    CHECK(m.size() == 36);
    const auto mv = m.as<float>();
    CHECK(mv(1, 0, 2, 1) == poses[2].m[2][1]);
    CHECK(channel.segment()->contains(&mv(1, 1, 0, 0)));  // in place
    const auto mc = m.copy_as<float>();
    CHECK(mc == xt::xarray<float>(mv));
    CHECK(a.field("q").as<double>()(0, 1, 3) == poses[1].q[3]);
    CHECK(a.field("flag").as<bool>()(0, 1) == true);
    CHECK(a.field("c").copy_as<std::complex<float>>()(1, 1) == poses[3].c);
    CHECK(a.field("id").as<std::uint8_t>()(1, 0) == 2);
    CHECK_THROWS_WITH_AS((void)a.field("id").as<std::int8_t>(), doctest::Contains("field 'id' has dtype '|u1'"),
                         codec_mismatch);
    CHECK_THROWS_WITH_AS((void)a.field("nope"), doctest::Contains("no field 'nope' in an array of dtype '|V112'"),
                         usage_error);
    // A field whose stride is not whole elements is refused in place and copied instead.
    const StructLayout odd({{.name = "x", .dtype = "<f8", .shape = {}, .offset = 4, .info = {}}}, 12);
    std::vector<std::byte> raw(36);
    for (std::size_t k = 0; k < 3; ++k) {
        const double x = 1.5 * static_cast<double>(k);
        std::memcpy(raw.data() + 12 * k + 4, &x, 8);
    }
    const AnyArray three(detail::ArrayPayload{"|V12", {3}, 3, raw}, nullptr, std::make_shared<const StructLayout>(odd));
    CHECK_THROWS_WITH_AS((void)three.field("x").as<double>(), doctest::Contains("use copy_as()"), format_error);
    CHECK(three.field("x").copy_as<double>() == xt::xarray<double>{0.0, 1.5, 3.0});

    // A codec made for one layout reads only channels of that layout; plain arrays have no fields.
    CHECK_THROWS_WITH_AS((void)reader.read_channel("imu", codec), doctest::Contains("this codec reads struct {flag"),
                         codec_mismatch);
    CHECK_THROWS_AS((void)reader.read_channel("doubles", codec), codec_mismatch);
    const auto plain = (*reader.read_channel<AnyArrayCodec>("imu").begin()).value;
    CHECK(plain.fields().empty());
    CHECK(plain.dtype() == "|V56");
    CHECK_THROWS_AS((void)plain.field("ax"), usage_error);
    const auto imu_any = (*reader.read_channel("imu", AnyArrayCodec{reader.codec("imu")}).begin()).value;
    CHECK(imu_any.field("status").as<std::int32_t>()() == imu(5).status);
    CHECK(AnyArrayCodec{reader.codec("doubles")}.layout() == nullptr);
}
