#pragma once
// Deprecated: tinman 0.1's path of <tinman/codecs/bytes_codec.hpp>; removed in 0.3.
#ifndef TINMAN_NO_DEPRECATED_HEADER_WARNINGS
#pragma message("<tinman/bytes_codec.hpp> is deprecated: include <tinman/codecs/bytes_codec.hpp>")
#endif
#include <tinman/codecs/bytes_codec.hpp>
