#pragma once
/// @file
/// How an `ObLogWriter` writes: buffers, time index, and whether `write()` does
/// the I/O itself or hands records to a background thread.

#include <chrono>
#include <cstddef>
#include <cstdint>

#include "../config.hpp"
#include "open_mode.hpp"

namespace tinman {

/// Who does a record's I/O.
enum class WriteMode {
    /// `write()` encodes, checksums and writes in the calling thread; it returns once
    /// the record is in the channel's buffer, and may block on I/O when that fills.
    blocking,
    /// `write()` copies the encoded record into a bounded queue and returns; one
    /// thread per log checksums and writes it. For real-time threads.
    background,
};

/// What a background `write()` does when the queue is full.
enum class QueueFullPolicy {
    block,  ///< wait until the writer thread makes room: no record is lost
    drop,   ///< drop the record and count it (`ObLogWriter::statistics()`, `close()`)
};

/// How an `ObLogWriter` opens its channels.
struct WriterOptions {
    std::size_t buffer_bytes = default_write_buffer_bytes;  ///< per-channel write buffer
    /// Keep each channel's time index (`<channel>.tinman-index`, 32 bytes per record)
    /// as records are written. Without it, readers index a channel by one scan when
    /// they need to (seek, random access, time ranges, summaries).
    bool time_index = true;
    WriteMode mode = WriteMode::blocking;
    /// Background mode: most bytes of encoded records waiting in the queue (each
    /// record takes its payload plus 64 bytes); this memory is resident while the log is open. Records over 64 KiB may fill only half
    /// of it, so that a channel of large frames never starves small records; one over
    /// half of it is written by `write()` itself, once every record queued before it is.
    std::size_t queue_bytes = std::size_t{32} << 20;
    QueueFullPolicy when_full = QueueFullPolicy::block;
    /// Every this much wall time, every channel's buffered records are handed to the
    /// OS, so that a crash of the process loses at most about this much of any
    /// channel, low-rate ones included (0: only when buffers fill, on `flush()` and `close()`).
    std::chrono::milliseconds flush_interval{0};
    /// When channels this log creates are made durable: `on_create` (two syncs in
    /// `get_writer`, milliseconds) or `on_first_sync` (`get_writer` waits for no disk;
    /// see `CreateSync` for what a power loss before the first `sync()` leaves).
    CreateSync create_sync = CreateSync::on_create;
};

/// What an `ObLogWriter` has done so far.
struct WriterStatistics {
    std::uint64_t records_queued = 0;   ///< background mode: records accepted by `write()`
    std::uint64_t records_written = 0;  ///< records appended to their channel (buffered or on file)
    std::uint64_t records_dropped = 0;  ///< background mode with `QueueFullPolicy::drop`: records lost
    std::uint64_t queue_high_water_bytes = 0;  ///< background mode: most bytes ever queued at once
    std::uint64_t automatic_flushes = 0;       ///< flushes made by `flush_interval`
};

}  // namespace tinman
