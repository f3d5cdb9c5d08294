#pragma once
/// @file
/// Reads Python tinman log directories (`<channel>.blog`, NumpyArrayCodec
/// channels). Python writes array data wherever the previous record ended, so
/// it is usually misaligned: a record comes back as a zero-copy view when its
/// data happens to be aligned and native-endian, otherwise as a copy, and the
/// value says which. `CopyPolicy::zero_copy_only` turns every copy into an error.
///
///     tinman::python::BlogReader reader{"python_logs"};
///     for (auto&& [t, a] : reader.read_channel<double>("imu"))
///         a.visit([](const auto& arr) { std::cout << xt::sum(arr)() << '\n'; });

#include <fcntl.h>

#include <algorithm>
#include <filesystem>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <variant>
#include <vector>

#include "../channel/opened_channel.hpp"
#include "../channel/record.hpp"
#include "../channel/record_input_iterator.hpp"
#include "../codecs/any_array.hpp"
#include "../codecs/array_view.hpp"
#include "../detail/posix.hpp"
#include "../framing/channel_files.hpp"
#include "../framing/damage_report.hpp"
#include "../io/mapped_segment.hpp"
#include "blog_format.hpp"
#include "blog_scanner.hpp"

namespace tinman::python {

/// Whether records that cannot be viewed in place may be copied.
enum class CopyPolicy {
    view_or_copy,    ///< view aligned native-endian data in place, copy the rest
    zero_copy_only,  ///< view in place or raise `format_error` (misaligned) / `codec_mismatch` (byte order)
};

/// The 0.1 name of `CopyPolicy`.
using BlogAccess [[deprecated("use tinman::python::CopyPolicy")]] = CopyPolicy;

/// How a `.blog` channel is read.
struct BlogReadOptions {
    CopyPolicy access = CopyPolicy::view_or_copy;
    /// Raise `format_error` at a torn tail instead of stopping quietly before it (as Python's reader does).
    bool strict = false;
};

/// One record's array as element type `T`: a zero-copy view of the mapped file
/// when the data is aligned and native-endian, otherwise a copy.
template <Element T>
class BlogArray {
public:
    explicit BlogArray(ArrayView<T> view) : value_(std::move(view)) {}
    explicit BlogArray(xt::xarray<T> copy) : value_(std::move(copy)) {}

    /// True when the array is a view of the mapped file (no copy was made).
    [[nodiscard]] bool is_view() const noexcept { return value_.index() == 0; }
    /// The zero-copy view; throws `error` if the record had to be copied.
    [[nodiscard]] const ArrayView<T>& view() const {
        if (!is_view()) throw usage_error("this record was copied (misaligned or byte-swapped data); use copy() or visit()");
        return std::get<0>(value_);
    }
    /// The copy; throws `error` if the record is a view.
    [[nodiscard]] const xt::xarray<T>& copy() const {
        if (is_view()) throw usage_error("this record is a zero-copy view; use view() or visit()");
        return std::get<1>(value_);
    }
    /// Calls `f` with whichever the record is (both are read-only xtensor expressions).
    template <class F>
    decltype(auto) visit(F&& f) const {
        return std::visit(std::forward<F>(f), value_);
    }
    [[nodiscard]] const shape_type& shape() const noexcept {
        return is_view() ? std::get<0>(value_).shape() : std::get<1>(value_).shape();
    }

private:
    std::variant<ArrayView<T>, xt::xarray<T>> value_;
};

namespace detail {

template <class V>
struct blog_value {
    using type = BlogArray<V>;
};
template <>
struct blog_value<AnyArray> {
    using type = AnyArray;
};

/// Alignment that an element of `d` needs in memory to be read in place.
[[nodiscard]] inline std::size_t element_alignment(const DType& d) noexcept {
    switch (d.kind) {
    case 'b': case 'S': case 'V': return 1;
    case 'U': return 4;
    case 'c': return std::min<std::size_t>(d.itemsize / 2, 16);
    default: return std::min<std::size_t>(d.itemsize, 16);
    }
}

}  // namespace detail

/// The records of one `.blog` channel: a single-pass input range of
/// `Record<AnyArray>` (when `V` is `AnyArray`) or `Record<BlogArray<V>>` (an
/// element type). `AnyArray` values always point into the mapping (any
/// alignment, any byte order): `is_viewable_as<T>()`, `as<T>()` or `copy_as<T>()`.
template <class V>
class BlogChannel {
    struct State;

public:
    using value_type = Record<typename detail::blog_value<V>::type>;

    using iterator = tinman::detail::RecordInputIterator<State, value_type>;

    BlogChannel(std::string name, SegmentPtr segment, BlogScanner scanner, PickledClass codec, BlogReadOptions options)
        : state_(std::make_unique<State>(std::move(name), std::move(segment), std::move(scanner), std::move(codec),
                                         options)) {}

    [[nodiscard]] iterator begin() { return iterator{&tinman::detail::start_pass(state())}; }
    [[nodiscard]] std::default_sentinel_t end() const noexcept { return {}; }

    [[nodiscard]] const std::string& name() const { return state().name; }
    /// The codec class named by the pickle in record 0.
    [[nodiscard]] const PickledClass& codec() const { return state().codec; }
    /// Records read so far (the codec record counts) and why reading stopped.
    [[nodiscard]] const ScanStatus& status() const { return state().scanner.status(); }
    /// The mapping views point into.
    [[nodiscard]] const SegmentPtr& segment() const { return state().segment; }

private:
    State& state() const {
        if (!state_) throw usage_error("BlogChannel was moved from");
        return *state_;
    }

    struct State {
        State(std::string n, SegmentPtr s, BlogScanner sc, PickledClass c, BlogReadOptions o)
            : name(std::move(n)), segment(std::move(s)), scanner(std::move(sc)), codec(std::move(c)), options(o) {}

        void advance() { current = tinman::detail::next_record(scanner, options.strict, [this] { return where(); }); }

        value_type decode_current() const {
            const RecordView& r = *current;
            const auto context = [&] {
                ErrorContext c = where();
                c.record = r.index;
                c.offset = r.offset;
                return c;
            };
            return with_context(context, [&] { return "cannot decode with " + codec.name + ": "; },
                                [&] { return value_type{r.timestamp, decode(r.payload)}; });
        }

        [[nodiscard]] ErrorContext where() const { return {.channel = name, .path = segment->path()}; }

        [[nodiscard]] typename detail::blog_value<V>::type decode(std::span<const std::byte> payload) const {
            const auto parsed = tinman::detail::parse_array_payload(payload);
            AnyArray any(parsed, segment);
            const bool aligned = reinterpret_cast<std::uintptr_t>(any.bytes().data()) %
                                     detail::element_alignment(any.dtype_info()) == 0;
            if constexpr (std::is_same_v<V, AnyArray>) {
                if (options.access == CopyPolicy::zero_copy_only) check_viewable(any, aligned);
                return any;
            } else {
                constexpr auto want = *parse_dtype(dtype_of<V>);
                if (any.dtype_info().kind != want.kind || any.dtype_info().itemsize != want.itemsize)
                    (void)any.as<V>();  // throws codec_mismatch naming both dtypes
                if (any.is<V>() && aligned) return BlogArray<V>(any.as<V>());
                if (options.access == CopyPolicy::zero_copy_only) check_viewable(any, aligned);
                xt::xarray<V> copy = any.copy_as<V>();  // throws codec_mismatch for another dtype
                return BlogArray<V>(std::move(copy));
            }
        }

        static void check_viewable(const AnyArray& a, bool aligned) {
            if (!a.dtype_info().is_native())
                throw codec_mismatch("dtype '" + std::string(a.dtype()) +
                                     "' is in non-native byte order and cannot be viewed in place "
                                     "(zero-copy only was requested; read with CopyPolicy::view_or_copy to copy)");
            if (!aligned)
                throw format_error("array data at address offset " +
                                   std::to_string(reinterpret_cast<std::uintptr_t>(a.bytes().data()) %
                                                  detail::element_alignment(a.dtype_info())) +
                                   " is not aligned to " + std::to_string(detail::element_alignment(a.dtype_info())) +
                                   " bytes for dtype '" + std::string(a.dtype()) +
                                   "' (zero-copy only was requested; read with CopyPolicy::view_or_copy to copy)");
        }

        std::string name;
        SegmentPtr segment;
        BlogScanner scanner;
        PickledClass codec;
        BlogReadOptions options;
        std::optional<RecordView> current;
        bool started = false;
    };

    std::unique_ptr<State> state_;
};

/// A Python tinman log directory opened for reading. Never modifies files.
class BlogReader {
public:
    /// Opens the directory `dir`; throws `log_not_found` if it is not a directory.
    explicit BlogReader(std::filesystem::path dir) : dir_(std::move(dir)) { require_log_directory(dir_); }

    [[nodiscard]] const std::filesystem::path& directory() const noexcept { return dir_; }

    /// The channels (`*.blog` file stems that are valid channel names), sorted.
    [[nodiscard]] std::vector<std::string> channel_names() const { return channel_names_in(dir_, blog_suffix); }

    /// The path of channel `name` (validated).
    [[nodiscard]] std::filesystem::path channel_path(std::string_view name) const {
        validate_channel_name(name);
        return dir_ / (std::string(name) + std::string(blog_suffix));
    }

    /// The codec class pickled in channel `name`'s first record.
    [[nodiscard]] PickledClass codec(std::string_view name) const { return open(name).codec; }

    /// The records of channel `name`: `V = AnyArray` (default) or an element type.
    /// Throws `channel_not_found` if it does not exist, `codec_mismatch` if its codec
    /// is not NumpyArrayCodec, `format_error` if it has no intact codec record.
    template <class V = AnyArray>
        requires std::is_same_v<V, AnyArray> || Element<V>
    [[nodiscard]] BlogChannel<V> read_channel(std::string_view name, BlogReadOptions options = {}) const {
        auto o = open(name);
        if (!o.codec.is_numpy_codec())
            throw codec_mismatch({.channel = std::string(name), .path = o.segment->path()},
                                 "stores Python codec " + o.codec.qualified() +
                                     ", which this library cannot decode (it reads tinman.codecs.numpy.NumpyArrayCodec)");
        return BlogChannel<V>(std::string(name), std::move(o.segment), std::move(o.scanner), std::move(o.codec),
                              options);
    }

    /// Checks the framing of every record of channel `name`: `.blog` files have no
    /// checksums, and no marks to find the next record by, so the report holds at
    /// most one damaged region, which runs to the end of the file. `records` counts
    /// data records (not the codec record). Throws `format_error` if the channel has
    /// no intact codec record or it is not a pickled class, `channel_not_found` if
    /// the channel does not exist.
    [[nodiscard]] DamageReport damage_report(std::string_view name) const {
        auto o = open(name);
        while (o.scanner.next()) {
        }
        const ScanStatus& status = o.scanner.status();
        DamageReport report;
        report.file_bytes = o.segment->size();
        report.records = status.records - 1;  // open() read the codec record
        report.intact_prefix = report.records;
        if (!status.clean()) report.damage.push_back({status.intact_end, report.file_bytes, status.stop, status.reason});
        return report;
    }

private:
    struct Opened {
        SegmentPtr segment;
        BlogScanner scanner;
        PickledClass codec;
    };

    [[nodiscard]] Opened open(std::string_view name) const {
        const auto path = channel_path(name);
        const ErrorContext where{.channel = std::string(name), .path = path};
        const auto file = tinman::detail::open_file(path, O_RDONLY);
        if (!file) {
            if (errno == ENOENT) throw channel_not_found({.channel = std::string(name), .path = dir_}, "no such channel");
            tinman::detail::throw_errno(where, "cannot open");
        }
        auto segment = MappedSegment::map(file.get(), tinman::detail::file_size(file.get(), path), path);
        BlogScanner scanner(segment->bytes());
        const auto first = scanner.next();
        if (!first)
            throw format_error(where, "no codec record (" +
                                          (segment->size() == 0 ? std::string("empty file") : scanner.status().reason) +
                                          ")");
        auto codec = with_context(where, "", [&] { return pickled_class(first->payload); });
        return {std::move(segment), std::move(scanner), std::move(codec)};
    }

    std::filesystem::path dir_;
};

}  // namespace tinman::python
