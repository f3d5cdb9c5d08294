#pragma once
/// @file
/// `Lz4`: LZ4 compression for `CompressedArrayCodec` (link liblz4).

#include <lz4.h>

#include <cstddef>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "../error.hpp"
#include "compression.hpp"

namespace tinman {

/// LZ4, one block per record: the fastest to decode. The block has no checksum
/// of its own; the record checksum covers it.
struct Lz4 {
    static constexpr std::string_view name = "lz4";
    /// Each extra byte of a match length adds at most 255 decoded bytes.
    static constexpr std::size_t max_expansion = 256;

    /// LZ4's acceleration: 1 is its default; larger is faster and compresses less.
    int acceleration = 1;

    [[nodiscard]] std::size_t compress(std::span<const std::byte> in, std::vector<std::byte>& out) const {
        if (in.size() > static_cast<std::size_t>(LZ4_MAX_INPUT_SIZE))
            throw usage_error("lz4 compresses at most " + std::to_string(LZ4_MAX_INPUT_SIZE) + " bytes per record, not " +
                              std::to_string(in.size()));
        const int n_in = static_cast<int>(in.size());
        detail::grow_to(out, static_cast<std::size_t>(LZ4_compressBound(n_in)));
        const int n = LZ4_compress_fast(reinterpret_cast<const char*>(in.data()), reinterpret_cast<char*>(out.data()),
                                        n_in, static_cast<int>(out.size()), acceleration);
        if (n <= 0) throw usage_error("lz4 cannot compress " + std::to_string(in.size()) + " bytes");
        return static_cast<std::size_t>(n);
    }

    void decompress(std::span<const std::byte> in, std::span<std::byte> out) const {
        constexpr auto max_int = static_cast<std::size_t>(std::numeric_limits<int>::max());
        if (in.size() > max_int || out.size() > max_int)
            throw format_error("lz4 block of " + std::to_string(in.size()) + " bytes for " + std::to_string(out.size()) +
                               " is beyond what lz4 handles");
        char empty = 0;  // LZ4 wants valid pointers even for empty buffers
        const int n = LZ4_decompress_safe(in.empty() ? &empty : reinterpret_cast<const char*>(in.data()),
                                          out.empty() ? &empty : reinterpret_cast<char*>(out.data()),
                                          static_cast<int>(in.size()), static_cast<int>(out.size()));
        if (n < 0) throw format_error("the lz4 block is malformed or decodes to more than the shape's " +
                                      std::to_string(out.size()) + " bytes");
        if (static_cast<std::size_t>(n) != out.size())
            throw format_error("the lz4 block holds " + std::to_string(n) + " bytes, the shape needs " +
                               std::to_string(out.size()));
    }
};

static_assert(Compression<Lz4>);

}  // namespace tinman
