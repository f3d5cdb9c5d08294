#pragma once
/// @file
/// What opening a channel for writing does when it already exists, and when a
/// channel it creates is made durable.

namespace tinman {

/// What to do when the channel file already exists.
enum class OpenMode {
    create,    ///< fail with `channel_error` if the channel exists (the default: never lose data)
    append,    ///< continue after the last intact record, cutting a torn tail; create if missing
    truncate,  ///< replace the channel with an empty one (atomically: readers keep the old file)
};

/// When a channel that opening creates (or replaces) is made durable against a power loss.
/// Against a crash of the process both are the same: the file appears under its name with
/// a complete header or not at all.
enum class CreateSync {
    /// Before opening returns: the header is synced, then the directory's new name (two
    /// waits for the disk, milliseconds). After a power loss the channel is there, complete.
    on_create,
    /// At the channel's first `sync()`, with its records: opening waits for no disk. A power
    /// loss before that `sync()` returned may leave the channel missing, or present with an
    /// incomplete header (readers then report it as damaged, `OpenMode::truncate` replaces it);
    /// once it returned, as `on_create`.
    on_first_sync,
};

}  // namespace tinman
