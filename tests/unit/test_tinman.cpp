// tinman.hpp, and the codec headers that need no library, include no optional
// codec library: a program that uses neither zstd, lz4, libspng, TurboJPEG,
// protobuf nor nlohmann/json builds without them (each is reached only through its
// own header); nor the opt-in Parquet writer (tinman/parquet/).
#include <doctest/doctest.h>

#include <tinman.hpp>
#include <tinman/codecs/byte_shuffle.hpp>
#include <tinman/codecs/compressed_array_codec.hpp>
#include <tinman/codecs/compression.hpp>
#include <tinman/codecs/image.hpp>
#include <tinman/codecs/text_codec.hpp>

#if defined(ZSTD_VERSION_MAJOR) || defined(LZ4_VERSION_MAJOR) || defined(SPNG_VERSION_MAJOR) || \
    defined(TJ_NUMSAMP) || defined(GOOGLE_PROTOBUF_VERSION) || defined(NLOHMANN_JSON_VERSION_MAJOR)
#error "a core header includes an optional codec library's header"
#endif
#if defined(TINMAN_PARQUET_HEADERS)
#error "a core header includes the Parquet writer (tinman/parquet/), which is opt-in"
#endif

TEST_CASE("tinman.hpp: the core includes no optional codec library") {
    // The check is the #if above, at compile time; this case records that it ran.
    CHECK(tinman::format::max_codec_descriptor_size >= 4096);
}
