#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <complex>
#include <cstring>
#include <span>
#include <vector>

#include <tinman.hpp>
#include TINMAN_XTENSOR_HEADER(containers, xfixed.hpp)
#include TINMAN_XTENSOR_HEADER(containers, xtensor.hpp)
#include TINMAN_XTENSOR_HEADER(views, xview.hpp)
#include TINMAN_XTENSOR_HEADER(views, xstrided_view.hpp)
#include TINMAN_XTENSOR_HEADER(core, xmath.hpp)

#include "test_support.hpp"

using namespace tinman;
using test::TempDir;

// What NdArrayCodec writes, checked at compile time.
static_assert(CodecFor<NdArrayCodec<double>, xt::xarray<double>>);
static_assert(CodecFor<NdArrayCodec<double>, double>);
static_assert(!CodecFor<NdArrayCodec<double>, xt::xarray<float>>);
static_assert(!CodecFor<NdArrayCodec<double>, float>);
static_assert(Codec<NdArrayCodec<float, 2>>);
static_assert(!CodecFor<NdArrayCodec<double, 1>, double>);
static_assert(CodecFor<NdArrayCodec<double>, std::vector<double>>);
static_assert(CodecFor<NdArrayCodec<double, 1>, std::span<const double>>);
static_assert(CodecFor<NdArrayCodec<double>, std::array<double, 3>>);
static_assert(!CodecFor<NdArrayCodec<double>, std::vector<float>>);
static_assert(!CodecFor<NdArrayCodec<double, 2>, std::vector<double>>);
static_assert(!CodecFor<NdArrayCodec<double>, std::vector<bool>>);
static_assert(CodecFor<NdArrayCodec<double>, std::span<double>>);

namespace {

template <class T>
T value_at(std::size_t i) {
    if constexpr (std::is_same_v<T, bool>) return i % 3 == 0;
    else if constexpr (std::is_same_v<T, float16>) return float16(static_cast<float>(i) * 0.25f - 3.0f);
    else if constexpr (std::is_same_v<T, std::complex<float>> || std::is_same_v<T, std::complex<double>>)
        return T(static_cast<typename T::value_type>(i), static_cast<typename T::value_type>(i) * -0.5f);
    else if constexpr (std::is_floating_point_v<T>) return static_cast<T>(i) * T(0.5) - T(7);
    else return static_cast<T>(i * 7 + 3);
}

template <class T>
xt::xarray<T> make_array(const shape_type& shape) {
    xt::xarray<T> a = xt::xarray<T>::from_shape(shape);
    for (std::size_t i = 0; i < a.size(); ++i) a.data()[i] = value_at<T>(i);
    return a;
}

/// Same shape and the same element bytes (exact, also for float16 and NaN-free floats).
template <class A, class B>
bool same_array(const A& a, const B& b) {
    if (a.dimension() != b.dimension() || !std::equal(a.shape().begin(), a.shape().end(), b.shape().begin()))
        return false;
    using T = typename A::value_type;
    xt::xarray<T> ca = a, cb = b;  // C order
    return ca.size() == cb.size() && (ca.size() == 0 || std::memcmp(ca.data(), cb.data(), ca.size() * sizeof(T)) == 0);
}

const std::vector<shape_type> shapes{{}, {5}, {0}, {3, 4}, {0, 3}, {2, 3, 4}, {2, 1, 3, 2}, {2, 0, 3, 1}, {1, 70}};

// An array view is read-only: element and data writes are ill-formed.
template <class A>
concept element_assignable = requires(A& a) { a(0) = a(0); };
template <class A>
concept data_writable = requires(A& a) { *a.data() = *a.data(); };
static_assert(!element_assignable<ArrayView<double>>);
static_assert(!data_writable<ArrayView<double>>);
static_assert(!element_assignable<ArrayView<std::int32_t>>);
static_assert(std::is_same_v<decltype(std::declval<ArrayView<float>&>().data()), const float*>);
static_assert(!element_assignable<ArrayView<double, 2>>);
static_assert(!data_writable<ArrayView<double, 1>>);

}  // namespace

TEST_CASE_TEMPLATE("NdArrayCodec: round trip of every element type and rank 0..4, zero-copy and aligned", T, bool,
                   std::int8_t, std::int16_t, std::int32_t, std::int64_t, std::uint8_t, std::uint16_t, std::uint32_t,
                   std::uint64_t, float16, float, double, std::complex<float>, std::complex<double>) {
    TempDir dir;
    std::vector<xt::xarray<T>> written;
    {
        ObLogWriter log{dir.path()};
        auto write = log.get_writer("a", NdArrayCodec<T>{});
        for (const auto& shape : shapes) {
            written.push_back(make_array<T>(shape));
            write(written.back());
        }
    }
    ObLogReader reader{dir.path()};
    CHECK(reader.codec("a") == CodecDescriptor{"ndarray", {{"dtype", std::string(dtype_of<T>)}}});
    auto channel = reader.read_channel<NdArrayCodec<T>>("a");
    std::size_t i = 0;
    for (auto&& [timestamp, arr] : channel) {
        REQUIRE(i < written.size());
        CAPTURE(i);
        CHECK(timestamp > 0);
        CHECK(same_array(arr, written[i]));
        CHECK(arr.size() == written[i].size());
        if (arr.size() > 0) {
            CHECK(channel.segment()->contains(arr.data()));  // a view into the mapping, not a copy
            const std::size_t nbytes = arr.size() * sizeof(T);
            const auto address = reinterpret_cast<std::uintptr_t>(arr.data());
            CHECK(address % (nbytes >= 64 ? 64 : alignof(T)) == 0);
        }
        ++i;
    }
    CHECK(i == written.size());
    CHECK(channel.status().clean());
}

TEST_CASE("NdArrayCodec: views, column-major, fixed, strided, lazy and scalar inputs are stored in C order") {
    TempDir dir;
    xt::xarray<double> base = make_array<double>({4, 6});
    xt::xarray<double, xt::layout_type::column_major> colmajor = base;
    xt::xtensor_fixed<double, xt::xshape<2, 3>> fixed = {{1, 2, 3}, {4, 5, 6}};
    xt::xtensor<double, 2> tensor = base;
    std::vector<double> storage(24);
    for (std::size_t k = 0; k < storage.size(); ++k) storage[k] = double(k);
    std::vector<xt::xarray<double>> expected;
    {
        ObLogWriter log{dir.path()};
        auto write = log.get_writer("v", NdArrayCodec<double>{});
        auto put = [&](const auto& e) {
            write(e);
            expected.emplace_back(e);
        };
        put(base);
        put(colmajor);
        put(fixed);
        put(tensor);
        put(xt::view(base, xt::range(1, 3), xt::all()));               // contiguous rows
        put(xt::view(base, xt::all(), xt::range(1, 5, 2)));            // strided columns
        put(xt::transpose(base));                                      // reversed strides
        put(xt::view(base, xt::range(3, xt::placeholders::_, -1), 2));  // negative step
        put(xt::adapt(storage, std::vector<std::size_t>{2, 3, 4}));
        put(base * 2.0 + 1.0);                                         // lazy expression
        put(xt::strided_view(base, {xt::range(0, 4, 3), xt::all()}));
        write(42.5);  // a scalar: a 0-d array
        expected.emplace_back(xt::xarray<double>(42.5));
    }
    ObLogReader reader{dir.path()};
    std::size_t i = 0;
    for (auto&& [t, arr] : reader.read_channel<NdArrayCodec<double>>("v")) {
        CAPTURE(i);
        REQUIRE(i < expected.size());
        CHECK(same_array(arr, expected[i]));
        ++i;
    }
    CHECK(i == expected.size());
}

TEST_CASE("NdArrayCodec: the payload is exactly the seed's layout") {
    const xt::xarray<std::int16_t> a = {{1, -2, 3}, {4, 5, -6}};
    EncodeScratch scratch;
    const auto p = NdArrayCodec<std::int16_t>{}.encode(a, scratch);
    std::vector<std::byte> payload(p.head.begin(), p.head.end());
    payload.insert(payload.end(), p.body.begin(), p.body.end());
    const unsigned char expected[] = {3, 0, 0, 0, '<', 'i', '2', 2, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0,
                                      0, 0, 0, 0, 1, 0, 0xFE, 0xFF, 3, 0, 4, 0, 5, 0, 0xFA, 0xFF};
    REQUIRE(payload.size() == sizeof expected);
    CHECK(std::memcmp(payload.data(), expected, sizeof expected) == 0);
    CHECK(p.body.data() == reinterpret_cast<const std::byte*>(a.data()));  // contiguous input: no copy
    CHECK(p.body_alignment == 2);  // 12 bytes of data: element alignment
}

TEST_CASE("NdArrayCodec: reading another dtype names the channel, stored and requested dtypes") {
    TempDir dir;
    {
        ObLogWriter log{dir.path()};
        auto w = log.get_writer("sensor_data", NdArrayCodec<double>{});
        w(xt::xarray<double>{1.0});
        auto any = log.get_writer("mixed", AnyArrayCodec{});
        any(xt::xarray<double>{1.0});
        any(xt::xarray<float>{2.0f});
    }
    ObLogReader reader{dir.path()};
    const std::string message =
        "channel 'sensor_data' ('" + (dir.path() / "sensor_data.tinman").string() +
        "'): stored dtype '<f8', requested '<f4'";
    CHECK_THROWS_WITH_AS((void)reader.read_channel<NdArrayCodec<float>>("sensor_data"), message.c_str(),
                         codec_mismatch);
    CHECK_THROWS_AS((void)reader.read_channel<BytesCodec>("sensor_data"), codec_mismatch);
    // A channel of varying dtype: checked record by record.
    auto mixed = reader.read_channel<NdArrayCodec<double>>("mixed");
    auto it = mixed.begin();
    CHECK((*it).value(0) == 1.0);
    ++it;
    CHECK_THROWS_WITH_AS((void)*it, doctest::Contains("record 1 "), codec_mismatch);
    CHECK_THROWS_WITH_AS((void)*it, doctest::Contains("channel 'mixed'"), codec_mismatch);
    CHECK_THROWS_WITH_AS((void)*it, doctest::Contains("stored dtype '<f4', requested '<f8'"), codec_mismatch);
}

TEST_CASE("NdArrayCodec: misaligned or invalid payloads are errors, never views") {
    const NdArrayCodec<double> codec;
    EncodeScratch scratch;
    const xt::xarray<double> a = {1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0};
    const auto p = codec.encode(a, scratch);
    // Place the payload so that its data is misaligned by one byte.
    std::vector<std::byte> buffer(p.head.size() + p.body.size() + 64);
    std::size_t start = 0;
    while (reinterpret_cast<std::uintptr_t>(buffer.data() + start + p.head.size()) % 8 != 1) ++start;
    std::copy(p.head.begin(), p.head.end(), buffer.begin() + static_cast<std::ptrdiff_t>(start));
    std::copy(p.body.begin(), p.body.end(), buffer.begin() + static_cast<std::ptrdiff_t>(start + p.head.size()));
    const auto payload = std::span<const std::byte>(buffer).subspan(start, p.head.size() + p.body.size());
    CHECK_THROWS_WITH_AS((void)codec.decode(payload, nullptr), doctest::Contains("not aligned"), format_error);
    // The copying path still reads it.
    const auto copy = AnyArrayCodec{}.decode(payload, nullptr).copy_as<double>();
    CHECK(copy == a);

    std::vector<std::byte> bools(p.head.size());
    const xt::xarray<bool> b = {true, false};
    const auto pb = NdArrayCodec<bool>{}.encode(b, scratch);
    bools.assign(pb.head.begin(), pb.head.end());
    bools.push_back(std::byte{1});
    bools.push_back(std::byte{2});  // not a bool
    CHECK_THROWS_WITH_AS((void)NdArrayCodec<bool>{}.decode(bools, nullptr), doctest::Contains("bool"), format_error);
    const auto any_bools = AnyArrayCodec{}.decode(bools, nullptr);
    CHECK(any_bools.is<bool>());
    CHECK_FALSE(any_bools.is_viewable_as<bool>());  // agrees with as<bool>(), which throws
    CHECK_THROWS_AS((void)any_bools.as<bool>(), format_error);
    CHECK_THROWS_AS((void)any_bools.copy_as<bool>(), format_error);
    bools.back() = std::byte{0};
    CHECK(NdArrayCodec<bool>{}.decode(bools, nullptr) == b);
    CHECK(AnyArrayCodec{}.decode(bools, nullptr).is_viewable_as<bool>());
}

TEST_CASE("NdArrayCodec: hostile headers are refused without large allocations") {
    using test::ndarray_payload;
    const NdArrayCodec<double> codec;
    auto refuses = [&](const std::vector<std::byte>& p, const char* why) {
        CAPTURE(why);
        CHECK_THROWS_WITH_AS((void)codec.decode(p, nullptr), doctest::Contains(why), format_error);
        CHECK_THROWS_WITH_AS((void)AnyArrayCodec{}.decode(p, nullptr), doctest::Contains(why), format_error);
    };
    refuses({}, "too short");
    refuses(ndarray_payload("<f8", {2}, 16, {.dtype_size = 0xFFFFFFFF}), "dtype length");
    refuses(ndarray_payload("<f8", {2}, 16, {.dtype_size = 30}), "too short");
    refuses(ndarray_payload("<f8", {2}, 16, {.ndim = 5'000'000}), "ndim 5000000");
    refuses(ndarray_payload("<f8", {2}, 16, {.ndim = 40}), "too short");
    refuses(ndarray_payload("<f8", {1ull << 62, 1ull << 62}, 0), "overflows");
    // Empty, yet the other dimensions overflow a signed stride (as numpy refuses too).
    refuses(ndarray_payload("<f8", {0, 1ull << 40, 1ull << 40}, 0), "overflows");
    refuses(ndarray_payload("<f8", {1ull << 63, 0}, 0), "overflows");
    refuses(ndarray_payload("<f8", {1ull << 61}, 8), "array data is 8 bytes");
    refuses(ndarray_payload("<f8", {3}, 16), "array data is 16 bytes");
    CHECK_THROWS_AS((void)codec.decode(ndarray_payload("<f4", {2}, 8), nullptr), codec_mismatch);
    CHECK_THROWS_WITH_AS((void)AnyArrayCodec{}.decode(ndarray_payload("<q9", {2}, 16), nullptr),
                         doctest::Contains("unknown or malformed dtype '<q9'"), format_error);
    CHECK_THROWS_AS((void)AnyArrayCodec{}.decode(ndarray_payload("|O", {2}, 16), nullptr), format_error);
}

TEST_CASE("NdArrayCodec: a fixed rank reads xtensor adaptors and checks the rank") {
    TempDir dir;
    {
        ObLogWriter log{dir.path()};
        auto w = log.get_writer("m", NdArrayCodec<float, 2>{});
        w(xt::xtensor<float, 2>{{1, 2, 3}, {4, 5, 6}});
        CHECK_THROWS_AS(w(xt::xtensor<float, 1>{1, 2}), error);  // refused, not written
        auto any = log.get_writer("any", AnyArrayCodec{});
        any(xt::xarray<float>{{1.f, 2.f}});
        any(xt::xarray<float>{1.f, 2.f, 3.f});
    }
    ObLogReader reader{dir.path()};
    std::size_t n = 0;
    for (auto&& [t, m] : reader.read_channel<NdArrayCodec<float, 2>>("m")) {
        static_assert(std::is_same_v<std::decay_t<decltype(m)>, ArrayView<float, 2>>);
        static_assert(std::tuple_size_v<typename ArrayView<float, 2>::shape_type> == 2);
        CHECK(m(1, 2) == 6.f);
        ++n;
    }
    CHECK(n == 1);
    // The same records as dynamic rank, and a rank mismatch named per record.
    CHECK(std::ranges::distance(reader.read_channel<NdArrayCodec<float>>("m")) == 1);
    auto ranked = reader.read_channel<NdArrayCodec<float, 2>>("any");
    auto it = ranked.begin();
    CHECK((*it).value(0, 1) == 2.f);
    ++it;
    CHECK_THROWS_WITH_AS((void)*it, doctest::Contains("stored array has 1 dimensions, requested 2"), codec_mismatch);
    for (auto&& [t, a] : reader.read_channel<AnyArrayCodec>("any")) {
        if (a.dimension() == 1) CHECK(a.as<float, 1>()(2) == 3.f);
        else CHECK_THROWS_AS(((void)a.as<float, 1>()), codec_mismatch);
    }
}

TEST_CASE_TEMPLATE("NdArrayCodec: std::vector, std::span and std::array are 1-d arrays written from their own memory",
                   T, std::int16_t, std::uint64_t, float16, double, std::complex<float>) {
    const std::vector<T> vec = [] {
        std::vector<T> v(37);
        for (std::size_t i = 0; i < v.size(); ++i) v[i] = value_at<T>(i);
        return v;
    }();
    const std::array<T, 3> arr{value_at<T>(5), value_at<T>(6), value_at<T>(7)};
    const std::span<const T> span = std::span(vec).subspan(4, 10);
    const std::vector<T> empty;

    SUBCASE("encoded like the same xtensor 1-d array, the body pointing at the container's elements") {
        EncodeScratch scratch, reference_scratch;
        auto check = [&](const auto& container) {
            const auto n = std::ranges::size(container);
            const auto p = NdArrayCodec<T>{}.encode(container, scratch);
            const xt::xarray<T> same = xt::adapt(std::ranges::data(container), n, xt::no_ownership(),
                                                 std::vector<std::size_t>{n});
            const auto reference = NdArrayCodec<T>{}.encode(same, reference_scratch);
            CHECK(std::ranges::equal(p.head, reference.head));
            CHECK(std::ranges::equal(p.body, reference.body));
            CHECK(p.body_alignment == reference.body_alignment);
            CHECK(p.body.size() == n * sizeof(T));
            if (n > 0) CHECK(p.body.data() == reinterpret_cast<const std::byte*>(std::ranges::data(container)));
        };
        check(vec);
        check(arr);
        check(span);
        check(empty);
        // A rank-1 codec takes them too.
        const auto ranked = NdArrayCodec<T, 1>{}.encode(span, scratch);
        CHECK(ranked.body.data() == reinterpret_cast<const std::byte*>(span.data()));
    }
    SUBCASE("written to a log and read back as 1-d views") {
        TempDir dir;
        {
            ObLogWriter log{dir.path()};
            auto write = log.get_writer("c", NdArrayCodec<T>{});
            write(vec);
            write(arr);
            write(span);
            write(empty);
            auto ranked = log.get_writer("r", NdArrayCodec<T, 1>{});
            ranked(std::span<const T>(arr));
        }
        ObLogReader reader{dir.path()};
        std::vector<std::vector<T>> got;
        for (auto&& [t, a] : reader.read_channel<NdArrayCodec<T>>("c")) {
            CHECK(a.dimension() == 1);
            CHECK(a.shape()[0] == a.size());
            got.emplace_back(a.begin(), a.end());
        }
        REQUIRE(got.size() == 4);
        auto same = [](const std::vector<T>& a, const auto& b) {
            return a.size() == std::ranges::size(b) &&
                   (a.empty() || std::memcmp(a.data(), std::ranges::data(b), a.size() * sizeof(T)) == 0);
        };
        CHECK(same(got[0], vec));
        CHECK(same(got[1], arr));
        CHECK(same(got[2], span));
        CHECK(got[3].empty());
        for (auto&& [t, a] : reader.read_channel<NdArrayCodec<T, 1>>("r"))
            CHECK(same(std::vector<T>(a.begin(), a.end()), arr));
    }
}

static_assert(!CodecFor<NdArrayCodec<bool>, std::vector<bool>>);  // packed bits: not contiguous bools
static_assert(CodecFor<NdArrayCodec<bool>, std::array<bool, 4>>);
static_assert(!CodecFor<NdArrayCodec<double, 0>, std::array<double, 1>>);  // 1-d only
static_assert(!CodecFor<NdArrayCodec<std::int32_t>, std::span<const std::int64_t>>);

TEST_CASE("NdArrayCodec::Decoder: a run of records decodes as the codec does, through shape changes and errors") {
    using test::ndarray_payload;
    const NdArrayCodec<double> codec;
    NdArrayCodec<double>::Decoder decoder;
    // Payloads written by the codec itself, stored with their data 64-byte aligned as a file does.
    EncodeScratch scratch;
    std::vector<std::vector<std::byte>> storages;
    auto place = [&](const Payload& p) {
        auto& s = storages.emplace_back(p.head.size() + p.body.size() + 128);
        std::size_t start = 0;
        while (reinterpret_cast<std::uintptr_t>(s.data() + start + p.head.size()) % 64 != 0) ++start;
        std::copy(p.head.begin(), p.head.end(), s.begin() + static_cast<std::ptrdiff_t>(start));
        std::copy(p.body.begin(), p.body.end(), s.begin() + static_cast<std::ptrdiff_t>(start + p.head.size()));
        return std::span<const std::byte>(s).subspan(start, p.head.size() + p.body.size());
    };
    const xt::xarray<double> a1 = {{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}};
    const xt::xarray<double> a2 = {{7.0, 8.0, 9.0}, {10.0, 11.0, 12.0}};
    const xt::xarray<double> b = {1.5, 2.5, 3.5, 4.5, 5.5, 6.5};  // same byte count, other shape
    const xt::xarray<double> c = 42.0;
    const std::vector<xt::xarray<double>> values = {a1, a2, a1, b, a2, c, c, a1};
    std::vector<std::span<const std::byte>> payloads;
    for (const auto& v : values) payloads.push_back(place(codec.encode(v, scratch)));
    const auto owner = MappedSegment::map(-1, 0, "none");  // an empty owner: only its reference count matters
    for (std::size_t i = 0; i < values.size(); ++i) {
        const auto v = decoder.decode(codec, payloads[i], owner);
        CAPTURE(i);
        CHECK(v.shape() == values[i].shape());
        CHECK(v == values[i]);
        CHECK(v.data() == reinterpret_cast<const double*>(payloads[i].data() + (payloads[i].size() - v.size() * 8)));
        CHECK(v.storage().data() == v.data());
    }
    CHECK(owner.use_count() == 1);  // the values are gone, and with them every reference

    // After a good record of the same head: another dtype, a short payload, misaligned data.
    (void)decoder.decode(codec, payloads[0], owner);
    const auto floats = place(NdArrayCodec<float>{}.encode(xt::xarray<float>{{1, 2, 3}, {4, 5, 6}}, scratch));
    CHECK_THROWS_AS((void)decoder.decode(codec, floats, owner), codec_mismatch);
    (void)decoder.decode(codec, payloads[0], owner);
    CHECK_THROWS_AS((void)decoder.decode(codec, payloads[0].first(payloads[0].size() - 8), owner), format_error);
    std::vector<std::byte> shifted(payloads[0].size() + 16);
    std::size_t start = 0;
    while (reinterpret_cast<std::uintptr_t>(shifted.data() + start + (payloads[0].size() - 48)) % 8 != 4) ++start;
    std::copy(payloads[0].begin(), payloads[0].end(), shifted.begin() + static_cast<std::ptrdiff_t>(start));
    const auto misaligned = std::span<const std::byte>(shifted).subspan(start, payloads[0].size());
    (void)decoder.decode(codec, payloads[0], owner);
    CHECK_THROWS_WITH_AS((void)decoder.decode(codec, misaligned, owner), doctest::Contains("not aligned"), format_error);

    // bool arrays: a byte other than 0 or 1 is refused also when the head repeats.
    const NdArrayCodec<bool> bool_codec;
    NdArrayCodec<bool>::Decoder bool_decoder;
    const auto good = place(bool_codec.encode(xt::xarray<bool>{true, false}, scratch));
    CHECK(bool_decoder.decode(bool_codec, good, owner) == xt::xarray<bool>{true, false});
    std::vector<std::byte> bad(good.begin(), good.end());
    bad.back() = std::byte{2};
    CHECK_THROWS_WITH_AS((void)bool_decoder.decode(bool_codec, bad, owner), doctest::Contains("bool"), format_error);
}

TEST_CASE("NdArrayCodec: readers decode channels whose shape changes from record to record") {
    TempDir dir;
    xt::xarray<double> column = xt::xarray<double>::from_shape({2, 1});  // same bytes as the 1-d records, other shape
    column(0, 0) = 5.0;
    column(1, 0) = 6.0;
    const std::vector<xt::xarray<double>> values = {
        xt::xarray<double>{1.0, 2.0}, xt::xarray<double>{3.0, 4.0}, column,
        xt::xarray<double>{7.0, 8.0}, xt::xarray<double>(9.0), xt::xarray<double>{10.0, 11.0, 12.0}};
    {
        ObLogWriter log{dir.path()};
        auto w = log.get_writer("c", NdArrayCodec<double>{});
        for (std::size_t i = 0; i < values.size(); ++i) w.write(static_cast<std::int64_t>(i), values[i]);
    }
    ObLogReader reader{dir.path()};
    std::size_t i = 0;
    for (auto&& [t, v] : reader.read_channel<NdArrayCodec<double>>("c")) {
        CHECK(v.shape() == values[i].shape());
        CHECK(v == values[i]);
        ++i;
    }
    CHECK(i == values.size());
    const auto indexed = reader.indexed_channel<NdArrayCodec<double>>("c");
    for (std::size_t k : {3u, 2u, 2u, 0u, 5u, 4u, 1u}) CHECK(indexed[k].value == values[k]);
}
