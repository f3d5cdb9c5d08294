// Write throughput, always page cache to page cache (no fsync on either side):
//
//  - large records: 1, 4, 16, 64 MiB float64 arrays through a tinman
//    ChannelWriter (checksummed, flush() after each record) against plain
//    write(2) of the same bytes to a file in the same directory.
//    Target: tinman >= 80% of write(2). CRC32C alone over the same bytes too,
//    and the rate of the two passes in series, which bounds a writer that
//    checksums the payload and then has the kernel copy it.
//  - small records: xt::xtensor<double, 1> of 2, 8 and 16 elements, and 64-byte
//    BytesCodec records, against fwrite(3) of the same payload bytes plus an
//    8-byte timestamp through a 64 KiB stdio buffer.
//    Targets: >= 50% of fwrite; >= 8 M records/s for 8 doubles.
//  - iteration: reading the small records back, decoding each to a view
//    (for (auto&& [t, a] : channel) sum += a(0)), against fread(3) of the
//    fwrite file. Target: >= 40 M records/s for 8 doubles.
//
// Files are replaced every 256 MiB (outside the timed region) so that the page
// cache, not the disk, is what is measured.

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <memory>
#include <tinman.hpp>

#include "bench_common.hpp"

namespace {

using namespace tinman_bench;
using ArrayCodec = tinman::NdArrayCodec<double>;
using Rank1Codec = tinman::NdArrayCodec<double, 1>;

constexpr std::uint64_t rotate_bytes = 256 * MiB;

/// A channel writer whose file can be replaced by an empty one.
template <class Codec>
class RotatingChannel {
public:
    RotatingChannel(const fs::path& dir, std::string name)
        : log_(dir), name_(std::move(name)), writer_(log_.get_writer(name_, Codec{}, tinman::OpenMode::truncate)) {}
    tinman::ChannelWriter<Codec>& writer() { return writer_; }
    /// Starts an empty file (the old one is deleted, with its unwritten pages).
    void rotate() {
        writer_.close();
        writer_ = log_.get_writer(name_, Codec{}, tinman::OpenMode::truncate);
    }
    void close() { log_.close(); }

private:
    tinman::ObLogWriter log_;
    std::string name_;
    tinman::ChannelWriter<Codec> writer_;
};

/// A plain file opened for writing with write(2), replaceable by an empty one.
class RotatingFile {
public:
    explicit RotatingFile(fs::path path) : path_(std::move(path)) { open(); }
    ~RotatingFile() {
        if (fd_ >= 0) ::close(fd_);
    }
    RotatingFile(const RotatingFile&) = delete;
    RotatingFile& operator=(const RotatingFile&) = delete;
    [[nodiscard]] int fd() const { return fd_; }
    void rotate() {
        ::close(fd_);
        ::unlink(path_.c_str());
        open();
    }

private:
    void open() {
        fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd_ < 0) fail_errno("open '" + path_.string() + "'");
    }
    fs::path path_;
    int fd_ = -1;
};

/// A stdio stream with a 64 KiB buffer, replaceable by an empty file.
class RotatingStream {
public:
    explicit RotatingStream(fs::path path) : path_(std::move(path)), buffer_(64 * KiB) { open(); }
    ~RotatingStream() {
        if (f_ != nullptr) std::fclose(f_);
    }
    RotatingStream(const RotatingStream&) = delete;
    RotatingStream& operator=(const RotatingStream&) = delete;
    [[nodiscard]] std::FILE* get() const { return f_; }
    void rotate() {
        std::fclose(f_);
        ::unlink(path_.c_str());
        open();
    }
    void close() {
        if (std::fclose(f_) != 0) fail_errno("fclose");
        f_ = nullptr;
    }

private:
    void open() {
        f_ = std::fopen(path_.c_str(), "wb");
        if (f_ == nullptr) fail_errno("fopen '" + path_.string() + "'");
        std::setvbuf(f_, buffer_.data(), _IOFBF, buffer_.size());
    }
    fs::path path_;
    std::vector<char> buffer_;
    std::FILE* f_ = nullptr;
};

// ------------------------------------------------------------ large records

void tinman_large(benchmark::State& state, std::size_t bytes) {
    const auto a = make_array(bytes / sizeof(double));
    const fs::path dir = fresh_dir("write-large");
    RotatingChannel<ArrayCodec> channel(dir, "large");
    std::uint64_t in_file = 0;
    std::int64_t ts = 0;
    for (auto _ : state) {
        if (in_file + bytes > rotate_bytes) {
            state.PauseTiming();
            channel.rotate();
            in_file = 0;
            state.ResumeTiming();
        }
        auto& w = channel.writer();
        w.write(++ts, a);
        w.flush();
        in_file += bytes;
    }
    channel.close();
    fs::remove_all(dir);
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
}

void plain_large(benchmark::State& state, std::size_t bytes) {
    const auto a = make_array(bytes / sizeof(double));
    const fs::path dir = fresh_dir("write-large");
    {
        RotatingFile file(dir / "plain.bin");
        std::uint64_t in_file = 0;
        for (auto _ : state) {
            if (in_file + bytes > rotate_bytes) {
                state.PauseTiming();
                file.rotate();
                in_file = 0;
                state.ResumeTiming();
            }
            write_all(file.fd(), a.data(), bytes);
            in_file += bytes;
        }
    }
    fs::remove_all(dir);
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
}

/// CRC32C alone over the same array: with the copy into the page cache, the
/// other pass over a large payload that a checksummed write makes.
void crc_large(benchmark::State& state, std::size_t bytes) {
    const auto a = make_array(bytes / sizeof(double));
    const std::span<const std::byte> data(reinterpret_cast<const std::byte*>(a.data()), bytes);
    for (auto _ : state) benchmark::DoNotOptimize(tinman::crc32c(data));
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
}

// ------------------------------------------------------------ small records

constexpr std::uint64_t check_every = 4096;  // records between file-size checks

void tinman_small(benchmark::State& state, std::size_t n) {
    const xt::xtensor<double, 1> a = make_array(n);
    const fs::path dir = fresh_dir("write-small");
    RotatingChannel<ArrayCodec> channel(dir, "small");
    std::int64_t ts = 0;
    for (auto _ : state) {
        channel.writer().write(++ts, a);
        if (static_cast<std::uint64_t>(ts) % check_every == 0 && channel.writer().record_writer().size() > rotate_bytes) {
            state.PauseTiming();
            channel.rotate();
            state.ResumeTiming();
        }
    }
    channel.close();
    fs::remove_all(dir);
    state.SetItemsProcessed(state.iterations());
}

void fwrite_small(benchmark::State& state, std::size_t n) {
    const xt::xtensor<double, 1> a = make_array(n);
    const fs::path dir = fresh_dir("write-small");
    RotatingStream out(dir / "plain.bin");
    const std::uint64_t record = sizeof(std::int64_t) + n * sizeof(double);
    std::int64_t ts = 0, rotated_at = 0;
    for (auto _ : state) {
        ++ts;
        std::fwrite(&ts, sizeof ts, 1, out.get());
        std::fwrite(a.data(), sizeof(double), n, out.get());
        if (static_cast<std::uint64_t>(ts) % check_every == 0 &&
            static_cast<std::uint64_t>(ts - rotated_at) * record > rotate_bytes) {
            state.PauseTiming();
            out.rotate();
            rotated_at = ts;
            state.ResumeTiming();
        }
    }
    out.close();
    fs::remove_all(dir);
    state.SetItemsProcessed(state.iterations());
}

void tinman_bytes64(benchmark::State& state) {
    std::array<std::byte, 64> msg{};
    for (std::size_t i = 0; i < msg.size(); ++i) msg[i] = static_cast<std::byte>(i);
    const std::span<const std::byte> bytes(msg);
    const fs::path dir = fresh_dir("write-small");
    RotatingChannel<tinman::BytesCodec> channel(dir, "bytes");
    std::int64_t ts = 0;
    for (auto _ : state) {
        channel.writer().write(++ts, bytes);
        if (static_cast<std::uint64_t>(ts) % check_every == 0 && channel.writer().record_writer().size() > rotate_bytes) {
            state.PauseTiming();
            channel.rotate();
            state.ResumeTiming();
        }
    }
    channel.close();
    fs::remove_all(dir);
    state.SetItemsProcessed(state.iterations());
}

void fwrite_bytes64(benchmark::State& state) {
    std::array<std::byte, 64> msg{};
    const fs::path dir = fresh_dir("write-small");
    RotatingStream out(dir / "plain.bin");
    const std::uint64_t record = sizeof(std::int64_t) + msg.size();
    std::int64_t ts = 0, rotated_at = 0;
    for (auto _ : state) {
        ++ts;
        std::fwrite(&ts, sizeof ts, 1, out.get());
        std::fwrite(msg.data(), 1, msg.size(), out.get());
        if (static_cast<std::uint64_t>(ts) % check_every == 0 &&
            static_cast<std::uint64_t>(ts - rotated_at) * record > rotate_bytes) {
            state.PauseTiming();
            out.rotate();
            rotated_at = ts;
            state.ResumeTiming();
        }
    }
    out.close();
    fs::remove_all(dir);
    state.SetItemsProcessed(state.iterations());
}

// ------------------------------------------------------------ iteration

constexpr std::size_t iteration_records = std::size_t{1} << 18;

/// A channel of `iteration_records` arrays of n doubles (a(0) = record number)
/// and the same payloads with fwrite: 8-byte timestamp, then the elements.
struct IterationFiles {
    explicit IterationFiles(std::size_t n_) : n(n_) {
        dir = fresh_dir("iterate-" + std::to_string(n));
        tinman::ObLogWriter log{dir};
        auto w = log.get_writer("small", ArrayCodec{});
        RotatingStream out(dir / "plain.bin");
        auto a = make_array(n);
        for (std::size_t i = 0; i < iteration_records; ++i) {
            a(0) = static_cast<double>(i);
            const auto ts = static_cast<std::int64_t>(i);
            w.write(ts, a);
            std::fwrite(&ts, sizeof ts, 1, out.get());
            std::fwrite(a.data(), sizeof(double), n, out.get());
        }
        log.close();
        out.close();
    }
    ~IterationFiles() {
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
    IterationFiles(const IterationFiles&) = delete;
    IterationFiles& operator=(const IterationFiles&) = delete;

    std::size_t n;
    fs::path dir;
    static constexpr double expected_sum = static_cast<double>(iteration_records) * (iteration_records - 1) / 2;
};

std::unique_ptr<IterationFiles> iteration_files;

IterationFiles& files_for(std::size_t n) {
    if (!iteration_files || iteration_files->n != n) {
        iteration_files.reset();
        iteration_files = std::make_unique<IterationFiles>(n);
    }
    return *iteration_files;
}

/// Iterates with codec `C`: `ArrayCodec` (any rank, `xt::xarray_adaptor`) or
/// `Rank1Codec` (`xt::xtensor_adaptor`, the same records).
template <class C>
void tinman_iterate(benchmark::State& state, std::size_t n, bool verify) {
    const IterationFiles& f = files_for(n);
    const tinman::ObLogReader reader{f.dir};
    tinman::ReadOptions options;
    if (!verify) options.verify_max_bytes = 0;
    double sum = 0;
    for (auto _ : state) {
        auto channel = reader.read_channel<C>("small", {}, options);
        sum = 0;
        for (auto&& [t, a] : channel) sum += a(0);
        benchmark::DoNotOptimize(sum);
    }
    check(state, sum == IterationFiles::expected_sum, "wrong sum");
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * iteration_records));
}

void fread_iterate(benchmark::State& state, std::size_t n) {
    const IterationFiles& f = files_for(n);
    const std::string path = (f.dir / "plain.bin").string();
    std::vector<char> buffer(64 * KiB);
    std::array<double, 64> a{};
    double sum = 0;
    for (auto _ : state) {
        std::FILE* in = std::fopen(path.c_str(), "rb");
        if (in == nullptr) fail_errno("fopen");
        std::setvbuf(in, buffer.data(), _IOFBF, buffer.size());
        sum = 0;
        std::int64_t ts = 0;
        while (std::fread(&ts, sizeof ts, 1, in) == 1 && std::fread(a.data(), sizeof(double), n, in) == n) sum += a[0];
        std::fclose(in);
        benchmark::DoNotOptimize(sum);
    }
    check(state, sum == IterationFiles::expected_sum, "wrong sum");
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * iteration_records));
}

// ------------------------------------------------------------ registration

const std::vector<std::size_t> large_sizes = {1 * MiB, 4 * MiB, 16 * MiB, 64 * MiB};
const std::vector<std::size_t> small_sizes = {2, 8, 16};

std::string large_name(const char* who, std::size_t bytes) { return std::string("write_large/") + who + "/" + size_tag(bytes); }
std::string small_name(const char* who, std::size_t n) { return std::string("write_small/") + who + "/" + std::to_string(n) + "_doubles"; }
std::string iterate_name(const char* who, std::size_t n) { return std::string("iterate/") + who + "/" + std::to_string(n) + "_doubles"; }

void register_all() {
    // tinman and its baseline back to back, so that both see the same machine state.
    for (std::size_t bytes : large_sizes) {
        benchmark::RegisterBenchmark(large_name("tinman", bytes).c_str(), tinman_large, bytes)
            ->Repetitions(5)->MinTime(0.05)->Unit(benchmark::kMillisecond);
        benchmark::RegisterBenchmark(large_name("write2", bytes).c_str(), plain_large, bytes)
            ->Repetitions(5)->MinTime(0.05)->Unit(benchmark::kMillisecond);
        benchmark::RegisterBenchmark(large_name("crc32c", bytes).c_str(), crc_large, bytes)
            ->Repetitions(5)->MinTime(0.05)->Unit(benchmark::kMillisecond);
    }
    for (std::size_t n : small_sizes) {
        benchmark::RegisterBenchmark(small_name("tinman", n).c_str(), tinman_small, n)
            ->Repetitions(3)->MinTime(0.1);
        benchmark::RegisterBenchmark(small_name("fwrite", n).c_str(), fwrite_small, n)
            ->Repetitions(3)->MinTime(0.1);
    }
    benchmark::RegisterBenchmark("write_small/tinman/bytes64", tinman_bytes64)->Repetitions(3)->MinTime(0.1);
    benchmark::RegisterBenchmark("write_small/fwrite/bytes64", fwrite_bytes64)->Repetitions(3)->MinTime(0.1);
    for (std::size_t n : small_sizes) {
        benchmark::RegisterBenchmark(iterate_name("tinman", n).c_str(), tinman_iterate<ArrayCodec>, n, true)
            ->Repetitions(3)->MinTime(0.1)->Unit(benchmark::kMillisecond);
        benchmark::RegisterBenchmark(iterate_name("tinman_rank1", n).c_str(), tinman_iterate<Rank1Codec>, n, true)
            ->Repetitions(3)->MinTime(0.1)->Unit(benchmark::kMillisecond);
        benchmark::RegisterBenchmark(iterate_name("tinman_no_verify", n).c_str(), tinman_iterate<ArrayCodec>, n, false)
            ->Repetitions(3)->MinTime(0.1)->Unit(benchmark::kMillisecond);
        benchmark::RegisterBenchmark(iterate_name("fread", n).c_str(), fread_iterate, n)
            ->Repetitions(3)->MinTime(0.1)->Unit(benchmark::kMillisecond);
    }
}

void summarize(const Collector& results, Summary& summary) {
    for (std::size_t bytes : large_sizes) {
        const auto t = results.get(large_name("tinman", bytes));
        const auto p = results.get(large_name("write2", bytes));
        if (!t || !p) continue;
        const double tr = t->counter("bytes_per_second"), pr = p->counter("bytes_per_second");
        summary.add(Row("write " + size_name(bytes) + " arrays", "tinman, checksummed, flush per record", tr,
                        Unit::bytes_per_s)
                        .vs("write(2)", pr, tr / pr)
                        .goal(">= 0.8x", tr / pr >= 0.8));
        // Two passes over memory: the copy (write(2)'s rate) then the checksum.
        if (const auto c = results.get(large_name("crc32c", bytes))) {
            const double cr = c->counter("bytes_per_second");
            const double model = 1.0 / (1.0 / pr + 1.0 / cr);
            summary.add(Row("write " + size_name(bytes) + " arrays", "CRC32C alone (" +
                                std::string(tinman::crc32c_is_hardware() ? "hardware" : "software") + ")",
                            cr, Unit::bytes_per_s));
            summary.add(Row("write " + size_name(bytes) + " arrays", "write(2) then CRC32C, serial (model)", model,
                            Unit::bytes_per_s)
                            .vs("write(2)", pr, model / pr));
        }
    }
    for (std::size_t n : small_sizes) {
        const auto t = results.get(small_name("tinman", n));
        const auto p = results.get(small_name("fwrite", n));
        if (!t || !p) continue;
        const double tr = t->counter("items_per_second"), pr = p->counter("items_per_second");
        Row row("write " + std::to_string(n) + "-double records", "tinman records/s", tr, Unit::per_s);
        row.vs("fwrite, 64 KiB buffer", pr, tr / pr).goal(">= 0.5x", tr / pr >= 0.5);
        summary.add(row);
        if (n == 8)
            summary.add(Row("write 8-double records", "tinman records/s", tr, Unit::per_s).goal(">= 8 M/s", tr >= 8e6));
    }
    if (const auto t = results.get("write_small/tinman/bytes64"), p = results.get("write_small/fwrite/bytes64"); t && p) {
        const double tr = t->counter("items_per_second"), pr = p->counter("items_per_second");
        summary.add(Row("write 64-byte BytesCodec records", "tinman records/s", tr, Unit::per_s)
                        .vs("fwrite, 64 KiB buffer", pr, tr / pr));
    }
    for (std::size_t n : small_sizes) {
        const auto t = results.get(iterate_name("tinman", n));
        const auto nv = results.get(iterate_name("tinman_no_verify", n));
        const auto r1 = results.get(iterate_name("tinman_rank1", n));
        const auto p = results.get(iterate_name("fread", n));
        if (!t || !p) continue;
        const double tr = t->counter("items_per_second"), pr = p->counter("items_per_second");
        const std::string group = "iterate " + std::to_string(n) + "-double records";
        Row row(group, "tinman records/s (xarray views)", tr, Unit::per_s);
        row.vs("fread, 64 KiB buffer", pr, tr / pr);
        if (n == 8) row.goal(">= 40 M/s", tr >= 40e6);
        summary.add(row);
        if (r1) {
            const double rr = r1->counter("items_per_second");
            Row rank1(group, "tinman records/s (rank-1 xtensor views)", rr, Unit::per_s);
            rank1.vs("fread, 64 KiB buffer", pr, rr / pr);
            if (n == 8) rank1.goal(">= 40 M/s", rr >= 40e6);
            summary.add(rank1);
        }
        if (nv) {
            const double vr = nv->counter("items_per_second");
            summary.add(Row(group, "tinman, payload checksums off", vr, Unit::per_s).vs("fread, 64 KiB buffer", pr, vr / pr));
        }
    }
}

}  // namespace

int main(int argc, char** argv) {
    register_all();
    return run_benchmarks(argc, argv, "bench_write", summarize, [] { iteration_files.reset(); });
}
