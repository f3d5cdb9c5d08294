#pragma once
/// @file
/// `ChannelOptions`: how `ObLogWriter::get_writer` opens one channel: what to do
/// if it exists, and the metadata a new channel stores.

#include "../framing/channel_metadata.hpp"
#include "open_mode.hpp"

namespace tinman {

/// How a channel is opened for writing.
///
///     log.get_writer("imu", tinman::NdArrayCodec<double>{},
///                    {.metadata = {{"units", "m/s^2"}, {"frame_id", "imu_link"}}});
struct ChannelOptions {
    OpenMode mode = OpenMode::create;
    /// Stored in the header of a channel this creates (or truncates). Appending,
    /// it must be empty (the stored metadata is kept) or equal to the stored one.
    ChannelMetadata metadata{};
};

}  // namespace tinman
