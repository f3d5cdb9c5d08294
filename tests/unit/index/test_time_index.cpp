// Time index: the sidecar file, seek, random access, time ranges and summaries,
// with equal timestamps, backward clock steps, and indexes that are missing,
// stale or damaged (never trusted).
#include <doctest/doctest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <limits>
#include <random>
#include <set>
#include <atomic>
#include <ranges>
#include <thread>

#include <tinman.hpp>

#include "test_support.hpp"

using namespace tinman;
using test::TempDir;

static_assert(std::ranges::random_access_range<IndexedChannel<BytesCodec>>);
static_assert(std::ranges::random_access_range<const IndexedChannel<NdArrayCodec<double>>>);
static_assert(std::ranges::sized_range<IndexedChannel<BytesCodec>>);
static_assert(std::random_access_iterator<IndexedChannel<BytesCodec>::iterator>);

namespace {

constexpr std::int64_t lowest = std::numeric_limits<std::int64_t>::min();

/// Writes one record per timestamp to channel `name`, record i holding "r<i>".
void write_log(const std::filesystem::path& dir, const std::string& name, const std::vector<std::int64_t>& ts,
               OpenMode mode = OpenMode::create, std::size_t first = 0) {
    ObLogWriter log{dir};
    auto w = log.get_writer(name, BytesCodec{}, mode);
    for (std::size_t i = 0; i < ts.size(); ++i) w(ts[i], "r" + std::to_string(first + i));
    log.close();
}

std::string text(const BytesView& v) { return std::string(v.str()); }

/// Brute force: the first record with timestamp >= t.
std::uint64_t expected_seek(const std::vector<std::int64_t>& ts, std::int64_t t) {
    return static_cast<std::uint64_t>(std::find_if(ts.begin(), ts.end(), [&](auto x) { return x >= t; }) - ts.begin());
}

/// Brute force: the records a time range yields (documented rule: from <= ts and running max < to).
std::vector<std::size_t> expected_range(const std::vector<std::int64_t>& ts, std::int64_t from, std::int64_t to) {
    std::vector<std::size_t> out;
    std::int64_t max = lowest;
    for (std::size_t i = 0; i < ts.size(); ++i) {
        max = std::max(max, ts[i]);
        if (max >= to) break;
        if (ts[i] >= from) out.push_back(i);
    }
    return out;
}

std::vector<std::size_t> range_of(const ObLogReader& reader, const std::string& name, std::int64_t from,
                                  std::int64_t to) {
    std::vector<std::size_t> out;
    for (auto&& [t, v] : reader.read_channel<BytesCodec>(name, TimeRange{from, to})) {
        CHECK(t >= from);
        CHECK(t < to);
        out.push_back(std::stoul(text(v).substr(1)));
    }
    return out;
}

/// Checks seek, random access and ranges of channel `name` against brute force over `ts`.
void check_against(const ObLogReader& reader, const std::string& name, const std::vector<std::int64_t>& ts) {
    const auto view = reader.indexed_channel<BytesCodec>(name);
    REQUIRE(view.size() == ts.size());
    for (std::size_t i = 0; i < ts.size(); ++i) {
        CHECK(view.timestamp(i) == ts[i]);
        CHECK(text(view[i].value) == "r" + std::to_string(i));
    }
    std::set<std::int64_t> probes = {lowest, std::numeric_limits<std::int64_t>::max()};
    for (auto t : ts) probes.insert({t - 1, t, t + 1});
    for (auto t : probes) CHECK_MESSAGE(view.seek(t) == expected_seek(ts, t), "t = ", t);
    std::size_t k = 0;
    const std::size_t stride = probes.size() / 40 + 1;  // ranges from a sample of the probes
    for (auto from : probes)
        if (k++ % stride == 0 || from == lowest)
            for (std::int64_t d : {0, 1, 3, 10, -1}) {
                const std::int64_t top = std::numeric_limits<std::int64_t>::max();
                const std::int64_t to = d < 0 || from > top - d ? top : from + d;
                CHECK_MESSAGE(range_of(reader, name, from, to) == expected_range(ts, from, to), "[", from, ", ", to, ")");
            }
}

std::filesystem::path index_file(const TempDir& dir, const std::string& name) { return dir / (name + ".tinman-index"); }

std::vector<std::int64_t> iota_ts(std::size_t n, std::int64_t first = 1000, std::int64_t step = 10) {
    std::vector<std::int64_t> ts(n);
    for (std::size_t i = 0; i < n; ++i) ts[i] = first + static_cast<std::int64_t>(i) * step;
    return ts;
}

/// Rewrites index file `idx` in place so that entries `from` on claim `max` as the running
/// maximum, their checksums recomputed: only the chain of maxima shows the lie.
void lie_about_maxima(const std::filesystem::path& idx, std::uint64_t from, std::int64_t max) {
    auto bytes = test::read_file(idx);
    const std::uint64_t n = (bytes.size() - format::index_header_size) / format::index_entry_size;
    for (std::uint64_t i = from; i < n; ++i) {
        std::byte* e = bytes.data() + format::index_header_size + i * format::index_entry_size;
        auto entry = format::decode_index_entry(e, i);
        REQUIRE(entry);
        entry->max_timestamp = max;
        format::encode_index_entry(*entry, i, e);
    }
    test::write_file(idx, bytes);
}

}  // namespace

TEST_CASE("TimeIndex: the writer keeps a sidecar index that the listing ignores") {
    TempDir dir;
    const auto ts = iota_ts(1000);
    write_log(dir.path(), "c", ts);
    REQUIRE(std::filesystem::exists(index_file(dir, "c")));
    CHECK(std::filesystem::file_size(index_file(dir, "c")) ==
          format::index_header_size + ts.size() * format::index_entry_size);
    ObLogReader reader{dir.path()};
    CHECK(reader.channel_names() == std::vector<std::string>{"c"});
    const auto view = reader.indexed_channel<BytesCodec>("c");
    CHECK(view.time_index().indexed_records() == 1000);
    CHECK(view.time_index().status().clean());
    check_against(reader, "c", ts);
}

TEST_CASE("TimeIndex: seek and random access") {
    TempDir dir;
    SUBCASE("increasing timestamps") {
        const auto ts = iota_ts(300);
        write_log(dir.path(), "c", ts);
        ObLogReader reader{dir.path()};
        check_against(reader, "c", ts);
        const auto view = reader.indexed_channel<BytesCodec>("c");
        CHECK(view.front().timestamp == 1000);
        CHECK(view.back().timestamp == 1000 + 299 * 10);
        CHECK(text(view.at(7).value) == "r7");
        CHECK_THROWS_WITH_AS((void)view[300], doctest::Contains("out of range"), usage_error);
        CHECK_THROWS_AS((void)view.at(1u << 30), usage_error);
        CHECK(view.seek(1000 + 299 * 10 + 1) == view.size());  // past the end
        CHECK(view.seek(0) == 0);                               // before the start
        CHECK(view.lower_bound(1055).timestamp() == 1060);
        // A random-access range: reverse, jump, distance.
        CHECK(std::ranges::distance(view) == 300);
        CHECK((*(view.end() - 1)).timestamp == view.back().timestamp);
        CHECK((view.begin() + 150).timestamp() == 2500);
        CHECK(std::ranges::is_sorted(view, {}, [](const auto& r) { return r.timestamp; }));
        CHECK(view.begin()[42].timestamp == 1420);
        CHECK(std::ranges::count_if(view, [](const auto& r) { return r.timestamp % 100 == 0; }) == 30);
    }
    SUBCASE("equal timestamps: seek finds the first of a run") {
        const std::vector<std::int64_t> ts = {5, 5, 5, 7, 7, 9, 9, 9, 9, 12};
        write_log(dir.path(), "c", ts);
        ObLogReader reader{dir.path()};
        check_against(reader, "c", ts);
        CHECK(reader.indexed_channel<BytesCodec>("c").seek(7) == 3);
        CHECK(range_of(reader, "c", 9, 10) == std::vector<std::size_t>{5, 6, 7, 8});
    }
    SUBCASE("backward clock steps: seek is the first record at or after t in file order") {
        const std::vector<std::int64_t> ts = {10, 20, 30, 15, 16, 40, 35, 50, 5, 60};
        write_log(dir.path(), "c", ts);
        ObLogReader reader{dir.path()};
        check_against(reader, "c", ts);
        const auto view = reader.indexed_channel<BytesCodec>("c");
        CHECK(view.seek(16) == 1);
        CHECK(view.seek(31) == 5);
        // [12, 25): 20 is in; 15 and 16 follow 30 (the clock had passed 25), so they are not.
        CHECK(range_of(reader, "c", 12, 25) == std::vector<std::size_t>{1});
        CHECK(range_of(reader, "c", 12, 36) == std::vector<std::size_t>{1, 2, 3, 4});
        CHECK(range_of(reader, "c", lowest, std::numeric_limits<std::int64_t>::max()).size() == ts.size());
    }
    SUBCASE("random timestamps with steps back, against brute force") {
        std::mt19937_64 rng(7);
        std::vector<std::int64_t> ts;
        std::int64_t t = 0;
        for (int i = 0; i < 200; ++i) {
            t += static_cast<std::int64_t>(rng() % 5) - (rng() % 7 == 0 ? 12 : 0);
            ts.push_back(t);
        }
        write_log(dir.path(), "c", ts);
        ObLogReader reader{dir.path()};
        check_against(reader, "c", ts);
    }
    SUBCASE("an empty channel") {
        write_log(dir.path(), "c", {});
        ObLogReader reader{dir.path()};
        const auto view = reader.indexed_channel<BytesCodec>("c");
        CHECK(view.empty());
        CHECK(view.seek(0) == 0);
        CHECK(view.begin() == view.end());
        CHECK_THROWS_AS((void)view.front(), usage_error);
        CHECK_THROWS_AS((void)view.back(), usage_error);
        CHECK(range_of(reader, "c", lowest, 100).empty());
        const auto info = reader.info("c");
        CHECK(info.records == 0);
        CHECK_FALSE(info.first_timestamp);
    }
}

TEST_CASE("TimeIndex: time ranges outside the log, empty and reversed") {
    TempDir dir;
    const auto ts = iota_ts(100);  // 1000 .. 1990
    write_log(dir.path(), "c", ts);
    ObLogReader reader{dir.path()};
    CHECK(range_of(reader, "c", 0, 1000).empty());        // before
    CHECK(range_of(reader, "c", 1991, 5000).empty());     // after
    CHECK(range_of(reader, "c", 1500, 1500).empty());     // empty
    CHECK(range_of(reader, "c", 1600, 1500).empty());     // reversed
    CHECK(range_of(reader, "c", 0, 1001) == std::vector<std::size_t>{0});
    CHECK(range_of(reader, "c", 1990, 1991) == std::vector<std::size_t>{99});
    CHECK(range_of(reader, "c", 1985, 99999) == std::vector<std::size_t>{99});
    CHECK_THROWS_AS((void)reader.read_channel<NdArrayCodec<double>>("c", TimeRange{0, 1}), codec_mismatch);
}

TEST_CASE("TimeIndex: a time range reads only its own records") {
    TempDir dir;
    const auto ts = iota_ts(1000);
    write_log(dir.path(), "c", ts);
    // Corrupt payloads of records well before and well after [5000, 6000) (records 400..499):
    // a full read stops at the first; the range never reads them, so it is clean.
    const auto file = dir / "c.tinman";
    auto bytes = test::read_file(file);
    {
        ObLogReader reader{dir.path()};
        const auto view = reader.indexed_channel<BytesCodec>("c");
        for (std::size_t i : {std::size_t{3}, std::size_t{300}, std::size_t{510}, std::size_t{900}}) {
            const auto r = view.begin()[static_cast<std::ptrdiff_t>(i)].value.bytes;
            const auto at = static_cast<std::size_t>(r.data() - view.segment()->bytes().data());
            bytes[at] ^= std::byte{0x20};
        }
    }
    test::write_file(file, bytes);
    ObLogReader reader{dir.path()};
    auto all = reader.read_channel<BytesCodec>("c");
    CHECK(std::ranges::distance(all) == 3);
    CHECK(all.status().stop == ScanStop::corrupt);
    auto range = reader.read_channel<BytesCodec>("c", TimeRange{5000, 6000});
    std::vector<std::uint64_t> numbers;
    for (auto it = range.begin(); it != range.end(); ++it) numbers.push_back(it.record().index);
    REQUIRE(numbers.size() == 100);
    CHECK(numbers.front() == 400);
    CHECK(numbers.back() == 499);
    CHECK(range.status().stop == ScanStop::none);  // stopped by the range, not by damage
    CHECK(range.status().records == 501);          // the one record after the range was looked at
}

TEST_CASE("TimeIndex: summaries come from the index without reading the records") {
    TempDir dir;
    const std::vector<std::int64_t> ts = {100, 200, 300, 150, 250};
    write_log(dir.path(), "c", ts);
    // Damage a record in the middle: the summary does not read it, verify() finds it.
    const auto file = dir / "c.tinman";
    {
        ObLogReader reader{dir.path()};
        const auto r = reader.indexed_channel<BytesCodec>("c")[2].value;
        auto bytes = test::read_file(file);
        bytes[static_cast<std::size_t>(r.bytes.data() - r.owner->bytes().data())] ^= std::byte{1};
        test::write_file(file, bytes);
    }
    ObLogReader reader{dir.path()};
    const auto info = reader.info("c");
    CHECK(info.records == 5);
    CHECK(info.indexed_records == 5);
    CHECK(info.first_timestamp == 100);
    CHECK(info.last_timestamp == 250);
    CHECK(info.max_timestamp == 300);
    CHECK(info.status.clean());
    CHECK(info.file_bytes == std::filesystem::file_size(file));
    CHECK_FALSE(reader.verify("c").clean());
    // Reaching the damaged record rebuilds the index by a scan, which stops before it;
    // the view keeps its size, and what lies past the damage is refused.
    const auto view = reader.indexed_channel<BytesCodec>("c");
    CHECK(view.size() == 5);
    CHECK_THROWS_WITH_AS((void)view[2], doctest::Contains("damaged"), format_error);
    CHECK(view.size() == 5);
    CHECK(view.time_index().size() == 2);
    CHECK(view.time_index().indexed_records() == 0);
    CHECK_THROWS_WITH_AS((void)view[4], doctest::Contains("past damage"), format_error);
    CHECK(text(view[1].value) == "r1");
}

TEST_CASE("TimeIndex: a missing, short, stale or damaged index is never trusted") {
    TempDir dir;
    const auto ts = iota_ts(500);
    write_log(dir.path(), "c", ts);
    const auto idx = index_file(dir, "c");
    const auto data = dir / "c.tinman";
    const auto index_bytes = test::read_file(idx);

    SUBCASE("missing: built by one scan") {
        std::filesystem::remove(idx);
        ObLogReader reader{dir.path()};
        CHECK(reader.info("c").indexed_records == 0);
        CHECK(reader.info("c").records == 500);
        check_against(reader, "c", ts);
    }
    SUBCASE("short, as after a kill: the prefix is used and the rest scanned") {
        for (std::size_t cut : {std::size_t{0}, std::size_t{5}, std::size_t{64}, std::size_t{64 + 32 * 100 + 17}}) {
            auto b = index_bytes;
            b.resize(cut);
            test::write_file(idx, b);
            ObLogReader reader{dir.path()};
            const auto info = reader.info("c");
            CHECK(info.records == 500);
            CHECK(info.indexed_records == (cut > 64 ? 100 : 0));
            CHECK(info.last_timestamp == ts.back());
            check_against(reader, "c", ts);
        }
    }
    SUBCASE("stale: the channel file lost records the index still lists") {
        auto b = test::read_file(data);
        ObLogReader before{dir.path()};
        const auto cut_at = (before.indexed_channel<BytesCodec>("c").begin() + 400).record().offset + 7;
        b.resize(static_cast<std::size_t>(cut_at));
        test::write_file(data, b);
        ObLogReader reader{dir.path()};
        const auto info = reader.info("c");
        CHECK(info.records == 400);
        CHECK(info.indexed_records == 400);
        CHECK(info.status.stop == ScanStop::torn);
        check_against(reader, "c", std::vector<std::int64_t>(ts.begin(), ts.begin() + 400));
    }
    SUBCASE("stale: the index of another channel file") {
        const std::vector<std::int64_t> other = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
        write_log(dir.path(), "c", other, OpenMode::truncate);
        test::write_file(idx, index_bytes);
        ObLogReader reader{dir.path()};
        CHECK(reader.info("c").records == 12);
        check_against(reader, "c", other);
    }
    SUBCASE("every single byte of the header and of two entries flipped") {
        std::vector<std::size_t> positions;
        for (std::size_t i = 0; i < 64 + 32; ++i) positions.push_back(i);
        for (std::size_t i = 64 + 32 * 250; i < 64 + 32 * 251; ++i) positions.push_back(i);
        for (std::size_t i = index_bytes.size() - 32; i < index_bytes.size(); ++i) positions.push_back(i);
        for (const auto pos : positions) {
            auto b = index_bytes;
            b[pos] ^= std::byte{0x10};
            test::write_file(idx, b);
            ObLogReader reader{dir.path()};
            const auto view = reader.indexed_channel<BytesCodec>("c");
            CHECK(view.size() == 500);
            CHECK(view.seek(ts[250]) == 250);
            CHECK(view.seek(ts[250] + 1) == 251);
            CHECK(text(view[250].value) == "r250");
            CHECK(view.back().timestamp == ts.back());
            CHECK(reader.info("c").records == 500);
        }
    }
    SUBCASE("entries that checksum but point at the wrong records") {
        // Swap entries 10 and 11: each is intact, but bound to its place by its checksum.
        auto b = index_bytes;
        std::swap_ranges(b.begin() + 64 + 32 * 10, b.begin() + 64 + 32 * 11, b.begin() + 64 + 32 * 11);
        test::write_file(idx, b);
        ObLogReader reader{dir.path()};
        check_against(reader, "c", ts);
    }
    SUBCASE("an index file that is not a regular file") {
        std::filesystem::remove(idx);
        std::filesystem::create_directory(idx);
        ObLogReader reader{dir.path()};
        CHECK(reader.info("c").records == 500);
        CHECK(reader.info("c").indexed_records == 0);
        std::filesystem::remove(idx);
    }
}

TEST_CASE("TimeIndex: append and truncate leave the index consistent") {
    TempDir dir;
    const auto idx = index_file(dir, "c");
    write_log(dir.path(), "c", iota_ts(100));
    auto expect_full_index = [&](std::size_t n) {
        ObLogReader reader{dir.path()};
        const auto info = reader.info("c");
        CHECK(info.records == n);
        CHECK(info.indexed_records == n);
        CHECK(std::filesystem::file_size(idx) == 64 + 32 * n);
    };
    SUBCASE("append continues the index") {
        write_log(dir.path(), "c", iota_ts(50, 5000), OpenMode::append, 100);
        expect_full_index(150);
        auto all = iota_ts(100);
        const auto more = iota_ts(50, 5000);
        all.insert(all.end(), more.begin(), more.end());
        check_against(ObLogReader{dir.path()}, "c", all);
    }
    SUBCASE("append after a kill completes a short index") {
        auto b = test::read_file(idx);
        b.resize(64 + 32 * 40 + 9);
        test::write_file(idx, b);
        write_log(dir.path(), "c", iota_ts(1, 9000), OpenMode::append, 100);
        expect_full_index(101);
    }
    SUBCASE("append replaces a damaged index") {
        auto b = test::read_file(idx);
        b[64 + 32 * 70 + 3] ^= std::byte{4};
        test::write_file(idx, b);
        write_log(dir.path(), "c", iota_ts(1, 9000), OpenMode::append, 100);
        expect_full_index(101);
    }
    SUBCASE("append rebuilds a missing index, and one longer than the records") {
        std::filesystem::remove(idx);
        write_log(dir.path(), "c", {}, OpenMode::append);
        expect_full_index(100);
        auto data = test::read_file(dir / "c.tinman");
        data.resize(data.size() - 3);  // a torn last record, which append cuts
        test::write_file(dir / "c.tinman", data);
        write_log(dir.path(), "c", {}, OpenMode::append);
        expect_full_index(99);
    }
    SUBCASE("truncate starts an empty index; readers of the old one keep it") {
        ObLogReader reader{dir.path()};
        const auto old = reader.indexed_channel<BytesCodec>("c");
        write_log(dir.path(), "c", iota_ts(3), OpenMode::truncate);
        expect_full_index(3);
        CHECK(old.size() == 100);
        CHECK(text(old[99].value) == "r99");
    }
    SUBCASE("create over a leftover index replaces it") {
        std::filesystem::remove(dir / "c.tinman");
        write_log(dir.path(), "c", iota_ts(7));
        expect_full_index(7);
    }
}

TEST_CASE("TimeIndex: a writer SIGKILLed while writing leaves an index readers can use") {
    TempDir dir;
    for (int round = 0; round < 5; ++round) {
        int fds[2];
        REQUIRE(::pipe(fds) == 0);
        const pid_t pid = ::fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            ::close(fds[0]);
            try {
                ObLogWriter log{dir.path()};
                auto w = log.get_writer("k", BytesCodec{}, OpenMode::append);
                for (std::uint64_t i = w.record_writer().existing_records();; ++i) {
                    w(static_cast<std::int64_t>(i), "r" + std::to_string(i));
                    if (i % 7 == 0) {
                        w.flush();
                        if (::write(fds[1], &i, sizeof i) != sizeof i) ::_exit(3);
                    }
                }
            } catch (...) {
                ::_exit(2);
            }
        }
        ::close(fds[1]);
        std::uint64_t acked = 0;
        for (int k = 0; k < 20 + round * 13; ++k)
            if (::read(fds[0], &acked, sizeof acked) != sizeof acked) break;
        ::kill(pid, SIGKILL);
        int status = 0;
        ::waitpid(pid, &status, 0);
        ::close(fds[0]);
        REQUIRE(WIFSIGNALED(status));
        ObLogReader reader{dir.path()};
        const auto view = reader.indexed_channel<BytesCodec>("k");
        REQUIRE(view.size() > acked);
        CHECK(view.time_index().indexed_records() <= view.size());
        for (std::uint64_t i = 0; i < view.size(); i += 13) {
            CHECK(view.seek(static_cast<std::int64_t>(i)) == i);
            CHECK(text(view[i].value) == "r" + std::to_string(i));
        }
        CHECK(reader.info("k").records == view.size());
    }
    // The next writer in append mode completes the index.
    write_log(dir.path(), "k", {}, OpenMode::append);
    ObLogReader reader{dir.path()};
    const auto info = reader.info("k");
    CHECK(info.indexed_records == info.records);
}

TEST_CASE("TimeIndex: one reader shared by threads that seek, index and read ranges") {
    TempDir dir;
    for (int c = 0; c < 3; ++c) write_log(dir.path(), "c" + std::to_string(c), iota_ts(2000, 1000 + c));
    std::filesystem::remove(index_file(dir, "c2"));  // one channel is indexed by scanning
    const ObLogReader reader{dir.path()};
    std::vector<std::thread> pool;
    std::atomic<int> failures{0};
    for (int k = 0; k < 4; ++k) {
        pool.emplace_back([&, k] {
            for (int c = 0; c < 3; ++c) {
                const auto name = "c" + std::to_string(c);
                const auto view = reader.indexed_channel<BytesCodec>(name);
                for (int i = k; i < 2000; i += 97) {
                    const auto t = 1000 + c + 10 * i;
                    if (view.seek(t) != static_cast<std::uint64_t>(i) || text(view[static_cast<std::size_t>(i)].value) != "r" + std::to_string(i))
                        ++failures;
                }
                std::size_t n = 0;
                for (auto&& rec : reader.read_channel<BytesCodec>(name, TimeRange{1000 + 10 * 100, 1000 + 10 * 200})) n += rec.timestamp > 0;
                if (n != 100) ++failures;
                if (reader.info(name).records != 2000) ++failures;
            }
        });
    }
    for (auto& t : pool) t.join();
    CHECK(failures == 0);
}

TEST_CASE("TimeIndex: writers can leave the index out, and readers then index by a scan") {
    TempDir dir;
    write_log(dir.path(), "c", iota_ts(50));  // an index with 50 entries
    {
        ObLogWriter log{dir.path(), WriterOptions{.time_index = false}};
        auto w = log.get_writer("c", BytesCodec{}, OpenMode::truncate);
        for (std::size_t i = 0; i < 20; ++i) w(static_cast<std::int64_t>(i), "r" + std::to_string(i));
        auto other = log.get_writer("d", BytesCodec{});
        other(1, "x");
    }
    CHECK(std::filesystem::file_size(index_file(dir, "c")) == format::index_header_size);  // not the stale one
    CHECK(std::filesystem::file_size(index_file(dir, "d")) == format::index_header_size);
    ObLogReader reader{dir.path()};
    CHECK(reader.info("c").records == 20);
    CHECK(reader.info("c").indexed_records == 0);
    check_against(reader, "c", iota_ts(20, 0, 1));
    // Appending without the index leaves it as it is (a prefix); appending with it completes it.
    {
        ObLogWriter log{dir.path(), WriterOptions{.time_index = false}};
        auto w = log.get_writer("c", BytesCodec{}, OpenMode::append);
        w(100, "r20");
    }
    CHECK(std::filesystem::file_size(index_file(dir, "c")) == format::index_header_size);
    write_log(dir.path(), "c", {101}, OpenMode::append, 21);
    CHECK(reader.info("c").indexed_records == 22);
}

TEST_CASE("TimeIndex: a time range follows a live channel until the clock reaches its end") {
    TempDir dir;
    ObLogWriter log{dir.path()};
    auto w = log.get_writer("c", BytesCodec{});
    auto write = [&](int first, int last) {
        for (int i = first; i < last; ++i) w(i * 10, "r" + std::to_string(i));
        w.flush();
    };
    auto collect = [](ChannelReader<BytesCodec>& ch) {
        std::vector<std::int64_t> ts;
        for (auto&& r : ch) ts.push_back(r.timestamp);
        return ts;
    };
    write(0, 10);
    ObLogReader reader{dir.path()};
    auto range = reader.read_channel<BytesCodec>("c", TimeRange{50, 150});
    auto later = reader.read_channel<BytesCodec>("c", TimeRange{300, 320});  // starts past the end of the log
    CHECK(collect(range) == std::vector<std::int64_t>{50, 60, 70, 80, 90});
    CHECK(collect(later).empty());
    CHECK_FALSE(range.refresh());
    write(10, 40);
    CHECK(range.refresh());
    CHECK(collect(range) == std::vector<std::int64_t>{100, 110, 120, 130, 140});
    CHECK_FALSE(range.refresh());  // the log reached 150: nothing more can be in the range
    write(40, 41);
    CHECK_FALSE(range.refresh());
    CHECK(later.refresh());
    CHECK(collect(later) == std::vector<std::int64_t>{300, 310});
}

namespace {

/// This process's anonymous resident memory (RssAnon), in bytes.
std::uint64_t anonymous_rss() {
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);)
        if (line.starts_with("RssAnon:")) return std::stoull(line.substr(8)) * 1024;
    return 0;
}

}  // namespace

TEST_CASE("TimeIndex: indexing a large channel by a scan keeps its entries out of the heap") {
    TempDir dir;
    constexpr std::int64_t n = 400'000;  // 12.8 MB of entries
    {
        ObLogWriter log{dir.path(), {.time_index = false}};
        auto w = log.get_writer("c", BytesCodec{});
        for (std::int64_t i = 0; i < n; ++i) w(2 * i, std::span<const std::byte>{});
    }
    std::filesystem::remove(index_path_for(dir / "c.tinman"));
    ObLogReader reader{dir.path()};
    auto opened = detail::open_channel(dir.path(), "c");
    const auto before = anonymous_rss();
    TimeIndex index(opened.segment, opened.header, index_path_for(opened.segment->path()));
    const auto grown = anonymous_rss() - std::min(before, anonymous_rss());
    // 12.8 MB of entries on the heap; about 2 MB (the in-memory part and a write batch),
    // under 5 MB with ASan's quarantine, when the rest goes to a mapped file. (ThreadSanitizer
    // adds anonymous shadow memory for every byte touched, the mapped file's included.)
#if defined(__SANITIZE_THREAD__)
    constexpr bool shadowed = true;
#elif defined(__has_feature)
    constexpr bool shadowed = __has_feature(thread_sanitizer);
#else
    constexpr bool shadowed = false;
#endif
    if (!shadowed) CHECK(grown < (std::uint64_t{8} << 20));
    REQUIRE(index.size() == static_cast<std::uint64_t>(n));
    CHECK(index.indexed_records() == 0);
    for (const std::uint64_t i : {std::uint64_t{0}, std::uint64_t{32767}, std::uint64_t{32768}, std::uint64_t{n - 1}}) {
        CHECK(index.record(i).timestamp == static_cast<std::int64_t>(2 * i));
        CHECK(index.seek(static_cast<std::int64_t>(2 * i) - 1) == i);
    }
    CHECK(index.seek(2 * n) == static_cast<std::uint64_t>(n));
}

TEST_CASE("TimeIndex: entries with valid checksums that lie about the running maximum do not move seek answers") {
    TempDir dir;
    const auto ts = iota_ts(200);
    write_log(dir.path(), "c", ts);
    const auto idx = index_file(dir, "c");
    // From entry 40 on, claim that a timestamp far in the future was seen, with entry
    // checksums recomputed: only the chain of maxima shows the lie.
    lie_about_maxima(idx, 40, ts.back() + 1'000'000);
    const ObLogReader reader{dir.path()};
    auto view = reader.indexed_channel<BytesCodec>("c");
    for (std::size_t k : {std::size_t{0}, std::size_t{39}, std::size_t{40}, std::size_t{41}, std::size_t{120},
                          std::size_t{199}}) {
        CAPTURE(k);
        CHECK(view.seek(ts[k]) == k);
    }
    CHECK(view.seek(ts.back() + 1) == ts.size());
    std::vector<std::size_t> got;
    auto range = reader.read_channel<BytesCodec>("c", TimeRange{ts[100], ts[110]});
    for (auto it = range.begin(); it != range.end(); ++it) got.push_back(it.record().index);
    CHECK(got == expected_range(ts, ts[100], ts[110]));
}

TEST_CASE("TimeIndex: an index file's running maxima are checked once per process while it is unchanged") {
    TempDir dir;
    const auto ts = iota_ts(200);
    write_log(dir.path(), "c", ts);
    const auto idx = index_file(dir, "c");
    const auto identity = [&] {
        const auto bytes = test::read_file(idx);
        const int fd = ::open(idx.c_str(), O_RDONLY);
        REQUIRE(fd >= 0);
        auto id = detail::IndexFileIdentity::of(fd, bytes, ts.size());
        ::close(fd);
        REQUIRE(id);
        return *id;
    };
    CHECK_FALSE(detail::CheckedMaxima::instance().contains(identity()));
    CHECK(ObLogReader{dir.path()}.indexed_channel<BytesCodec>("c").seek(ts[50]) == 50);
    CHECK(detail::CheckedMaxima::instance().contains(identity()));  // a later reader skips the check

    // Rewritten in place with lies about the maxima (the last entry among them): checked again.
    lie_about_maxima(idx, 40, ts.back() + 1'000'000);
    CHECK_FALSE(detail::CheckedMaxima::instance().contains(identity()));
    auto view = ObLogReader{dir.path()}.indexed_channel<BytesCodec>("c");
    CHECK(view.seek(ts[120]) == 120);
    CHECK(view.time_index().indexed_records() == 0);  // rebuilt by a scan
    CHECK_FALSE(detail::CheckedMaxima::instance().contains(identity()));

    // Appending changes the file: the longer index is checked again, then remembered.
    write_log(dir.path(), "c", ts, OpenMode::truncate);
    const auto before = identity();
    CHECK(ObLogReader{dir.path()}.indexed_channel<BytesCodec>("c").seek(ts[10]) == 10);
    CHECK(detail::CheckedMaxima::instance().contains(before));
    write_log(dir.path(), "c", {ts.back() + 10}, OpenMode::append, ts.size());
    CHECK_FALSE(detail::CheckedMaxima::instance().contains(identity()));
    CHECK(ObLogReader{dir.path()}.indexed_channel<BytesCodec>("c").seek(ts.back() + 5) == ts.size());
}
