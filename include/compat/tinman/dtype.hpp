#pragma once
// Deprecated: tinman 0.1's path of <tinman/codecs/dtype.hpp>; removed in 0.3.
#ifndef TINMAN_NO_DEPRECATED_HEADER_WARNINGS
#pragma message("<tinman/dtype.hpp> is deprecated: include <tinman/codecs/dtype.hpp>")
#endif
#include <tinman/codecs/dtype.hpp>
