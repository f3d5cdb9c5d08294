// libFuzzer entry point: the input is one NdArrayCodec payload (see fuzz_targets.hpp).
#include "fuzz_targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    return tinman::fuzz::ndarray_payload(data, size);
}
