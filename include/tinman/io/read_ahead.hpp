#pragma once
/// @file
/// How a mapping will be read, told to the kernel before any page is touched.

namespace tinman {

/// Read-ahead advice (`madvise`) for a mapping: how much the kernel reads around
/// a page that is not cached. `normal` and `sequential` also ask for huge (2 MiB)
/// page-cache folios, which later mappings map cheaply (see `MappedSegment::advise`);
/// a page not cached may then be read with its 2 MiB folio.
enum class ReadAhead {
    normal,      ///< the kernel's default read-ahead (the device's `read_ahead_kb`)
    sequential,  ///< whole-file scans: read ahead aggressively
    random,      ///< sparse access to large arrays: read only the pages touched, no huge folios
};

/// The 0.1 name of `ReadAhead`.
using Access [[deprecated("use tinman::ReadAhead")]] = ReadAhead;

}  // namespace tinman
