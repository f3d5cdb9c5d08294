#pragma once
/// @file
/// `Zstd`: zstd compression for `CompressedArrayCodec` (link libzstd).

#include <zstd.h>

#include <cstddef>
#include <memory>
#include <new>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "../error.hpp"
#include "compression.hpp"

namespace tinman {

namespace detail {
/// One compression and one decompression context per thread, made on first use:
/// contexts hold megabytes of tables that are costly to set up for every record.
inline ZSTD_CCtx* zstd_compress_context() {
    thread_local const std::unique_ptr<ZSTD_CCtx, decltype(&ZSTD_freeCCtx)> ctx(ZSTD_createCCtx(), &ZSTD_freeCCtx);
    if (!ctx) throw std::bad_alloc();
    return ctx.get();
}
inline ZSTD_DCtx* zstd_decompress_context() {
    thread_local const std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> ctx(ZSTD_createDCtx(), &ZSTD_freeDCtx);
    if (!ctx) throw std::bad_alloc();
    return ctx.get();
}
}  // namespace detail

/// zstd, one frame per record, with the frame's content size and checksum (so
/// that decoding detects damage even when the reader skipped the record checksum).
///
///     tinman::CompressedArrayCodec<float, tinman::Zstd> codec{tinman::Zstd{.level = 1}};
struct Zstd {
    static constexpr std::string_view name = "zstd";
    /// A raw-literal (RLE) block decodes to at most 128 KiB from 4 bytes.
    static constexpr std::size_t max_expansion = 32768;

    /// zstd's level: 1 (fastest) to 19 (smallest), or negative for faster still.
    int level = 3;

    [[nodiscard]] std::size_t compress(std::span<const std::byte> in, std::vector<std::byte>& out) const {
        ZSTD_CCtx* ctx = detail::zstd_compress_context();
        detail::grow_to(out, ZSTD_compressBound(in.size()));
        std::size_t n = ZSTD_CCtx_setParameter(ctx, ZSTD_c_compressionLevel, level);
        if (!ZSTD_isError(n)) n = ZSTD_CCtx_setParameter(ctx, ZSTD_c_checksumFlag, 1);
        if (!ZSTD_isError(n)) n = ZSTD_compress2(ctx, out.data(), out.size(), in.data(), in.size());
        if (ZSTD_isError(n)) throw usage_error(std::string("zstd cannot compress: ") + ZSTD_getErrorName(n));
        return n;
    }

    void decompress(std::span<const std::byte> in, std::span<std::byte> out) const {
        const unsigned long long claimed = ZSTD_getFrameContentSize(in.data(), in.size());
        if (claimed == ZSTD_CONTENTSIZE_ERROR) throw format_error("the data is not a zstd frame");
        if (claimed != ZSTD_CONTENTSIZE_UNKNOWN && claimed != out.size())
            throw format_error("the zstd frame holds " + std::to_string(claimed) + " bytes, the shape needs " +
                               std::to_string(out.size()));
        const std::size_t n = ZSTD_decompressDCtx(detail::zstd_decompress_context(), out.data(), out.size(),
                                                  in.data(), in.size());
        if (ZSTD_isError(n)) throw format_error(std::string("zstd: ") + ZSTD_getErrorName(n));
        if (n != out.size())
            throw format_error("the zstd data holds " + std::to_string(n) + " bytes, the shape needs " +
                               std::to_string(out.size()));
    }
};

static_assert(Compression<Zstd>);

}  // namespace tinman
