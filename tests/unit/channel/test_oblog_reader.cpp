#include <doctest/doctest.h>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <mutex>
#include <ranges>
#include <thread>

#include <tinman.hpp>

#include "test_support.hpp"

using namespace tinman;
using test::TempDir;

static_assert(std::ranges::input_range<ChannelReader<NdArrayCodec<double>>>);
static_assert(std::input_iterator<ChannelReader<NdArrayCodec<double>>::iterator>);

namespace {
void write_doubles(const std::filesystem::path& dir, const std::string& name, std::size_t records, std::size_t n) {
    ObLogWriter log{dir};
    auto w = log.get_writer(name, NdArrayCodec<double>{});
    for (std::size_t i = 0; i < records; ++i)
        w(static_cast<std::int64_t>(100 + i), xt::xarray<double>(xt::xarray<double>::shape_type{n}, double(i)));
}
}  // namespace

TEST_CASE("ObLogReader: arrays outlive the reader and writer, the mapping goes with the last array") {
    TempDir dir;
    write_doubles(dir.path(), "c", 3, 1000);
    const auto file = dir / "c.tinman";
    std::optional<ArrayView<double>> last;
    {
        std::vector<ArrayView<double>> kept;
        {
            ObLogReader reader{dir.path()};
            for (auto&& [t, a] : reader.read_channel<NdArrayCodec<double>>("c")) kept.push_back(a);
        }
        CHECK(test::is_mapped(file));
        CHECK(kept[2](999) == 2.0);  // still readable
        last = kept.back();          // copies share the mapping
    }
    CHECK(test::is_mapped(file));
    CHECK((*last)(0) == 2.0);
    last.reset();
    CHECK_FALSE(test::is_mapped(file));
}

TEST_CASE("ObLogReader: channel listing with codecs, counts and time ranges") {
    TempDir dir;
    write_doubles(dir.path(), "b", 5, 10);
    {
        ObLogWriter log{dir.path()};
        (void)log.get_writer("a_empty", BytesCodec{});
    }
    test::write_file(dir / "notes.txt", std::vector<std::byte>(3));
    test::write_file(dir / ".c.tinman.123.0.tmp", std::vector<std::byte>(3));
    ObLogReader reader{dir.path()};
    CHECK(reader.channel_names() == std::vector<std::string>{"a_empty", "b"});
    CHECK(reader.has_channel("b"));
    CHECK_FALSE(reader.has_channel("zz"));
    const auto infos = reader.channel_infos();
    REQUIRE(infos.size() == 2);
    CHECK(infos[0].name == "a_empty");
    CHECK(infos[0].codec.name == "bytes");
    CHECK(infos[0].records == 0);
    CHECK_FALSE(infos[0].first_timestamp);
    CHECK(infos[1].codec.to_string() == "ndarray(dtype=<f8)");
    CHECK(infos[1].records == 5);
    CHECK(infos[1].first_timestamp == 100);
    CHECK(infos[1].last_timestamp == 104);
    CHECK(infos[1].status.clean());
    CHECK(infos[1].file_bytes == std::filesystem::file_size(dir / "b.tinman"));
    // An empty channel reads as empty.
    auto empty = reader.read_channel<BytesCodec>("a_empty");
    CHECK(empty.begin() == empty.end());
    CHECK(empty.status().clean());
    CHECK_THROWS_WITH_AS((void)reader.read_channel<BytesCodec>("zz"), doctest::Contains("channel 'zz'"),
                         channel_not_found);
    CHECK_THROWS_AS(ObLogReader{dir / "missing"}, log_not_found);
}

TEST_CASE("ObLogReader: channels are input ranges for std::ranges algorithms and views") {
    TempDir dir;
    write_doubles(dir.path(), "c", 10, 4);
    ObLogReader reader{dir.path()};
    auto channel = reader.read_channel<NdArrayCodec<double>>("c");
    CHECK(std::ranges::count_if(channel, [](const auto& r) { return r.value(0) >= 5.0; }) == 5);
    std::vector<std::int64_t> ts;
#if defined(__clang__) && __clang_major__ < 15
    // clang 14 cannot compose any input range with libstdc++ 12's views (not even std::views::istream).
    for (auto&& [t, a] : reader.read_channel<NdArrayCodec<double>>("c")) ts.push_back(t);
#else
    auto timestamps = reader.read_channel<NdArrayCodec<double>>("c") |
                      std::views::transform([](const auto& r) { return r.timestamp; });
    std::ranges::copy(timestamps, std::back_inserter(ts));
#endif
    CHECK(ts.size() == 10);
    CHECK(ts.front() == 100);
    CHECK(ts.back() == 109);
}

TEST_CASE("ObLogReader: a torn tail is not yielded, strict mode raises") {
    TempDir dir;
    write_doubles(dir.path(), "c", 4, 3);
    const auto file = dir / "c.tinman";
    std::filesystem::resize_file(file, std::filesystem::file_size(file) - 5);
    ObLogReader reader{dir.path()};
    auto channel = reader.read_channel<NdArrayCodec<double>>("c");
    CHECK(std::ranges::distance(channel) == 3);
    CHECK(channel.status().stop == ScanStop::torn);
    CHECK(channel.status().skipped_bytes > 0);
    auto strict = reader.read_channel<NdArrayCodec<double>>("c", {}, ReadOptions::strict_mode());
    CHECK_THROWS_WITH_AS((void)std::ranges::distance(strict), doctest::Contains("channel 'c'"), format_error);
    CHECK(reader.info("c").records == 3);
}

TEST_CASE("ObLogReader: small payloads are verified on every read, large ones on request") {
    TempDir dir;
    write_doubles(dir.path(), "small", 3, 8);       // 64-byte arrays: verified as read
    write_doubles(dir.path(), "large", 3, 100000);  // 800 kB arrays: verified by strict reads and verify()
    // The last byte of the middle record (the last record is always verified whole).
    auto flip_middle = [&](const std::string& name, std::size_t array_bytes) {
        auto bytes = test::read_file(dir / (name + ".tinman"));
        bytes[bytes.size() - 1 - array_bytes - 64] ^= std::byte{0x40};
        test::write_file(dir / (name + ".tinman"), bytes);
    };
    flip_middle("small", 64);
    flip_middle("large", 800000);
    ObLogReader reader{dir.path()};

    auto small = reader.read_channel<NdArrayCodec<double>>("small");
    CHECK(std::ranges::distance(small) == 1);
    CHECK(small.status().stop == ScanStop::corrupt);

    auto large = reader.read_channel<NdArrayCodec<double>>("large");
    CHECK(std::ranges::distance(large) == 3);  // not verified: decoding stays O(1)
    CHECK(large.status().clean());
    auto strict = reader.read_channel<NdArrayCodec<double>>("large", {}, ReadOptions::strict_mode());
    CHECK_THROWS_WITH_AS((void)std::ranges::distance(strict), doctest::Contains("payload checksum mismatch"),
                         format_error);
    const auto verified = reader.verify("large");
    CHECK(verified.records == 1);
    CHECK(verified.stop == ScanStop::corrupt);
    CHECK(reader.verify("small").records == 1);
}

TEST_CASE("ObLogReader: flushed records of a live writer are visible") {
    TempDir dir;
    ObLogWriter log{dir.path()};
    auto w = log.get_writer("live", NdArrayCodec<double>{});
    w(1.0);
    w(2.0);
    ObLogReader reader{dir.path()};
    CHECK(std::ranges::distance(reader.read_channel<NdArrayCodec<double>>("live")) == 0);
    w.flush();
    CHECK(std::ranges::distance(reader.read_channel<NdArrayCodec<double>>("live")) == 2);
}

TEST_CASE("ObLogReader: files that are not channels give clear errors") {
    TempDir dir;
    test::write_file(dir / "junk.tinman", std::vector<std::byte>(100, std::byte{'x'}));
    test::write_file(dir / "empty.tinman", {});
    ObLogReader reader{dir.path()};
    CHECK_THROWS_WITH_AS((void)reader.read_channel<BytesCodec>("junk"), doctest::Contains("bad magic"), format_error);
    CHECK_THROWS_WITH_AS((void)reader.read_channel<BytesCodec>("empty"), doctest::Contains("no header"),
                         format_error);
    CHECK_THROWS_WITH_AS((void)reader.info("junk"), doctest::Contains("channel 'junk'"), format_error);
}

TEST_CASE("ObLogReader: iterators survive moving their channel") {
    TempDir dir;
    write_doubles(dir.path(), "c", 3, 4);
    ObLogReader reader{dir.path()};
    auto channel = reader.read_channel<NdArrayCodec<double>>("c");
    auto it = channel.begin();
    auto moved = std::make_unique<ChannelReader<NdArrayCodec<double>>>(std::move(channel));
    CHECK((*it).value(0) == 0.0);
    ++it;
    CHECK((*it).value(0) == 1.0);
    CHECK_THROWS_AS((void)channel.status(), usage_error);  // the moved-from channel refuses use
    ++it;
    ++it;
    CHECK(it == moved->end());
    CHECK_THROWS_AS((void)*it, usage_error);  // past the end: an error, not undefined behaviour
}

TEST_CASE("ObLogReader: a listing survives files that are not channels") {
    TempDir dir;
    write_doubles(dir.path(), "good", 2, 3);
    test::write_file(dir / "empty.tinman", {});
    REQUIRE(::mkfifo((dir / "fifo.tinman").c_str(), 0644) == 0);
    std::filesystem::create_symlink(dir / "good.tinman", dir / "link.tinman");
    ObLogReader reader{dir.path()};
    const auto infos = reader.channel_infos();
    REQUIRE(infos.size() == 4);
    CHECK(infos[0].name == "empty");
    CHECK(infos[0].error.find("no header") != std::string::npos);
    CHECK(infos[1].name == "fifo");
    CHECK(infos[1].error.find("not a regular file") != std::string::npos);
    CHECK(infos[2].name == "good");
    CHECK(infos[2].error.empty());
    CHECK(infos[2].records == 2);
    CHECK(infos[3].name == "link");  // listed, but never opened through the link
    CHECK_FALSE(infos[3].error.empty());
    CHECK(reader.has_channel("good"));
    CHECK_FALSE(reader.has_channel("link"));
    CHECK_FALSE(reader.has_channel("fifo"));
    CHECK_THROWS_AS((void)reader.read_channel<NdArrayCodec<double>>("link"), error);
}

TEST_CASE("ObLogReader: one reader and the arrays it yields are shared across threads") {
    TempDir dir;
    for (int c = 0; c < 4; ++c) write_doubles(dir.path(), "c" + std::to_string(c), 200, 64);
    const ObLogReader reader{dir.path()};
    std::vector<std::vector<ArrayView<double>>> kept(4);
    std::vector<std::thread> pool;
    for (int k = 0; k < 4; ++k) {
        pool.emplace_back([&, k] {
            for (int c = 0; c < 4; ++c) {  // every thread reads every channel
                for (auto&& [t, a] : reader.read_channel<NdArrayCodec<double>>("c" + std::to_string(c)))
                    if (c == k) kept[static_cast<std::size_t>(k)].push_back(a);
            }
        });
    }
    for (auto& t : pool) t.join();
    pool.clear();
    // Arrays made in one thread, read and dropped in others: the mapping's count is shared safely.
    double sum = 0;
    std::mutex m;
    for (int k = 0; k < 4; ++k) {
        pool.emplace_back([&, k] {
            auto mine = std::move(kept[static_cast<std::size_t>((k + 1) % 4)]);
            double s = 0;
            for (const auto& a : mine) s += a(63);
            std::lock_guard lock(m);
            sum += s;
        });
    }
    for (auto& t : pool) t.join();
    CHECK(sum == 4 * (199.0 * 200 / 2));
}

TEST_CASE("ObLogReader: the access advice is given to every mapping of a channel") {
    TempDir dir;
    ObLogWriter log{dir.path()};
    auto w = log.get_writer("c", NdArrayCodec<double>{});
    w(1, xt::xarray<double>(xt::xarray<double>::shape_type{1000}, 1.0));  // past the 4 KiB read at first
    w.flush();
    ObLogReader reader{dir.path()};
    auto flags = [&](ReadAhead access) {
        ReadOptions options;
        options.access = access;
        auto channel = reader.read_channel<NdArrayCodec<double>>("c", {}, options);
        CHECK(std::ranges::distance(channel) == 1);
        REQUIRE(channel.segment()->mapped());
        return test::vm_flags_of(channel.segment()->bytes().data());
    };
    // Huge folios ("hg") unless at random ("nh"), where they would read 2 MiB per record
    // (on kernels built with transparent huge pages).
    const bool thp = std::filesystem::exists("/sys/kernel/mm/transparent_hugepage");
    const auto normal = flags(ReadAhead::normal);
    CHECK(normal.find(" rr ") == std::string::npos);
    CHECK((normal.find(" hg ") != std::string::npos) == thp);
    const auto at_random = flags(ReadAhead::random);
    CHECK(at_random.find(" rr ") != std::string::npos);
    CHECK((at_random.find(" nh ") != std::string::npos) == thp);
    CHECK(at_random.find(" hg ") == std::string::npos);
    const auto sequential = flags(ReadAhead::sequential);
    CHECK(sequential.find(" sr ") != std::string::npos);
    CHECK((sequential.find(" hg ") != std::string::npos) == thp);

    // refresh() maps what was appended with the same advice.
    ReadOptions random;
    random.access = ReadAhead::random;
    auto channel = reader.read_channel<NdArrayCodec<double>>("c", {}, random);
    CHECK(std::ranges::distance(channel) == 1);
    w(2, xt::xarray<double>(xt::zeros<double>({100000})));  // large: written at once, grows the file
    REQUIRE(channel.refresh());
    CHECK(test::vm_flags_of(channel.segment()->bytes().data()).find(" rr ") != std::string::npos);
}

TEST_CASE("ObLogReader: reading a channel again reuses its mapping, grown as the channel grows") {
    TempDir dir;
    ObLogWriter log{dir.path()};
    auto w = log.get_writer("c", NdArrayCodec<double>{});
    for (int i = 0; i < 10; ++i) w(i, xt::xarray<double>{double(i), 1.0});
    w.flush();
    ObLogReader reader{dir.path()};
    {
        auto first = reader.read_channel<NdArrayCodec<double>>("c");  // the file's 4 KiB head, read: not mapped
        CHECK(std::ranges::distance(first) == 10);
        CHECK_FALSE(first.segment()->mapped());
    }
    auto indexed = reader.indexed_channel<NdArrayCodec<double>>("c");
    const std::byte* base = indexed.segment()->bytes().data();
    CHECK(indexed.segment()->mapped());
    CHECK(reader.info("c").records == 10);
    {
        auto second = reader.read_channel<NdArrayCodec<double>>("c");  // the reader's mapping, reused
        CHECK(second.segment()->bytes().data() == base);
        CHECK(std::ranges::distance(second) == 10);
    }

    for (int i = 10; i < 20; ++i) w(i, xt::xarray<double>{double(i), 1.0});
    w.flush();
    auto again = reader.read_channel<NdArrayCodec<double>>("c");
    CHECK(again.segment()->bytes().data() == base);
    std::vector<double> firsts;
    for (auto&& [t, a] : again) firsts.push_back(a(0));
    CHECK(firsts.size() == 20);
    CHECK(firsts.back() == 19.0);
    CHECK(indexed.size() == 10);  // a view keeps the records it was made with

    // A follower sees appended records through the same mapping.
    w(20, xt::xarray<double>{20.0, 1.0});
    w.flush();
    REQUIRE(again.refresh());
    CHECK(again.segment()->bytes().data() == base);
    CHECK((*again.begin()).value(0) == 20.0);
}

TEST_CASE("ObLogReader: a channel replaced by OpenMode::truncate is read anew, never through the old mapping") {
    TempDir dir;
    ObLogReader* reader_ptr = nullptr;
    std::optional<ObLogReader> reader;
    {
        ObLogWriter log{dir.path()};
        auto w = log.get_writer("c", NdArrayCodec<double>{});
        for (int i = 0; i < 5; ++i) w(i, xt::xarray<double>{double(i)});
    }
    reader.emplace(dir.path());
    reader_ptr = &*reader;
    auto old_values = reader_ptr->read_channel<NdArrayCodec<double>>("c");
    auto old_first = (*old_values.begin()).value;
    {
        ObLogWriter log{dir.path()};
        auto w = log.get_writer("c", NdArrayCodec<double>{}, OpenMode::truncate);
        w(7, xt::xarray<double>{70.0, 71.0});
    }
    std::vector<double> now;
    for (auto&& [t, a] : reader_ptr->read_channel<NdArrayCodec<double>>("c")) now.push_back(a(1));
    CHECK(now == std::vector<double>{71.0});
    CHECK(reader_ptr->info("c").records == 1);
    CHECK(old_first(0) == 0.0);  // values of the replaced file still read its bytes
}

TEST_CASE("ObLogReader: a full scan larger than the read-ahead windows yields every record once") {
    TempDir dir;
    constexpr std::size_t records = 200'000;  // ~25 MiB: several populated windows
    {
        ObLogWriter log{dir.path()};
        auto w = log.get_writer("c", NdArrayCodec<double>{});
        std::vector<double> v(8);
        for (std::size_t i = 0; i < records; ++i) {
            v[0] = double(i);
            w(static_cast<std::int64_t>(i), v);
        }
    }
    ObLogReader reader{dir.path()};
    for (ReadAhead access : {ReadAhead::normal, ReadAhead::sequential, ReadAhead::random}) {
        ReadOptions options;
        options.access = access;
        std::size_t n = 0;
        bool in_order = true;
        for (auto&& [t, a] : reader.read_channel<NdArrayCodec<double>>("c", {}, options)) {
            in_order = in_order && a(0) == double(n) && t == static_cast<std::int64_t>(n);
            ++n;
        }
        CHECK(n == records);
        CHECK(in_order);
    }
}

TEST_CASE("IndexedChannel: the first jump advises random access, sequential use keeps the default") {
    TempDir dir;
    write_doubles(dir.path(), "c", 50, 4);
    ObLogReader reader{dir.path()};
    auto view = reader.indexed_channel<NdArrayCodec<double>>("c");
    auto random_advised = [&] { return test::vm_flags_of(view.segment()->bytes().data()).find(" rr ") != std::string::npos; };
    for (std::uint64_t i = 0; i < 10; ++i) CHECK(view[i].value(0) == double(i));
    CHECK_FALSE(random_advised());
    CHECK(view[40].value(0) == 40.0);
    CHECK(random_advised());

    ReadOptions sequential;
    sequential.access = ReadAhead::sequential;  // a choice of the caller's is kept
    auto chosen = reader.indexed_channel<NdArrayCodec<double>>("c", {}, sequential);
    CHECK(chosen[3].value(0) == 3.0);
    CHECK(chosen[30].value(0) == 30.0);
    CHECK(test::vm_flags_of(chosen.segment()->bytes().data()).find(" sr ") != std::string::npos);
}

// `{}` for the time range would mean [0, 0): only two explicit bounds make a range.
static_assert(!std::is_default_constructible_v<TimeRange>);
template <class Reader>
concept takes_braces_as_time_range =
    requires(const Reader& r) { r.template read_channel<BytesCodec>("c", {}, {}, BytesCodec{}); };
static_assert(!takes_braces_as_time_range<ObLogReader>);

TEST_CASE("ObLogReader: read_channel(name, {}, {}) reads every record, a TimeRange selects by time") {
    test::TempDir dir;
    {
        ObLogWriter log{dir.path()};
        auto w = log.get_writer("c", BytesCodec{});
        for (std::int64_t t = 0; t < 5; ++t) w(t * 10, std::span<const std::byte>{});
    }
    ObLogReader reader{dir.path()};
    CHECK(std::ranges::distance(reader.read_channel<BytesCodec>("c", {}, {})) == 5);
    CHECK(std::ranges::distance(reader.read_channel<BytesCodec>("c", TimeRange{10, 30})) == 2);
    CHECK(std::ranges::distance(reader.read_channel<BytesCodec>("c", {10, 30}, {}, ReadOptions::strict_mode())) == 2);
}

TEST_CASE("ObLogReader: a channel with a live writer says so, and a record in progress is not damage") {
    TempDir dir;
    ObLogWriter log{dir.path()};
    auto w = log.get_writer("imu", NdArrayCodec<double>{});
    for (int i = 0; i < 5; ++i) w(100 + i, xt::xarray<double>{1.0 * i});
    log.flush();
    // What a reader can see while the next record is written: part of its header.
    {
        std::ofstream out(dir / "imu.tinman", std::ios::binary | std::ios::app);
        out << std::string(20, '\x5a');
    }

    const ObLogReader reader{dir.path()};
    CHECK(reader.has_writer("imu"));
    const ChannelInfo info = reader.info("imu");
    CHECK(info.being_written);
    CHECK(info.records == 5);
    CHECK(info.status.stop == ScanStop::torn);
    DamageReport report = reader.damage_report("imu");
    CHECK(report.being_written);
    CHECK(report.tail_only());
    CHECK(report.in_progress());
    CHECK(report.records == 5);

    log.close();
    CHECK_FALSE(reader.has_writer("imu"));
    CHECK_FALSE(reader.info("imu").being_written);
    report = reader.damage_report("imu");
    CHECK_FALSE(report.in_progress());  // with the writer gone, the same bytes are a torn tail
    CHECK(report.tail_only());
}

TEST_CASE("ObLogReader: a writer in another process is seen, and gone once it exits") {
    TempDir dir;
    int ready[2], release[2];
    REQUIRE(::pipe(ready) == 0);
    REQUIRE(::pipe(release) == 0);
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        {
            ObLogWriter log{dir.path()};
            auto w = log.get_writer("imu", NdArrayCodec<double>{});
            w(1, xt::xarray<double>{1.0});
            log.flush();
            char c = 1;
            (void)!::write(ready[1], &c, 1);
            (void)!::read(release[0], &c, 1);
        }
        ::_exit(0);
    }
    char c = 0;
    REQUIRE(::read(ready[0], &c, 1) == 1);
    const ObLogReader reader{dir.path()};
    CHECK(reader.has_writer("imu"));
    CHECK(reader.info("imu").records == 1);
    REQUIRE(::write(release[1], &c, 1) == 1);
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    CHECK(WIFEXITED(status));
    CHECK_FALSE(reader.has_writer("imu"));
    for (int fd : {ready[0], ready[1], release[0], release[1]}) ::close(fd);
}

namespace {
/// Writes `records` BytesCodec records to channel `name`: record 0 of `first_size` bytes,
/// then records of 1 + (i * 37) % 700 bytes, byte j of record i being (i + j) % 251.
void write_bytes(const std::filesystem::path& dir, const std::string& name, std::size_t records,
                 std::size_t first_size) {
    ObLogWriter log{dir};
    auto w = log.get_writer(name, BytesCodec{});
    for (std::size_t i = 0; i < records; ++i) {
        std::vector<std::byte> b(i == 0 ? first_size : 1 + (i * 37) % 700);
        for (std::size_t j = 0; j < b.size(); ++j) b[j] = static_cast<std::byte>((i + j) % 251);
        w(static_cast<std::int64_t>(i), std::span<const std::byte>(b));
    }
}

/// True when `v` is record `i` as `write_bytes` wrote it.
bool is_record(const BytesView& v, std::size_t i, std::size_t first_size) {
    if (v.bytes.size() != (i == 0 ? first_size : 1 + (i * 37) % 700)) return false;
    for (std::size_t j = 0; j < v.bytes.size(); ++j)
        if (v.bytes[j] != static_cast<std::byte>((i + j) % 251)) return false;
    return true;
}
}  // namespace

TEST_CASE("ObLogReader: a scan starts on the first 4 KiB read into memory and goes on in the mapping, every record once") {
    // First records of 1 to 1200 bytes move every later record across the 4 KiB boundary,
    // ending exactly on it for some.
    for (std::size_t first_size = 1; first_size <= 1200; first_size += 29) {
        CAPTURE(first_size);
        TempDir dir;
        write_bytes(dir.path(), "c", 60, first_size);
        const ObLogReader reader{dir.path()};
        ReadOptions strict;
        strict.strict = true;
        auto channel = reader.read_channel<BytesCodec>("c", {}, strict);
        std::size_t n = 0, read = 0, mapped = 0;
        for (auto&& [t, v] : channel) {
            REQUIRE(t == static_cast<std::int64_t>(n));
            REQUIRE(is_record(v, n, first_size));
            (v.owner->mapped() ? mapped : read) += 1;
            if (!v.owner->mapped()) CHECK(mapped == 0);  // copies only before the first mapped record
            ++n;
        }
        CHECK(n == 60);
        CHECK(read > 0);
        CHECK(mapped > 0);
        CHECK(channel.status().clean());
        CHECK(channel.status().records == 60);
        CHECK(channel.segment()->mapped());
    }
}

TEST_CASE("ObLogReader: damage and torn tails in the first 4 KiB read are found as in the mapping") {
    TempDir dir;
    const auto file = dir / "c.tinman";
    SUBCASE("a damaged payload in the head of a larger file") {
        write_bytes(dir.path(), "c", 60, 8);
        std::uint64_t third = 0;  // offset of record 3's payload
        {
            const ObLogReader reader{dir.path()};
            auto indexed = reader.indexed_channel<BytesCodec>("c");
            third = static_cast<std::uint64_t>(indexed[3].value.bytes.data() - indexed.segment()->bytes().data());
        }
        REQUIRE(third < 4096);
        auto bytes = test::read_file(file);
        bytes.at(third) ^= std::byte{1};
        test::write_file(file, bytes);
        const ObLogReader reader{dir.path()};
        auto channel = reader.read_channel<BytesCodec>("c");
        CHECK(std::ranges::distance(channel) == 3);
        CHECK(channel.status().stop == ScanStop::corrupt);
        ReadOptions strict;
        strict.strict = true;
        auto throwing = reader.read_channel<BytesCodec>("c", {}, strict);
        CHECK_THROWS_WITH_AS((void)std::ranges::distance(throwing), doctest::Contains("payload checksum mismatch"),
                             format_error);
    }
    SUBCASE("a torn tail in a file smaller than the head") {
        write_bytes(dir.path(), "c", 3, 8);
        auto bytes = test::read_file(file);
        REQUIRE(bytes.size() < 4096);
        bytes.resize(bytes.size() + 20, std::byte{9});
        test::write_file(file, bytes);
        const ObLogReader reader{dir.path()};
        auto channel = reader.read_channel<BytesCodec>("c");
        CHECK(std::ranges::distance(channel) == 3);
        CHECK(channel.status().stop == ScanStop::torn);
        CHECK(channel.status().skipped_bytes == 20);
    }
}

TEST_CASE("ObLogReader: a channel followed from its first 4 KiB read sees what is appended, through a mapping") {
    TempDir dir;
    ObLogWriter log{dir.path()};
    auto w = log.get_writer("c", BytesCodec{});
    const std::byte one[1]{std::byte{1}};
    w(0, std::span<const std::byte>(one));
    w.flush();
    const ObLogReader reader{dir.path()};
    auto channel = reader.read_channel<BytesCodec>("c");
    CHECK(std::ranges::distance(channel) == 1);
    CHECK_FALSE(channel.segment()->mapped());
    CHECK_FALSE(channel.refresh());
    for (int i = 1; i <= 300; ++i) w(i, std::span<const std::byte>(one));
    w.flush();
    REQUIRE(channel.refresh());
    CHECK(channel.segment()->mapped());
    std::int64_t expected = 1;
    for (auto&& [t, v] : channel) CHECK(t == expected++);
    CHECK(expected == 301);
}

TEST_CASE("ObLogReader: a scan begun on the first 4 KiB read keeps their bytes with the reader, and ends where the file did") {
    TempDir dir;
    write_bytes(dir.path(), "c", 60, 8);
    const ObLogReader reader{dir.path()};
    auto channel = reader.read_channel<BytesCodec>("c");
    {
        ObLogWriter log{dir.path()};  // appended after the channel was opened
        auto w = log.get_writer("c", BytesCodec{}, OpenMode::append);
        const std::byte one[1]{std::byte{1}};
        for (int i = 0; i < 5; ++i) w(1000 + i, std::span<const std::byte>(one));
    }
    // Spans kept without their values: valid while the reader lives, also those into the bytes read
    // (under ASan, a freed copy would be reported here).
    std::vector<std::span<const std::byte>> spans;
    for (auto&& [t, v] : channel) spans.push_back(v.bytes);
    REQUIRE(spans.size() == 60);  // as a reader that mapped the file when it opened it would see
    for (std::size_t i = 0; i < spans.size(); ++i) {
        CAPTURE(i);
        REQUIRE(is_record(BytesView{spans[i], nullptr}, i, 8));
    }
    REQUIRE(channel.refresh());
    CHECK(std::ranges::distance(channel) == 5);
}
