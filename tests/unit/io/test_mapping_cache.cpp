#include <doctest/doctest.h>

#include <sys/mman.h>

#include <cstdio>
#include <vector>

#include <tinman/io/mapping_cache.hpp>

#include "test_support.hpp"

using tinman::test::TempDir;

namespace {

void append_bytes(const std::filesystem::path& p, std::size_t n, std::byte value) {
    std::FILE* f = std::fopen(p.c_str(), "ab");
    REQUIRE(f != nullptr);
    const std::vector<std::byte> bytes(n, value);
    REQUIRE(std::fwrite(bytes.data(), 1, n, f) == n);
    std::fclose(f);
}

}  // namespace

TEST_CASE("MappedSegment: a mapping with room shows a grown file without mapping again") {
    TempDir dir;
    const auto file = dir / "data.bin";
    tinman::test::write_file(file, std::vector<std::byte>(100, std::byte{1}));
    const auto fd = tinman::detail::open_read_only(file);
    const auto page = tinman::MappedSegment::page_size();
    const auto seg = tinman::MappedSegment::map(fd.get(), 0, 100, file, tinman::ReadAhead::normal, 2 * page);
    CHECK(seg->size() == 100);
    CHECK(seg->capacity() == 2 * page);
    append_bytes(file, page, std::byte{2});
    const auto grown = seg->grown(100 + page);
    REQUIRE(grown);
    CHECK(grown->bytes().data() == seg->bytes().data());
    CHECK(grown->size() == 100 + page);
    CHECK(grown->bytes()[99] == std::byte{1});
    CHECK(grown->bytes()[100 + page - 1] == std::byte{2});
    CHECK(seg->size() == 100);                    // the first view is unchanged
    CHECK_FALSE(seg->grown(2 * page + 1));         // past the reservation: map again
    CHECK(tinman::test::is_mapped(file));
}

TEST_CASE("MappedSegment: populate maps a range in one call, and only inside the file") {
    TempDir dir;
    const auto file = dir / "data.bin";
    const auto page = tinman::MappedSegment::page_size();
    tinman::test::write_file(file, std::vector<std::byte>(8 * page + 10, std::byte{3}));
    const auto fd = tinman::detail::open_read_only(file);
    const auto seg = tinman::MappedSegment::map(fd.get(), 0, 8 * page + 10, file, tinman::ReadAhead::normal, 64 * page);
    auto resident = [&](std::size_t first_page, std::size_t pages) {
        std::vector<unsigned char> v(pages);
        REQUIRE(::mincore(const_cast<std::byte*>(seg->bytes().data()) + first_page * page, pages * page, v.data()) == 0);
        std::size_t n = 0;
        for (auto x : v) n += x & 1u;
        return n;
    };
    // Evict the file's pages (none is mapped yet), then bring pages 2..5 back in one call.
    REQUIRE(::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_DONTNEED) == 0);
    seg->populate(2 * page + 1, 5 * page);
    CHECK(resident(2, 3) == 3);
    seg->populate(7 * page, 64 * page);  // clamped to the file: reading past it would be SIGBUS
    CHECK(resident(7, 2) == 2);
    CHECK(seg->bytes()[8 * page + 9] == std::byte{3});
}

TEST_CASE("MappingCache: a file read again is served by the same mapping, grown as it grows") {
    TempDir dir;
    const auto file = dir / "data.bin";
    tinman::test::write_file(file, std::vector<std::byte>(1000, std::byte{1}));
    tinman::detail::MappingCache cache;
    const auto fd = tinman::detail::open_read_only(file);
    const auto first = cache.map(fd.get(), file, tinman::ReadAhead::normal);
    CHECK(first->size() == 1000);
    CHECK(first->capacity() >= tinman::detail::mapping_capacity_for(1000));
    append_bytes(file, 5000, std::byte{2});
    const auto again = cache.map(fd.get(), file, tinman::ReadAhead::sequential);
    CHECK(again->bytes().data() == first->bytes().data());
    CHECK(again->size() == 6000);
    CHECK(again->bytes()[5999] == std::byte{2});

    // A file replaced at the same path is a new file: mapped anew, never the old bytes.
    const auto replacement = dir / "new.bin";
    tinman::test::write_file(replacement, std::vector<std::byte>(300, std::byte{9}));
    std::filesystem::rename(replacement, file);
    const auto fd2 = tinman::detail::open_read_only(file);
    const auto fresh = cache.map(fd2.get(), file, tinman::ReadAhead::normal);
    CHECK(fresh->bytes().data() != first->bytes().data());
    CHECK(fresh->size() == 300);
    CHECK(fresh->bytes()[0] == std::byte{9});
    CHECK(first->bytes()[0] == std::byte{1});  // values of the old file keep its mapping
}
