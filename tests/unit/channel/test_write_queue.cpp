#include <doctest/doctest.h>

#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include <tinman/channel/write_queue.hpp>

using tinman::Payload;
using tinman::detail::WriteQueue;

namespace {

Payload payload_of(const std::vector<std::byte>& head, const std::vector<std::byte>& body) {
    return {head, body, 8};
}

std::chrono::steady_clock::time_point soon() { return std::chrono::steady_clock::now() + std::chrono::seconds(10); }
std::chrono::steady_clock::time_point now() { return std::chrono::steady_clock::now(); }

}  // namespace

TEST_CASE("WriteQueue: records come out in order, whole, across the ring's wrap") {
    WriteQueue q(4096);
    int channel = 0;
    std::uint64_t next = 0;
    for (std::uint64_t round = 0; round < 200; ++round) {
        // Sizes that do not divide the ring: records keep landing near its end.
        for (int k = 0; k < 3; ++k) {
            const std::uint64_t i = round * 3 + static_cast<std::uint64_t>(k);
            std::vector<std::byte> head(3, std::byte{static_cast<unsigned char>(i)});
            std::vector<std::byte> body(100 + (i * 37) % 500, std::byte{static_cast<unsigned char>(i * 7)});
            REQUIRE(q.push(&channel, static_cast<std::int64_t>(i), payload_of(head, body), false));
        }
        for (int k = 0; k < 3; ++k) {
            const auto r = q.pop(soon());
            REQUIRE(r);
            CHECK(r->channel == &channel);
            CHECK(r->timestamp == static_cast<std::int64_t>(next));
            CHECK(r->payload.head.size() == 3);
            CHECK(r->payload.head[0] == std::byte{static_cast<unsigned char>(next)});
            CHECK(r->payload.body.size() == 100 + (next * 37) % 500);
            CHECK(r->payload.body.back() == std::byte{static_cast<unsigned char>(next * 7)});
            CHECK(r->payload.body_alignment == 8);
            ++next;
        }
        q.release();
    }
    CHECK(q.empty());
    CHECK_FALSE(q.pop(now()));  // empty: returns at the deadline
}

TEST_CASE("WriteQueue: a full queue refuses without blocking, or makes the producer wait for room") {
    WriteQueue q(4096);
    const std::vector<std::byte> head(8), body(1000);
    int pushed = 0;
    while (q.push(nullptr, pushed, payload_of(head, body), false)) ++pushed;
    CHECK(pushed == 3);  // each takes 64 + 1008 rounded up to 1024 bytes: 1088
    CHECK(q.high_water_bytes() == 3 * 1088);
    const auto end = q.end_position();
    CHECK_FALSE(q.fits(payload_of(head, std::vector<std::byte>(4096))));

    std::thread producer([&] { CHECK(q.push(nullptr, 99, payload_of(head, body), true)); });
    const auto first = q.pop(soon());
    REQUIRE(first);
    CHECK(first->timestamp == 0);
    q.release();  // room for one more: the producer goes on
    producer.join();
    std::thread flusher([&] { q.wait_done(end); });  // waits for the first three, not the fourth
    std::vector<std::int64_t> rest;
    while (auto r = q.pop(now())) rest.push_back(r->timestamp);
    CHECK(rest == std::vector<std::int64_t>{1, 2, 99});
    q.release();
    flusher.join();
    CHECK(q.empty());
}

TEST_CASE("WriteQueue: many producers, one consumer, nothing lost or reordered per producer") {
    WriteQueue q(8192);
    constexpr int producers = 4, per_producer = 20000;
    int ids[producers];
    std::vector<std::thread> threads;
    for (int p = 0; p < producers; ++p) {
        threads.emplace_back([&, p] {
            std::vector<std::byte> body(static_cast<std::size_t>(8 + p * 40));
            for (int i = 0; i < per_producer; ++i) {
                std::memcpy(body.data(), &i, sizeof i);
                q.push(&ids[p], i, {{}, body, 8}, true);
            }
        });
    }
    int seen[producers] = {};
    bool in_order = true;
    for (int n = 0; n < producers * per_producer; ++n) {
        auto r = q.pop(soon());
        for (int retries = 0; !r && retries < 1000; ++retries) {  // producers waiting for room interrupt the wait
            q.release();
            r = q.pop(soon());
        }
        REQUIRE(r);
        const int p = static_cast<int>(static_cast<int*>(r->channel) - ids);
        int value = 0;
        std::memcpy(&value, r->payload.body.data(), sizeof value);
        in_order = in_order && value == seen[p] && r->timestamp == seen[p];
        ++seen[p];
        if (n % 16 == 0) q.release();
    }
    q.release();
    for (auto& t : threads) t.join();
    CHECK(in_order);
    for (int p = 0; p < producers; ++p) CHECK(seen[p] == per_producer);
}
