#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include <tinman/io/file_reads.hpp>

#include "test_support.hpp"

using tinman::detail::FileReads;
using tinman::test::TempDir;

namespace {
std::byte byte_at(std::uint64_t i) { return static_cast<std::byte>((i * 131 + 7) % 251); }
}  // namespace

TEST_CASE("FileReads: bytes at any offset, clipped at the end of the file, and chunks of any length, in order") {
    TempDir dir;
    const auto path = dir / "f";
    const std::uint64_t size = 600'000;  // more than two 256 KiB chunks
    std::vector<std::byte> content(size);
    for (std::uint64_t i = 0; i < size; ++i) content[i] = byte_at(i);
    tinman::test::write_file(path, content);
    const int fd = ::open(path.c_str(), O_RDONLY);
    REQUIRE(fd >= 0);
    FileReads reads(fd, size);

    for (std::uint64_t pos : {std::uint64_t{0}, std::uint64_t{100}, std::uint64_t{4000}, std::uint64_t{4096},
                              std::uint64_t{123'457}, size - 10, size}) {
        CAPTURE(pos);
        const auto b = reads.bytes(pos, 64);
        REQUIRE(b);
        CHECK(b->size() == std::min<std::uint64_t>(64, size - pos));
        for (std::size_t i = 0; i < b->size(); ++i) REQUIRE((*b)[i] == byte_at(pos + i));
    }
    CHECK(reads.bytes(0, 10'000)->size() == FileReads::window);  // at most one window
    CHECK_FALSE(reads.bytes(size + 1, 1));

    for (std::uint64_t n : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{4096}, std::uint64_t{4097},
                            std::uint64_t{262'144}, std::uint64_t{262'145}, size - 3}) {
        CAPTURE(n);
        std::uint64_t at = 3;
        bool in_order = true;
        CHECK(reads.for_each_chunk(3, n, [&](std::span<const std::byte> part) {
            for (std::size_t i = 0; i < part.size(); ++i) in_order = in_order && part[i] == byte_at(at + i);
            at += part.size();
        }));
        CHECK(in_order);
        CHECK(at == 3 + n);
    }
    CHECK_FALSE(reads.for_each_chunk(size - 3, 4, [](auto) {}));

    // A file shorter than the size given (it shrank): reads past its end fail, never return stale bytes.
    const int writable = ::open(path.c_str(), O_WRONLY);
    REQUIRE(writable >= 0);
    REQUIRE(::ftruncate(writable, 1000) == 0);
    ::close(writable);
    FileReads shrunk(fd, size);
    CHECK_FALSE(shrunk.bytes(2000, 16));
    CHECK_FALSE(shrunk.for_each_chunk(500, 300'000, [](auto) {}));
    ::close(fd);
}
