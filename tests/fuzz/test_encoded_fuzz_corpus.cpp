// Replays the encoded decoders' seed corpora (tests/fuzz/corpus/<target>/)
// through the same targets the libFuzzer binaries run, for each library found.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "encoded_fuzz_targets.hpp"
#include "test_support.hpp"

#ifndef TINMAN_FUZZ_CORPUS_DIR
#error "TINMAN_FUZZ_CORPUS_DIR must name tests/fuzz/corpus"
#endif

namespace {

template <class Target>
std::size_t replay(const std::string& name, Target target) {
    const std::filesystem::path dir = std::filesystem::path(TINMAN_FUZZ_CORPUS_DIR) / name;
    REQUIRE(std::filesystem::is_directory(dir));
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(dir))
        if (entry.is_regular_file()) files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
        INFO("corpus file: ", file.string());
        const auto bytes = tinman::test::read_file(file);
        CHECK(target(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()) == 0);
    }
    return files.size();
}

}  // namespace

#if TINMAN_HAVE_ZSTD || TINMAN_HAVE_LZ4
TEST_CASE("fuzz corpus: compressed array") { REQUIRE(replay("compressed_array", tinman::fuzz::compressed_array) >= 8); }
#endif
#if TINMAN_HAVE_SPNG || TINMAN_HAVE_TURBOJPEG
TEST_CASE("fuzz corpus: image") { REQUIRE(replay("image", tinman::fuzz::image) >= 6); }
#endif
#if TINMAN_HAVE_PROTOBUF
TEST_CASE("fuzz corpus: protobuf") { REQUIRE(replay("protobuf", tinman::fuzz::protobuf) >= 4); }
#endif
