#include <doctest/doctest.h>

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <numeric>
#include <random>

#include <tinman/channel/record_writer.hpp>

#include "test_support.hpp"

using namespace tinman;
using test::FileSizeLimit;
using test::TempDir;

namespace {

const CodecDescriptor raw{"bytes", {}};

std::vector<std::byte> pattern(std::size_t n, unsigned seed) {
    std::vector<std::byte> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::byte>((i * 131 + seed * 7) & 0xFF);
    return v;
}

struct Scanned {
    std::vector<RecordView> records;
    ScanStatus status;
    SegmentPtr segment;
};

Scanned scan(const std::filesystem::path& file, std::size_t verify = SIZE_MAX) {
    Scanned s;
    s.segment = MappedSegment::map(file);
    const auto h = format::parse_file_header(s.segment->bytes(), {.path = file});
    RecordScanner scanner(s.segment->bytes(), h.records_offset, verify);
    while (auto r = scanner.next()) s.records.push_back(*r);
    s.status = scanner.status();
    return s;
}

bool equal(std::span<const std::byte> a, std::span<const std::byte> b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

}  // namespace

TEST_CASE("RecordWriter: records round trip with their timestamps, head/body split and alignment") {
    TempDir dir;
    const std::vector<std::size_t> sizes{0, 1, 7, 64, 1000, 40000, 100000, 3, 5 * 1024 * 1024, 12};
    const std::vector<std::size_t> aligns{1, 8, 64, 4096};
    const auto head = pattern(19, 99);
    std::vector<std::vector<std::byte>> bodies;
    {
        RecordWriter w(dir.path(), "c", raw);
        for (std::size_t i = 0; i < sizes.size() * aligns.size(); ++i) {
            bodies.push_back(pattern(sizes[i % sizes.size()], static_cast<unsigned>(i)));
            w.append(static_cast<std::int64_t>(i) * 10 - 3, {head, bodies.back(), aligns[i % aligns.size()]});
        }
        CHECK(w.records_written() == bodies.size());
        w.close();
    }
    const auto s = scan(dir / "c.tinman");
    CHECK(s.status.clean());
    REQUIRE(s.records.size() == bodies.size());
    for (std::size_t i = 0; i < bodies.size(); ++i) {
        const auto& r = s.records[i];
        CHECK(r.index == i);
        CHECK(r.timestamp == static_cast<std::int64_t>(i) * 10 - 3);
        CHECK(equal(r.payload.first(head.size()), head));
        CHECK(equal(r.payload.subspan(head.size()), bodies[i]));
        const auto body_addr = reinterpret_cast<std::uintptr_t>(r.payload.data() + head.size());
        CHECK(body_addr % aligns[i % aligns.size()] == 0);
    }
}

TEST_CASE("RecordWriter: flush makes records visible, buffered ones are not yet") {
    TempDir dir;
    RecordWriter w(dir.path(), "c", raw);
    const auto body = pattern(100, 1);
    w.append(1, {{}, body, 8});
    CHECK(scan(dir / "c.tinman").records.empty());
    w.flush();
    CHECK(scan(dir / "c.tinman").records.size() == 1);
    w.append(2, {{}, pattern(direct_write_min_bytes, 2), 64});  // large: written at once, with what was buffered
    w.append(3, {{}, body, 8});
    CHECK(scan(dir / "c.tinman").records.size() == 2);
    w.close();
    CHECK(scan(dir / "c.tinman").records.size() == 3);
    CHECK_THROWS_AS(w.append(4, {{}, body, 8}), usage_error);
    w.close();  // closing twice is fine
}

TEST_CASE("RecordWriter: many small records cross buffer boundaries intact") {
    TempDir dir;
    std::mt19937 rng(7);
    std::vector<std::vector<std::byte>> bodies;
    {
        RecordWriter w(dir.path(), "c", raw, OpenMode::create, 1);  // smallest buffer
        for (int i = 0; i < 5000; ++i) {
            bodies.push_back(pattern(rng() % 300, static_cast<unsigned>(i)));
            w.append(i, {{}, bodies.back(), std::size_t{1} << (rng() % 7)});
        }
    }
    const auto s = scan(dir / "c.tinman");
    CHECK(s.status.clean());
    REQUIRE(s.records.size() == bodies.size());
    for (std::size_t i = 0; i < bodies.size(); ++i) CHECK(equal(s.records[i].payload, bodies[i]));
}

TEST_CASE("RecordWriter: an existing channel is an error unless append or truncate is asked for") {
    TempDir dir;
    const auto body = pattern(10, 0);
    { RecordWriter(dir.path(), "c", raw).append(1, {{}, body, 1}); }
    CHECK_THROWS_WITH_AS(RecordWriter(dir.path(), "c", raw), doctest::Contains("already exists"), channel_error);
    CHECK(scan(dir / "c.tinman").records.size() == 1);  // untouched

    SUBCASE("append continues after the last record") {
        {
            RecordWriter w(dir.path(), "c", raw, OpenMode::append);
            CHECK(w.existing_records() == 1);
            CHECK(w.cut_bytes() == 0);
            w.append(2, {{}, body, 1});
        }
        const auto s = scan(dir / "c.tinman");
        CHECK(s.status.clean());
        REQUIRE(s.records.size() == 2);
        CHECK(s.records[1].timestamp == 2);
    }
    SUBCASE("append to a missing channel creates it") {
        RecordWriter w(dir.path(), "new", raw, OpenMode::append);
        CHECK(w.existing_records() == 0);
    }
    SUBCASE("append with another codec is refused") {
        CHECK_THROWS_AS(RecordWriter(dir.path(), "c", CodecDescriptor{"ndarray", {}}, OpenMode::append), codec_mismatch);
    }
    SUBCASE("truncate replaces the file; a reader's old mapping stays valid") {
        const auto before = scan(dir / "c.tinman");
        { RecordWriter(dir.path(), "c", raw, OpenMode::truncate).append(9, {{}, pattern(5, 5), 1}); }
        const auto after = scan(dir / "c.tinman");
        REQUIRE(after.records.size() == 1);
        CHECK(after.records[0].timestamp == 9);
        CHECK(equal(before.records[0].payload, body));  // the old inode is still mapped and intact
    }
}

TEST_CASE("RecordWriter: a channel has one writer at a time") {
    TempDir dir;
    RecordWriter first(dir.path(), "c", raw);
    CHECK_THROWS_WITH_AS(RecordWriter(dir.path(), "c", raw, OpenMode::append), doctest::Contains("already has a writer"),
                         channel_error);
    CHECK_THROWS_AS(RecordWriter(dir.path(), "c", raw, OpenMode::truncate), channel_error);
    first.close();
    RecordWriter second(dir.path(), "c", raw, OpenMode::append);
    CHECK(second.is_open());
}

TEST_CASE("RecordWriter: append cuts a torn tail at every possible offset") {
    TempDir dir;
    const auto file = dir / "c.tinman";
    std::vector<std::vector<std::byte>> bodies;
    {
        RecordWriter w(dir.path(), "c", raw);
        for (unsigned i = 0; i < 6; ++i) {
            bodies.push_back(pattern(i * 37 + (i == 4 ? 50000 : 0), i));  // record 4 is large (direct write)
            w.append(i, {{}, bodies.back(), 64});
        }
    }
    const auto full = test::read_file(file);
    std::vector<std::uint64_t> ends;  // file offset where each record ends
    {
        const auto s = scan(file);
        for (const auto& r : s.records)
            ends.push_back(static_cast<std::uint64_t>(r.payload.data() + r.payload.size() - s.segment->bytes().data()));
    }
    const std::uint64_t records_offset = format::parse_file_header(full).records_offset;
    // Every prefix: whole records survive, a partial one is cut, and appending goes on cleanly.
    for (std::uint64_t cut = records_offset; cut <= full.size(); cut += (cut > 1000 && cut + 1000 < ends[4]) ? 997 : 1) {
        CAPTURE(cut);
        test::write_file(file, std::span(full).first(cut));
        const auto intact = static_cast<std::uint64_t>(std::count_if(ends.begin(), ends.end(), [&](auto e) { return e <= cut; }));
        {
            RecordWriter w(dir.path(), "c", raw, OpenMode::append);
            CHECK(w.existing_records() == intact);
            w.append(100, {{}, bodies[0], 64});
        }
        const auto s = scan(file);
        CHECK(s.status.clean());
        REQUIRE(s.records.size() == intact + 1);
        for (std::size_t i = 0; i < intact; ++i) CHECK(equal(s.records[i].payload, bodies[i]));
        CHECK(s.records.back().timestamp == 100);
    }
}

TEST_CASE("RecordWriter: append cuts a zero-filled tail but refuses to cut intact records behind damage") {
    TempDir dir;
    const auto file = dir / "c.tinman";
    {
        RecordWriter w(dir.path(), "c", raw);
        for (unsigned i = 0; i < 4; ++i) w.append(i, {{}, pattern(100, i), 8});
    }
    auto bytes = test::read_file(file);
    SUBCASE("zeros after the last record, as a power loss can leave") {
        bytes.resize(bytes.size() + 5000);
        test::write_file(file, bytes);
        RecordWriter w(dir.path(), "c", raw, OpenMode::append);
        CHECK(w.existing_records() == 4);
        CHECK(w.cut_bytes() == 5000);
    }
    SUBCASE("a damaged record in the middle") {
        const auto s = scan(file);
        const auto second = s.records[1].offset;
        bytes[second + 3] ^= std::byte{0x10};
        test::write_file(file, bytes);
        CHECK_THROWS_WITH_AS(RecordWriter(dir.path(), "c", raw, OpenMode::append), doctest::Contains("refusing to cut"),
                             format_error);
        CHECK(test::read_file(file) == bytes);  // nothing was lost
    }
    SUBCASE("a large last record whose payload was never written") {
        {
            RecordWriter w(dir.path(), "c", raw, OpenMode::append);
            w.append(9, {{}, pattern(200000, 9), 64});
        }
        auto grown = test::read_file(file);
        std::fill(grown.end() - 100000, grown.end(), std::byte{0});  // header and size made it, data did not
        test::write_file(file, grown);
        RecordWriter w(dir.path(), "c", raw, OpenMode::append);
        CHECK(w.existing_records() == 4);
        CHECK(w.cut_offset() == bytes.size());
        CHECK(w.size() == grown.size());  // the tail became one skip record: the file did not shrink
    }
    SUBCASE("a last record cut short whose payload holds bytes shaped like a record") {
        // The payload of the torn record carries a complete, valid record image:
        // it is that record's data, not a record of the channel, and is cut with it.
        const auto s = scan(file);
        const auto first = s.records[0].offset;
        const std::vector<std::byte> image(bytes.begin() + static_cast<std::ptrdiff_t>(first),
                                           bytes.begin() + static_cast<std::ptrdiff_t>(s.records[1].offset));
        auto body = pattern(100000, 7);
        std::copy(image.begin(), image.end(), body.begin() + 1000);
        {
            RecordWriter w(dir.path(), "c", raw, OpenMode::append);
            w.append(9, {{}, body, 64});
        }
        auto grown = test::read_file(file);
        grown.resize(grown.size() - 50000);  // torn after the embedded image
        test::write_file(file, grown);
        RecordWriter w(dir.path(), "c", raw, OpenMode::append);
        CHECK(w.existing_records() == 4);
        CHECK(w.cut_offset() == bytes.size());
        CHECK(w.size() == grown.size());  // the tail became one skip record: the file did not shrink
    }
}

TEST_CASE("RecordWriter: temporary files left by a crashed creation never block creating the channel") {
    TempDir dir;
    // What a process killed while creating channel "c" leaves, under the names a
    // pid-and-counter scheme would pick again.
    for (int k = 0; k < 64; ++k)
        test::write_file(dir / (".c.tinman." + std::to_string(::getpid()) + "." + std::to_string(k) + ".tmp"), {});
    { RecordWriter w(dir.path(), "c", raw); }
    RecordWriter again(dir.path(), "c", raw, OpenMode::truncate);
    again.append(1, {{}, pattern(10, 1), 1});
    again.flush();
    CHECK(scan(dir / "c.tinman").records.size() == 1);
}

TEST_CASE("RecordWriter: files are ordinary, and a symlink in a channel's place is never followed") {
    TempDir dir;
    { RecordWriter w(dir.path(), "c", raw); }
    struct stat st {};
    REQUIRE(::stat((dir / "c.tinman").c_str(), &st) == 0);
    const mode_t mask = ::umask(0);
    ::umask(mask);
    CHECK((st.st_mode & 0777) == (0644 & ~mask));

    test::write_file(dir / "target", std::vector<std::byte>(3, std::byte{1}));
    std::filesystem::create_symlink(dir / "target", dir / "s.tinman");
    CHECK_THROWS_AS(RecordWriter(dir.path(), "s", raw), channel_error);
    CHECK_THROWS_AS(RecordWriter(dir.path(), "s", raw, OpenMode::append), io_error);
    CHECK_THROWS_AS(RecordWriter(dir.path(), "s", raw, OpenMode::truncate), io_error);
    CHECK(test::read_file(dir / "target") == std::vector<std::byte>(3, std::byte{1}));
    CHECK(std::filesystem::is_symlink(dir / "s.tinman"));
}

TEST_CASE("RecordWriter: a head larger than the write buffer is written directly") {
    TempDir dir;
    const auto head = pattern(200000, 3), body = pattern(10, 4);
    {
        RecordWriter w(dir.path(), "c", raw);
        w.append(1, {{}, body, 8});
        w.append(2, {head, body, 8});
        w.append(3, {{}, body, 8});
    }
    const auto s = scan(dir / "c.tinman");
    CHECK(s.status.clean());
    REQUIRE(s.records.size() == 3);
    CHECK(equal(s.records[1].payload.first(head.size()), head));
    CHECK(equal(s.records[1].payload.subspan(head.size()), body));
}

TEST_CASE("RecordWriter: a failed write keeps the file a valid log and the writer usable") {
    TempDir dir;
    const auto file = dir / "c.tinman";
    RecordWriter w(dir.path(), "c", raw);
    for (unsigned i = 0; i < 10; ++i) w.append(i, {{}, pattern(50, i), 8});
    w.flush();
    const auto size = std::filesystem::file_size(file);
    {
        FileSizeLimit limit(size + 100);
        for (unsigned i = 10; i < 20; ++i) w.append(i, {{}, pattern(50, i), 8});
        CHECK_THROWS_WITH_AS(w.flush(), doctest::Contains("stay buffered"), io_error);
        // Readers see the intact prefix; nothing is lost.
        const auto partial = scan(file);
        CHECK(partial.records.size() >= 10);
        CHECK(partial.records.size() < 20);
        CHECK_FALSE(partial.status.clean());
        limit.set(RLIM_INFINITY);
        w.flush();  // the retry writes the same bytes again
        const auto full = scan(file);
        CHECK(full.status.clean());
        CHECK(full.records.size() == 20);

        // A large record that does not fit: refused, its partial bytes left as padding; later records follow cleanly.
        const auto before = std::filesystem::file_size(file);
        limit.set(before + 5000);
        CHECK_THROWS_WITH_AS(w.append(20, {{}, pattern(100000, 20), 64}), doctest::Contains("failed"), io_error);
        const auto after_failure = scan(file);
        CHECK(after_failure.records.size() == 20);
        CHECK(after_failure.status.stop == ScanStop::torn);
        limit.set(RLIM_INFINITY);
        w.append(21, {{}, pattern(200000, 21), 64});
        w.flush();
        const auto resumed = scan(file);
        CHECK(resumed.status.clean());
        REQUIRE(resumed.records.size() == 21);
        CHECK(resumed.records.back().timestamp == 21);
        CHECK(w.records_written() == 31 - 10);  // the failed record was not appended
    }
    {
        FileSizeLimit limit(std::filesystem::file_size(file));
        w.append(99, {{}, pattern(50, 99), 8});
        CHECK_THROWS_WITH_AS(w.close(), doctest::Contains("closed with 1 records unwritten"), io_error);
    }
    CHECK(scan(file).status.clean());
    RecordWriter again(dir.path(), "c", raw, OpenMode::append);
    CHECK(again.existing_records() == 21);
}

TEST_CASE("RecordWriter: after failed large writes, no stale header ever reads as a complete record") {
    TempDir dir;
    const auto file = dir / "c.tinman";
    RecordWriter w(dir.path(), "c", raw);
    w.append(0, {{}, pattern(50, 0), 8});
    w.flush();
    const auto size = std::filesystem::file_size(file);
    {
        // Each failure leaves a valid header whose payload runs past the end of
        // the file; the next record must not extend the file under that header.
        FileSizeLimit limit(size + 50'000);
        CHECK_THROWS_AS(w.append(1, {{}, pattern(100'000, 1), 64}), io_error);
        limit.set(size + 120'000);
        CHECK_THROWS_AS(w.append(2, {{}, pattern(200'000, 2), 64}), io_error);
        const auto after = scan(file, default_verify_max_bytes);  // large payloads are not checksummed
        REQUIRE(after.records.size() == 1);
        CHECK(after.status.stop == ScanStop::torn);
        limit.set(RLIM_INFINITY);
        w.append(3, {{}, pattern(300'000, 3), 64});
        w.flush();
    }
    const auto final_scan = scan(file, default_verify_max_bytes);
    CHECK(final_scan.status.clean());
    REQUIRE(final_scan.records.size() == 2);
    CHECK(final_scan.records[1].timestamp == 3);
    const auto expected = pattern(300'000, 3);
    CHECK(std::ranges::equal(final_scan.records[1].payload, expected));
    CHECK(scan(file).status.clean());  // every checksum
}

TEST_CASE("RecordWriter: after a partly failed flush, close() counts exactly the records not written") {
    TempDir dir;
    const auto file = dir / "c.tinman";
    RecordWriter w(dir.path(), "c", raw);
    w.append(0, {{}, pattern(50, 0), 8});
    w.flush();
    FileSizeLimit limit(std::filesystem::file_size(file) + 500);  // room for a few of the next records
    for (unsigned i = 1; i <= 20; ++i) w.append(i, {{}, pattern(50, i), 8});
    CHECK_THROWS_AS(w.flush(), io_error);
    const auto written = scan(file).records.size() - 1;
    REQUIRE(written > 0);
    REQUIRE(written < 20);
    const std::string lost = "closed with " + std::to_string(20 - written) + " records unwritten";
    CHECK_THROWS_WITH_AS(w.close(), doctest::Contains(lost.c_str()), io_error);
    limit.set(RLIM_INFINITY);
    RecordWriter again(dir.path(), "c", raw, OpenMode::append);
    CHECK(again.existing_records() == 1 + written);  // every record is either in the file or reported lost
}

TEST_CASE("RecordWriter: a FIFO in a channel's place is refused, not waited on") {
    TempDir dir;
    REQUIRE(::mkfifo((dir / "f.tinman").c_str(), 0644) == 0);
    CHECK_THROWS_WITH_AS(RecordWriter(dir.path(), "f", raw, OpenMode::append), doctest::Contains("not a regular file"),
                         channel_error);
    CHECK_THROWS_AS(RecordWriter(dir.path(), "f", raw, OpenMode::truncate), channel_error);
}

namespace {

/// Lets this process open only `n` more files in a scope: RLIMIT_NOFILE just above
/// the `n` lowest free descriptor numbers (the ones the next opens take).
class OpenFileLimit {
public:
    explicit OpenFileLimit(int n) {
        // UBSan checks an object's dynamic type through a pipe the first time it meets
        // the type: the error details that a failure inside the scope makes and drops
        // are made and dropped once here, outside it.
        {
            const io_error warm({}, "warm-up", EIO);
            const io_error copy = warm;
            (void)copy;
        }
        REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved_) == 0);
        std::vector<int> fds;
        for (int i = 0; i < n; ++i) fds.push_back(::open("/dev/null", O_RDONLY | O_CLOEXEC));
        int limit = fds.empty() ? ::open("/dev/null", O_RDONLY | O_CLOEXEC) : fds.back() + 1;
        if (fds.empty()) ::close(limit);
        for (const int fd : fds) ::close(fd);
        rlimit r = saved_;
        r.rlim_cur = static_cast<rlim_t>(limit);
        REQUIRE(::setrlimit(RLIMIT_NOFILE, &r) == 0);
    }
    OpenFileLimit(const OpenFileLimit&) = delete;
    OpenFileLimit& operator=(const OpenFileLimit&) = delete;
    ~OpenFileLimit() { ::setrlimit(RLIMIT_NOFILE, &saved_); }

private:
    rlimit saved_{};
};

}  // namespace

TEST_CASE("RecordWriter: a channel once in place is reported created, even if syncing its directory fails") {
    // Inside a limited scope only plain code runs: a test macro there would check an
    // exception's dynamic type under UBSan, whose runtime needs a descriptor (a pipe)
    // to do so. What happened is recorded, and checked once the limit is gone.
    TempDir dir;
    bool injected = false;
    {
        OpenFileLimit none(0);
        try {
            detail::sync_directory(dir.path());
        } catch (const io_error&) {
            injected = true;  // the fault this test injects
        }
    }
    REQUIRE(injected);
    const auto body = pattern(100, 1);
    for (const auto mode : {OpenMode::create, OpenMode::truncate, OpenMode::append}) {
        CAPTURE(static_cast<int>(mode));
        if (mode == OpenMode::truncate) {
            RecordWriter old(dir.path(), "c", raw);
            old.append(0, {{}, body, 1});
        }
        std::optional<RecordWriter> w;
        std::string failure;
        {
            // create: the temporary channel and index files; truncate: the old file too; then the directory fails
            OpenFileLimit limit(mode == OpenMode::truncate ? 3 : 2);
            try {
                w.emplace(dir.path(), "c", raw, mode);
            } catch (const std::exception& e) {
                failure = e.what();
            }
        }
        CHECK(failure.empty());
        REQUIRE(w);
        w->append(1, {{}, body, 1});
        w->sync();  // syncs the directory this time
        w->close();
        const auto s = scan(dir / "c.tinman");
        REQUIRE(s.records.size() == 1);
        CHECK(s.records[0].timestamp == 1);
        std::filesystem::remove(dir / "c.tinman");
    }
}

TEST_CASE("RecordWriter: processes racing to append to a missing channel create it once and all append") {
    TempDir dir;
    const auto body = pattern(10, 2);
    constexpr int writers = 6;
    for (int round = 0; round < 4; ++round) {
        const std::string name = "race" + std::to_string(round);
        int go[2];
        REQUIRE(::pipe(go) == 0);
        std::vector<pid_t> children;
        for (int k = 0; k < writers; ++k) {
            const pid_t pid = ::fork();
            REQUIRE(pid >= 0);
            if (pid == 0) {
                ::close(go[1]);
                char c;
                (void)!::read(go[0], &c, 1);  // returns when the parent closes the pipe: all start at once
                for (;;) {
                    try {
                        RecordWriter w(dir.path(), name, raw, OpenMode::append);
                        w.append(k, {{}, body, 1});
                        w.close();
                        ::_exit(0);
                    } catch (const channel_error& e) {
                        if (std::string(e.what()).find("already has a writer") == std::string::npos) ::_exit(1);
                        ::usleep(100);  // one writer at a time: wait for our turn
                    } catch (...) {
                        ::_exit(2);
                    }
                }
            }
            children.push_back(pid);
        }
        ::close(go[0]);
        ::close(go[1]);
        for (const pid_t pid : children) {
            int status = 0;
            REQUIRE(::waitpid(pid, &status, 0) == pid);
            CHECK(WIFEXITED(status));
            CHECK(WEXITSTATUS(status) == 0);
        }
        CHECK(scan(dir / (name + ".tinman")).records.size() == writers);
    }
}

namespace {

/// Makes `path` refuse changes for a scope: mode 0555, and for root (whom modes do not
/// stop) the immutable attribute. `active()` is false where neither takes effect.
class Unchangeable {
public:
    explicit Unchangeable(std::filesystem::path path) : path_(std::move(path)) { set(true); }
    Unchangeable(const Unchangeable&) = delete;
    Unchangeable& operator=(const Unchangeable&) = delete;
    ~Unchangeable() { set(false); }
    [[nodiscard]] bool active() const noexcept { return active_; }

private:
    void set(bool on) {
        ::chmod(path_.c_str(), on ? 0555 : 0755);
        if (::geteuid() != 0) {
            active_ = on;
            return;
        }
        const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
        int flags = 0;
        if (fd >= 0 && ::ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0) {
            flags = on ? flags | FS_IMMUTABLE_FL : flags & ~FS_IMMUTABLE_FL;
            active_ = on && ::ioctl(fd, FS_IOC_SETFLAGS, &flags) == 0;
            if (!on) (void)::ioctl(fd, FS_IOC_SETFLAGS, &flags);
        }
        if (fd >= 0) ::close(fd);
    }

    std::filesystem::path path_;
    bool active_ = false;
};

}  // namespace

TEST_CASE("RecordWriter: append writes records when the time index cannot be written") {
    TempDir dir;
    const auto body = pattern(10, 3);
    {
        RecordWriter w(dir.path(), "c", raw);
        for (int i = 0; i < 3; ++i) w.append(i, {{}, body, 1});
    }
    const auto index = index_path_for(dir / "c.tinman");
    SUBCASE("the index is missing and the directory is read-only") { std::filesystem::remove(index); }
    SUBCASE("the index is stale and the directory is read-only") {
        const auto old_index = test::read_file(index);
        {
            RecordWriter w(dir.path(), "c", raw, OpenMode::truncate);
            w.append(9, {{}, body, 1});
        }
        test::write_file(index, old_index);  // three entries for one record: to be replaced
    }
    {
        Unchangeable frozen(dir.path());
        if (!frozen.active()) {
            MESSAGE("cannot make a directory read-only here: skipped");
            return;
        }
        RecordWriter w(dir.path(), "c", raw, OpenMode::append);
        w.append(5, {{}, body, 1});
        w.close();
    }
    const auto s = scan(dir / "c.tinman");
    REQUIRE(!s.records.empty());
    CHECK(s.records.back().timestamp == 5);
    CHECK(s.status.clean());
}

TEST_CASE("CreateSync::on_first_sync: a created channel is made durable by its first sync(), not when opened") {
    TempDir dir;
    const auto body = pattern(100, 1);
    for (const auto mode : {OpenMode::create, OpenMode::truncate}) {
        CAPTURE(static_cast<int>(mode));
        RecordWriter eager(dir.path(), "eager", raw, mode);
        CHECK(eager.creation_synced());
        RecordWriter lazy(dir.path(), "lazy", raw, mode, default_write_buffer_bytes, true, {}, CreateSync::on_first_sync);
        CHECK_FALSE(lazy.creation_synced());
        lazy.append(1, {{}, body, 1});
        lazy.flush();
        CHECK_FALSE(lazy.creation_synced());  // flushed records are visible, not yet durable
        CHECK(scan(dir / "lazy.tinman").records.size() == 1);
        lazy.sync();
        CHECK(lazy.creation_synced());
        lazy.append(2, {{}, body, 1});
        lazy.close();
        CHECK(scan(dir / "lazy.tinman").records.size() == 2);
        eager.close();
    }
    // Appending to an existing channel creates nothing: it is as durable as its last sync.
    RecordWriter again(dir.path(), "lazy", raw, OpenMode::append, default_write_buffer_bytes, true, {},
                       CreateSync::on_first_sync);
    CHECK(again.creation_synced());
}
