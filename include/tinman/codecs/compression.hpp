#pragma once
/// @file
/// The `Compression` concept: a general-purpose compressor that
/// `CompressedArrayCodec` applies to each record on its own (models:
/// `Zstd` in zstd_compression.hpp, `Lz4` in lz4_compression.hpp).

#include <concepts>
#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

#include "codec.hpp"

namespace tinman {

/// A compressor of whole buffers, each compressed and decompressed on its own:
///
///  - `C::name`: how channel headers name it ("zstd");
///  - `C::max_expansion`: the most decoded bytes a valid stream yields per stored
///    byte, so that a record claiming more is refused before anything is allocated;
///  - `compress(in, out)`: compresses `in` into the start of `out` (grown if needed,
///    never shrunk, so that its memory is reused) and returns the compressed size;
///  - `decompress(in, out)`: fills `out` exactly or throws `format_error`; it never
///    writes past `out`, whatever `in` holds.
template <class C>
concept Compression = std::copy_constructible<C> &&
                      requires(const C& c, std::span<const std::byte> in, std::vector<std::byte>& grow,
                               std::span<std::byte> out) {
                          { C::name } -> std::convertible_to<std::string_view>;
                          { C::max_expansion } -> std::convertible_to<std::size_t>;
                          { c.compress(in, grow) } -> std::same_as<std::size_t>;
                          { c.decompress(in, out) } -> std::same_as<void>;
                      };

}  // namespace tinman
