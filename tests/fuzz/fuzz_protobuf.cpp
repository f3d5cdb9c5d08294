// libFuzzer entry point: see encoded_fuzz_targets.hpp.
#include "encoded_fuzz_targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    return tinman::fuzz::protobuf(data, size);
}
