#pragma once
/// @file
/// A file descriptor that closes itself, and the few POSIX calls built on it.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <utility>

#include "../error.hpp"

namespace tinman::detail {

/// Owns a file descriptor; closing is explicit (`close()` reports) or in the destructor (silent).
class FileHandle {
public:
    FileHandle() = default;
    explicit FileHandle(int fd) noexcept : fd_(fd) {}
    FileHandle(FileHandle&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    FileHandle& operator=(FileHandle&& o) noexcept {
        if (this != &o) {
            reset();
            fd_ = std::exchange(o.fd_, -1);
        }
        return *this;
    }
    FileHandle(const FileHandle&) = delete;
    FileHandle& operator=(const FileHandle&) = delete;
    ~FileHandle() { reset(); }

    [[nodiscard]] int get() const noexcept { return fd_; }
    [[nodiscard]] explicit operator bool() const noexcept { return fd_ >= 0; }

    /// Closes the descriptor, returning the errno of a failed close (0 on success).
    int close() noexcept {
        if (fd_ < 0) return 0;
        const int rc = ::close(std::exchange(fd_, -1));
        return rc == 0 ? 0 : errno;
    }
    void reset() noexcept { (void)close(); }

private:
    int fd_ = -1;
};

/// Throws `io_error` for errno (building `what` allocates, which leaves errno alone unless it fails).
[[noreturn]] inline void throw_errno(const std::string& what, int code = errno) { throw io_error(what, code); }

/// Opens `path` for reading without following a symlink in its place.
[[nodiscard]] inline FileHandle open_read_only(const std::filesystem::path& path) {
    // O_NONBLOCK: a FIFO in a file's place must not hang the open; file_size() then refuses it.
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0) throw_errno("cannot open '" + path.string() + "'");
    return FileHandle{fd};
}

[[nodiscard]] inline std::uint64_t file_size(int fd, const std::filesystem::path& path) {
    struct stat st {};
    if (::fstat(fd, &st) != 0) throw_errno("cannot stat '" + path.string() + "'");
    if (!S_ISREG(st.st_mode)) throw channel_error("'" + path.string() + "' is not a regular file");
    return static_cast<std::uint64_t>(st.st_size);
}

/// A new file `<dir>/.<stem>.<random>.tmp` (mode 0644 before umask), opened read-write,
/// to be moved into place once complete. The name is random: a crash can leave such
/// a file behind, and a name made from the pid would be taken again by the next
/// process with that pid.
struct TemporaryFile {
    FileHandle file;
    std::filesystem::path path;
};

[[nodiscard]] inline TemporaryFile create_temporary_file(const std::filesystem::path& dir, const std::string& stem) {
    std::random_device random;
    for (int attempt = 0;; ++attempt) {
        char suffix[17];
        std::snprintf(suffix, sizeof suffix, "%08x%08x", random(), random());
        auto path = dir / ("." + stem + "." + suffix + ".tmp");
        const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0644);
        if (fd >= 0) return {FileHandle{fd}, std::move(path)};
        if (errno != EEXIST || attempt == 8) throw_errno("cannot create '" + path.string() + "'");
    }
}

}  // namespace tinman::detail
