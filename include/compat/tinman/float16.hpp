#pragma once
// Deprecated: tinman 0.1's path of <tinman/codecs/float16.hpp>; removed in 0.3.
#ifndef TINMAN_NO_DEPRECATED_HEADER_WARNINGS
#pragma message("<tinman/float16.hpp> is deprecated: include <tinman/codecs/float16.hpp>")
#endif
#include <tinman/codecs/float16.hpp>
