#pragma once
// Deprecated: tinman 0.1's path of <tinman/framing/crc32c.hpp>; removed in 0.3.
#ifndef TINMAN_NO_DEPRECATED_HEADER_WARNINGS
#pragma message("<tinman/crc32c.hpp> is deprecated: include <tinman/framing/crc32c.hpp>")
#endif
#include <tinman/framing/crc32c.hpp>
