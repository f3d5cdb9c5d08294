#pragma once
/// @file
/// `tinman export --format parquet`: one channel as one Parquet file
/// (include/tinman/parquet/, docs/parquet.md).

#include <cstdint>
#include <filesystem>
#include <string>

#include "arguments.hpp"
#include "channels.hpp"

namespace tinman::cli {

/// How the Parquet files are written.
struct ParquetSettings {
    std::string compression = "none";    ///< "none" or "zstd"
    int zstd_level = 3;
    std::uint64_t row_group_rows = 1u << 20;
    std::uint64_t row_group_mib = 128;
};

/// Writes the selected records of `channel` of `dir` to the Parquet file `out`
/// and returns the exit status (damage stops the export at the last intact record).
int export_parquet(const std::filesystem::path& dir, const ChannelRef& channel, const std::filesystem::path& out,
                   const Selection& selection, const ParquetSettings& settings);

}  // namespace tinman::cli
