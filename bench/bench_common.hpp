#pragma once
/// @file
/// Helpers shared by the tinman benchmarks: a scratch directory on a disk file
/// system, collection of google-benchmark results, a summary table of figures and
/// ratios (printed, and written as CSV to $TINMAN_BENCH_RESULTS/<program>.csv),
/// and a few Linux measurements (RSS, page-cache residency).

#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <malloc.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iomanip>
#include <iostream>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include TINMAN_XTENSOR_HEADER(containers, xtensor.hpp)
#include TINMAN_XTENSOR_HEADER(core, xmath.hpp)
#include TINMAN_XTENSOR_HEADER(io, xnpy.hpp)

namespace tinman_bench {

namespace fs = std::filesystem;

inline constexpr std::size_t KiB = std::size_t{1} << 10;
inline constexpr std::size_t MiB = std::size_t{1} << 20;
inline constexpr std::size_t GiB = std::size_t{1} << 30;

[[noreturn]] inline void fail_errno(const std::string& what) {
    throw std::runtime_error(what + ": " + std::strerror(errno));
}

/// True when environment variable `name` is "1".
inline bool env_flag(const char* name) {
    const char* v = std::getenv(name);
    return v != nullptr && std::string_view(v) == "1";
}

/// TINMAN_BENCH_LARGE=1 adds 1 GiB arrays.
inline bool large_enabled() { return env_flag("TINMAN_BENCH_LARGE"); }

/// "1 KiB", "76 MiB", "1 GiB", "1536 B".
inline std::string size_name(std::size_t bytes) {
    if (bytes >= GiB && bytes % GiB == 0) return std::to_string(bytes / GiB) + " GiB";
    if (bytes >= MiB && bytes % MiB == 0) return std::to_string(bytes / MiB) + " MiB";
    if (bytes >= KiB && bytes % KiB == 0) return std::to_string(bytes / KiB) + " KiB";
    return std::to_string(bytes) + " B";
}

/// `size_name` without spaces, for benchmark names.
inline std::string size_tag(std::size_t bytes) {
    std::string s = size_name(bytes);
    s.erase(std::remove(s.begin(), s.end(), ' '), s.end());
    return s;
}

inline bool is_tmpfs(const fs::path& p) {
    struct statfs s {};
    return ::statfs(p.c_str(), &s) == 0 && static_cast<unsigned long>(s.f_type) == TMPFS_MAGIC;
}

/// Where the benchmarks put their files: a fresh directory under
/// $TINMAN_BENCH_DIR, or else under /var/tmp or /tmp (the first that is not a
/// tmpfs, so that files live on a disk file system). Removed, with everything
/// in it, when the program ends.
class ScratchDir {
public:
    static const fs::path& path() {
        static ScratchDir dir;
        return dir.path_;
    }
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;

private:
    ScratchDir() {
        fs::path base = "/tmp";
        if (const char* env = std::getenv("TINMAN_BENCH_DIR"); env != nullptr && *env != '\0') {
            base = env;
            fs::create_directories(base);
        } else {
            for (const char* candidate : {"/var/tmp", "/tmp"}) {
                std::error_code ec;
                if (fs::is_directory(candidate, ec) && !is_tmpfs(candidate)) {
                    base = candidate;
                    break;
                }
            }
        }
        std::string name = (base / "tinman-bench-XXXXXX").string();
        if (::mkdtemp(name.data()) == nullptr) fail_errno("cannot create a directory under '" + base.string() + "'");
        path_ = name;
    }
    ~ScratchDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    fs::path path_;
};

inline const fs::path& scratch_dir() { return ScratchDir::path(); }

/// A fresh, empty subdirectory of the scratch directory.
inline fs::path fresh_dir(const std::string& name) {
    const fs::path p = scratch_dir() / name;
    fs::remove_all(p);
    fs::create_directories(p);
    return p;
}

/// "ext4 on /dev/vda" for the file system holding `p`, from /proc/self/mountinfo.
inline std::string filesystem_of(const fs::path& p) {
    std::ifstream in("/proc/self/mountinfo");
    const std::string target = fs::weakly_canonical(p).string();
    std::string best_mount, best;
    for (std::string line; std::getline(in, line);) {
        std::istringstream s(line);
        std::string id, parent, devno, root, mount;
        s >> id >> parent >> devno >> root >> mount;
        std::string field;
        while (s >> field && field != "-") {
        }
        std::string type, source;
        s >> type >> source;
        const bool prefix = target.compare(0, mount.size(), mount) == 0 &&
                            (mount == "/" || target.size() == mount.size() || target[mount.size()] == '/');
        if (prefix && mount.size() >= best_mount.size()) {
            best_mount = mount;
            best = type + " on " + source;
        }
    }
    return best.empty() ? "unknown file system" : best;
}

/// The block device read-ahead (KiB) for the file system holding `p`, or -1.
inline long read_ahead_kib(const fs::path& p) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0) return -1;
    const std::string dev = "/sys/dev/block/" + std::to_string(major(st.st_dev)) + ":" + std::to_string(minor(st.st_dev));
    for (const char* rel : {"/queue/read_ahead_kb", "/../queue/read_ahead_kb", "/bdi/read_ahead_kb"}) {
        std::ifstream in(dev + rel);
        long v = -1;
        if (in >> v) return v;
    }
    std::ifstream bdi("/sys/class/bdi/" + std::to_string(major(st.st_dev)) + ":" + std::to_string(minor(st.st_dev)) +
                      "/read_ahead_kb");
    long v = -1;
    if (bdi >> v) return v;
    return -1;
}

/// A field of /proc/self/status in bytes (e.g. "RssAnon", "RssFile"). Reads
/// with plain system calls into a stack buffer so that measuring allocates nothing.
inline std::int64_t proc_status_bytes(std::string_view key) {
    char buf[16384];
    const int fd = ::open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail_errno("cannot open /proc/self/status");
    std::size_t used = 0;
    for (;;) {
        const ssize_t n = ::read(fd, buf + used, sizeof buf - 1 - used);
        if (n <= 0) break;
        used += static_cast<std::size_t>(n);
    }
    ::close(fd);
    buf[used] = '\0';
    const std::string_view text(buf, used);
    const auto at = text.find(std::string(key) + ":");
    if (at == std::string_view::npos) throw std::runtime_error("no " + std::string(key) + " in /proc/self/status");
    return std::strtoll(buf + at + key.size() + 1, nullptr, 10) * 1024;
}

inline std::int64_t rss_anon_bytes() { return proc_status_bytes("RssAnon"); }
inline std::int64_t rss_file_bytes() { return proc_status_bytes("RssFile"); }

/// Bytes of [p, p + n) that are in the page cache (mincore over the pages that hold them).
inline std::size_t resident_bytes(const void* p, std::size_t n) {
    if (n == 0) return 0;
    const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
    const auto begin = reinterpret_cast<std::uintptr_t>(p) / page * page;
    const auto end = (reinterpret_cast<std::uintptr_t>(p) + n + page - 1) / page * page;
    std::vector<unsigned char> vec((end - begin) / page);
    if (::mincore(reinterpret_cast<void*>(begin), end - begin, vec.data()) != 0) fail_errno("mincore");
    std::size_t pages = 0;
    for (unsigned char v : vec) pages += v & 1u;
    return pages * page;
}

/// Bytes of file `path` that are in the page cache.
inline std::size_t file_resident_bytes(const fs::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail_errno("cannot open '" + path.string() + "'");
    struct stat st {};
    ::fstat(fd, &st);
    const auto size = static_cast<std::size_t>(st.st_size);
    std::size_t resident = 0;
    if (size != 0) {
        void* m = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
        if (m == MAP_FAILED) fail_errno("mmap");
        resident = resident_bytes(m, size);
        ::munmap(m, size);
    }
    ::close(fd);
    return resident;
}

/// Writes the file's dirty pages to disk and drops all its pages from the page
/// cache (pages mapped by a live mapping stay).
inline void drop_from_page_cache(const fs::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail_errno("cannot open '" + path.string() + "'");
    if (::fdatasync(fd) != 0) fail_errno("fdatasync");
    if (const int rc = ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED); rc != 0) {
        errno = rc;
        fail_errno("posix_fadvise");
    }
    ::close(fd);
}

/// Writes all of [data, data + n) to `fd` with write(2).
inline void write_all(int fd, const void* data, std::size_t n) {
    const auto* p = static_cast<const char*>(data);
    while (n != 0) {
        const ssize_t w = ::write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            fail_errno("write");
        }
        p += w;
        n -= static_cast<std::size_t>(w);
    }
}

/// Reads exactly n bytes at `offset` with pread(2).
inline void pread_all(int fd, void* data, std::size_t n, std::uint64_t offset) {
    auto* p = static_cast<char*>(data);
    while (n != 0) {
        const ssize_t r = ::pread(fd, p, n, static_cast<off_t>(offset));
        if (r < 0) {
            if (errno == EINTR) continue;
            fail_errno("pread");
        }
        if (r == 0) throw std::runtime_error("pread: unexpected end of file");
        p += r;
        n -= static_cast<std::size_t>(r);
        offset += static_cast<std::uint64_t>(r);
    }
}

/// A 1-d float64 array of n elements, a(i) = first + i.
inline xt::xtensor<double, 1> make_array(std::size_t n, double first = 0.0) {
    xt::xtensor<double, 1> a = xt::xtensor<double, 1>::from_shape({n});
    double* p = a.data();
    for (std::size_t i = 0; i < n; ++i) p[i] = first + static_cast<double>(i);
    return a;
}

/// The plain sum of n doubles (the same loop for every reader compared).
inline double sum_of(const double* p, std::size_t n) {
    double s = 0;
    for (std::size_t i = 0; i < n; ++i) s += p[i];
    return s;
}

// ---------------------------------------------------------------- results

/// One benchmark's result: median over its repetitions.
struct Result {
    double ns = 0;  ///< CPU time (user + system) per iteration
    std::map<std::string, double> counters;
    [[nodiscard]] double counter(const std::string& key) const {
        const auto it = counters.find(key);
        return it == counters.end() ? std::numeric_limits<double>::quiet_NaN() : it->second;
    }
};

/// The console reporter, also keeping every run so that the program can compute
/// ratios between benchmarks of the same run.
class Collector : public benchmark::ConsoleReporter {
public:
    void ReportRuns(const std::vector<Run>& runs) override {
        ConsoleReporter::ReportRuns(runs);
        for (const auto& r : runs) {
            if (r.error_occurred) continue;
            const std::string name = r.run_name.function_name;
            Result x;
            x.ns = r.GetAdjustedCPUTime() / benchmark::GetTimeUnitMultiplier(r.time_unit) * 1e9;
            for (const auto& [k, c] : r.counters) x.counters[k] = c.value;
            if (r.run_type == Run::RT_Aggregate) {
                if (r.aggregate_name == "median") medians_[name] = x;
            } else {
                runs_[name].push_back(x);
            }
        }
    }

    /// The median of the runs of benchmark `name` (as registered), if it ran.
    [[nodiscard]] std::optional<Result> get(const std::string& name) const {
        if (const auto it = runs_.find(name); it != runs_.end() && !it->second.empty()) {
            const auto& v = it->second;
            Result out;
            out.ns = median(v, [](const Result& r) { return r.ns; });
            for (const auto& [k, c] : v.front().counters) {
                (void)c;
                out.counters[k] = median(v, [&](const Result& r) { return r.counter(k); });
            }
            return out;
        }
        if (const auto it = medians_.find(name); it != medians_.end()) return it->second;
        return std::nullopt;
    }

private:
    template <class F>
    static double median(const std::vector<Result>& v, F f) {
        std::vector<double> xs;
        for (const auto& r : v) xs.push_back(f(r));
        std::sort(xs.begin(), xs.end());
        const std::size_t n = xs.size();
        return n % 2 ? xs[n / 2] : (xs[n / 2 - 1] + xs[n / 2]) / 2;
    }

    std::map<std::string, std::vector<Result>> runs_;
    std::map<std::string, Result> medians_;
};

// ---------------------------------------------------------------- summary

/// Units of summary values; each is formatted with a suitable prefix.
enum class Unit { ns, bytes, bytes_per_s, per_s, ratio };

inline std::string fixed(double v) {
    char buf[64];
    const double a = std::fabs(v);
    if (a >= 100) std::snprintf(buf, sizeof buf, "%.0f", v);
    else if (a >= 10) std::snprintf(buf, sizeof buf, "%.1f", v);
    else if (a >= 1) std::snprintf(buf, sizeof buf, "%.2f", v);
    else std::snprintf(buf, sizeof buf, "%.3g", v);
    return buf;
}

inline std::string format_value(double v, Unit u) {
    if (std::isnan(v)) return "";
    switch (u) {
    case Unit::ns:
        if (v >= 1e9) return fixed(v / 1e9) + " s";
        if (v >= 1e6) return fixed(v / 1e6) + " ms";
        if (v >= 1e3) return fixed(v / 1e3) + " us";
        return fixed(v) + " ns";
    case Unit::bytes: {
        const double a = std::fabs(v);
        if (a >= static_cast<double>(GiB)) return fixed(v / static_cast<double>(GiB)) + " GiB";
        if (a >= static_cast<double>(MiB)) return fixed(v / static_cast<double>(MiB)) + " MiB";
        if (a >= static_cast<double>(KiB)) return fixed(v / static_cast<double>(KiB)) + " KiB";
        return fixed(v) + " B";
    }
    case Unit::bytes_per_s:
        if (v >= 1e9) return fixed(v / 1e9) + " GB/s";
        return fixed(v / 1e6) + " MB/s";
    case Unit::per_s:
        if (v >= 1e6) return fixed(v / 1e6) + " M/s";
        if (v >= 1e3) return fixed(v / 1e3) + " k/s";
        return fixed(v) + " /s";
    case Unit::ratio: return fixed(v) + "x";
    }
    return fixed(v);
}

inline const char* unit_name(Unit u) {
    switch (u) {
    case Unit::ns: return "ns";
    case Unit::bytes: return "bytes";
    case Unit::bytes_per_s: return "bytes/s";
    case Unit::per_s: return "1/s";
    case Unit::ratio: return "x";
    }
    return "";
}

/// One line of a summary: a tinman figure, optionally a baseline measured in
/// the same run and their ratio (> 1: tinman is faster / higher / smaller, as
/// the row says), a target and whether it is met.
struct Row {
    Row(std::string group_, std::string metric_, double value_, Unit unit_)
        : group(std::move(group_)), metric(std::move(metric_)), value(value_), unit(unit_) {}

    /// Adds the baseline and the ratio of the two.
    Row& vs(std::string baseline_, double baseline_value_, double ratio_) {
        baseline = std::move(baseline_);
        baseline_value = baseline_value_;
        ratio = ratio_;
        return *this;
    }
    /// Adds a target and whether it is met.
    Row& goal(std::string target_, bool met) {
        target = std::move(target_);
        result = met ? "PASS" : "FAIL";
        return *this;
    }
    /// Adds an expectation that is not judged.
    Row& expect(std::string target_) {
        target = std::move(target_);
        return *this;
    }

    std::string group;   ///< what is measured, e.g. "decode 76 MiB"
    std::string metric;  ///< the tinman figure, e.g. "zero-copy decode"
    double value;
    Unit unit;
    std::string baseline;  ///< e.g. "pread copy"
    double baseline_value = std::numeric_limits<double>::quiet_NaN();
    double ratio = std::numeric_limits<double>::quiet_NaN();
    std::string target;  ///< e.g. ">= 1000x"
    std::string result;  ///< "PASS", "FAIL" or empty
};

class Summary {
public:
    explicit Summary(std::string program) : program_(std::move(program)) {}

    void add(Row r) { rows_.push_back(std::move(r)); }
    [[nodiscard]] const std::vector<Row>& rows() const { return rows_; }

    /// Prints an aligned table.
    void print(std::ostream& out) const {
        const std::vector<std::string> head = {"case", "tinman", "value", "baseline", "value", "ratio", "target",
                                               "result"};
        std::vector<std::vector<std::string>> cells;
        for (const auto& r : rows_)
            cells.push_back({r.group, r.metric, format_value(r.value, r.unit), r.baseline,
                             format_value(r.baseline_value, r.unit), format_value(r.ratio, Unit::ratio), r.target,
                             r.result});
        std::vector<std::size_t> width(head.size());
        for (std::size_t i = 0; i < head.size(); ++i) width[i] = head[i].size();
        for (const auto& c : cells)
            for (std::size_t i = 0; i < c.size(); ++i) width[i] = std::max(width[i], c[i].size());
        auto line = [&](const std::vector<std::string>& c) {
            for (std::size_t i = 0; i < c.size(); ++i)
                out << std::left << std::setw(static_cast<int>(width[i])) << c[i] << (i + 1 < c.size() ? "  " : "\n");
        };
        out << "\n== " << program_ << " summary ==\n";
        line(head);
        for (const auto& c : cells) line(c);
        out.flush();
    }

    /// Writes the rows to $TINMAN_BENCH_RESULTS/<program>.csv, if that variable is set.
    void write_csv() const {
        const char* dir = std::getenv("TINMAN_BENCH_RESULTS");
        if (dir == nullptr || *dir == '\0') return;
        fs::create_directories(dir);
        std::ofstream out(fs::path(dir) / (program_ + ".csv"));
        out << "program,case,tinman,value,unit,value_text,baseline,baseline_value,baseline_text,ratio,target,result\n";
        for (const auto& r : rows_)
            out << q(program_) << ',' << q(r.group) << ',' << q(r.metric) << ',' << num(r.value) << ','
                << unit_name(r.unit) << ',' << q(format_value(r.value, r.unit)) << ',' << q(r.baseline) << ','
                << num(r.baseline_value) << ',' << q(format_value(r.baseline_value, r.unit)) << ',' << num(r.ratio)
                << ',' << q(r.target) << ',' << q(r.result) << '\n';
    }

private:
    static std::string q(const std::string& s) {
        std::string out = "\"";
        for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
        return out + '"';
    }
    static std::string num(double v) {
        if (std::isnan(v)) return "";
        std::ostringstream s;
        s << std::setprecision(6) << v;
        return s.str();
    }

    std::string program_;
    std::vector<Row> rows_;
};

/// The usual main: runs the registered benchmarks (google-benchmark flags work,
/// e.g. --benchmark_out=x.json), then `summarize` turns the results into the
/// summary, which is printed and written as CSV.
inline int run_benchmarks(int argc, char** argv, const std::string& program,
                          const std::function<void(const Collector&, Summary&)>& summarize,
                          const std::function<void()>& cleanup = {}) {
    try {
        benchmark::Initialize(&argc, argv);
        if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
        std::cout << program << ": files in " << scratch_dir().string() << " (" << filesystem_of(scratch_dir())
                  << ")" << (large_enabled() ? ", 1 GiB cases on" : "") << std::endl;
        Collector collector;
        benchmark::RunSpecifiedBenchmarks(&collector);
        if (cleanup) cleanup();
        Summary summary(program);
        summarize(collector, summary);
        summary.print(std::cout);
        summary.write_csv();
        benchmark::Shutdown();
        return 0;
    } catch (const std::exception& e) {
        std::cerr << program << ": error: " << e.what() << '\n';
        if (cleanup) cleanup();
        return 1;
    }
}

/// Aborts the benchmark with a message when `ok` is false (sanity checks outside timing).
inline void check(benchmark::State& state, bool ok, const std::string& what) {
    if (!ok) state.SkipWithError(what.c_str());
}

}  // namespace tinman_bench
