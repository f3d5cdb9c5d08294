// The C++ side of the numpy cross-check (numpy_cross_check.py drives it):
//   numpy_bridge write DIR           writes one channel per element type
//   numpy_bridge decode FILE...      decodes raw NdArrayCodec payloads made by numpy;
//                                    prints "dtype shape hex-of-native-little-endian-bytes reencoded"
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <tinman.hpp>

namespace {

using namespace tinman;

template <class T>
T value_at(std::size_t i) {
    if constexpr (std::is_same_v<T, bool>) return i % 3 == 0;
    else if constexpr (std::is_same_v<T, float16>) return float16(static_cast<float>(i) * 0.25f - 3.0f);
    else if constexpr (std::is_same_v<T, std::complex<float>> || std::is_same_v<T, std::complex<double>>)
        return T(static_cast<typename T::value_type>(i), static_cast<typename T::value_type>(i) * -0.5f);
    else if constexpr (std::is_floating_point_v<T>) return static_cast<T>(i) * T(0.5) - T(7);
    else return static_cast<T>(static_cast<std::uint64_t>(i * 7 + 3));
}

const std::vector<shape_type> shapes{{}, {5}, {0}, {3, 4}, {2, 3, 4}, {2, 1, 3, 2}, {1, 70}};

template <class T>
void write_channel(ObLogWriter& log, const std::string& name) {
    auto w = log.get_writer(name, NdArrayCodec<T>{});
    std::int64_t ts = 0;
    for (const auto& shape : shapes) {
        xt::xarray<T> a = xt::xarray<T>::from_shape(shape);
        for (std::size_t i = 0; i < a.size(); ++i) a.data()[i] = value_at<T>(i);
        w(ts++, a);
    }
}

template <class T>
bool print_as(const AnyArray& a) {
    if (a.dtype_info().kind != parse_dtype(dtype_of<T>)->kind || a.dtype_info().itemsize != sizeof(T)) return false;
    const xt::xarray<T> c = a.copy_as<T>();
    static const char* digits = "0123456789abcdef";
    std::string hex;
    const auto* b = reinterpret_cast<const unsigned char*>(c.data());
    for (std::size_t i = 0; i < c.size() * sizeof(T); ++i) {
        hex += digits[b[i] >> 4];
        hex += digits[b[i] & 15];
    }
    std::cout << (hex.empty() ? "-" : hex);
    return true;
}

int decode(const char* path) {
    std::ifstream in(path, std::ios::binary);
    std::vector<char> chars((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<std::byte> payload(chars.size());
    std::memcpy(payload.data(), chars.data(), chars.size());
    const AnyArray a = AnyArrayCodec{}.decode(payload, nullptr);
    std::cout << a.dtype() << ' ';
    std::string shape = "(";
    for (auto d : a.shape()) shape += std::to_string(d) + ",";
    std::cout << shape << ") ";
    const bool known = print_as<bool>(a) || print_as<std::int8_t>(a) || print_as<std::int16_t>(a) ||
                       print_as<std::int32_t>(a) || print_as<std::int64_t>(a) || print_as<std::uint8_t>(a) ||
                       print_as<std::uint16_t>(a) || print_as<std::uint32_t>(a) || print_as<std::uint64_t>(a) ||
                       print_as<float16>(a) || print_as<float>(a) || print_as<double>(a) ||
                       print_as<std::complex<float>>(a) || print_as<std::complex<double>>(a);
    if (!known) std::cout << "?";
    // Re-encoding must reproduce the payload byte for byte.
    EncodeScratch scratch;
    const Payload p = AnyArrayCodec{}.encode(a, scratch);
    std::vector<std::byte> again(p.head.begin(), p.head.end());
    again.insert(again.end(), p.body.begin(), p.body.end());
    std::cout << (again == payload ? " reencoded" : " REENCODE-MISMATCH") << '\n';
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        const std::string mode = argc > 1 ? argv[1] : "";
        if (mode == "write" && argc == 3) {
            ObLogWriter log{argv[2]};
            write_channel<bool>(log, "bool");
            write_channel<std::int8_t>(log, "int8");
            write_channel<std::int16_t>(log, "int16");
            write_channel<std::int32_t>(log, "int32");
            write_channel<std::int64_t>(log, "int64");
            write_channel<std::uint8_t>(log, "uint8");
            write_channel<std::uint16_t>(log, "uint16");
            write_channel<std::uint32_t>(log, "uint32");
            write_channel<std::uint64_t>(log, "uint64");
            write_channel<float16>(log, "float16");
            write_channel<float>(log, "float32");
            write_channel<double>(log, "float64");
            write_channel<std::complex<float>>(log, "complex64");
            write_channel<std::complex<double>>(log, "complex128");
            log.close();
            return 0;
        }
        if (mode == "decode") {
            for (int i = 2; i < argc; ++i) decode(argv[i]);
            return 0;
        }
        std::cerr << "usage: numpy_bridge write DIR | decode FILE...\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "numpy_bridge: " << e.what() << '\n';
        return 1;
    }
}
