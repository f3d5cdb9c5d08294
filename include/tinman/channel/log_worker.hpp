#pragma once
/// @file
/// The thread an `ObLogWriter` runs when it writes in the background or flushes
/// on a timer, and the lock that makes every channel safe to share across threads.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "record_writer.hpp"
#include "write_queue.hpp"
#include "writer_options.hpp"

namespace tinman::detail {

/// One channel being written: its record writer, and the lock every thread takes
/// to use it (writers in blocking mode, the log's thread, flush/sync/close).
struct ChannelSlot {
    template <class... Args>
    explicit ChannelSlot(Args&&... args) : records(std::forward<Args>(args)...) {}

    std::mutex io;
    RecordWriter records;
    std::atomic<bool> accepting{true};  ///< background mode: `write()` still takes records
};

/// The log's thread: takes queued records and appends them to their channels
/// (background mode), and flushes every channel each `flush_interval`.
class LogWorker {
public:
    explicit LogWorker(const WriterOptions& options) : options_(options) {
        if (options_.mode == WriteMode::background) queue_.emplace(options_.queue_bytes);
        thread_ = std::thread([this] { run(); });
    }
    LogWorker(const LogWorker&) = delete;
    LogWorker& operator=(const LogWorker&) = delete;
    ~LogWorker() { stop(); }

    [[nodiscard]] bool background() const noexcept { return queue_.has_value(); }

    void add(std::shared_ptr<ChannelSlot> slot) {
        std::lock_guard lock(slots_mutex_);
        slots_.push_back(std::move(slot));
    }

    /// Background mode: queues a record of `slot` (or, if it could never fit in the
    /// queue, writes it here once everything queued before it is written).
    void write(ChannelSlot& slot, std::int64_t timestamp, const Payload& p) {
        rethrow_error();
        if (!queue_->fits(p)) {
            drain();
            std::lock_guard lock(slot.io);
            slot.records.append(timestamp, p);
            written_.fetch_add(1, std::memory_order_relaxed);
            return;
        }
        if (queue_->push(&slot, timestamp, p, options_.when_full == QueueFullPolicy::block))
            queued_.fetch_add(1, std::memory_order_relaxed);
        else
            dropped_.fetch_add(1, std::memory_order_relaxed);
    }

    /// Waits until every record queued before this call is appended to its channel.
    void drain() {
        if (queue_) queue_->wait_done(queue_->end_position());
    }

    /// Throws (once) the first error the thread met appending a record.
    void rethrow_error() {
        if (!has_error_.load(std::memory_order_acquire)) return;
        std::exception_ptr e;
        {
            std::lock_guard lock(error_mutex_);
            e = std::exchange(error_, nullptr);
            has_error_.store(false, std::memory_order_relaxed);
        }
        if (e) std::rethrow_exception(e);
    }

    /// Writes everything queued, then stops the thread. Idempotent.
    void stop() {
        if (!thread_.joinable()) return;
        {
            std::lock_guard lock(timer_mutex_);
            stopping_ = true;
        }
        timer_.notify_all();
        if (queue_) queue_->interrupt();
        thread_.join();
    }

    [[nodiscard]] WriterStatistics statistics() const {
        WriterStatistics s;
        s.records_queued = queued_.load(std::memory_order_relaxed);
        s.records_written = written_.load(std::memory_order_relaxed);
        s.records_dropped = dropped_.load(std::memory_order_relaxed);
        s.queue_high_water_bytes = queue_ ? queue_->high_water_bytes() : 0;
        s.automatic_flushes = automatic_flushes_.load(std::memory_order_relaxed);
        return s;
    }

private:
    using clock = std::chrono::steady_clock;

    void run() {
        const bool timed = options_.flush_interval.count() > 0;
        auto next_flush = timed ? clock::now() + options_.flush_interval : clock::time_point::max();
        for (;;) {
            // Without a timer, wake up now and then anyway to see a stop request.
            const auto deadline = std::min(next_flush, clock::now() + std::chrono::milliseconds(100));
            if (queue_) {
                take_records(deadline);
            } else {
                std::unique_lock lock(timer_mutex_);
                timer_.wait_until(lock, deadline, [&] { return stopping_; });
            }
            if (timed && clock::now() >= next_flush) {
                flush_all();
                next_flush = clock::now() + options_.flush_interval;
            }
            std::lock_guard lock(timer_mutex_);
            if (stopping_ && (!queue_ || queue_->empty())) break;
        }
    }

    /// Appends the queued records, waiting until `deadline` for the first.
    void take_records(clock::time_point deadline) {
        std::uint64_t taken = 0;
        while (auto r = queue_->pop(taken == 0 ? deadline : clock::now())) {
            auto& slot = *static_cast<ChannelSlot*>(r->channel);
            try {
                std::lock_guard lock(slot.io);
                slot.records.append(r->timestamp, r->payload);
                written_.fetch_add(1, std::memory_order_relaxed);
            } catch (...) {
                keep_error(std::current_exception());
            }
            // Room is given back in batches: fewer wake-ups for producers and flushes.
            if (++taken % 64 == 0) queue_->release();
        }
        queue_->release();
    }

    void flush_all() {
        std::vector<std::shared_ptr<ChannelSlot>> slots;
        {
            std::lock_guard lock(slots_mutex_);
            slots = slots_;
        }
        for (auto& slot : slots) {
            try {
                std::lock_guard lock(slot->io);
                if (slot->records.is_open()) slot->records.flush();
            } catch (...) {
                keep_error(std::current_exception());
            }
        }
        automatic_flushes_.fetch_add(1, std::memory_order_relaxed);
    }

    void keep_error(std::exception_ptr e) {
        std::lock_guard lock(error_mutex_);
        if (!error_) error_ = std::move(e);
        has_error_.store(true, std::memory_order_release);
    }

    const WriterOptions options_;
    std::optional<WriteQueue> queue_;
    std::thread thread_;
    std::mutex timer_mutex_;
    std::condition_variable timer_;
    bool stopping_ = false;

    std::mutex slots_mutex_;
    std::vector<std::shared_ptr<ChannelSlot>> slots_;

    std::mutex error_mutex_;
    std::exception_ptr error_;
    std::atomic<bool> has_error_{false};

    std::atomic<std::uint64_t> queued_{0}, written_{0}, dropped_{0}, automatic_flushes_{0};
};

}  // namespace tinman::detail
