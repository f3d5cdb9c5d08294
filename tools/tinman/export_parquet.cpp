// tinman export --format parquet: a channel's records as the rows of a Parquet file.
#include "export_parquet.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <iostream>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <tinman/parquet/channel_table.hpp>
#include <tinman/parquet/parquet_writer.hpp>

#include "records.hpp"  // defines TINMAN_HAVE_ZSTD as 0 when the build has no zstd
#if TINMAN_HAVE_ZSTD
#include <tinman/codecs/zstd_compression.hpp>
#endif

namespace tinman::cli {
namespace {

/// The Parquet file being written, with write(2) (the writer hands over whole
/// column chunks), removed unless `commit()` completes it.
class ParquetFile {
public:
    explicit ParquetFile(std::filesystem::path path)
        : path_(std::move(path)), fd_(::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) {
        if (fd_ < 0) throw io_error({.path = path_}, "cannot create", errno);
    }
    ParquetFile(const ParquetFile&) = delete;
    ParquetFile& operator=(const ParquetFile&) = delete;
    ~ParquetFile() {
        if (fd_ < 0) return;
        ::close(fd_);
        std::error_code ec;
        std::filesystem::remove(path_, ec);
    }

    void write(std::span<const std::byte> bytes) {
        while (!bytes.empty()) {
            const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) throw io_error({.path = path_}, "cannot write", errno);
            bytes = bytes.subspan(static_cast<std::size_t>(n));
        }
    }
    /// Empties the file, to write it again from the start.
    void reset() {
        if (::ftruncate(fd_, 0) != 0 || ::lseek(fd_, 0, SEEK_SET) != 0) throw io_error({.path = path_}, "cannot write", errno);
    }
    void commit() {
        if (::close(std::exchange(fd_, -1)) != 0) throw io_error({.path = path_}, "cannot write", errno);
    }

private:
    std::filesystem::path path_;
    int fd_;
};

[[nodiscard]] parquet::WriterOptions writer_options(const ParquetSettings& settings) {
    parquet::WriterOptions o;
    o.row_group_rows = settings.row_group_rows;
    o.row_group_bytes = static_cast<std::size_t>(settings.row_group_mib) << 20;
    o.created_by = "tinman export";
    if (settings.compression == "zstd") {
#if TINMAN_HAVE_ZSTD
        o.compression = {parquet::CompressionCodec::zstd,
                         [z = Zstd{.level = settings.zstd_level}](std::span<const std::byte> in,
                                                                  std::vector<std::byte>& out) {
                             return z.compress(in, out);
                         }};
#else
        throw usage_error("this tinman was built without zstd: use --compression none");
#endif
    } else if (settings.compression != "none") {
        throw usage_error("unknown compression '" + settings.compression + "' (none or zstd)");
    }
    return o;
}

}  // namespace

int export_parquet(const std::filesystem::path& dir, const ChannelRef& channel, const std::filesystem::path& out,
                   const Selection& selection, const ParquetSettings& settings) {
    const parquet::WriterOptions options = writer_options(settings);
    const CodecDescriptor codec = channel.format == Format::python ? CodecDescriptor{"ndarray", {}}
                                                                    : ObLogReader{dir}.codec(channel.name);
    const bool arrays = codec.name == "ndarray" || is_encoded_array(codec);
    const auto not_arrays = [&](std::int64_t, std::span<const std::byte>) {
        throw codec_mismatch({.channel = channel.name}, "stores codec " + codec.to_string() + ", not arrays");
    };

    ParquetFile file(out);
    const auto sink = [&](std::span<const std::byte> b) { file.write(b); };
    std::optional<parquet::ChannelTable> table;
    std::optional<parquet::Writer> writer;
    std::uint64_t n = 0;
    ScanStatus status{};
    if (arrays) {
        // One pass in the layout the first record calls for; only when a later record differs
        // is the file written again, with each array's bytes.
        const std::string struct_json(codec.param("struct").value_or(""));
        const auto start = [&](const parquet::ArraySurvey& survey) {
            table.emplace(with_context(ErrorContext{.channel = channel.name}, "", [&] {
                return parquet::ChannelTable::arrays(channel.name, survey, struct_json);
            }));
            writer.emplace(table->columns(), sink, options);
        };
        struct Differs {};
        // A column per element: rows go in batches, a column at a time (see ChannelTable::add_rows).
        // Only arrays in the mapped log, which their owner keeps, can wait in a batch: a decoded
        // (decompressed) array lives in memory that the next record's decoding reuses.
        std::vector<std::int64_t> batch_t;
        std::vector<AnyArray> batch;
        const auto add_batch = [&] {
            if (batch.empty()) return;
            with_context([&] { return ErrorContext{.channel = channel.name, .record = n - batch.size()}; }, "",
                         [&] { table->add_rows(*writer, batch_t, batch); });
            batch_t.clear();
            batch.clear();
        };
        const auto export_arrays = [&] {
            n = 0;
            batch_t.clear();
            batch.clear();
            auto s = for_each_record(
                dir, channel, selection,
                [&](std::int64_t t, const AnyArray& a) {
                    if (!table) {
                        parquet::ArraySurvey first;
                        first.add(a);
                        start(first);
                    } else if (table->per_element() && !table->fits(a)) {
                        throw Differs{};
                    }
                    if (table->per_element() && a.owner() && a.owner()->contains(a.bytes().data())) {
                        batch_t.push_back(t);
                        batch.push_back(a);
                        ++n;
                        if (batch.size() == 4096) add_batch();
                        return;
                    }
                    add_batch();  // the rows before it first
                    with_context([&] { return ErrorContext{.channel = channel.name, .record = n}; }, "",
                                 [&] { table->add(*writer, t, a); });
                    ++n;
                },
                not_arrays);
            add_batch();
            return s;
        };
        try {
            status = export_arrays();
        } catch (const Differs&) {
            file.reset();
            parquet::ArraySurvey varying;
            varying.uniform = false;
            writer.reset();
            start(varying);
            status = export_arrays();
        }
        if (!table) start(parquet::ArraySurvey{});  // no records: a table of array bytes, without rows
    } else {
        const bool utf8 = codec.name == "text" || codec.name == "json";
        table.emplace(parquet::ChannelTable::payloads(utf8 ? codec.name : "data", utf8));
        writer.emplace(table->columns(), sink, options);
        status = read_selected(dir, channel.name, selection, RawCodec{codec},
                               [&](std::int64_t t, std::span<const std::byte> p) {
                                   table->add(*writer, t, p);
                                   ++n;
                               });
    }
    writer->finish();
    file.commit();
    std::cout << "exported " << n << " records of '" << channel.label() << "' to " << out.string() << " ("
              << table->columns().size() << " columns, " << writer->row_groups() << " row groups"
              << (table->per_element() || !arrays ? "" : ", arrays as bytes") << ")\n";
    return damage_status("export", channel.name, status) == exit_corrupt ? exit_corrupt : exit_ok;
}

}  // namespace tinman::cli
