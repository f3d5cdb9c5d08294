#include <doctest/doctest.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>

#include <tinman/detail/byte_buffer.hpp>

using tinman::detail::ByteBuffer;

namespace {
std::span<const std::byte> bytes(std::string_view s) { return std::as_bytes(std::span{s}); }
std::string text(const ByteBuffer& b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }
}  // namespace

TEST_CASE("ByteBuffer: bytes appended at the back come out in order from the front") {
    ByteBuffer b;
    CHECK(b.empty());
    CHECK(b.size() == 0);
    CHECK(b.capacity() == 0);
    CHECK(b.bytes().empty());
    b.append(bytes("hello "));
    b.append(bytes(""));
    b.append(bytes("world"));
    CHECK(text(b) == "hello world");
    CHECK(b.bytes().data() == b.data());
    CHECK(b.bytes().size() == 11);

    SUBCASE("drop_front forgets what was written out and keeps the rest at the front") {
        b.drop_front(6);
        CHECK(text(b) == "world");
        b.append(bytes("!"));
        CHECK(text(b) == "world!");
        b.drop_front(100);  // more than there is: everything
        CHECK(b.empty());
    }
    SUBCASE("drop_back forgets the last bytes, at most all of them") {
        b.drop_back(6);
        CHECK(text(b) == "hello");
        b.drop_back(100);
        CHECK(b.empty());
    }
    SUBCASE("clear keeps the memory for reuse, release gives it back") {
        const auto* memory = b.data();
        const auto capacity = b.capacity();
        b.clear();
        CHECK(b.empty());
        CHECK(b.capacity() == capacity);
        b.append(bytes("again"));
        CHECK(b.data() == memory);
        CHECK(text(b) == "again");
        b.release();
        CHECK(b.empty());
        CHECK(b.capacity() == 0);
        CHECK(b.data() == nullptr);
        b.append(bytes("new"));
        CHECK(text(b) == "new");
    }
}

TEST_CASE("ByteBuffer: grow hands out room at the end, and growing keeps the contents") {
    SUBCASE("the first growth takes at least 4 KiB, later ones at least double") {
        ByteBuffer b;
        std::byte* first = b.grow(3);
        CHECK(first == b.data());
        CHECK(b.size() == 3);
        CHECK(b.capacity() >= 4096);
        std::memcpy(first, "abc", 3);
        const auto capacity = b.capacity();
        std::byte* more = b.grow(capacity);  // past the capacity: reallocates
        CHECK(more == b.data() + 3);
        CHECK(b.size() == 3 + capacity);
        CHECK(b.capacity() >= 2 * capacity);
        CHECK(std::string_view(reinterpret_cast<const char*>(b.data()), 3) == "abc");
    }
    SUBCASE("many small appends across reallocations read back exactly") {
        ByteBuffer b(1);
        std::string expected;
        for (int i = 0; i < 3000; ++i) {
            const std::string part = std::to_string(i) + ",";
            b.append(bytes(part));
            expected += part;
        }
        CHECK(text(b) == expected);
        b.drop_front(expected.size() / 2);
        CHECK(text(b) == expected.substr(expected.size() / 2));
    }
    SUBCASE("grow(0) hands out nothing") {
        ByteBuffer b;
        b.append(bytes("x"));
        (void)b.grow(0);
        CHECK(text(b) == "x");
    }
}

TEST_CASE("ByteBuffer: reserve never shrinks and keeps the contents") {
    ByteBuffer b(100);
    CHECK(b.capacity() == 100);
    CHECK(b.empty());
    b.append(bytes("keep me"));
    const auto* memory = b.data();
    b.reserve(50);  // smaller: nothing happens
    CHECK(b.capacity() == 100);
    CHECK(b.data() == memory);
    b.reserve(100000);
    CHECK(b.capacity() == 100000);
    CHECK(text(b) == "keep me");
    const auto* grown = b.data();
    for (int i = 0; i < 1000; ++i) b.append(bytes("0123456789"));  // fits: no reallocation
    CHECK(b.data() == grown);
    CHECK(b.size() == 7 + 10000);
}
