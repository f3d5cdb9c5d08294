#pragma once
// Helpers shared by the tests: scratch directories, whole-file reads and writes, a
// look at this process's mappings, a file size limit, and payloads and `.blog`
// files built by hand from the documented layouts. Standard library and POSIX only: no tinman header,
// so that each test includes exactly the headers it tests.

#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace tinman::test {

/// A fresh directory, removed with everything in it at scope exit.
class TempDir {
public:
    TempDir() {
        static std::atomic<unsigned> counter{0};
        const char* base = std::getenv("TINMAN_TEST_TMPDIR");
        const std::filesystem::path root = base ? base : std::filesystem::temp_directory_path();
        path_ = root / ("tinman-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
        std::filesystem::remove_all(path_);
        std::filesystem::create_directories(path_);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
    [[nodiscard]] std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

private:
    std::filesystem::path path_;
};

/// True when `/proc/self/maps` lists a mapping of `file`.
inline bool is_mapped(const std::filesystem::path& file) {
    std::ifstream maps("/proc/self/maps");
    const std::string wanted = std::filesystem::absolute(file).lexically_normal().string();
    for (std::string line; std::getline(maps, line);)
        if (line.size() >= wanted.size() && line.compare(line.size() - wanted.size(), wanted.size(), wanted) == 0)
            return true;
    return false;
}

/// The VmFlags of the mapping that holds `p`, from /proc/self/smaps, with a space
/// on each side of every flag ("rr": random access advised, "sr": sequential).
inline std::string vm_flags_of(const void* p) {
    std::ifstream smaps("/proc/self/smaps");
    const auto addr = reinterpret_cast<std::uintptr_t>(p);
    bool inside = false;
    for (std::string line; std::getline(smaps, line);) {
        std::uintptr_t begin = 0, end = 0;
        char dash = 0;
        std::istringstream range(line);
        if (range >> std::hex >> begin >> dash >> end && dash == '-') {
            inside = begin <= addr && addr < end;
        } else if (inside && line.starts_with("VmFlags:")) {
            return line.substr(8) + " ";
        }
    }
    return {};
}

inline std::vector<std::byte> read_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::vector<char> chars((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<std::byte> out(chars.size());
    if (!chars.empty()) std::memcpy(out.data(), chars.data(), chars.size());
    return out;
}

inline void write_file(const std::filesystem::path& p, std::span<const std::byte> bytes) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

/// Limits this process's file size (RLIMIT_FSIZE) for a scope; writes past it fail
/// with EFBIG (SIGXFSZ is ignored meanwhile).
class FileSizeLimit {
public:
    explicit FileSizeLimit(std::uint64_t bytes) {
        if (::getrlimit(RLIMIT_FSIZE, &saved_) != 0)
            throw std::system_error(errno, std::generic_category(), "getrlimit");
        old_handler_ = std::signal(SIGXFSZ, SIG_IGN);
        set(bytes);
    }
    FileSizeLimit(const FileSizeLimit&) = delete;
    FileSizeLimit& operator=(const FileSizeLimit&) = delete;
    ~FileSizeLimit() {
        ::setrlimit(RLIMIT_FSIZE, &saved_);
        std::signal(SIGXFSZ, old_handler_);
    }
    void set(std::uint64_t bytes) {
        rlimit r = saved_;
        r.rlim_cur = static_cast<rlim_t>(bytes);
        if (::setrlimit(RLIMIT_FSIZE, &r) != 0) throw std::system_error(errno, std::generic_category(), "setrlimit");
    }

private:
    rlimit saved_{};
    void (*old_handler_)(int) = nullptr;
};

inline std::span<const std::byte> as_bytes(std::string_view s) noexcept { return std::as_bytes(std::span{s}); }

/// Appends `v` in little-endian byte order.
template <class U>
void put_le(std::vector<std::byte>& out, U v) {
    for (std::size_t i = 0; i < sizeof(U); ++i)
        out.push_back(static_cast<std::byte>(static_cast<std::uint64_t>(v) >> (8 * i)));
}

inline void put_bytes(std::vector<std::byte>& out, std::span<const std::byte> bytes) {
    out.insert(out.end(), bytes.begin(), bytes.end());
}

/// Stored values that `ndarray_payload` writes instead of the true ones (hostile payloads).
struct PayloadLies {
    std::optional<std::uint32_t> dtype_size{};
    std::optional<std::uint32_t> ndim{};
};

/// An NdArrayCodec payload (the Python NumpyArrayCodec's layout) built from the
/// documented layout, independently of the library: u32 dtype length, the dtype,
/// u32 ndim, one u64 per dimension, then `data`.
inline std::vector<std::byte> ndarray_payload(std::string_view dtype, const std::vector<std::uint64_t>& shape,
                                              std::span<const std::byte> data, PayloadLies lies = {}) {
    std::vector<std::byte> p;
    put_le<std::uint32_t>(p, lies.dtype_size.value_or(static_cast<std::uint32_t>(dtype.size())));
    put_bytes(p, as_bytes(dtype));
    put_le<std::uint32_t>(p, lies.ndim.value_or(static_cast<std::uint32_t>(shape.size())));
    for (auto d : shape) put_le<std::uint64_t>(p, d);
    put_bytes(p, data);
    return p;
}

/// The same, with `data_bytes` zero bytes of array data.
inline std::vector<std::byte> ndarray_payload(std::string_view dtype, const std::vector<std::uint64_t>& shape,
                                              std::size_t data_bytes, PayloadLies lies = {}) {
    return ndarray_payload(dtype, shape, std::vector<std::byte>(data_bytes), lies);
}

/// Appends one `.blog` record: u64 timestamp, u64 length, the data.
inline void put_blog_record(std::vector<std::byte>& file, std::uint64_t ts, std::span<const std::byte> data) {
    put_le<std::uint64_t>(file, ts);
    put_le<std::uint64_t>(file, data.size());
    put_bytes(file, data);
}

/// A `.blog` channel built by hand: the codec record `codec` at time 1000, then
/// five float64 arrays at 2000.. With the 57-byte NumpyArrayCodec pickle as the
/// codec, their data lands at file offsets 4, 7, 2, 5 and 0 modulo 8 (each record
/// adds 27 bytes modulo 8): only the last is aligned.
struct BlogSample {
    std::vector<std::byte> bytes;
    std::vector<std::vector<double>> values{{1.5, -2.0, 3.25}, {4.0}, {5.0, 6.0, 7.0, 8.0, 9.0, 10.0}, {11, 12}, {13}};
    std::vector<std::vector<std::uint64_t>> shapes{{3}, {1, 1}, {2, 3}, {2}, {}};

    explicit BlogSample(std::span<const std::byte> codec) {
        put_blog_record(bytes, 1000, codec);
        for (std::size_t i = 0; i < values.size(); ++i)
            put_blog_record(bytes, 2000 + i, ndarray_payload("<f8", shapes[i], std::as_bytes(std::span{values[i]})));
    }
};

}  // namespace tinman::test
