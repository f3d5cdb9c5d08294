#pragma once
/// @file
/// `detail::WriteQueue`: the bounded queue between threads that `write()` in
/// background mode and the log's writer thread: encoded records, copied into one
/// ring of bytes (no allocation per record), taken out in the order they were put in.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <span>
#include <thread>
#include <type_traits>

#include <sys/mman.h>

#include "../framing/payload.hpp"

namespace tinman::detail {

/// A record waiting in the queue, as the writer thread sees it.
struct QueuedRecord {
    void* channel = nullptr;  ///< what the producer passed to `push`
    std::int64_t timestamp = 0;
    Payload payload;  ///< points into the queue until `release`
};

/// A multi-producer, single-consumer queue of records in a ring of `capacity`
/// bytes. A producer reserves room under a short lock, copies its record outside
/// it, then publishes it; the consumer takes records strictly in reservation order.
class WriteQueue {
public:
    explicit WriteQueue(std::size_t capacity)
        : capacity_(round_up(std::max(capacity, std::size_t{4096}))), ring_(map_zeroed(capacity_)) {}
    WriteQueue(const WriteQueue&) = delete;
    WriteQueue& operator=(const WriteQueue&) = delete;
    ~WriteQueue() { ::munmap(ring_, capacity_); }

    /// True when a record of `p` can ever fit (else the caller writes it itself).
    [[nodiscard]] bool fits(const Payload& p) const noexcept { return extent_of(p) <= capacity_ / 2; }

    /// Copies a record in. When the queue is full: waits for room if `block`,
    /// else returns false (nothing queued). Requires `fits(p)`.
    bool push(void* channel, std::int64_t timestamp, const Payload& p, bool block) {
        const std::size_t extent = extent_of(p);
        std::byte* slot = nullptr;
        {
            std::unique_lock lock(mutex_);
            for (;;) {
                std::uint64_t reserved = reserved_.load(std::memory_order_relaxed);
                const std::size_t at = static_cast<std::size_t>(reserved % capacity_);
                // A record never wraps: if it does not fit before the end, the rest of the ring is skipped.
                const std::size_t skip = at + extent > capacity_ ? capacity_ - at : 0;
                if (reserved + skip + extent - released_ <= capacity_) {
                    if (skip != 0) {
                        header_at(at)->extent = skip;
                        state_of(header_at(at)).store(State::skip, std::memory_order_relaxed);
                        reserved += skip;
                    }
                    slot = ring_ + static_cast<std::size_t>(reserved % capacity_);
                    // Earlier laps left other bytes here: unpublished until the copy is done.
                    state_of(reinterpret_cast<Header*>(slot)).store(State::being_written, std::memory_order_relaxed);
                    reserved += extent;
                    reserved_.store(reserved, std::memory_order_release);  // the consumer reads states only below it
                    ++pushed_;
                    high_water_ = std::max<std::uint64_t>(high_water_, reserved - released_);
                    break;
                }
                if (!block) return false;
                ++space_waiters_;
                space_.wait(lock);
                --space_waiters_;
            }
        }
        auto* h = reinterpret_cast<Header*>(slot);  // its state reads being_written until published
        h->channel = channel;
        h->timestamp = timestamp;
        h->head_size = p.head.size();
        h->body_size = p.body.size();
        h->body_alignment = p.body_alignment;
        h->extent = extent;
        std::byte* out = slot + sizeof(Header);
        if (!p.head.empty()) std::memcpy(out, p.head.data(), p.head.size());
        if (!p.body.empty()) std::memcpy(out + p.head.size(), p.body.data(), p.body.size());
        state_of(h).store(State::ready, std::memory_order_release);
        if (consumer_waiting_.load(std::memory_order_seq_cst)) {
            std::lock_guard lock(mutex_);
            ready_.notify_one();
        }
        return true;
    }

    /// Consumer: the next record, waiting until `deadline` (or `interrupt()`) for
    /// one; nullopt when none came. Its payload stays valid until `release()`.
    [[nodiscard]] std::optional<QueuedRecord> pop(std::chrono::steady_clock::time_point deadline) {
        for (;;) {
            if (Header* h = header_at(static_cast<std::size_t>(taken_ % capacity_)); wait_published(h)) {
                const std::uint32_t state = state_of(h).load(std::memory_order_acquire);
                const std::size_t extent = h->extent;
                // The slot reads as unpublished again when the ring comes round to it.
                state_of(h).store(State::being_written, std::memory_order_relaxed);
                taken_ += extent;
                if (state == State::skip) continue;
                const std::byte* data = reinterpret_cast<const std::byte*>(h) + sizeof(Header);
                return QueuedRecord{h->channel, h->timestamp,
                                    Payload{{data, h->head_size}, {data + h->head_size, h->body_size},
                                            h->body_alignment}};
            }
            if (!wait_for_work(deadline)) return std::nullopt;
        }
    }

    /// Consumer: frees the room of every record taken so far (and wakes waiting producers).
    void release() {
        std::lock_guard lock(mutex_);
        released_ = taken_;
        if (space_waiters_ != 0) space_.notify_all();
    }

    /// Records pushed so far (the number to wait for with `wait_consumed`).
    [[nodiscard]] std::uint64_t pushed() const {
        std::lock_guard lock(mutex_);
        return pushed_;
    }
    /// Consumer: `n` more records were dealt with.
    void mark_consumed(std::uint64_t n) {
        consumed_.fetch_add(n, std::memory_order_release);
        std::lock_guard lock(mutex_);
        done_.notify_all();
    }
    /// Waits until `count` records were consumed.
    void wait_consumed(std::uint64_t count) {
        std::unique_lock lock(mutex_);
        done_.wait(lock, [&] { return consumed_.load(std::memory_order_acquire) >= count; });
    }
    [[nodiscard]] std::uint64_t high_water_bytes() const {
        std::lock_guard lock(mutex_);
        return high_water_;
    }

private:
    enum State : std::uint32_t { being_written = 0, ready = 1, skip = 2 };
    static constexpr std::size_t slot_alignment = 64;

    // A plain struct laid over the ring (which starts as zeros: every state `being_written`).
    struct alignas(slot_alignment) Header {
        std::uint32_t state;  // accessed only through `state_of` (atomically)
        void* channel;
        std::int64_t timestamp;
        std::size_t head_size;
        std::size_t body_size;
        std::size_t body_alignment;
        std::size_t extent;
    };
    static_assert(sizeof(Header) == slot_alignment && std::is_trivial_v<Header>);
    [[nodiscard]] static std::atomic_ref<std::uint32_t> state_of(Header* h) noexcept {
        return std::atomic_ref<std::uint32_t>(h->state);
    }

    static constexpr std::size_t round_up(std::size_t n) noexcept {
        return (n + slot_alignment - 1) / slot_alignment * slot_alignment;
    }
    [[nodiscard]] static std::size_t extent_of(const Payload& p) noexcept {
        return sizeof(Header) + round_up(p.head.size() + p.body.size());
    }
    [[nodiscard]] Header* header_at(std::size_t at) const noexcept { return reinterpret_cast<Header*>(ring_ + at); }

    /// Ring memory that reads as zeros (every slot unpublished), touched only as used.
    [[nodiscard]] static std::byte* map_zeroed(std::size_t n) {
        void* p = ::mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) throw std::bad_alloc();
        return static_cast<std::byte*>(p);
    }

    /// True once the slot at `h` holds a published record (or a skip); when a
    /// producer has reserved it but is still copying, waits for it (copies are short).
    [[nodiscard]] bool wait_published(Header* h) {
        if (reserved_.load(std::memory_order_acquire) == taken_) return false;  // nothing reserved: empty
        while (state_of(h).load(std::memory_order_acquire) == State::being_written) std::this_thread::yield();
        return true;
    }

    /// Sleeps until a producer has reserved a record, `deadline` or `interrupt()`;
    /// true when there is a record to take.
    bool wait_for_work(std::chrono::steady_clock::time_point deadline) {
        std::unique_lock lock(mutex_);
        consumer_waiting_.store(true, std::memory_order_seq_cst);
        const auto work = [&] { return reserved_.load(std::memory_order_relaxed) != taken_; };
        ready_.wait_until(lock, deadline, [&] { return work() || interrupted_; });
        consumer_waiting_.store(false, std::memory_order_relaxed);
        interrupted_ = false;
        return work();
    }

public:
    /// Makes a sleeping consumer return from `pop` at once (see `wake`).
    void interrupt() {
        std::lock_guard lock(mutex_);
        interrupted_ = true;
        ready_.notify_all();
    }

private:
    const std::size_t capacity_;
    std::byte* const ring_;
    mutable std::mutex mutex_;
    std::condition_variable space_, ready_, done_;
    // Bytes reserved since the start (positions are taken modulo capacity); written
    // under `mutex_`, read by the consumer without it.
    std::atomic<std::uint64_t> reserved_{0};
    std::uint64_t released_ = 0;  // bytes given back by the consumer
    std::uint64_t taken_ = 0;     // consumer only: bytes taken
    std::uint64_t pushed_ = 0;
    std::uint64_t high_water_ = 0;
    std::atomic<std::uint64_t> consumed_{0};
    std::atomic<bool> consumer_waiting_{false};
    bool interrupted_ = false;
    int space_waiters_ = 0;
};

}  // namespace tinman::detail
