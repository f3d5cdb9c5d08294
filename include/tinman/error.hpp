#pragma once
/// @file
/// The exception hierarchy: every failure the library reports is a `tinman::error`.

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace tinman {

/// Base of all exceptions thrown by tinman.
class error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// A system call failed (open, write, fsync, mmap, ...); `code()` is the errno.
class io_error : public error {
public:
    io_error(const std::string& what, int code)
        : error(what + ": " + std::strerror(code)), code_(code) {}
    [[nodiscard]] int code() const noexcept { return code_; }

private:
    int code_;
};

/// Bytes on disk are not a valid tinman file or record (corrupt, torn, hostile).
class format_error : public error {
public:
    using error::error;
};

/// The stored codec or dtype differs from the one the caller asked for.
class codec_mismatch : public error {
public:
    using error::error;
};

/// A channel cannot be used as asked: bad name, missing, already exists, already has a writer, closed.
class channel_error : public error {
public:
    using error::error;
};

}  // namespace tinman
