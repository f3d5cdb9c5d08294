#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <tinman/detail/posix.hpp>

#include "test_support.hpp"

using namespace tinman;
using namespace tinman::detail;
using test::TempDir;

namespace {
std::string text(const std::vector<std::byte>& b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }
bool is_open_descriptor(int fd) { return ::fcntl(fd, F_GETFD) != -1; }
}  // namespace

TEST_CASE("FileHandle: owns its descriptor, closes once, moves ownership") {
    TempDir dir;
    test::write_file(dir / "f", test::as_bytes("x"));
    int fd = -1;
    {
        FileHandle h = open_file(dir / "f", O_RDONLY);
        REQUIRE(h);
        fd = h.get();
        CHECK(is_open_descriptor(fd));
        FileHandle moved = std::move(h);
        CHECK_FALSE(h);  // moved from: empty
        CHECK(h.get() == -1);
        CHECK(moved.get() == fd);
        CHECK(is_open_descriptor(fd));
    }
    CHECK_FALSE(is_open_descriptor(fd));  // the destructor closed it

    FileHandle h = open_file(dir / "f", O_RDONLY);
    fd = h.get();
    CHECK(h.close() == 0);
    CHECK_FALSE(h);
    CHECK_FALSE(is_open_descriptor(fd));
    CHECK(h.close() == 0);  // closing again is a no-op
    CHECK_FALSE(FileHandle{});
}

TEST_CASE("open_file: never through a symlink, never waiting on a FIFO") {
    TempDir dir;
    test::write_file(dir / "real", test::as_bytes("data"));
    std::filesystem::create_symlink(dir / "real", dir / "link");
    CHECK(open_file(dir / "real", O_RDONLY));
    {
        const auto h = open_file(dir / "link", O_RDONLY);
        CHECK_FALSE(h);
        CHECK(errno == ELOOP);
    }
    CHECK_FALSE(open_file(dir / "link", O_WRONLY | O_TRUNC));
    CHECK(test::read_file(dir / "real").size() == 4);  // the target was not truncated through the link
    {
        const auto h = open_file(dir / "missing", O_RDONLY);
        CHECK_FALSE(h);
        CHECK(errno == ENOENT);
    }
    CHECK_THROWS_AS((void)open_read_only(dir / "link"), io_error);
    try {
        (void)open_read_only(dir / "missing");
        FAIL("nothing thrown");
    } catch (const io_error& e) {
        CHECK(e.code() == ENOENT);
        CHECK(e.context().path == dir / "missing");
    }

    REQUIRE(::mkfifo((dir / "fifo").c_str(), 0644) == 0);
    const auto fifo = open_file(dir / "fifo", O_RDONLY);  // returns at once: no writer is waited for
    REQUIRE(fifo);
    CHECK_FALSE(regular_file_size(fifo.get()));
    CHECK_THROWS_WITH_AS((void)file_size(fifo.get(), dir / "fifo"), doctest::Contains("not a regular file"),
                         channel_error);
    const auto real = open_file(dir / "real", O_RDONLY);
    CHECK(regular_file_size(real.get()) == 4u);
    CHECK(file_size(real.get(), dir / "real") == 4u);
}

TEST_CASE("write_all_at: writes the parts back to back at the offset") {
    TempDir dir;
    const auto path = dir / "f";
    test::write_file(path, test::as_bytes("0123456789"));
    const auto file = open_file(path, O_RDWR);
    REQUIRE(file);

    SUBCASE("inside the file, empty parts skipped") {
        const std::span<const std::byte> parts[] = {test::as_bytes("ab"), {}, test::as_bytes("cde")};
        const auto r = write_all_at(file.get(), 3, parts);
        CHECK(r.error == 0);
        CHECK(r.written == 5);
        CHECK(text(test::read_file(path)) == "012abcde89");
    }
    SUBCASE("more than 8 parts: refused, nothing written") {
        const auto x = test::as_bytes("x");
        const std::span<const std::byte> parts[] = {x, x, x, x, x, x, x, x, x};
        const auto r = write_all_at(file.get(), 0, parts);
        CHECK(r.error == EINVAL);
        CHECK(r.written == 0);
        CHECK(text(test::read_file(path)) == "0123456789");
    }
    SUBCASE("past the end: the gap reads as zeros") {
        const auto r = write_all_at(file.get(), 12, test::as_bytes("xy"));
        CHECK(r.error == 0);
        CHECK(r.written == 2);
        CHECK(text(test::read_file(path)) == std::string("0123456789\0\0xy", 14));
    }
    SUBCASE("large parts go out whole") {
        std::vector<std::byte> big(3 << 20);
        for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<std::byte>(i * 7);
        const std::span<const std::byte> parts[] = {test::as_bytes("head"), big, test::as_bytes("tail")};
        const auto r = write_all_at(file.get(), 0, parts);
        CHECK(r.error == 0);
        CHECK(r.written == big.size() + 8);
        const auto back = test::read_file(path);
        REQUIRE(back.size() == big.size() + 8);
        CHECK(std::equal(big.begin(), big.end(), back.begin() + 4));
        CHECK(text(std::vector<std::byte>(back.end() - 4, back.end())) == "tail");
    }
    SUBCASE("a write that cannot finish says how far it got and why") {
        std::vector<std::byte> big(10000, std::byte{'z'});
        test::FileSizeLimit limit(4096);
        const std::span<const std::byte> parts[] = {test::as_bytes("head"), big};
        const auto r = write_all_at(file.get(), 0, parts);
        CHECK(r.error == EFBIG);
        CHECK(r.written == 4096);
        CHECK(std::filesystem::file_size(path) == 4096);
    }
    SUBCASE("a descriptor that cannot write reports its errno and nothing written") {
        const auto read_only = open_file(path, O_RDONLY);
        const auto r = write_all_at(read_only.get(), 0, test::as_bytes("x"));
        CHECK(r.error == EBADF);
        CHECK(r.written == 0);
        CHECK(text(test::read_file(path)) == "0123456789");
    }
}

TEST_CASE("lock_exclusive: a second lock on another descriptor of the same file is refused") {
    TempDir dir;
    const auto path = dir / "c.tinman";
    auto first = open_file(path, O_RDWR | O_CREAT);
    const auto second = open_file(path, O_RDWR);
    REQUIRE(first);
    REQUIRE(second);
    CHECK(lock_exclusive(first.get()) == 0);
    CHECK(lock_exclusive(first.get()) == 0);  // the holder may ask again
    CHECK(lock_exclusive(second.get()) == EWOULDBLOCK);
    first.reset();  // closing the holder's descriptor releases the lock
    CHECK(lock_exclusive(second.get()) == 0);
}

TEST_CASE("TemporaryFile: a new hidden file with a random name, opened read-write, published or removed") {
    TempDir dir;
    std::set<std::filesystem::path> names;
    std::vector<TemporaryFile> files;
    for (int i = 0; i < 20; ++i) {
        TemporaryFile t(dir.path(), "imu.tinman");
        CHECK(t.path().parent_path() == dir.path());
        const std::string name = t.path().filename().string();
        CHECK(name.starts_with(".imu.tinman."));
        CHECK(name.ends_with(".tmp"));
        CHECK(name.size() == std::string(".imu.tinman.").size() + 16 + 4);
        CHECK(std::filesystem::is_regular_file(t.path()));
        names.insert(t.path());
        files.push_back(std::move(t));
    }
    CHECK(names.size() == files.size());  // every name differs
    const auto first_path = files[0].path();
    const auto file = files[0].take_file();
    REQUIRE(file);
    CHECK(write_all_at(file.get(), 0, test::as_bytes("abc")).written == 3);
    CHECK(text(test::read_file(first_path)) == "abc");
    struct stat st {};
    REQUIRE(::stat(first_path.c_str(), &st) == 0);
    const mode_t mask = ::umask(0);
    ::umask(mask);
    CHECK((st.st_mode & 0777) == (0644 & ~mask));
    CHECK_THROWS_AS(TemporaryFile(dir / "missing", "x"), io_error);

    SUBCASE("publish without replacing: linked into place, the temporary name gone; an existing target is EEXIST") {
        CHECK(files[0].publish(dir / "a", false) == 0);
        CHECK(text(test::read_file(dir / "a")) == "abc");
        CHECK_FALSE(std::filesystem::exists(first_path));
        CHECK(files[0].path().empty());
        const auto other = files[1].path();
        CHECK(files[1].publish(dir / "a", false) == EEXIST);
        CHECK(std::filesystem::exists(other));  // still there, to publish elsewhere or discard
    }
    SUBCASE("publish replacing: renamed over the target") {
        test::write_file(dir / "b", test::as_bytes("old"));
        CHECK(files[0].publish(dir / "b", true) == 0);
        CHECK(text(test::read_file(dir / "b")) == "abc");
        CHECK_FALSE(std::filesystem::exists(first_path));
    }
    SUBCASE("names count from one random draw per process, in odd steps") {
        const std::uint64_t a = temporary_name_number();
        CHECK(temporary_name_number() - a == 0x9E3779B97F4A7C15ull);
        CHECK(temporary_name_number(true) - a != 2 * 0x9E3779B97F4A7C15ull);  // drawn again
    }
    SUBCASE("a name already taken (a forked copy of the process counts from the same number) is passed over") {
        const std::uint64_t next = temporary_name_number() + 0x9E3779B97F4A7C15ull;
        char suffix[17];
        std::snprintf(suffix, sizeof suffix, "%016llx", static_cast<unsigned long long>(next));
        const auto taken = dir / (std::string(".imu.tinman.") + suffix + ".tmp");
        test::write_file(taken, test::as_bytes("theirs"));
        TemporaryFile t(dir.path(), "imu.tinman");
        CHECK(t.path() != taken);
        CHECK(t.locked());
        CHECK(text(test::read_file(taken)) == "theirs");
    }
    SUBCASE("an unpublished file is removed with its object") {
        files.clear();
        for (const auto& n : names) CHECK_FALSE(std::filesystem::exists(n));
    }
}

TEST_CASE("is_file_at: tells whether the name still refers to the open file") {
    TempDir dir;
    const auto path = dir / "c";
    test::write_file(path, test::as_bytes("old"));
    const auto file = open_file(path, O_RDONLY);
    CHECK(is_file_at(file.get(), path));
    test::write_file(dir / "replacement", test::as_bytes("new"));
    std::filesystem::rename(dir / "replacement", path);
    CHECK_FALSE(is_file_at(file.get(), path));
    std::filesystem::remove(path);
    CHECK_FALSE(is_file_at(file.get(), path));
}

TEST_CASE("sync_directory: syncs a directory, reports one that is missing") {
    TempDir dir;
    CHECK_NOTHROW(sync_directory(dir.path()));
    try {
        sync_directory(dir / "missing");
        FAIL("nothing thrown");
    } catch (const io_error& e) {
        CHECK(e.code() == ENOENT);
        CHECK(e.context().path == dir / "missing");
    }
}

TEST_CASE("remove_stale_temporaries: removes what crashed creators left, never a file being created") {
    test::TempDir dir;
    const auto age = [](const std::filesystem::path& p, std::time_t seconds) {
        const timespec times[2] = {{::time(nullptr) - seconds, 0}, {::time(nullptr) - seconds, 0}};
        REQUIRE(::utimensat(AT_FDCWD, p.c_str(), times, 0) == 0);
    };
    const auto stale = dir / ".c.tinman.0123456789abcdef.tmp";
    test::write_file(stale, test::as_bytes("left by a killed writer"));
    age(stale, 3600);
    const auto fresh = dir / ".c.tinman-index.fedcba9876543210.tmp";  // just made: not locked yet
    test::write_file(fresh, test::as_bytes("x"));
    const auto other = dir / ".notes.tmp";  // not a name TemporaryFile makes
    test::write_file(other, test::as_bytes("x"));
    age(other, 3600);
    detail::TemporaryFile live(dir.path(), "d.tinman");  // its creator is alive: locked
    age(live.path(), 3600);

    CHECK(detail::remove_stale_temporaries(dir.path()) == 1);
    CHECK_FALSE(std::filesystem::exists(stale));
    CHECK(std::filesystem::exists(fresh));
    CHECK(std::filesystem::exists(other));
    CHECK(std::filesystem::exists(live.path()));
    CHECK(live.publish(dir / "d.tinman", false) == 0);  // creation goes on undisturbed
}
