// tinman against MCAP (foxglove/mcap C++, uncompressed) and the plain system
// calls, side by side in one process run:
//
//  - write N x 64 B records (8 doubles {i, 1, ..., 7}): tinman BytesCodec and
//    NdArrayCodec<double>; MCAP chunked (chunk CRC off and on) and unchunked;
//    fwrite(3) and write(2) of the same bytes (8-byte timestamp + payload);
//  - read all of them, cold and warm: tinman bytes, doubles as xarray views
//    (dynamic rank), rank-1 xtensor views and AnyArray; MCAP chunked through its
//    FILE* reader and through its BufferReader over a mapping; fread, read(2), pread;
//  - write 64 x 4 MiB arrays (tinman checksums every record; MCAP unchunked without
//    and with its data CRC) against write(2) of the arrays and writev(2) of a 64 B
//    header + the array (the faster is the baseline: in full runs on a test VM,
//    write(2) of page-aligned arrays was at times 4x slower); read + sum them,
//    cold and warm;
//  - summary of the N-record file (count and time range), time to the first record,
//    1 % of the records by time, record #i for 1000 random i (cold), and opening a
//    channel for writing.
//
// Method: every round runs every workload, each with its contenders in an order
// rotated by one per round; figures are medians over the rounds (7 by default) of
// wall-clock time (cold reads wait for the disk, which CPU time would not show).
// Each timed run opens its files itself and closes them. "cold": the files' pages
// are dropped from the page cache (fdatasync + POSIX_FADV_DONTNEED, checked with
// mincore) before each run; "warm": they are read into it first. Every run checks
// its record count, timestamps and the sum of every element against what was
// written; a first, uncounted round also reads back what each writer wrote.
// MCAP's readers check no CRC; tinman verifies each small record's checksum.
//
// Environment: TINMAN_BENCH_QUICK=1 (20 000 records, 8 large ones, 3 rounds: a
// smoke test), TINMAN_BENCH_ROUNDS, TINMAN_BENCH_MCAP_RECORDS (1 000 000),
// TINMAN_BENCH_MCAP_LARGE_RECORDS (64), TINMAN_BENCH_DIR, TINMAN_BENCH_RESULTS.
// Flags: --filter=REGEX (contenders whose "workload/contender" key matches), --list,
// --benchmark_out=FILE (every round's times, JSON).

// MCAP is header-only: this, the one translation unit, compiles its implementation.
#define MCAP_IMPLEMENTATION
#include <sys/uio.h>
#include <mcap/reader.hpp>
#include <mcap/writer.hpp>

#include <chrono>
#include <memory>
#include <random>
#include <regex>
#include <tinman.hpp>

#include "bench_common.hpp"

namespace {

using namespace tinman_bench;
using Clock = std::chrono::steady_clock;

// ------------------------------------------------------------------ configuration

struct Config {
    bool quick = false;
    std::size_t records = 1'000'000;  // small records
    std::size_t large_records = 64;   // of large_bytes each
    std::size_t large_bytes = 4 * MiB;
    std::size_t random_reads = 1000;
    int rounds = 7;
    int summary_reps = 100;  // latency workloads repeat their operation within a round
    int first_record_reps = 100;
    int window_reps = 10;
    int open_reps = 20;
};

std::size_t env_size(const char* name, std::size_t fallback) {
    const char* v = std::getenv(name);
    if (v == nullptr || *v == '\0') return fallback;
    char* end = nullptr;
    const unsigned long long n = std::strtoull(v, &end, 10);
    if (*end != '\0' || n == 0) throw std::runtime_error(std::string(name) + " must be a positive integer");
    return static_cast<std::size_t>(n);
}

Config config_from_env() {
    Config c;
    if (env_flag("TINMAN_BENCH_QUICK")) {
        c.quick = true;
        c.records = 20'000;
        c.large_records = 8;
        c.rounds = 3;
        c.summary_reps = c.first_record_reps = 10;
        c.window_reps = 3;
        c.open_reps = 5;
    }
    c.records = std::max<std::size_t>(env_size("TINMAN_BENCH_MCAP_RECORDS", c.records), 200);
    c.large_records = env_size("TINMAN_BENCH_MCAP_LARGE_RECORDS", c.large_records);
    c.rounds = static_cast<int>(env_size("TINMAN_BENCH_ROUNDS", static_cast<std::size_t>(c.rounds)));
    return c;
}

const Config& config() {
    static const Config c = config_from_env();
    return c;
}

// ------------------------------------------------------------------ the data

constexpr std::int64_t t0 = 1'700'000'000'000'000'000;  // ns since the epoch
constexpr std::int64_t step = 1000;                     // ns between records
constexpr std::size_t payload_doubles = 8;
constexpr std::size_t payload_bytes = payload_doubles * sizeof(double);
constexpr std::size_t raw_record_bytes = sizeof(std::int64_t) + payload_bytes;  // the baselines' records

std::int64_t timestamp_of(std::uint64_t i) { return t0 + static_cast<std::int64_t>(i) * step; }

/// Record i's payload: {i, 1, 2, ..., 7}.
struct SmallPayload {
    double v[payload_doubles] = {0, 1, 2, 3, 4, 5, 6, 7};
    void set(std::uint64_t i) { v[0] = static_cast<double>(i); }
    [[nodiscard]] std::span<const std::byte> bytes() const { return std::as_bytes(std::span<const double>(v)); }
};

/// Large record r: {r, 1, 2, ..., n - 1}.
xt::xtensor<double, 1>& large_array() {
    static xt::xtensor<double, 1> a = make_array(config().large_bytes / sizeof(double));
    return a;
}

/// The sum of n doubles at p (any alignment), in four running sums. Every value
/// and partial sum here is an integer below 2^53, so the result is exact in any order.
inline double sum_f64(const void* p, std::size_t n) {
    const auto* b = static_cast<const unsigned char*>(p);
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    std::size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        double x[4];
        std::memcpy(x, b + i * sizeof(double), sizeof x);
        s0 += x[0];
        s1 += x[1];
        s2 += x[2];
        s3 += x[3];
    }
    for (; i < n; ++i) {
        double x;
        std::memcpy(&x, b + i * sizeof(double), sizeof x);
        s0 += x;
    }
    return (s0 + s1) + (s2 + s3);
}

/// What a reader saw: records, the sum of their timestamps' offsets from t0 and
/// the sum of every element.
struct Tally {
    std::uint64_t records = 0;
    std::int64_t stamps = 0;
    double sum = 0;

    void add(std::int64_t timestamp, const void* data, std::size_t bytes) {
        ++records;
        stamps += timestamp - t0;
        sum += sum_f64(data, bytes / sizeof(double));
    }
    void add(std::int64_t timestamp, std::span<const std::byte> bytes) { add(timestamp, bytes.data(), bytes.size()); }
    bool operator==(const Tally&) const = default;

    [[nodiscard]] std::string str() const {
        std::ostringstream s;
        s << std::setprecision(17) << records << " records, timestamps " << stamps << ", sum " << sum;
        return s.str();
    }
};

void require(bool ok, const std::string& what) {
    if (!ok) throw std::runtime_error(what);
}

void require_tally(const Tally& got, const Tally& want, const std::string& who) {
    require(got == want, who + ": read " + got.str() + ", expected " + want.str());
}

/// Small records [first, first + count).
Tally expect_small(std::uint64_t first, std::uint64_t count) {
    Tally t;
    for (std::uint64_t i = first; i < first + count; ++i) {
        ++t.records;
        t.stamps += timestamp_of(i) - t0;
        t.sum += static_cast<double>(i + 28);
    }
    return t;
}

Tally expect_small(const std::vector<std::uint64_t>& indices) {
    Tally t;
    for (std::uint64_t i : indices) {
        ++t.records;
        t.stamps += timestamp_of(i) - t0;
        t.sum += static_cast<double>(i + 28);
    }
    return t;
}

Tally expect_large(std::uint64_t count) {
    const auto n = static_cast<std::uint64_t>(config().large_bytes / sizeof(double));
    Tally t;
    for (std::uint64_t r = 0; r < count; ++r) {
        ++t.records;
        t.stamps += timestamp_of(r) - t0;
        t.sum += static_cast<double>(n * (n - 1) / 2 + r);
    }
    return t;
}

// ------------------------------------------------------------------ files and timing

double elapsed_ns(Clock::time_point start) {
    return std::chrono::duration<double, std::nano>(Clock::now() - start).count();
}

/// An open file descriptor, closed on destruction.
class Fd {
public:
    Fd(const fs::path& path, int flags, mode_t mode = 0644) : fd_(::open(path.c_str(), flags | O_CLOEXEC, mode)) {
        if (fd_ < 0) fail_errno("cannot open '" + path.string() + "'");
    }
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    [[nodiscard]] int get() const { return fd_; }
    void close() {
        const int fd = std::exchange(fd_, -1);
        if (::close(fd) != 0) fail_errno("close");
    }

private:
    int fd_;
};

std::uint64_t size_of_file(const fs::path& p) { return static_cast<std::uint64_t>(fs::file_size(p)); }

/// Reads up to n bytes (fewer only at the end of the file).
std::size_t read_full(int fd, void* data, std::size_t n) {
    auto* p = static_cast<char*>(data);
    std::size_t got = 0;
    while (got < n) {
        const ssize_t r = ::read(fd, p + got, n - got);
        if (r < 0) {
            if (errno == EINTR) continue;
            fail_errno("read");
        }
        if (r == 0) break;
        got += static_cast<std::size_t>(r);
    }
    return got;
}

/// Up to n bytes at `offset` (fewer only at the end of the file).
std::size_t pread_full(int fd, void* data, std::size_t n, std::uint64_t offset) {
    auto* p = static_cast<char*>(data);
    std::size_t got = 0;
    while (got < n) {
        const ssize_t r = ::pread(fd, p + got, n - got, static_cast<off_t>(offset + got));
        if (r < 0) {
            if (errno == EINTR) continue;
            fail_errno("pread");
        }
        if (r == 0) break;
        got += static_cast<std::size_t>(r);
    }
    return got;
}

/// Every regular file under `p` (or `p` itself).
std::vector<fs::path> files_under(const fs::path& p) {
    if (!fs::is_directory(p)) return {p};
    std::vector<fs::path> out;
    for (const auto& e : fs::recursive_directory_iterator(p))
        if (e.is_regular_file()) out.push_back(e.path());
    return out;
}

/// Drops the files' pages from the page cache; returns the bytes still resident.
std::size_t make_cold(const std::vector<fs::path>& paths) {
    std::size_t resident = 0;
    for (const auto& p : paths)
        for (const auto& f : files_under(p)) {
            drop_from_page_cache(f);
            resident += file_resident_bytes(f);
        }
    return resident;
}

/// Reads the files into the page cache; returns the bytes not resident afterwards.
std::size_t make_warm(const std::vector<fs::path>& paths) {
    std::size_t missing = 0;
    std::vector<char> buffer(MiB);
    for (const auto& p : paths)
        for (const auto& f : files_under(p)) {
            const std::uint64_t size = size_of_file(f);
            if (file_resident_bytes(f) < size) {
                Fd fd(f, O_RDONLY);
                while (read_full(fd.get(), buffer.data(), buffer.size()) == buffer.size()) {
                }
            }
            const std::size_t resident = file_resident_bytes(f);
            if (resident < size) missing += size - resident;
        }
    return missing;
}

void sync_directory(const fs::path& dir) {
    Fd fd(dir, O_RDONLY | O_DIRECTORY);
    if (::fsync(fd.get()) != 0) fail_errno("fsync '" + dir.string() + "'");
}

/// A read-only mapping of a whole file (for MCAP's BufferReader).
class FileMapping {
public:
    explicit FileMapping(const fs::path& path) {
        Fd fd(path, O_RDONLY);
        struct stat st {};
        if (::fstat(fd.get(), &st) != 0) fail_errno("fstat");
        size_ = static_cast<std::size_t>(st.st_size);
        void* m = ::mmap(nullptr, size_, PROT_READ, MAP_SHARED, fd.get(), 0);
        if (m == MAP_FAILED) fail_errno("mmap '" + path.string() + "'");
        data_ = static_cast<const std::byte*>(m);
    }
    ~FileMapping() { ::munmap(const_cast<std::byte*>(data_), size_); }
    FileMapping(const FileMapping&) = delete;
    FileMapping& operator=(const FileMapping&) = delete;
    [[nodiscard]] const std::byte* data() const { return data_; }
    [[nodiscard]] std::size_t size() const { return size_; }

private:
    const std::byte* data_ = nullptr;
    std::size_t size_ = 0;
};

// ------------------------------------------------------------------ tinman

template <class C>
using TinmanValue = typename C::value_type;

void add_value(Tally& t, std::int64_t ts, const tinman::BytesView& v) { t.add(ts, v.bytes); }
void add_value(Tally& t, std::int64_t ts, const tinman::AnyArray& a) {
    const auto view = a.as<double>();
    t.add(ts, view.data(), view.size() * sizeof(double));
}
template <class A>
void add_value(Tally& t, std::int64_t ts, const A& a) {
    t.add(ts, a.data(), a.size() * sizeof(double));
}

tinman::ReadOptions read_options(tinman::ReadAhead access, bool verify = true) {
    tinman::ReadOptions o;
    o.access = access;
    if (!verify) o.verify_max_bytes = 0;
    return o;
}

/// Writes records [0, n) to channel `name` of a new log in `dir` (the open is not timed, the close is).
template <class C>
double tinman_write_small(const fs::path& dir, const char* name, std::size_t n) {
    tinman::ObLogWriter log{dir};
    auto w = log.get_writer(name, C{});
    const auto start = Clock::now();
    if constexpr (std::is_same_v<C, tinman::BytesCodec>) {
        SmallPayload p;
        for (std::uint64_t i = 0; i < n; ++i) {
            p.set(i);
            w.write(timestamp_of(i), p.bytes());
        }
    } else {
        xt::xtensor<double, 1> a = make_array(payload_doubles);
        for (std::uint64_t i = 0; i < n; ++i) {
            a(0) = static_cast<double>(i);
            w.write(timestamp_of(i), a);
        }
    }
    log.close();
    return elapsed_ns(start);
}

double tinman_write_large(const fs::path& dir, std::size_t n) {
    tinman::ObLogWriter log{dir};
    auto w = log.get_writer("large", tinman::NdArrayCodec<double>{});
    auto& a = large_array();
    const auto start = Clock::now();
    for (std::uint64_t r = 0; r < n; ++r) {
        a(0) = static_cast<double>(r);
        w.write(timestamp_of(r), a);
    }
    log.close();
    const double ns = elapsed_ns(start);
    a(0) = 0;
    return ns;
}

template <class C>
Tally tinman_read(const fs::path& dir, const char* name, const tinman::ReadOptions& options) {
    const tinman::ObLogReader reader{dir};
    Tally t;
    for (auto&& [ts, v] : reader.read_channel<C>(name, C{}, options)) add_value(t, ts, v);
    return t;
}

// ------------------------------------------------------------------ MCAP

struct McapVariant {
    bool chunked = true;
    bool crc = false;  // chunked: the chunk CRC; unchunked: the data section CRC
};

mcap::McapWriterOptions mcap_options(McapVariant v) {
    mcap::McapWriterOptions o("");
    o.compression = mcap::Compression::None;
    o.noChunking = !v.chunked;
    o.noChunkCRC = !v.crc;
    o.enableDataCRC = !v.chunked && v.crc;
    return o;
}

void require_ok(const mcap::Status& s, const std::string& what) { require(s.ok(), what + ": " + s.message); }

/// An MCAP writer with one schema and one channel (what opening a channel costs in MCAP).
struct McapChannelWriter {
    McapChannelWriter(const fs::path& file, McapVariant v) {
        require_ok(writer.open(file.string(), mcap_options(v)), "MCAP open '" + file.string() + "'");
        mcap::Schema schema("f64", "raw", "little-endian float64 array");
        writer.addSchema(schema);
        mcap::Channel channel("c", "raw", schema.id);
        writer.addChannel(channel);
        message.channelId = channel.id;
    }
    void write(std::uint64_t i, const void* data, std::size_t bytes) {
        message.sequence = static_cast<std::uint32_t>(i);
        message.logTime = message.publishTime = static_cast<mcap::Timestamp>(timestamp_of(i));
        message.data = static_cast<const std::byte*>(data);
        message.dataSize = bytes;
        require_ok(writer.write(message), "MCAP write");
    }
    mcap::McapWriter writer;
    mcap::Message message{};
};

double mcap_write_small(const fs::path& file, std::size_t n, McapVariant v) {
    McapChannelWriter w(file, v);
    SmallPayload p;
    const auto start = Clock::now();
    for (std::uint64_t i = 0; i < n; ++i) {
        p.set(i);
        w.write(i, p.v, payload_bytes);
    }
    w.writer.close();
    return elapsed_ns(start);
}

double mcap_write_large(const fs::path& file, std::size_t n, McapVariant v) {
    McapChannelWriter w(file, v);
    auto& a = large_array();
    const auto start = Clock::now();
    for (std::uint64_t r = 0; r < n; ++r) {
        a(0) = static_cast<double>(r);
        w.write(r, a.data(), a.size() * sizeof(double));
    }
    w.writer.close();
    const double ns = elapsed_ns(start);
    a(0) = 0;
    return ns;
}

enum class McapInput { file, mapping };

/// Opens `path` with MCAP's FILE* reader or its BufferReader over a mapping, and calls f(reader).
template <class F>
void with_mcap(const fs::path& path, McapInput input, F&& f) {
    if (input == McapInput::file) {
        mcap::McapReader reader;
        require_ok(reader.open(path.string()), "MCAP open '" + path.string() + "'");
        f(reader);
    } else {
        const FileMapping mapping(path);
        mcap::BufferReader buffer;
        buffer.reset(mapping.data(), mapping.size(), mapping.size());
        mcap::McapReader reader;
        require_ok(reader.open(buffer), "MCAP open '" + path.string() + "'");
        f(reader);
    }
}

/// Collects the first problem MCAP reports while reading.
struct McapProblems {
    std::string first;
    [[nodiscard]] mcap::ProblemCallback callback() {
        return [this](const mcap::Status& s) {
            if (first.empty()) first = s.message.empty() ? "problem" : s.message;
        };
    }
    void check() const { require(first.empty(), "MCAP: " + first); }
};

void add_message(Tally& t, const mcap::Message& m) { t.add(static_cast<std::int64_t>(m.logTime), m.data, m.dataSize); }

/// Messages with log time in [from, to); `summary`: read the summary first, so that
/// only the chunks overlapping the range are read.
Tally mcap_read(const fs::path& path, McapInput input, bool summary = false, mcap::Timestamp from = 0,
                mcap::Timestamp to = mcap::MaxTime) {
    Tally t;
    with_mcap(path, input, [&](mcap::McapReader& reader) {
        if (summary) require_ok(reader.readSummary(mcap::ReadSummaryMethod::NoFallbackScan), "MCAP summary");
        McapProblems problems;
        for (const auto& view : reader.readMessages(problems.callback(), from, to)) add_message(t, view.message);
        problems.check();
    });
    return t;
}

// ------------------------------------------------------------------ baselines

/// Records as 8-byte timestamp + payload, through a stdio stream with a 64 KiB buffer.
double fwrite_small(const fs::path& file, std::size_t n) {
    std::vector<char> buffer(64 * KiB);
    std::FILE* f = std::fopen(file.c_str(), "wb");
    if (f == nullptr) fail_errno("fopen '" + file.string() + "'");
    std::setvbuf(f, buffer.data(), _IOFBF, buffer.size());
    SmallPayload p;
    const auto start = Clock::now();
    for (std::uint64_t i = 0; i < n; ++i) {
        const std::int64_t ts = timestamp_of(i);
        p.set(i);
        std::fwrite(&ts, sizeof ts, 1, f);
        std::fwrite(p.v, sizeof(double), payload_doubles, f);
    }
    if (std::fclose(f) != 0) fail_errno("fclose");
    return elapsed_ns(start);
}

/// The same bytes gathered in a 64 KiB buffer and handed over with write(2).
double write2_small(const fs::path& file, std::size_t n) {
    Fd fd(file, O_WRONLY | O_CREAT | O_TRUNC);
    std::vector<std::byte> buffer(64 * KiB);
    std::size_t used = 0;
    SmallPayload p;
    const auto start = Clock::now();
    for (std::uint64_t i = 0; i < n; ++i) {
        if (used + raw_record_bytes > buffer.size()) {
            write_all(fd.get(), buffer.data(), used);
            used = 0;
        }
        const std::int64_t ts = timestamp_of(i);
        p.set(i);
        std::memcpy(buffer.data() + used, &ts, sizeof ts);
        std::memcpy(buffer.data() + used + sizeof ts, p.v, payload_bytes);
        used += raw_record_bytes;
    }
    write_all(fd.get(), buffer.data(), used);
    fd.close();
    return elapsed_ns(start);
}

double write2_large(const fs::path& file, std::size_t n) {
    Fd fd(file, O_WRONLY | O_CREAT | O_TRUNC);
    auto& a = large_array();
    const auto start = Clock::now();
    for (std::uint64_t r = 0; r < n; ++r) {
        a(0) = static_cast<double>(r);
        write_all(fd.get(), a.data(), a.size() * sizeof(double));
    }
    fd.close();
    const double ns = elapsed_ns(start);
    a(0) = 0;
    return ns;
}

/// Each record as one writev(2) of a 64-byte header (the timestamp) and the array:
/// the layout of a framed record, so the payload is not page-aligned in the file.
double writev_large(const fs::path& file, std::size_t n) {
    Fd fd(file, O_WRONLY | O_CREAT | O_TRUNC);
    auto& a = large_array();
    const std::size_t bytes = a.size() * sizeof(double);
    std::int64_t header[8] = {};
    const auto start = Clock::now();
    for (std::uint64_t r = 0; r < n; ++r) {
        a(0) = static_cast<double>(r);
        header[0] = timestamp_of(r);
        iovec parts[2] = {{header, sizeof header}, {a.data(), bytes}};
        const ssize_t w = ::writev(fd.get(), parts, 2);
        if (w < 0) fail_errno("writev");
        // Short writes are not expected for regular files; finish one with write(2) if it happens.
        const auto done = static_cast<std::size_t>(w);
        if (done < sizeof header) fail_errno("writev: short write");
        if (done < sizeof header + bytes)
            write_all(fd.get(), reinterpret_cast<const char*>(a.data()) + (done - sizeof header),
                      bytes - (done - sizeof header));
    }
    fd.close();
    const double ns = elapsed_ns(start);
    a(0) = 0;
    return ns;
}

void add_raw_records(Tally& t, const std::byte* p, std::size_t bytes) {
    require(bytes % raw_record_bytes == 0, "raw file: partial record");
    for (std::size_t off = 0; off < bytes; off += raw_record_bytes) {
        std::int64_t ts;
        std::memcpy(&ts, p + off, sizeof ts);
        t.add(ts, p + off + sizeof ts, payload_bytes);
    }
}

constexpr std::size_t raw_block_records = 1024;  // 72 KiB per read

Tally fread_small(const fs::path& file) {
    std::vector<char> buffer(64 * KiB);
    std::FILE* f = std::fopen(file.c_str(), "rb");
    if (f == nullptr) fail_errno("fopen '" + file.string() + "'");
    std::setvbuf(f, buffer.data(), _IOFBF, buffer.size());
    Tally t;
    std::byte record[raw_record_bytes];
    while (std::fread(record, raw_record_bytes, 1, f) == 1) add_raw_records(t, record, raw_record_bytes);
    std::fclose(f);
    return t;
}

Tally read2_small(const fs::path& file) {
    Fd fd(file, O_RDONLY);
    std::vector<std::byte> buffer(raw_block_records * raw_record_bytes);
    Tally t;
    for (std::size_t got; (got = read_full(fd.get(), buffer.data(), buffer.size())) != 0;)
        add_raw_records(t, buffer.data(), got);
    return t;
}

Tally pread_small(const fs::path& file) {
    Fd fd(file, O_RDONLY);
    std::vector<std::byte> buffer(raw_block_records * raw_record_bytes);
    Tally t;
    std::uint64_t offset = 0;
    for (std::size_t got; (got = pread_full(fd.get(), buffer.data(), buffer.size(), offset)) != 0; offset += got)
        add_raw_records(t, buffer.data(), got);
    return t;
}

/// The raw large file holds the payloads only: record r's timestamp is implied.
Tally read2_large(const fs::path& file) {
    Fd fd(file, O_RDONLY);
    const std::size_t bytes = config().large_bytes;
    std::vector<double> buffer(bytes / sizeof(double));
    Tally t;
    for (std::uint64_t r = 0;; ++r) {
        const std::size_t got = read_full(fd.get(), buffer.data(), bytes);
        if (got == 0) break;
        require(got == bytes, "raw large file: partial record");
        t.add(timestamp_of(r), buffer.data(), bytes);
    }
    return t;
}

/// Reads back what writev_large wrote.
Tally read_framed_large(const fs::path& file) {
    Fd fd(file, O_RDONLY);
    const std::size_t bytes = config().large_bytes;
    std::vector<double> buffer(bytes / sizeof(double));
    Tally t;
    for (;;) {
        std::int64_t header[8];
        const std::size_t got = read_full(fd.get(), header, sizeof header);
        if (got == 0) break;
        require(got == sizeof header && read_full(fd.get(), buffer.data(), bytes) == bytes,
                "framed large file: partial record");
        t.add(header[0], buffer.data(), bytes);
    }
    return t;
}

// ------------------------------------------------------------------ the files read

struct DataFiles {
    fs::path dir;
    fs::path tinman_bytes, tinman_doubles, tinman_large;  // log directories
    fs::path mcap_chunked, mcap_unchunked, mcap_large, raw_small, raw_large;
    std::vector<std::uint64_t> mcap_offsets;  // file offset of each message of mcap_unchunked: a hand-made index
    bool small_written = false, large_written = false;
};

DataFiles& data() {
    static DataFiles d = [] {
        DataFiles f;
        f.dir = fresh_dir("mcap-data");
        f.tinman_bytes = f.dir / "tinman-bytes";
        f.tinman_doubles = f.dir / "tinman-doubles";
        f.tinman_large = f.dir / "tinman-large";
        f.mcap_chunked = f.dir / "chunked.mcap";
        f.mcap_unchunked = f.dir / "unchunked.mcap";
        f.mcap_large = f.dir / "large.mcap";
        f.raw_small = f.dir / "records.bin";
        f.raw_large = f.dir / "large.bin";
        return f;
    }();
    return d;
}

void sync_files(const fs::path& p) {
    for (const auto& f : files_under(p)) {
        Fd fd(f, O_RDONLY);
        if (::fdatasync(fd.get()) != 0) fail_errno("fdatasync '" + f.string() + "'");
    }
}

/// The N-record files, written (and synced) once.
const DataFiles& small_files() {
    DataFiles& d = data();
    if (d.small_written) return d;
    const std::size_t n = config().records;
    tinman_write_small<tinman::BytesCodec>(d.tinman_bytes, "bytes", n);
    tinman_write_small<tinman::NdArrayCodec<double>>(d.tinman_doubles, "doubles", n);
    mcap_write_small(d.mcap_chunked, n, {true, true});  // MCAP's defaults, uncompressed
    mcap_write_small(d.mcap_unchunked, n, {false, false});
    fwrite_small(d.raw_small, n);
    for (const auto& p : {d.tinman_bytes, d.tinman_doubles, d.mcap_chunked, d.mcap_unchunked, d.raw_small})
        sync_files(p);
    sync_directory(d.dir);
    with_mcap(d.mcap_unchunked, McapInput::file, [&](mcap::McapReader& reader) {
        for (const auto& view : reader.readMessages()) d.mcap_offsets.push_back(view.messageOffset.offset);
    });
    require(d.mcap_offsets.size() == n, "MCAP index: wrong message count");
    d.small_written = true;
    return d;
}

const DataFiles& large_files() {
    DataFiles& d = data();
    if (d.large_written) return d;
    const std::size_t n = config().large_records;
    tinman_write_large(d.tinman_large, n);
    mcap_write_large(d.mcap_large, n, {false, false});
    write2_large(d.raw_large, n);
    for (const auto& p : {d.tinman_large, d.mcap_large, d.raw_large}) sync_files(p);
    sync_directory(d.dir);
    d.large_written = true;
    return d;
}

// ------------------------------------------------------------------ workloads

enum class Kind { tinman, mcap, baseline };
enum class Figure { records_per_s, bytes_per_s, latency };
enum class Cache { none, cold, warm };

struct Contender {
    std::string key;
    std::string label;  // in the detail table and the summary
    std::string tag;    // short, in the side-by-side table
    Kind kind;
    std::vector<fs::path> files;              // what it reads: dropped (cold) or cached (warm) first
    std::function<double(bool warm_up)> run;  // ns of the timed part; checks its own result
    bool judged = false;                      // a tinman figure held to the workload's target
};

struct Workload {
    std::string key;
    std::string label;
    Figure figure;
    double amount;  // per run: records, bytes, or operations (latency: ns per operation)
    Cache cache;
    double target;         // tinman / best MCAP
    std::string baseline;  // key of the baseline shown beside tinman ("a|b": the faster of the two)
    std::vector<Contender> contenders = {};

    std::map<std::string, std::vector<double>> ns = {};  // per contender, one per round
    std::size_t worst_residue = 0;  // cold: bytes still cached after dropping; warm: bytes not cached
};

/// Writes the files the workload reads, if not done yet.
void prepare(const Workload& w) {
    if (w.key.starts_with("read_large")) large_files();
    else if (!w.key.starts_with("write") && w.key != "open_write") small_files();
}

std::string count_name(std::size_t n) {
    if (n >= 1'000'000 && n % 1'000'000 == 0) return std::to_string(n / 1'000'000) + "M";
    if (n >= 1'000 && n % 1'000 == 0) return std::to_string(n / 1'000) + "k";
    return std::to_string(n);
}

/// A fresh directory for one write run, removed (with its unwritten pages) afterwards.
fs::path write_dir() { return fresh_dir("mcap-write"); }

/// Checks a file written by a contender, in the warm-up round (the read-back is not timed).
void check_written(bool warm_up, const std::function<Tally()>& read_back, const Tally& want, const std::string& who) {
    if (warm_up) require_tally(read_back(), want, who + " (read back)");
}

Workload write_small_workload() {
    const std::size_t n = config().records;
    Workload w{.key = "write_small",
               .label = "write " + count_name(n) + " x 64 B records",
               .figure = Figure::records_per_s,
               .amount = static_cast<double>(n),
               .cache = Cache::none,
               .target = 2.0,
               .baseline = "fwrite"};
    const Tally want = expect_small(0, n);
    auto tinman = [=](auto codec, const char* name) {
        using C = decltype(codec);
        return [=](bool warm_up) {
            const fs::path dir = write_dir();
            const double ns = tinman_write_small<C>(dir, name, n);
            check_written(
                warm_up, [&] { return tinman_read<C>(dir, name, {}); }, want, name);
            fs::remove_all(dir);
            return ns;
        };
    };
    auto mcap = [=](McapVariant v) {
        return [=](bool warm_up) {
            const fs::path dir = write_dir();
            const double ns = mcap_write_small(dir / "w.mcap", n, v);
            check_written(
                warm_up, [&] { return mcap_read(dir / "w.mcap", McapInput::file); }, want, "MCAP");
            fs::remove_all(dir);
            return ns;
        };
    };
    auto raw = [=](auto write) {
        return [=](bool warm_up) {
            const fs::path dir = write_dir();
            const double ns = write(dir / "w.bin", n);
            check_written(
                warm_up, [&] { return read2_small(dir / "w.bin"); }, want, "raw");
            fs::remove_all(dir);
            return ns;
        };
    };
    w.contenders = {
        {"tinman_bytes", "tinman BytesCodec", "bytes", Kind::tinman, {}, tinman(tinman::BytesCodec{}, "bytes"), true},
        {"tinman_doubles",
         "tinman NdArrayCodec<double>, 8 doubles",
         "8 doubles",
         Kind::tinman,
         {},
         tinman(tinman::NdArrayCodec<double>{}, "doubles"),
         true},
        {"mcap_chunked", "MCAP chunked, CRC off", "chunked, CRC off", Kind::mcap, {}, mcap({true, false})},
        {"mcap_chunked_crc", "MCAP chunked, chunk CRC", "chunked, CRC", Kind::mcap, {}, mcap({true, true})},
        {"mcap_unchunked", "MCAP unchunked, no CRC", "unchunked", Kind::mcap, {}, mcap({false, false})},
        {"fwrite", "fwrite, 64 KiB buffer", "fwrite", Kind::baseline, {}, raw(fwrite_small)},
        {"write2", "write(2), 64 KiB batches", "write(2)", Kind::baseline, {}, raw(write2_small)},
    };
    return w;
}

Workload read_small_workload(Cache cache) {
    const DataFiles& d = data();
    const std::size_t n = config().records;
    const bool warm = cache == Cache::warm;
    Workload w{.key = warm ? "read_small_warm" : "read_small_cold",
               .label = "read all " + count_name(n) + " x 64 B, " + (warm ? "warm" : "cold"),
               .figure = Figure::records_per_s,
               .amount = static_cast<double>(n),
               .cache = cache,
               .target = warm ? 2.0 : 1.0,
               .baseline = "fread"};
    const Tally want = expect_small(0, n);
    auto check = [=](const std::string& who, auto read) {
        return [=](bool) {
            const auto start = Clock::now();
            const Tally t = read();
            const double ns = elapsed_ns(start);
            require_tally(t, want, who);
            return ns;
        };
    };
    const auto normal = read_options(tinman::ReadAhead::normal);
    w.contenders = {
        {"tinman_bytes",
         "tinman BytesCodec",
         "bytes",
         Kind::tinman,
         {d.tinman_bytes},
         check("tinman bytes", [=, &d] { return tinman_read<tinman::BytesCodec>(d.tinman_bytes, "bytes", normal); }),
         true},
        {"tinman_doubles",
         "tinman NdArrayCodec<double> (xarray views)",
         "doubles",
         Kind::tinman,
         {d.tinman_doubles},
         check("tinman doubles",
               [=, &d] { return tinman_read<tinman::NdArrayCodec<double>>(d.tinman_doubles, "doubles", normal); }),
         true},
        {"tinman_rank1",
         "tinman NdArrayCodec<double, 1> (rank-1 views)",
         "rank 1",
         Kind::tinman,
         {d.tinman_doubles},
         check("tinman rank 1",
               [=, &d] { return tinman_read<tinman::NdArrayCodec<double, 1>>(d.tinman_doubles, "doubles", normal); }),
         true},
        {"tinman_any",
         "tinman AnyArrayCodec (AnyArray, as<double>())",
         "AnyArray",
         Kind::tinman,
         {d.tinman_doubles},
         check("tinman AnyArray",
               [=, &d] { return tinman_read<tinman::AnyArrayCodec>(d.tinman_doubles, "doubles", normal); }),
         true},
    };
    if (warm) {
        const auto unverified = read_options(tinman::ReadAhead::normal, false);
        w.contenders.push_back({"tinman_bytes_unverified",
                                "tinman BytesCodec, checksums off",
                                "bytes, no CRC",
                                Kind::tinman,
                                {d.tinman_bytes},
                                check("tinman bytes, checksums off", [=, &d] {
                                    return tinman_read<tinman::BytesCodec>(d.tinman_bytes, "bytes", unverified);
                                })});
    } else {
        const auto sequential = read_options(tinman::ReadAhead::sequential);
        w.contenders.push_back({"tinman_bytes_sequential",
                                "tinman BytesCodec, ReadAhead::sequential",
                                "bytes, sequential",
                                Kind::tinman,
                                {d.tinman_bytes},
                                check("tinman bytes, sequential", [=, &d] {
                                    return tinman_read<tinman::BytesCodec>(d.tinman_bytes, "bytes", sequential);
                                })});
    }
    const std::vector<Contender> others = {
        {"mcap_file",
         "MCAP chunked, FILE* reader",
         "chunked, FILE*",
         Kind::mcap,
         {d.mcap_chunked},
         check("MCAP FILE*", [=, &d] { return mcap_read(d.mcap_chunked, McapInput::file); })},
        {"mcap_mmap",
         "MCAP chunked, BufferReader over mmap",
         "chunked, mmap",
         Kind::mcap,
         {d.mcap_chunked},
         check("MCAP mmap", [=, &d] { return mcap_read(d.mcap_chunked, McapInput::mapping); })},
        {"fread",
         "fread, 64 KiB buffer, per record",
         "fread",
         Kind::baseline,
         {d.raw_small},
         check("fread", [=, &d] { return fread_small(d.raw_small); })},
        {"read2",
         "read(2), 72 KiB blocks",
         "read(2)",
         Kind::baseline,
         {d.raw_small},
         check("read(2)", [=, &d] { return read2_small(d.raw_small); })},
        {"pread",
         "pread, 72 KiB blocks",
         "pread",
         Kind::baseline,
         {d.raw_small},
         check("pread", [=, &d] { return pread_small(d.raw_small); })},
    };
    w.contenders.insert(w.contenders.end(), others.begin(), others.end());
    return w;
}

Workload write_large_workload() {
    const std::size_t n = config().large_records;
    const double bytes = static_cast<double>(n * config().large_bytes);
    Workload w{.key = "write_large",
               .label = "write " + std::to_string(n) + " x " + size_name(config().large_bytes) + " records",
               .figure = Figure::bytes_per_s,
               .amount = bytes,
               .cache = Cache::none,
               .target = 1.0,
               .baseline = "write2|writev"};
    const Tally want = expect_large(n);
    auto mcap = [=](McapVariant v) {
        return [=](bool warm_up) {
            const fs::path dir = write_dir();
            const double ns = mcap_write_large(dir / "w.mcap", n, v);
            check_written(
                warm_up, [&] { return mcap_read(dir / "w.mcap", McapInput::file); }, want, "MCAP");
            fs::remove_all(dir);
            return ns;
        };
    };
    w.contenders = {
        {"tinman",
         "tinman NdArrayCodec<double>, checksummed",
         "checksummed",
         Kind::tinman,
         {},
         [=](bool warm_up) {
             const fs::path dir = write_dir();
             const double ns = tinman_write_large(dir, n);
             check_written(
                 warm_up, [&] { return tinman_read<tinman::NdArrayCodec<double>>(dir, "large", {}); }, want, "tinman");
             fs::remove_all(dir);
             return ns;
         },
         true},
        {"mcap_unchunked", "MCAP unchunked, no CRC", "unchunked, no CRC", Kind::mcap, {}, mcap({false, false})},
        {"mcap_unchunked_crc", "MCAP unchunked, data CRC", "unchunked, CRC", Kind::mcap, {}, mcap({false, true})},
        {"write2",
         "write(2), one call per record",
         "write(2)",
         Kind::baseline,
         {},
         [=](bool warm_up) {
             const fs::path dir = write_dir();
             const double ns = write2_large(dir / "w.bin", n);
             check_written(
                 warm_up, [&] { return read2_large(dir / "w.bin"); }, want, "write(2)");
             fs::remove_all(dir);
             return ns;
         }},
        {"writev",
         "writev(2) of a 64 B header + the array, per record",
         "writev(2)",
         Kind::baseline,
         {},
         [=](bool warm_up) {
             const fs::path dir = write_dir();
             const double ns = writev_large(dir / "w.bin", n);
             check_written(
                 warm_up, [&] { return read_framed_large(dir / "w.bin"); }, want, "writev(2)");
             fs::remove_all(dir);
             return ns;
         }},
    };
    return w;
}

Workload read_large_workload(Cache cache) {
    const DataFiles& d = data();
    const std::size_t n = config().large_records;
    const bool warm = cache == Cache::warm;
    Workload w{.key = warm ? "read_large_warm" : "read_large_cold",
               .label = "read + sum " + std::to_string(n) + " x " + size_name(config().large_bytes) + ", " +
                        (warm ? "warm" : "cold"),
               .figure = Figure::bytes_per_s,
               .amount = static_cast<double>(n * config().large_bytes),
               .cache = cache,
               .target = 1.0,
               .baseline = "read2"};
    const Tally want = expect_large(n);
    auto check = [=](const std::string& who, auto read) {
        return [=](bool) {
            const auto start = Clock::now();
            const Tally t = read();
            const double ns = elapsed_ns(start);
            require_tally(t, want, who);
            return ns;
        };
    };
    using Codec = tinman::NdArrayCodec<double>;
    const auto normal = read_options(tinman::ReadAhead::normal);
    const auto sequential = read_options(tinman::ReadAhead::sequential);
    w.contenders = {
        {"tinman",
         "tinman NdArrayCodec<double>",
         "default",
         Kind::tinman,
         {d.tinman_large},
         check("tinman", [=, &d] { return tinman_read<Codec>(d.tinman_large, "large", normal); }),
         true},
        {"tinman_sequential",
         "tinman, ReadAhead::sequential",
         "sequential",
         Kind::tinman,
         {d.tinman_large},
         check("tinman sequential", [=, &d] { return tinman_read<Codec>(d.tinman_large, "large", sequential); })},
        {"mcap_file",
         "MCAP unchunked, FILE* reader",
         "FILE*",
         Kind::mcap,
         {d.mcap_large},
         check("MCAP FILE*", [=, &d] { return mcap_read(d.mcap_large, McapInput::file); })},
        {"mcap_mmap",
         "MCAP unchunked, BufferReader over mmap",
         "mmap",
         Kind::mcap,
         {d.mcap_large},
         check("MCAP mmap", [=, &d] { return mcap_read(d.mcap_large, McapInput::mapping); })},
        {"read2",
         "read(2), one call per record",
         "read(2)",
         Kind::baseline,
         {d.raw_large},
         check("read(2)", [=, &d] { return read2_large(d.raw_large); })},
    };
    return w;
}

/// A contender that repeats `op` `reps` times in its timed part.
std::function<double(bool)> repeated(int reps, std::function<void()> op) {
    return [reps, op = std::move(op)](bool) {
        const auto start = Clock::now();
        for (int k = 0; k < reps; ++k) op();
        return elapsed_ns(start);
    };
}

Workload summary_workload() {
    const DataFiles& d = data();
    const std::size_t n = config().records;
    const int reps = config().summary_reps;
    Workload w{.key = "summary",
               .label = "summary of a " + count_name(n) + "-record file",
               .figure = Figure::latency,
               .amount = static_cast<double>(reps),
               .cache = Cache::warm,
               .target = 1.0,
               .baseline = "pread"};
    const std::int64_t last = timestamp_of(n - 1);
    auto mcap = [=](const fs::path& file, McapInput input) {
        return [=] {
            with_mcap(file, input, [&](mcap::McapReader& reader) {
                require_ok(reader.readSummary(mcap::ReadSummaryMethod::NoFallbackScan), "MCAP summary");
                const auto& s = reader.statistics();
                require(s && s->messageCount == n && s->messageStartTime == static_cast<mcap::Timestamp>(t0) &&
                            s->messageEndTime == static_cast<mcap::Timestamp>(last),
                        "MCAP summary: wrong statistics");
            });
        };
    };
    w.contenders = {
        {"tinman_info",
         "tinman ObLogReader(dir).info(name)",
         "info()",
         Kind::tinman,
         {d.tinman_bytes},
         repeated(reps,
                  [=, &d] {
                      const auto info = tinman::ObLogReader{d.tinman_bytes}.info("bytes");
                      require(info.records == n && info.first_timestamp == t0 && info.last_timestamp == last,
                              "tinman info: wrong summary");
                  }),
         true},
        {"tinman_channel_infos",
         "tinman ObLogReader(dir).channel_infos()",
         "channel_infos()",
         Kind::tinman,
         {d.tinman_bytes},
         repeated(reps,
                  [=, &d] {
                      const auto infos = tinman::ObLogReader{d.tinman_bytes}.channel_infos();
                      require(infos.size() == 1 && infos[0].records == n && infos[0].last_timestamp == last,
                              "tinman channel_infos: wrong summary");
                  }),
         true},
        {"mcap_chunked_file",
         "MCAP chunked, FILE*: open + readSummary",
         "chunked, FILE*",
         Kind::mcap,
         {d.mcap_chunked},
         repeated(reps, mcap(d.mcap_chunked, McapInput::file))},
        {"mcap_chunked_mmap",
         "MCAP chunked, mmap: open + readSummary",
         "chunked, mmap",
         Kind::mcap,
         {d.mcap_chunked},
         repeated(reps, mcap(d.mcap_chunked, McapInput::mapping))},
        {"mcap_unchunked_file",
         "MCAP unchunked, FILE*: open + readSummary",
         "unchunked, FILE*",
         Kind::mcap,
         {d.mcap_unchunked},
         repeated(reps, mcap(d.mcap_unchunked, McapInput::file))},
        // The least any format can do: the file size gives the count, two reads the time range.
        {"pread",
         "open + fstat + pread first and last record",
         "open + 2 preads",
         Kind::baseline,
         {d.raw_small},
         repeated(reps,
                  [=, &d] {
                      Fd fd(d.raw_small, O_RDONLY);
                      struct stat st {};
                      if (::fstat(fd.get(), &st) != 0) fail_errno("fstat");
                      const auto size = static_cast<std::uint64_t>(st.st_size);
                      std::int64_t first_ts = 0, last_ts = 0;
                      pread_all(fd.get(), &first_ts, sizeof first_ts, 0);
                      pread_all(fd.get(), &last_ts, sizeof last_ts, size - raw_record_bytes);
                      require(size / raw_record_bytes == n && first_ts == t0 && last_ts == last,
                              "raw summary: wrong values");
                  })},
    };
    return w;
}

Workload first_record_workload() {
    const DataFiles& d = data();
    const int reps = config().first_record_reps;
    Workload w{.key = "first_record",
               .label = "time to first record (open + read it)",
               .figure = Figure::latency,
               .amount = static_cast<double>(reps),
               .cache = Cache::warm,
               .target = 1.0,
               .baseline = "pread"};
    const Tally want = expect_small(0, 1);
    auto mcap = [=](const fs::path& file, McapInput input) {
        return [=] {
            Tally t;
            with_mcap(file, input, [&](mcap::McapReader& reader) {
                auto view = reader.readMessages();
                const auto it = view.begin();
                require(it != view.end(), "MCAP: no message");
                add_message(t, it->message);
            });
            require_tally(t, want, "MCAP first record");
        };
    };
    w.contenders = {
        {"tinman_read_channel",
         "tinman read_channel(name).begin()",
         "read_channel",
         Kind::tinman,
         {d.tinman_bytes},
         repeated(reps,
                  [=, &d] {
                      const tinman::ObLogReader reader{d.tinman_bytes};
                      Tally t;
                      for (auto&& [ts, v] : reader.read_channel<tinman::BytesCodec>("bytes")) {
                          add_value(t, ts, v);
                          break;
                      }
                      require_tally(t, want, "tinman first record");
                  }),
         true},
        {"tinman_indexed",
         "tinman indexed_channel(name).front()",
         "indexed front()",
         Kind::tinman,
         {d.tinman_bytes},
         repeated(reps,
                  [=, &d] {
                      const tinman::ObLogReader reader{d.tinman_bytes};
                      const auto record = reader.indexed_channel<tinman::BytesCodec>("bytes").front();
                      Tally t;
                      add_value(t, record.timestamp, record.value);
                      require_tally(t, want, "tinman first record");
                  }),
         true},
        {"mcap_chunked_file",
         "MCAP chunked, FILE*",
         "chunked, FILE*",
         Kind::mcap,
         {d.mcap_chunked},
         repeated(reps, mcap(d.mcap_chunked, McapInput::file))},
        {"mcap_chunked_mmap",
         "MCAP chunked, mmap",
         "chunked, mmap",
         Kind::mcap,
         {d.mcap_chunked},
         repeated(reps, mcap(d.mcap_chunked, McapInput::mapping))},
        {"mcap_unchunked_file",
         "MCAP unchunked, FILE*",
         "unchunked, FILE*",
         Kind::mcap,
         {d.mcap_unchunked},
         repeated(reps, mcap(d.mcap_unchunked, McapInput::file))},
        {"mcap_unchunked_mmap",
         "MCAP unchunked, mmap",
         "unchunked, mmap",
         Kind::mcap,
         {d.mcap_unchunked},
         repeated(reps, mcap(d.mcap_unchunked, McapInput::mapping))},
        {"pread",
         "open + pread of one raw record",
         "open + pread",
         Kind::baseline,
         {d.raw_small},
         repeated(reps,
                  [=, &d] {
                      Fd fd(d.raw_small, O_RDONLY);
                      std::byte record[raw_record_bytes];
                      pread_all(fd.get(), record, sizeof record, 0);
                      Tally t;
                      add_raw_records(t, record, sizeof record);
                      require_tally(t, want, "raw first record");
                  })},
    };
    return w;
}

Workload time_window_workload() {
    const DataFiles& d = data();
    const std::size_t n = config().records;
    const int reps = config().window_reps;
    const std::uint64_t first = n / 2, count = n / 100;
    const std::int64_t from = timestamp_of(first), to = timestamp_of(first + count);
    Workload w{.key = "time_window",
               .label = "1 % of " + count_name(n) + " records by time",
               .figure = Figure::latency,
               .amount = static_cast<double>(reps),
               .cache = Cache::warm,
               .target = 1.0,
               .baseline = "pread"};
    const Tally want = expect_small(first, count);
    auto mcap = [=, &d](McapInput input) {
        return [=, &d] {
            require_tally(mcap_read(d.mcap_chunked, input, true, static_cast<mcap::Timestamp>(from),
                                    static_cast<mcap::Timestamp>(to)),
                          want, "MCAP time window");
        };
    };
    w.contenders = {
        {"tinman",
         "tinman read_channel(name, from, to)",
         "read_channel(from, to)",
         Kind::tinman,
         {d.tinman_bytes},
         repeated(reps,
                  [=, &d] {
                      const tinman::ObLogReader reader{d.tinman_bytes};
                      Tally t;
                      for (auto&& [ts, v] : reader.read_channel<tinman::BytesCodec>("bytes", tinman::TimeRange{from, to}))
                          add_value(t, ts, v);
                      require_tally(t, want, "tinman time window");
                  }),
         true},
        {"mcap_file",
         "MCAP chunked, FILE*: readSummary + readMessages(from, to)",
         "chunked, FILE*",
         Kind::mcap,
         {d.mcap_chunked},
         repeated(reps, mcap(McapInput::file))},
        {"mcap_mmap",
         "MCAP chunked, mmap: readSummary + readMessages(from, to)",
         "chunked, mmap",
         Kind::mcap,
         {d.mcap_chunked},
         repeated(reps, mcap(McapInput::mapping))},
        {"pread",
         "open + one pread of the range (offsets known)",
         "pread of the range",
         Kind::baseline,
         {d.raw_small},
         repeated(reps,
                  [=, &d] {
                      Fd fd(d.raw_small, O_RDONLY);
                      std::vector<std::byte> buffer(count * raw_record_bytes);
                      pread_all(fd.get(), buffer.data(), buffer.size(), first * raw_record_bytes);
                      Tally t;
                      add_raw_records(t, buffer.data(), buffer.size());
                      require_tally(t, want, "raw time window");
                  })},
    };
    return w;
}

Workload random_workload() {
    const DataFiles& d = data();
    const std::size_t n = config().records, reads = config().random_reads;
    std::vector<std::uint64_t> indices(reads);
    std::mt19937_64 rng(42);
    for (auto& i : indices) i = rng() % n;
    Workload w{.key = "random_cold",
               .label = "record #i, " + std::to_string(reads) + " random i, cold",
               .figure = Figure::latency,
               .amount = static_cast<double>(reads),
               .cache = Cache::cold,
               .target = 1.0,
               .baseline = "pread"};
    const Tally want = expect_small(indices);
    auto tinman = [=, &d](tinman::ReadAhead access) {
        return [=, &d](bool) {
            const auto start = Clock::now();
            const tinman::ObLogReader reader{d.tinman_bytes};
            const auto channel = reader.indexed_channel<tinman::BytesCodec>("bytes", {}, read_options(access));
            Tally t;
            for (std::uint64_t i : indices) {
                const auto record = channel[i];
                add_value(t, record.timestamp, record.value);
            }
            const double ns = elapsed_ns(start);
            require_tally(t, want, "tinman random");
            return ns;
        };
    };
    // MCAP has no per-message index in an unchunked file: offsets from a scan, held in memory.
    auto mcap = [=, &d](McapInput input) {
        return [=, &d](bool) {
            Tally t;
            const auto start = Clock::now();
            with_mcap(d.mcap_unchunked, input, [&](mcap::McapReader& reader) {
                mcap::Record record{};
                mcap::Message message{};
                for (std::uint64_t i : indices) {
                    require_ok(mcap::McapReader::ReadRecord(*reader.dataSource(), d.mcap_offsets[i], &record),
                               "MCAP record");
                    require_ok(mcap::McapReader::ParseMessage(record, &message), "MCAP message");
                    add_message(t, message);
                }
            });
            const double ns = elapsed_ns(start);
            require_tally(t, want, "MCAP random");
            return ns;
        };
    };
    w.contenders = {
        {"tinman",
         "tinman indexed_channel(name)[i]",
         "indexed_channel[i]",
         Kind::tinman,
         {d.tinman_bytes},
         tinman(tinman::ReadAhead::normal),
         true},
        {"tinman_random",
         "tinman indexed_channel[i], ReadAhead::random",
         "ReadAhead::random",
         Kind::tinman,
         {d.tinman_bytes},
         tinman(tinman::ReadAhead::random)},
        {"mcap_file",
         "MCAP unchunked, FILE*, hand-made index of offsets",
         "FILE*, hand-made index",
         Kind::mcap,
         {d.mcap_unchunked},
         mcap(McapInput::file)},
        {"mcap_mmap",
         "MCAP unchunked, mmap, hand-made index of offsets",
         "mmap, hand-made index",
         Kind::mcap,
         {d.mcap_unchunked},
         mcap(McapInput::mapping)},
        {"pread",
         "open + pread of each raw record",
         "pread",
         Kind::baseline,
         {d.raw_small},
         [=, &d](bool) {
             const auto start = Clock::now();
             Fd fd(d.raw_small, O_RDONLY);
             Tally t;
             std::byte record[raw_record_bytes];
             for (std::uint64_t i : indices) {
                 pread_all(fd.get(), record, sizeof record, i * raw_record_bytes);
                 add_raw_records(t, record, sizeof record);
             }
             const double ns = elapsed_ns(start);
             require_tally(t, want, "raw random");
             return ns;
         }},
    };
    return w;
}

Workload open_workload() {
    const int reps = config().open_reps;
    Workload w{.key = "open_write",
               .label = "open a channel for writing",
               .figure = Figure::latency,
               .amount = static_cast<double>(reps),
               .cache = Cache::none,
               .target = 1.0,
               .baseline = "open2"};
    std::vector<std::string> names;
    for (int k = 0; k < reps; ++k) names.push_back("c" + std::to_string(k));
    // Each opens `reps` channels (files) in a fresh directory and keeps them open; only the opens are timed.
    auto raw = [=](bool durable) {
        return [=](bool) {
            const fs::path dir = write_dir();
            std::vector<std::unique_ptr<Fd>> files;
            const std::byte header[64] = {};
            double ns = 0;
            for (const auto& name : names) {
                const auto start = Clock::now();
                auto fd = std::make_unique<Fd>(dir / name, O_WRONLY | O_CREAT | O_EXCL);
                write_all(fd->get(), header, sizeof header);
                if (durable) {
                    if (::fdatasync(fd->get()) != 0) fail_errno("fdatasync");
                    sync_directory(dir);
                }
                ns += elapsed_ns(start);
                files.push_back(std::move(fd));
            }
            files.clear();
            fs::remove_all(dir);
            return ns;
        };
    };
    auto tinman_open = [=](tinman::CreateSync create_sync) {
        return [=](bool) {
            const fs::path dir = write_dir();
            double ns = 0;
            {
                tinman::ObLogWriter log{dir, tinman::WriterOptions{.create_sync = create_sync}};
                std::vector<tinman::ChannelWriter<tinman::BytesCodec>> writers;
                writers.reserve(names.size());
                for (const auto& name : names) {
                    const auto start = Clock::now();
                    writers.push_back(log.get_writer(name, tinman::BytesCodec{}));
                    ns += elapsed_ns(start);
                }
                log.close();
            }
            fs::remove_all(dir);
            return ns;
        };
    };
    w.contenders = {
        {"tinman",
         "tinman ObLogWriter::get_writer (CreateSync::on_create: header and name synced)",
         "get_writer",
         Kind::tinman,
         {},
         tinman_open(tinman::CreateSync::on_create),
         true},
        {"tinman_lazy",
         "tinman ObLogWriter::get_writer (CreateSync::on_first_sync)",
         "get_writer, synced at first sync()",
         Kind::tinman,
         {},
         tinman_open(tinman::CreateSync::on_first_sync),
         true},
        {"mcap",
         "MCAP open + addSchema + addChannel",
         "open + addSchema + addChannel",
         Kind::mcap,
         {},
         [=](bool) {
             const fs::path dir = write_dir();
             double ns = 0;
             {
                 std::vector<std::unique_ptr<McapChannelWriter>> writers;
                 for (const auto& name : names) {
                     const auto start = Clock::now();
                     writers.push_back(
                         std::make_unique<McapChannelWriter>(dir / (name + ".mcap"), McapVariant{true, false}));
                     ns += elapsed_ns(start);
                 }
             }
             fs::remove_all(dir);
             return ns;
         }},
        {"open2", "open(2) + write(2) of a 64 B header", "open + write", Kind::baseline, {}, raw(false)},
        {"open2_sync", "same + fdatasync + directory fsync", "open + write + 2 syncs", Kind::baseline, {}, raw(true)},
    };
    return w;
}

// ------------------------------------------------------------------ running and reporting

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

Unit unit_of(Figure f) {
    switch (f) {
    case Figure::records_per_s: return Unit::per_s;
    case Figure::bytes_per_s: return Unit::bytes_per_s;
    case Figure::latency: return Unit::ns;
    }
    return Unit::ns;
}

/// A run's figure: records/s, bytes/s, or ns per operation.
double figure_of(const Workload& w, double ns) {
    return w.figure == Figure::latency ? ns / w.amount : w.amount / (ns * 1e-9);
}

std::string figure_text(const Workload& w, double ns) { return format_value(figure_of(w, ns), unit_of(w.figure)); }

const Contender* find_contender(const Workload& w, const std::string& key) {
    for (const auto& c : w.contenders)
        if (c.key == key) return &c;
    return nullptr;
}

double median_ns(const Workload& w, const Contender& c) { return median(w.ns.at(c.key)); }

/// The workload's baseline: the faster of its alternatives that ran.
const Contender* find_baseline(const Workload& w) {
    const Contender* best = nullptr;
    std::istringstream keys(w.baseline);
    for (std::string key; std::getline(keys, key, '|');)
        if (const Contender* c = find_contender(w, key); c && (!best || median_ns(w, *c) < median_ns(w, *best)))
            best = c;
    return best;
}

/// The MCAP contender with the best median.
const Contender* best_mcap(const Workload& w) {
    const Contender* best = nullptr;
    for (const auto& c : w.contenders)
        if (c.kind == Kind::mcap && (best == nullptr || median_ns(w, c) < median_ns(w, *best))) best = &c;
    return best;
}

/// Runs every contender once, in an order rotated by `round`. Round -1 is a warm-up
/// that checks what the writers wrote and is not counted.
void run_round(std::vector<Workload>& workloads, int round) {
    const bool warm_up = round < 0;
    round = std::max(round, 0);
    const std::size_t nw = workloads.size();
    for (std::size_t k = 0; k < nw; ++k) {
        Workload& w = workloads[(k + static_cast<std::size_t>(round)) % nw];
        const std::size_t nc = w.contenders.size();
        for (std::size_t j = 0; j < nc; ++j) {
            const Contender& c = w.contenders[(j + static_cast<std::size_t>(round)) % nc];
            if (w.cache == Cache::cold) w.worst_residue = std::max(w.worst_residue, make_cold(c.files));
            if (w.cache == Cache::warm) w.worst_residue = std::max(w.worst_residue, make_warm(c.files));
            try {
                const double ns = c.run(warm_up);
                if (!warm_up) w.ns[c.key].push_back(ns);
            } catch (const std::exception& e) {
                throw std::runtime_error(w.key + "/" + c.key + ": " + e.what());
            }
        }
    }
}

void print_details(const std::vector<Workload>& workloads, std::ostream& out) {
    out << "\nmedians of " << config().rounds << " rounds (wall clock; min-max in brackets)\n";
    for (const auto& w : workloads) {
        out << "\n" << w.label;
        if (w.cache == Cache::cold)
            out << "  [after dropping: at most " << size_name(w.worst_residue) << " still cached]";
        if (w.cache == Cache::warm && w.worst_residue)
            out << "  [warm-up left up to " << size_name(w.worst_residue) << " uncached]";
        out << "\n";
        std::size_t width = 0;
        for (const auto& c : w.contenders) width = std::max(width, c.label.size());
        for (const auto& c : w.contenders) {
            const auto& v = w.ns.at(c.key);
            const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
            // For rates the fastest run gives the highest figure.
            const bool latency = w.figure == Figure::latency;
            out << "  " << std::left << std::setw(static_cast<int>(width)) << c.label << "  " << std::setw(14)
                << figure_text(w, median(v)) << " [" << figure_text(w, latency ? *lo : *hi) << " - "
                << figure_text(w, latency ? *hi : *lo) << "]\n";
        }
    }
    out.flush();
}

void summarize(const std::vector<Workload>& workloads, Summary& summary) {
    for (const auto& w : workloads) {
        const Contender* mcap = best_mcap(w);
        const Contender* base = find_baseline(w);
        const Unit unit = unit_of(w.figure);
        for (const auto& c : w.contenders) {
            if (c.kind != Kind::tinman) continue;
            const double t = median_ns(w, c);
            Row row(w.label, c.label, figure_of(w, t), unit);
            if (mcap) {
                const double m = median_ns(w, *mcap);
                row.vs("best MCAP: " + mcap->label, figure_of(w, m), m / t);
                if (c.judged) row.goal(w.target > 1 ? ">= 2x" : ">= 1x", m / t >= w.target);
            }
            summary.add(row);
        }
        // The tinman figures against the plain system calls, where a target says how close they should be.
        if (!base) continue;
        const double b = median_ns(w, *base);
        for (const auto& c : w.contenders) {
            if (c.kind != Kind::tinman || !c.judged) continue;
            const double t = median_ns(w, c);
            Row row(w.label, c.label, figure_of(w, t), unit);
            row.vs(base->label, figure_of(w, b), b / t);
            if (w.key == "write_large") row.goal(">= 0.8x", b / t >= 0.8);
            if (w.key == "read_small_warm" && c.key == "tinman_doubles") row.goal(">= 0.9x", b / t >= 0.9);
            summary.add(row);
        }
        if (w.key == "read_small_warm")
            if (const Contender* c = find_contender(w, "tinman_doubles")) {
                const double rate = figure_of(w, median_ns(w, *c));
                summary.add(Row(w.label, c->label, rate, unit).goal(">= 40 M/s", rate >= 40e6));
            }
    }
}

/// The side-by-side table, as markdown: tinman, the best MCAP variant, the baseline and the ratios.
void print_side_by_side(const std::vector<Workload>& workloads, std::ostream& out) {
    out << "\n== bench_mcap side by side ==\n"
        << "| workload | tinman | best MCAP | tinman vs MCAP | baseline | tinman vs baseline |\n"
        << "|---|---|---|---|---|---|\n";
    auto join = [](const std::vector<std::string>& v, const char* sep) {
        std::string s;
        for (std::size_t i = 0; i < v.size(); ++i) s += (i ? sep : "") + v[i];
        return s;
    };
    for (const auto& w : workloads) {
        const Contender* mcap = best_mcap(w);
        const Contender* base = find_baseline(w);
        std::vector<std::string> figures, vs_mcap, vs_base;
        for (const auto& c : w.contenders) {
            if (c.kind != Kind::tinman || !c.judged) continue;
            const double t = median_ns(w, c);
            figures.push_back(figure_text(w, t) + " (" + c.tag + ")");
            if (mcap) vs_mcap.push_back(format_value(median_ns(w, *mcap) / t, Unit::ratio));
            if (base) vs_base.push_back(format_value(median_ns(w, *base) / t, Unit::ratio));
        }
        out << "| " << w.label << " | " << join(figures, ", ") << " | "
            << (mcap ? figure_text(w, median_ns(w, *mcap)) + " (" + mcap->tag + ")" : "") << " | "
            << join(vs_mcap, " / ") << " | " << (base ? base->tag + ": " + figure_text(w, median_ns(w, *base)) : "")
            << " | " << join(vs_base, " / ") << " |\n";
    }
    out << "ratios: > 1 means tinman is faster (throughput tinman / other, latency other / tinman)\n";
    out.flush();
}

std::string json_string(const std::string& s) {
    std::string out = "\"";
    for (char ch : s) {
        if (ch == '"' || ch == '\\') out += '\\';
        out += ch;
    }
    return out + '"';
}

/// Every round's time of every contender, for a later look (google-benchmark's --benchmark_out).
void write_json(const std::vector<Workload>& workloads, const fs::path& path) {
    std::ofstream out(path);
    if (!out) throw std::runtime_error("cannot write '" + path.string() + "'");
    const Config& c = config();
    out << "{\n  \"context\": {\"program\": \"bench_mcap\", \"rounds\": " << c.rounds << ", \"records\": " << c.records
        << ", \"large_records\": " << c.large_records << ", \"large_bytes\": " << c.large_bytes
        << ", \"quick\": " << (c.quick ? "true" : "false") << ", \"time\": \"wall clock\"},\n  \"benchmarks\": [";
    bool first = true;
    for (const auto& w : workloads)
        for (const auto& ct : w.contenders) {
            const auto& v = w.ns.at(ct.key);
            out << (first ? "\n" : ",\n") << "    {\"name\": " << json_string(w.key + "/" + ct.key)
                << ", \"label\": " << json_string(w.label + ": " + ct.label)
                << ", \"run_type\": \"aggregate\", \"aggregate_name\": \"median\", \"real_time\": " << median(v)
                << ", \"time_unit\": \"ns\", \"per_run\": " << w.amount << ", \"rounds_ns\": [";
            for (std::size_t i = 0; i < v.size(); ++i) out << (i ? ", " : "") << v[i];
            out << "]}";
            first = false;
        }
    out << "\n  ]\n}\n";
}

/// The contenders whose "workload/contender" key matches `filter`, by workload.
std::vector<Workload> make_workloads(const std::regex& filter) {
    using Make = Workload (*)();
    const Make all[] = {
        write_small_workload,
        [] { return read_small_workload(Cache::cold); },
        [] { return read_small_workload(Cache::warm); },
        write_large_workload,
        [] { return read_large_workload(Cache::cold); },
        [] { return read_large_workload(Cache::warm); },
        summary_workload,
        first_record_workload,
        time_window_workload,
        random_workload,
        open_workload,
    };
    std::vector<Workload> out;
    for (Make make : all) {
        Workload w = make();
        std::erase_if(w.contenders,
                      [&](const Contender& c) { return !std::regex_search(w.key + "/" + c.key, filter); });
        if (!w.contenders.empty()) out.push_back(std::move(w));
    }
    return out;
}

int run(int argc, char** argv) {
    std::string filter = ".*", json;
    bool list = false;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        auto value = [&](std::string_view flag) { return std::string(a.substr(flag.size())); };
        if (a.starts_with("--filter=")) filter = value("--filter=");
        else if (a.starts_with("--benchmark_filter=")) filter = value("--benchmark_filter=");
        else if (a.starts_with("--benchmark_out=")) json = value("--benchmark_out=");
        else if (a.starts_with("--benchmark_out_format=")) {
            if (value("--benchmark_out_format=") != "json") throw std::runtime_error("only json output is written");
        } else if (a == "--list") list = true;
        else
            throw std::runtime_error("unknown argument '" + std::string(a) +
                                     "' (flags: --filter=REGEX, --list, --benchmark_out=FILE)");
    }
    const Config& c = config();
    const fs::path& dir = scratch_dir();
    std::cout << "bench_mcap: files in " << dir.string() << " (" << filesystem_of(dir) << ", read-ahead "
              << read_ahead_kib(dir) << " KiB); " << c.records << " small records, " << c.large_records << " x "
              << size_name(c.large_bytes) << ", " << c.rounds << " rounds" << (c.quick ? " (quick)" : "") << "; MCAP "
              << MCAP_LIBRARY_VERSION << std::endl;
    const auto setup = Clock::now();
    std::vector<Workload> workloads = make_workloads(std::regex(filter));
    if (list) {
        for (const auto& w : workloads)
            for (const auto& ct : w.contenders) std::cout << w.key << "/" << ct.key << "  " << ct.label << "\n";
        return 0;
    }
    for (const auto& w : workloads) prepare(w);
    std::cout << "files written in " << format_value(elapsed_ns(setup), Unit::ns) << std::endl;
    for (int r = -1; r < c.rounds; ++r) {
        const auto start = Clock::now();
        run_round(workloads, r);
        std::cout << (r < 0 ? std::string("warm-up round (checks the files written, not counted)")
                            : "round " + std::to_string(r + 1) + "/" + std::to_string(c.rounds))
                  << ": " << format_value(elapsed_ns(start), Unit::ns) << std::endl;
    }
    print_details(workloads, std::cout);
    Summary summary("bench_mcap");
    summarize(workloads, summary);
    summary.print(std::cout);
    summary.write_csv();
    print_side_by_side(workloads, std::cout);
    if (!json.empty()) write_json(workloads, json);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        std::cerr << "bench_mcap: error: " << e.what() << '\n';
        return 1;
    }
}
