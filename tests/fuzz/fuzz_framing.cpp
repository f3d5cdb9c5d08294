// libFuzzer entry point: the input is a whole channel file (see fuzz_targets.hpp).
#include "fuzz_targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    return tinman::fuzz::framing(data, size);
}
