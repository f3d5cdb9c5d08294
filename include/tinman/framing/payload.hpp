#pragma once
/// @file
/// A record's payload as a codec lays it out for the writer.

#include <cstddef>
#include <span>

namespace tinman {

/// A record's payload in two parts that the file stores back to back: a small
/// `head` (metadata) and a `body` (bulk data). The writer pads before the
/// payload so that the body starts at a file offset that is a multiple of
/// `body_alignment` (a power of two, at most 4096).
struct Payload {
    std::span<const std::byte> head;
    std::span<const std::byte> body;
    std::size_t body_alignment = 1;
};

}  // namespace tinman
