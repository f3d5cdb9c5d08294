// Replays the fuzzers' seed corpora (tests/fuzz/corpus/<target>/) through the
// same targets the libFuzzer binaries run, so every build checks them.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "fuzz_targets.hpp"
#include "test_support.hpp"

#ifndef TINMAN_FUZZ_CORPUS_DIR
#error "TINMAN_FUZZ_CORPUS_DIR must name tests/fuzz/corpus"
#endif

namespace {

/// Runs `target` on every file of corpus `name`; returns how many there were.
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

TEST_CASE("fuzz corpus: framing") {
    const auto n = replay("framing", tinman::fuzz::framing);
    REQUIRE(n >= 10);
    MESSAGE("replayed ", n, " framing inputs");
}

TEST_CASE("fuzz corpus: ndarray payload") {
    const auto n = replay("ndarray_payload", tinman::fuzz::ndarray_payload);
    REQUIRE(n >= 10);
    MESSAGE("replayed ", n, " ndarray payload inputs");
}
