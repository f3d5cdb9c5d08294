// The C++ side of the Python interop checks (python_blog_cross_check.py and
// native_numpy_check.py drive it):
//   python_interop_bridge blog-read DIR      prints every record of every .blog channel:
//                                            "channel index timestamp dtype shape view|copy hex"
//                                            (hex: the values' bytes, native little-endian)
//   python_interop_bridge blog-write DIR     writes .blog channels of known arrays (see expected_arrays)
//   python_interop_bridge native-write DIR   writes tinman channels for the numpy module
//   python_interop_bridge crc32c FILE...     prints the CRC32C of each file, in hex
#include <cstdio>
#include <fstream>
#include <iterator>
#include <iostream>
#include <string>
#include <vector>

#include <tinman.hpp>
#include <tinman/python/blog.hpp>

namespace {

using namespace tinman;

std::string hex(std::span<const std::byte> b) {
    static const char* digits = "0123456789abcdef";
    std::string s;
    for (auto x : b) {
        const auto v = std::to_integer<unsigned>(x);
        s += digits[v >> 4];
        s += digits[v & 15];
    }
    return s.empty() ? "-" : s;
}

template <class T>
bool print_typed(const python::BlogReader& reader, const std::string& name, const AnyArray& a, std::uint64_t index) {
    if (a.dtype_info().kind != parse_dtype(dtype_of<T>)->kind || a.dtype_info().itemsize != sizeof(T)) return false;
    // Read the channel again, typed, to learn whether this record came back as a view.
    auto typed = reader.read_channel<T>(name);
    for (auto it = typed.begin(); it != typed.end(); ++it) {
        if (it.record().index != index) continue;
        const auto rec = *it;
        const xt::xarray<T> values = rec.value.visit([](const auto& arr) { return xt::xarray<T>(arr); });
        std::cout << (rec.value.is_view() ? "view " : "copy ")
                  << hex({reinterpret_cast<const std::byte*>(values.data()), values.size() * sizeof(T)});
        return true;
    }
    return false;
}

int blog_read(const std::string& dir) {
    const python::BlogReader reader{dir};
    for (const auto& name : reader.channel_names()) {
        auto channel = reader.read_channel(name);
        for (auto it = channel.begin(); it != channel.end(); ++it) {
            const auto rec = *it;
            const AnyArray& a = rec.value;
            std::cout << name << ' ' << it.record().index << ' ' << rec.timestamp << ' ' << a.dtype() << " (";
            for (auto d : a.shape()) std::cout << d << ',';
            std::cout << ") ";
            const auto i = it.record().index;
            const bool known =
                print_typed<bool>(reader, name, a, i) || print_typed<std::int8_t>(reader, name, a, i) ||
                print_typed<std::int16_t>(reader, name, a, i) || print_typed<std::int32_t>(reader, name, a, i) ||
                print_typed<std::int64_t>(reader, name, a, i) || print_typed<std::uint8_t>(reader, name, a, i) ||
                print_typed<std::uint16_t>(reader, name, a, i) || print_typed<std::uint32_t>(reader, name, a, i) ||
                print_typed<std::uint64_t>(reader, name, a, i) || print_typed<float16>(reader, name, a, i) ||
                print_typed<float>(reader, name, a, i) || print_typed<double>(reader, name, a, i) ||
                print_typed<std::complex<float>>(reader, name, a, i) ||
                print_typed<std::complex<double>>(reader, name, a, i);
            if (!known) std::cout << "? ?";
            std::cout << '\n';
        }
        if (!channel.status().clean()) std::cout << name << " stopped " << channel.status().reason << '\n';
    }
    return 0;
}

/// Values i * 0.5 - 7 (floats) or i * 7 + 3 (integers), as numpy computes them in the check script.
template <class T>
xt::xarray<T> sample(const shape_type& shape) {
    xt::xarray<T> a = xt::xarray<T>::from_shape(shape);
    for (std::size_t i = 0; i < a.size(); ++i) {
        if constexpr (std::is_floating_point_v<T>) a.data()[i] = static_cast<T>(i) * T(0.5) - T(7);
        else a.data()[i] = static_cast<T>(i * 7 + 3);
    }
    return a;
}

int blog_write(const std::string& dir) {
    {
        python::BlogWriter w{dir, "f8", OpenMode::create, 1'700'000'000'000'000'000};
        std::int64_t t = 1'700'000'000'000'000'001;
        for (const shape_type& s : {shape_type{}, shape_type{5}, shape_type{0}, shape_type{3, 4}, shape_type{2, 3, 4}})
            w.write(t++, sample<double>(s));
        w.close();
    }
    {
        python::BlogWriter w{dir, "i2", OpenMode::create, 5};
        w.write(6, sample<std::int16_t>({7}));
        const unsigned char be[] = {0x12, 0x34, 0x56, 0x78};
        w.write(7, AnyArray(">i2", {2}, std::as_bytes(std::span{be})));  // big-endian stays big-endian
        w.write(8, sample<std::int16_t>({1, 3}));
        w.close();
    }
    {
        python::BlogWriter w{dir, "big", OpenMode::create, 9};
        w.write(10, sample<float>({300, 50}));  // 60 KB: written past the buffer
        w.close();
    }
    return 0;
}

int native_write(const std::string& dir) {
    ObLogWriter log{dir};
    std::int64_t t = 1'700'000'000'000'000'000;
    {
        auto w = log.get_writer("f8", NdArrayCodec<double>{});
        for (const shape_type& s : {shape_type{}, shape_type{5}, shape_type{0}, shape_type{3, 4}, shape_type{2, 3, 4},
                                    shape_type{1000}, shape_type{100, 100}})
            w(t++, sample<double>(s));  // the last two exceed 4096 bytes; the last is written directly
    }
    {
        auto w = log.get_writer("u1", NdArrayCodec<std::uint8_t>{});
        for (std::size_t n : {1, 3, 64, 7}) w(t++, sample<std::uint8_t>({n}));
    }
    {
        auto w = log.get_writer("mixed", AnyArrayCodec{});
        w(t++, sample<float>({2, 2}));
        w(t++, sample<std::int32_t>({3}));
        const unsigned char be[] = {0, 0, 0, 1, 0, 0, 1, 0};
        w(t++, AnyArray(">i4", {2}, std::as_bytes(std::span{be})));
        w(t++, sample<std::complex<double>>({2}));
    }
    {
        auto w = log.get_writer("text", BytesCodec{});
        w(t++, std::string_view{"hello"});
    }
    log.close();
    return 0;
}

int crc(int argc, char** argv) {
    for (int i = 2; i < argc; ++i) {
        std::ifstream in(argv[i], std::ios::binary);
        const std::vector<char> chars((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        std::printf("%08x\n", crc32c(std::as_bytes(std::span{chars})));
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        const std::string mode = argc > 1 ? argv[1] : "";
        if (mode == "blog-read" && argc == 3) return blog_read(argv[2]);
        if (mode == "blog-write" && argc == 3) return blog_write(argv[2]);
        if (mode == "native-write" && argc == 3) return native_write(argv[2]);
        if (mode == "crc32c") return crc(argc, argv);
        std::cerr << "usage: python_interop_bridge blog-read DIR | blog-write DIR | native-write DIR | crc32c FILE...\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "python_interop_bridge: " << e.what() << '\n';
        return 1;
    }
}
