#pragma once
/// @file
/// The system calls tinman makes, in one place: files that close themselves,
/// opening without following links, writing all of a buffer at an offset,
/// exclusive locks and the mark of a live writer, directory syncs and temporary files.

#include <fcntl.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <ctime>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <exception>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
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

/// Closes `file` once `flush()` ran, and `cleanup()` in between, whatever the
/// flush did: a writer's `close()`. Throws the flush's failure, else a failed close's.
template <class Flush, class Cleanup>
void flush_and_close(FileHandle& file, const ErrorContext& where, Flush&& flush, Cleanup&& cleanup) {
    std::exception_ptr failure;
    try {
        flush();
    } catch (...) {
        failure = std::current_exception();
    }
    cleanup();
    const int code = file.close();
    if (failure) std::rethrow_exception(failure);
    if (code != 0) throw io_error(where, "close failed", code);
}

/// Throws `io_error` for errno (building the message allocates, which leaves errno alone unless it fails).
[[noreturn]] inline void throw_errno(ErrorContext context, const std::string& what, int code = errno) {
    throw io_error(std::move(context), what, code);
}

/// Opens `path` with `flags`, never through a symlink in its place, and without
/// hanging on a FIFO there (`O_NONBLOCK`; `file_size` then refuses it). An empty
/// handle, with errno set, when that fails.
[[nodiscard]] inline FileHandle open_file(const std::filesystem::path& path, int flags, mode_t mode = 0644) noexcept {
    return FileHandle{::open(path.c_str(), flags | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, mode)};
}

/// The size of the regular file open as `fd`; nullopt for anything else (or when `fstat` fails).
[[nodiscard]] inline std::optional<std::uint64_t> regular_file_size(int fd) noexcept {
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
    return static_cast<std::uint64_t>(st.st_size);
}

/// The size of the regular file open as `fd`; throws `channel_error` for anything else.
[[nodiscard]] inline std::uint64_t file_size(int fd, const std::filesystem::path& path) {
    struct stat st {};
    if (::fstat(fd, &st) != 0) throw_errno({.path = path}, "cannot stat");
    if (!S_ISREG(st.st_mode)) throw channel_error({.path = path}, "not a regular file");
    return static_cast<std::uint64_t>(st.st_size);
}

/// Which file an open descriptor refers to, and its size.
struct FileIdentity {
    dev_t device = 0;
    ino_t inode = 0;
    std::uint64_t size = 0;

    [[nodiscard]] bool same_file(const FileIdentity& other) const noexcept {
        return device == other.device && inode == other.inode;
    }
};

/// `file_size`, with the file's device and inode.
[[nodiscard]] inline FileIdentity file_identity(int fd, const std::filesystem::path& path) {
    struct stat st {};
    if (::fstat(fd, &st) != 0) throw_errno({.path = path}, "cannot stat");
    if (!S_ISREG(st.st_mode)) throw channel_error({.path = path}, "not a regular file");
    return {st.st_dev, st.st_ino, static_cast<std::uint64_t>(st.st_size)};
}

/// Opens `path` for reading (see `open_file`); throws `io_error` when it cannot.
[[nodiscard]] inline FileHandle open_read_only(const std::filesystem::path& path) {
    auto file = open_file(path, O_RDONLY);
    if (!file) throw_errno({.path = path}, "cannot open");
    return file;
}

/// How far a write got: bytes written, and the errno that stopped it (0: all written).
struct WriteResult {
    std::uint64_t written = 0;
    int error = 0;
};

/// Writes `parts` (at most 8 non-empty ones, else `EINVAL` and nothing written) back to
/// back at file `offset` (`pwritev`), through short writes and EINTR.
[[nodiscard]] inline WriteResult write_all_at(int fd, std::uint64_t offset,
                                              std::span<const std::span<const std::byte>> parts) noexcept {
    constexpr std::size_t max_parts = 8;
    iovec iov[max_parts];
    std::size_t count = 0;
    for (const auto& part : parts) {
        if (part.empty()) continue;
        if (count == max_parts) return {0, EINVAL};  // nothing written rather than some parts silently dropped
        iov[count++] = {const_cast<std::byte*>(part.data()), part.size()};
    }
    WriteResult result;
    std::size_t first = 0;
    while (first < count) {
        const ssize_t n =
            ::pwritev(fd, iov + first, static_cast<int>(count - first), static_cast<off_t>(offset + result.written));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            result.error = n < 0 ? errno : EIO;
            return result;
        }
        result.written += static_cast<std::uint64_t>(n);
        for (auto left = static_cast<std::size_t>(n); left > 0;) {
            const std::size_t step = std::min(left, iov[first].iov_len);
            iov[first].iov_base = static_cast<std::byte*>(iov[first].iov_base) + step;
            iov[first].iov_len -= step;
            left -= step;
            if (iov[first].iov_len == 0) ++first;
        }
    }
    return result;
}

/// Writes one buffer at `offset`.
[[nodiscard]] inline WriteResult write_all_at(int fd, std::uint64_t offset, std::span<const std::byte> bytes) noexcept {
    return write_all_at(fd, offset, std::span<const std::span<const std::byte>>{&bytes, 1});
}

/// Reads up to `n` bytes at `offset` into `out` (`pread`), through EINTR and short
/// reads: how many were read (fewer only at the end of the file), or -1 with errno set.
[[nodiscard]] inline ssize_t read_all_at(int fd, std::byte* out, std::size_t n, std::uint64_t offset) noexcept {
    std::size_t got = 0;
    while (got < n) {
        const ssize_t r = ::pread(fd, out + got, n - got, static_cast<off_t>(offset + got));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return -1;
        if (r == 0) break;
        got += static_cast<std::size_t>(r);
    }
    return static_cast<ssize_t>(got);
}

/// Takes an exclusive `flock` without waiting: 0, or the errno (`EWOULDBLOCK`: another holder).
[[nodiscard]] inline int lock_exclusive(int fd) noexcept { return ::flock(fd, LOCK_EX | LOCK_NB) == 0 ? 0 : errno; }

/// Marks the file of `fd` as having a live writer: a shared OFD lock on the whole
/// file. Unlike a `flock`, which can only be tested by taking it (and so could make
/// a writer opening at that moment fail), an OFD lock can be tested without being
/// taken (`has_writer_mark`), from any process or any other descriptor in this one.
/// 0, or the errno (e.g. `EINVAL` on a file system without such locks).
[[nodiscard]] inline int set_writer_mark(int fd) noexcept {
    struct flock lock {};
    lock.l_type = F_RDLCK;
    lock.l_whence = SEEK_SET;  // l_start = l_len = 0: the whole file, whatever its size
    return ::fcntl(fd, F_OFD_SETLK, &lock) == 0 ? 0 : errno;
}

/// True when some open file description other than `fd`'s holds the writer's mark
/// on its file (see `set_writer_mark`); false also where such locks are unsupported.
[[nodiscard]] inline bool has_writer_mark(int fd) noexcept {
    struct flock probe {};
    probe.l_type = F_WRLCK;  // conflicts with any lock held by another description
    probe.l_whence = SEEK_SET;
    return ::fcntl(fd, F_OFD_GETLK, &probe) == 0 && probe.l_type != F_UNLCK;
}

/// True when `fd` and the entry at `path` are the same file (it was not replaced meanwhile).
[[nodiscard]] inline bool is_file_at(int fd, const std::filesystem::path& path) noexcept {
    struct stat open {}, current {};
    return ::fstat(fd, &open) == 0 && ::lstat(path.c_str(), &current) == 0 && open.st_dev == current.st_dev &&
           open.st_ino == current.st_ino;
}

/// Makes the names in directory `dir` durable (`fsync` of the directory).
inline void sync_directory(const std::filesystem::path& dir) {
    const FileHandle d{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
    if (!d || ::fsync(d.get()) != 0) throw_errno({.path = dir}, "cannot sync the directory");
}

/// A new file `<dir>/.<stem>.<random>.tmp` (mode 0644 before umask), opened
/// read-write, to be moved into place once complete (`publish`), so that the
/// file appears complete or not at all; the temporary name is removed if it
/// never is. The name is random: a crash can leave such a file behind, and a
/// name made from the pid would be taken again by the next process with that pid.
/// The number in the next temporary file name: random, drawn once per process
/// (`reseed`: again, after a name was taken, e.g. by a forked copy of this
/// process counting from the same number), then counting in large odd steps.
[[nodiscard]] inline std::uint64_t temporary_name_number(bool reseed = false) noexcept {
    static std::atomic<std::uint64_t> next{0};
    static std::atomic<bool> seeded{false};
    if (reseed || !seeded.load(std::memory_order_acquire)) {
        std::uint64_t random = 0;
        if (::getrandom(&random, sizeof random, GRND_NONBLOCK) != static_cast<ssize_t>(sizeof random))
            random = static_cast<std::uint64_t>(::getpid()) << 32 ^ static_cast<std::uint64_t>(std::time(nullptr));
        next.store(random, std::memory_order_relaxed);
        seeded.store(true, std::memory_order_release);
    }
    return next.fetch_add(0x9E3779B97F4A7C15ull, std::memory_order_relaxed);
}

class TemporaryFile {
public:
    TemporaryFile() = default;
    TemporaryFile(const std::filesystem::path& dir, const std::string& stem) {
        for (int attempt = 0;; ++attempt) {
            char suffix[17];
            std::snprintf(suffix, sizeof suffix, "%016llx",
                          static_cast<unsigned long long>(temporary_name_number(attempt > 0)));
            auto path = dir / ("." + stem + "." + suffix + ".tmp");
            file_ = open_file(path, O_RDWR | O_CREAT | O_EXCL);
            if (file_) {
                // Locked while its creator lives: `remove_stale_temporaries` removes only unlocked ones.
                locked_ = lock_exclusive(file_.get()) == 0;
                path_ = std::move(path);
                return;
            }
            if (errno != EEXIST || attempt == 8) throw_errno({.path = path}, "cannot create");
        }
    }
    TemporaryFile(TemporaryFile&& o) noexcept
        : file_(std::move(o.file_)), path_(std::exchange(o.path_, {})), locked_(std::exchange(o.locked_, false)) {}
    TemporaryFile& operator=(TemporaryFile&& o) noexcept {
        if (this != &o) {
            discard();
            file_ = std::move(o.file_);
            path_ = std::exchange(o.path_, {});
            locked_ = std::exchange(o.locked_, false);
        }
        return *this;
    }
    ~TemporaryFile() { discard(); }

    /// The open file, for the caller to keep (it stays the same file once published).
    [[nodiscard]] FileHandle take_file() noexcept { return std::move(file_); }
    /// The temporary name (empty once published or discarded).
    [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
    /// True when the file was created under an exclusive `flock`, held by its descriptor.
    [[nodiscard]] bool locked() const noexcept { return locked_; }

    /// Moves the file to `target`, replacing what is there (`rename`) or only if
    /// nothing is (`renameat2` with `RENAME_NOREPLACE`; where the file system lacks
    /// it, `link` then removing the temporary name). 0, or the errno (`EEXIST`:
    /// `target` exists and `replace` is false).
    [[nodiscard]] int publish(const std::filesystem::path& target, bool replace) noexcept {
        if (replace) {
            if (::rename(path_.c_str(), target.c_str()) != 0) return errno;
        } else if (!rename_no_replace(path_, target)) {
            if (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP) return errno;
            if (::link(path_.c_str(), target.c_str()) != 0) return errno;
            ::unlink(path_.c_str());
        }
        path_.clear();
        return 0;
    }

    /// Removes the temporary name, unless the file was published.
    void discard() noexcept {
        if (!path_.empty()) ::unlink(path_.c_str());
        path_.clear();
    }

private:
    /// `renameat2(RENAME_NOREPLACE)`; ENOSYS where the C library lacks it (glibc < 2.28).
    static bool rename_no_replace(const std::filesystem::path& from, const std::filesystem::path& to) noexcept {
#ifdef RENAME_NOREPLACE
        return ::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0;
#else
        (void)from;
        (void)to;
        errno = ENOSYS;
        return false;
#endif
    }

    FileHandle file_;
    std::filesystem::path path_;
    bool locked_ = false;
};

/// True for names that `TemporaryFile` makes: `.<stem>.<16 hex digits>.tmp`.
[[nodiscard]] inline bool is_temporary_name(std::string_view name) noexcept {
    constexpr std::size_t hex = 16, suffix = 4;  // ".tmp"
    if (name.size() < 1 + 1 + 1 + hex + suffix || name.front() != '.' || !name.ends_with(".tmp")) return false;
    const auto digits = name.substr(name.size() - suffix - hex, hex);
    return name[name.size() - suffix - hex - 1] == '.' &&
           std::all_of(digits.begin(), digits.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

/// Removes the temporary files (see `TemporaryFile`) in `dir` that a crash left
/// behind: those no process holds locked, and not modified for a minute (a file
/// is unlocked for an instant after its creator made it). Returns how many were
/// removed; errors only leave files in place.
inline std::size_t remove_stale_temporaries(const std::filesystem::path& dir) noexcept {
    std::size_t removed = 0;
    try {
        std::error_code ec;
        for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
            const auto path = entry.path();
            if (!is_temporary_name(path.filename().native())) continue;
            const auto file = open_file(path, O_RDONLY);
            struct stat st {};
            if (!file || ::fstat(file.get(), &st) != 0 || !S_ISREG(st.st_mode) || lock_exclusive(file.get()) != 0)
                continue;
            if (st.st_mtime > ::time(nullptr) - 60 || !is_file_at(file.get(), path)) continue;
            if (::unlink(path.c_str()) == 0) ++removed;
        }
    } catch (...) {  // a listing that fails part way: the rest stays for next time
    }
    return removed;
}

}  // namespace tinman::detail
