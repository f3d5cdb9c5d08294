#include <doctest/doctest.h>

#include <tinman/io/mapped_segment.hpp>

#include "test_support.hpp"

TEST_CASE("MappedSegment: maps a file read-only and unmaps with its last owner") {
    tinman::test::TempDir dir;
    const auto file = dir / "data.bin";
    const std::vector<std::byte> bytes(10000, std::byte{7});
    tinman::test::write_file(file, bytes);
    {
        const auto seg = tinman::MappedSegment::map(file);
        CHECK(seg->size() == bytes.size());
        CHECK(seg->bytes()[9999] == std::byte{7});
        CHECK(seg->contains(seg->bytes().data()));
        CHECK_FALSE(seg->contains(bytes.data()));
        CHECK(tinman::test::is_mapped(file));
    }
    CHECK_FALSE(tinman::test::is_mapped(file));
}

TEST_CASE("MappedSegment: empty files map to an empty segment") {
    tinman::test::TempDir dir;
    tinman::test::write_file(dir / "empty", {});
    const auto seg = tinman::MappedSegment::map(dir / "empty");
    CHECK(seg->size() == 0);
    CHECK(seg->bytes().empty());
}

TEST_CASE("MappedSegment: symlinks and missing files are refused") {
    tinman::test::TempDir dir;
    tinman::test::write_file(dir / "real", std::vector<std::byte>(8));
    std::filesystem::create_symlink(dir / "real", dir / "link");
    CHECK_THROWS_AS((void)tinman::MappedSegment::map(dir / "link"), tinman::io_error);
    CHECK_THROWS_AS((void)tinman::MappedSegment::map(dir / "missing"), tinman::io_error);
}


TEST_CASE("MappedSegment: the access advice reaches the kernel before any page is read") {
    tinman::test::TempDir dir;
    const auto file = dir / "data.bin";
    tinman::test::write_file(file, std::vector<std::byte>(3 * 4096, std::byte{1}));
    const auto fd = tinman::detail::open_read_only(file);
    auto flags = [&](tinman::ReadAhead access) {
        const auto seg = tinman::MappedSegment::map(fd.get(), 3 * 4096, file, access);
        return tinman::test::vm_flags_of(seg->bytes().data());
    };
    const auto normal = flags(tinman::ReadAhead::normal);
    REQUIRE_FALSE(normal.empty());
    CHECK(normal.find(" rr ") == std::string::npos);
    CHECK(normal.find(" sr ") == std::string::npos);
    CHECK(flags(tinman::ReadAhead::random).find(" rr ") != std::string::npos);
    CHECK(flags(tinman::ReadAhead::sequential).find(" sr ") != std::string::npos);
}
