#pragma once
/// @file
/// Configuration macros and library-wide constants, all in one place.

#include <cstddef>

#define TINMAN_VERSION_MAJOR 0
#define TINMAN_VERSION_MINOR 1
#define TINMAN_VERSION_PATCH 0

// Hardware CRC32C is compiled in on x86-64 (GCC/Clang) and selected at run time.
#if !defined(TINMAN_NO_HW_CRC32C) && defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define TINMAN_HAS_SSE42_CRC32C 1
#else
#define TINMAN_HAS_SSE42_CRC32C 0
#endif

namespace tinman {

/// Payloads up to this many bytes are checksum-verified every time they are read;
/// larger ones only on request (strict reading, `ObLogReader::verify`), so that
/// decoding a large array stays O(1) and touches no page the caller does not read.
inline constexpr std::size_t default_verify_max_bytes = 4096;

/// Bytes a channel writer buffers before handing them to the OS.
inline constexpr std::size_t default_write_buffer_bytes = std::size_t{1} << 16;

/// Payload bodies at least this large bypass the write buffer and go out with
/// `pwritev` straight from the caller's memory.
inline constexpr std::size_t direct_write_min_bytes = std::size_t{1} << 15;

}  // namespace tinman
