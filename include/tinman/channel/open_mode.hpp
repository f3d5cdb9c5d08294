#pragma once
/// @file
/// What opening a channel for writing does when it already exists.

namespace tinman {

/// What to do when the channel file already exists.
enum class OpenMode {
    create,    ///< fail with `channel_error` if the channel exists (the default: never lose data)
    append,    ///< continue after the last intact record, cutting a torn tail; create if missing
    truncate,  ///< replace the channel with an empty one (atomically: readers keep the old file)
};

}  // namespace tinman
