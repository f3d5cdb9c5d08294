#pragma once
/// @file
/// Replays a stream of records (a channel, a time range, a merge of
/// channels) paced by their timestamps against a clock, at a speed factor,
/// from an offset into the log. The clock is a parameter, so tests can use a
/// fake one.
///
///     auto merged = tinman::merge(reader.read_channel<tinman::NdArrayCodec<float>>("pose"),
///                                 reader.read_channel<tinman::BytesCodec>("events"));
///     tinman::replay(merged, [&](auto&& r) { publish(r.channel, r.value); }, {.speed = 2.0});

#include <time.h>

#include <cmath>
#include <concepts>
#include <cstdint>
#include <limits>
#include <iterator>
#include <type_traits>
#include <utility>

#include "error.hpp"
#include "record_range.hpp"

namespace tinman {

/// A clock that paces a replay: `now()` in nanoseconds (any epoch, never going
/// back), and `sleep_until(t)`, returning once `now() >= t` (or sooner: the
/// replay checks again).
template <class C>
concept ReplayClock = requires(C& c, std::int64_t t) {
    { c.now() } -> std::convertible_to<std::int64_t>;
    c.sleep_until(t);
};

/// The default replay clock: the monotonic clock (`std::chrono::steady_clock`'s),
/// sleeping the calling thread. (`clock_nanosleep` rather than `<thread>`, whose
/// header costs every user of tinman compile time.)
struct SteadyReplayClock {
    [[nodiscard]] std::int64_t now() const noexcept {
        timespec ts{};
        ::clock_gettime(CLOCK_MONOTONIC, &ts);
        return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
    }
    void sleep_until(std::int64_t t) const noexcept {
        const timespec ts{static_cast<time_t>(t / 1'000'000'000), static_cast<long>(t % 1'000'000'000)};
        ::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr);  // early on a signal: replay checks again
    }
};
static_assert(ReplayClock<SteadyReplayClock>);

/// How a replay is paced.
struct ReplayOptions {
    /// Log time per clock time: 1 = real time, 2 = twice as fast; 0 or infinity = as fast as possible.
    double speed = 1.0;
    /// Where to start, in ns after the first record's timestamp: records before the
    /// first one at or after that time are skipped (without being decoded, where the
    /// range's iterator can tell timestamps, as channels and merges can).
    std::int64_t start_offset = 0;
};

/// What a replay did.
struct ReplayResult {
    std::uint64_t delivered = 0;  ///< records passed to the callback
    std::uint64_t skipped = 0;    ///< records before the start
    bool stopped = false;         ///< the callback asked to stop
};

/// Replays `records` in order, calling `f(record)` for each no earlier than
/// `start + (timestamp - log_start) / speed` on `clock`, where `start` is the
/// clock's time when the first record is due and `log_start` the first
/// replayed record's time point (the first record's timestamp plus
/// `start_offset`). Due times are absolute, so pacing does not drift however
/// long `f` takes; a record due in the past (`f` was slow, or the log's clock
/// stepped back) is delivered at once. `f` may return `bool`: false stops.
template <detail::input_range R, class F, class Clock = SteadyReplayClock>
    requires ReplayClock<std::remove_reference_t<Clock>>
ReplayResult replay(R&& records, F&& f, const ReplayOptions& options = {}, Clock&& clock = {}) {
    if (!(options.speed >= 0)) throw usage_error("replay speed must be >= 0 (0 or infinity: as fast as possible)");
    const bool paced = options.speed > 0 && std::isfinite(options.speed);
    ReplayResult result;
    auto it = std::ranges::begin(records);
    const auto end = std::ranges::end(records);
    if (it == end) return result;
    const std::int64_t first = detail::timestamp_at(it);
    constexpr std::int64_t top = std::numeric_limits<std::int64_t>::max();
    constexpr std::int64_t bottom = std::numeric_limits<std::int64_t>::min();
    const std::int64_t log_start = options.start_offset > 0 && first > top - options.start_offset   ? top
                                   : options.start_offset < 0 && first < bottom - options.start_offset ? bottom
                                                                                                      : first + options.start_offset;
    for (; it != end && detail::timestamp_at(it) < log_start; ++it) ++result.skipped;
    const std::int64_t clock_start = static_cast<std::int64_t>(clock.now());
    for (; it != end; ++it) {
        if (paced) {
            // long double: (timestamp - log_start) may exceed the range of int64.
            const long double delay =
                (static_cast<long double>(detail::timestamp_at(it)) - static_cast<long double>(log_start)) /
                static_cast<long double>(options.speed);
            const long double due_ld = static_cast<long double>(clock_start) + delay;
            const std::int64_t due = due_ld >= static_cast<long double>(top)      ? top
                                     : due_ld <= static_cast<long double>(bottom) ? bottom
                                                                                  : static_cast<std::int64_t>(due_ld);
            while (static_cast<std::int64_t>(clock.now()) < due) clock.sleep_until(due);
        }
        ++result.delivered;
        if constexpr (std::is_convertible_v<std::invoke_result_t<F&, detail::reference_of<R>>, bool>) {
            if (!f(*it)) {
                result.stopped = true;
                return result;
            }
        } else {
            f(*it);
        }
    }
    return result;
}

}  // namespace tinman
