#pragma once
// Deprecated: tinman 0.1's path of <tinman/codecs/ndarray_codec.hpp>; removed in 0.3.
#ifndef TINMAN_NO_DEPRECATED_HEADER_WARNINGS
#pragma message("<tinman/ndarray_codec.hpp> is deprecated: include <tinman/codecs/ndarray_codec.hpp>")
#endif
#include <tinman/codecs/ndarray_codec.hpp>
