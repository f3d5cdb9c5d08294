#pragma once
/// @file
/// The exception hierarchy: every failure the library reports is a `tinman::error`.
/// Each carries where it happened (channel, file, record, offset) as fields, so
/// that programs (and the `tinman` tool) act on the kind and the fields, never on
/// the text; `what()` is the context followed by the reason.

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

namespace tinman {

/// Where an error happened; any field may be empty.
struct ErrorContext {
    std::string channel{};                   ///< channel name
    std::filesystem::path path{};            ///< file or directory
    std::optional<std::uint64_t> record{};   ///< record number, from 0
    std::optional<std::uint64_t> offset{};   ///< file offset

    /// The fields that are set, as `channel 'imu' ('logs/imu.tinman'), record 3 at offset 4160`.
    [[nodiscard]] std::string describe() const {
        std::string s;
        if (!channel.empty()) s = "channel '" + channel + "'";
        if (!path.empty()) s += s.empty() ? "'" + path.string() + "'" : " ('" + path.string() + "')";
        if (record) s += (s.empty() ? "record " : ", record ") + std::to_string(*record);
        if (offset) s += (s.empty() ? "offset " : record ? " at offset " : ", offset ") + std::to_string(*offset);
        return s;
    }
};

/// Base of all exceptions thrown by tinman.
class error : public std::runtime_error {
public:
    explicit error(const std::string& reason) : error(ErrorContext{}, reason) {}
    error(ErrorContext context, const std::string& reason)
        : std::runtime_error(compose(context, reason)),
          details_(std::make_shared<const Details>(Details{std::move(context), reason})) {}

    /// Where it happened.
    [[nodiscard]] const ErrorContext& context() const noexcept { return details_->context; }
    /// What went wrong, without the context.
    [[nodiscard]] const std::string& reason() const noexcept { return details_->reason; }

private:
    struct Details {
        ErrorContext context;
        std::string reason;
    };
    static std::string compose(const ErrorContext& context, const std::string& reason) {
        auto where = context.describe();
        return where.empty() ? reason : where + ": " + reason;
    }
    std::shared_ptr<const Details> details_;  // shared: copying an exception never throws
};

/// A system call failed (open, write, fsync, mmap, ...); `code()` is the errno.
class io_error : public error {
public:
    io_error(const std::string& reason, int code) : io_error(ErrorContext{}, reason, code) {}
    io_error(ErrorContext context, const std::string& reason, int code)
        : error(std::move(context), reason + ": " + std::strerror(code)), code_(code) {}
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

/// A channel cannot be used as asked: bad name, already exists, already has a writer.
class channel_error : public error {
public:
    using error::error;
};

/// The log directory does not exist (or is not a directory).
class log_not_found : public channel_error {
public:
    using channel_error::channel_error;
};

/// The log directory has no channel of that name.
class channel_not_found : public channel_error {
public:
    using channel_error::channel_error;
};

/// The records of a channel do not lie at one stride with one shape, so they
/// cannot be viewed as one array (see `IndexedChannel::stacked`).
class not_uniform : public error {
public:
    using error::error;
};

/// The library was used in a way its API forbids: a closed or moved-from object,
/// an iterator past its end, a record number out of range, an invalid argument.
class usage_error : public error {
public:
    using error::error;
};

namespace detail {
/// `v()` when `v` is callable, else `v`: lets error context be built only when an error happens.
template <class T>
decltype(auto) evaluate_lazily(const T& v) {
    if constexpr (std::is_invocable_v<const T&>) return v();
    else return (v);
}
}  // namespace detail

/// Returns `f()`; a `format_error` or `codec_mismatch` it throws is thrown again
/// as the same kind with `context` in place of its own and `prefix` before its
/// reason. Decoders report what is wrong; their callers know where. `context`
/// and `prefix` may be callables returning them, called only when `f` throws,
/// so that a hot path builds no strings.
template <class Context, class Prefix, class F>
decltype(auto) with_context(const Context& context, const Prefix& prefix, F&& f) {
    try {
        return f();
    } catch (const codec_mismatch& e) {
        throw codec_mismatch(ErrorContext(detail::evaluate_lazily(context)),
                             std::string(detail::evaluate_lazily(prefix)) + e.reason());
    } catch (const format_error& e) {
        throw format_error(ErrorContext(detail::evaluate_lazily(context)),
                           std::string(detail::evaluate_lazily(prefix)) + e.reason());
    }
}

}  // namespace tinman
