#pragma once
/// @file
/// `detail::WriteQueue`: the bounded queue between threads that `write()` in
/// background mode and the log's writer thread: encoded records, copied into one
/// ring of bytes (no allocation per record), taken out in the order they were put in.

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <new>
#include <optional>
#include <span>
#include <thread>
#include <type_traits>

#include "../framing/payload.hpp"

namespace tinman::detail {

/// A record waiting in the queue, as the writer thread sees it.
struct QueuedRecord {
    void* channel = nullptr;  ///< what the producer passed to `push`
    std::int64_t timestamp = 0;
    Payload payload;  ///< points into the queue until `release`
};

/// A multi-producer, single-consumer queue of records in a ring of `capacity`
/// bytes. A producer reserves room with one atomic compare-and-swap (no lock: a
/// real-time thread never waits for a thread that was preempted holding one),
/// copies its record in and publishes it; the consumer takes records strictly in
/// reservation order. Ring memory not in use reads as zeros (the consumer clears
/// what it gives back), which is how an unpublished record looks. Producers make no
/// system call: the consumer polls while the queue is short (see `wait_for_work`),
/// so a record waits at most 16 ms before the consumer takes it.
class WriteQueue {
public:
    explicit WriteQueue(std::size_t capacity)
        : capacity_(round_up(std::max(capacity, std::size_t{4096}))), ring_(map_zeroed(capacity_)) {}
    WriteQueue(const WriteQueue&) = delete;
    WriteQueue& operator=(const WriteQueue&) = delete;
    ~WriteQueue() { ::munmap(ring_, capacity_); }

    /// True when a record of `p` can ever be queued (else the caller writes it itself).
    [[nodiscard]] bool fits(const Payload& p) const noexcept { return extent_of(p) <= capacity_ / 2; }

    /// Copies a record in. When the queue is full: waits for room if `block`,
    /// else returns false (nothing queued). Requires `fits(p)`.
    bool push(void* channel, std::int64_t timestamp, const Payload& p, bool block) {
        const std::size_t extent = extent_of(p);
        // Large records may fill only half the ring: a channel streaming frames as fast
        // as it can never leaves the small records of other channels without room.
        const std::size_t limit = extent > small_record_bytes ? capacity_ / 2 : capacity_;
        std::uint64_t at = reserved_.load(std::memory_order_relaxed);
        std::size_t skip = 0;
        for (;;) {
            const std::size_t offset = static_cast<std::size_t>(at % capacity_);
            // A record never wraps: if it does not fit before the end, the rest of the ring is skipped.
            skip = offset + extent > capacity_ ? capacity_ - offset : 0;
            if (at + skip + extent - released_.load(std::memory_order_acquire) > limit) {
                if (!block) return false;
                wait_for_room(at + skip + extent - limit);
                at = reserved_.load(std::memory_order_relaxed);
                continue;
            }
            if (reserved_.compare_exchange_weak(at, at + skip + extent, std::memory_order_acq_rel)) break;
        }
        if (skip != 0) {
            Header* s = header_at(static_cast<std::size_t>(at % capacity_));
            s->extent = skip;
            state_of(s).store(State::skip, std::memory_order_release);
            at += skip;
        }
        std::byte* slot = ring_ + static_cast<std::size_t>(at % capacity_);
        auto* h = reinterpret_cast<Header*>(slot);  // its state reads `being_written` (zero) until published
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
        update_high_water(at + extent);
        // No system call per record: a sleeping consumer looks again within
        // `max_poll`; it is woken early only once the queue is a quarter full.
        if (at + extent - released_.load(std::memory_order_relaxed) > capacity_ / 4 &&
            consumer_waiting_.load(std::memory_order_seq_cst)) {
            std::lock_guard lock(mutex_);
            ready_.notify_one();
        }
        return true;
    }

    /// Consumer: the next record, waiting until `deadline` for one; nullopt when none
    /// came, or early when someone waits for room (`interrupt`, `wait_done`): the
    /// consumer should then `release()` what it took. A payload stays valid until `release()`.
    [[nodiscard]] std::optional<QueuedRecord> pop(std::chrono::steady_clock::time_point deadline) {
        for (;;) {
            if (Header* h = header_at(static_cast<std::size_t>(taken_ % capacity_)); wait_published(h)) {
                const std::uint32_t state = state_of(h).load(std::memory_order_acquire);
                taken_ += h->extent;
                if (state == State::skip) continue;
                const std::byte* data = reinterpret_cast<const std::byte*>(h) + sizeof(Header);
                return QueuedRecord{h->channel, h->timestamp,
                                    Payload{{data, h->head_size}, {data + h->head_size, h->body_size},
                                            h->body_alignment}};
            }
            if (!wait_for_work(deadline)) return std::nullopt;
        }
    }

    /// Consumer: gives back the room of every record taken so far (cleared to
    /// zeros first), marks them done (see `wait_done`) and wakes waiting producers.
    void release() {
        const std::uint64_t released = released_.load(std::memory_order_relaxed);
        if (released == taken_) return;
        clear(released, taken_);
        released_.store(taken_, std::memory_order_seq_cst);
        if (waiters_.load(std::memory_order_seq_cst) != 0) {
            std::lock_guard lock(mutex_);
            space_.notify_all();
        }
    }

    /// Where the queue's end is now: every record queued before this call lies before it.
    [[nodiscard]] std::uint64_t end_position() const noexcept { return reserved_.load(std::memory_order_acquire); }
    /// Waits until the consumer has released everything before `position` (waking it).
    void wait_done(std::uint64_t position) {
        if (released_.load(std::memory_order_acquire) >= position) return;
        std::unique_lock lock(mutex_);
        interrupted_ = true;  // the consumer may be sleeping between polls
        ready_.notify_all();
        waiters_.fetch_add(1, std::memory_order_seq_cst);
        space_.wait(lock, [&] { return released_.load(std::memory_order_seq_cst) >= position; });
        waiters_.fetch_sub(1, std::memory_order_relaxed);
    }
    /// True when every record queued so far was taken and released.
    [[nodiscard]] bool empty() const noexcept {
        return released_.load(std::memory_order_acquire) == reserved_.load(std::memory_order_acquire);
    }

    /// Makes a sleeping consumer return from `pop` at once.
    void interrupt() {
        std::lock_guard lock(mutex_);
        interrupted_ = true;
        ready_.notify_all();
    }

    [[nodiscard]] std::uint64_t high_water_bytes() const noexcept {
        return high_water_.load(std::memory_order_relaxed);
    }

private:
    enum State : std::uint32_t { being_written = 0, ready = 1, skip = 2 };
    static constexpr std::size_t slot_alignment = 64;
    static constexpr std::size_t small_record_bytes = std::size_t{64} << 10;

    // A plain struct laid over the ring (which reads as zeros where not in use:
    // every state `being_written` until a producer publishes).
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
    [[nodiscard]] Header* header_at(std::size_t offset) const noexcept {
        return reinterpret_cast<Header*>(ring_ + offset);
    }

    /// Ring memory that reads as zeros, mapped in at once: a producer never takes a
    /// page fault on the way (the queue's size is resident while the log is open).
    [[nodiscard]] static std::byte* map_zeroed(std::size_t n) {
        void* p = ::mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
        if (p == MAP_FAILED) throw std::bad_alloc();
        return static_cast<std::byte*>(p);
    }

    /// Zeroes ring positions [from, to) (at most one lap), before they are given
    /// back: no producer writes there until then.
    void clear(std::uint64_t from, std::uint64_t to) noexcept {
        while (from < to) {
            const std::size_t offset = static_cast<std::size_t>(from % capacity_);
            const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(to - from, capacity_ - offset));
            std::memset(ring_ + offset, 0, n);
            from += n;
        }
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
        const auto work = [&] { return reserved_.load(std::memory_order_seq_cst) != taken_; };
        // Polls, from every 0.5 ms after recent work to every `max_poll` when idle.
        while (!work() && !interrupted_ && std::chrono::steady_clock::now() < deadline) {
            ready_.wait_until(lock, std::min(deadline, std::chrono::steady_clock::now() + poll_));
            poll_ = std::min(poll_ * 2, max_poll);
        }
        if (work()) poll_ = min_poll;
        consumer_waiting_.store(false, std::memory_order_relaxed);
        interrupted_ = false;
        return work();
    }

    /// Producer: sleeps until the consumer has released up to `position`.
    void wait_for_room(std::uint64_t position) { wait_done(position); }

    void update_high_water(std::uint64_t end) noexcept {
        const std::uint64_t used = end - released_.load(std::memory_order_relaxed);
        std::uint64_t seen = high_water_.load(std::memory_order_relaxed);
        while (used > seen && !high_water_.compare_exchange_weak(seen, used, std::memory_order_relaxed)) {
        }
    }

    const std::size_t capacity_;
    std::byte* const ring_;
    // Positions are bytes since the start (taken modulo the capacity in the ring).
    std::atomic<std::uint64_t> reserved_{0};  // producers: end of what is reserved
    std::atomic<std::uint64_t> released_{0};  // consumer: end of what was given back
    std::uint64_t taken_ = 0;                 // consumer only: end of what was taken
    std::atomic<std::uint64_t> high_water_{0};
    std::atomic<bool> consumer_waiting_{false};
    std::atomic<int> waiters_{0};  // producers waiting for room, callers waiting for `wait_done`
    std::mutex mutex_;             // only for sleeping and waking
    std::condition_variable space_, ready_;
    bool interrupted_ = false;
    static constexpr std::chrono::microseconds min_poll{500};
    static constexpr std::chrono::microseconds max_poll{16000};
    std::chrono::microseconds poll_ = min_poll;  // consumer only
};

}  // namespace tinman::detail
