#pragma once
// Deprecated: tinman 0.1's path of <tinman/io/mapped_segment.hpp>; removed in 0.3.
#ifndef TINMAN_NO_DEPRECATED_HEADER_WARNINGS
#pragma message("<tinman/mapped_segment.hpp> is deprecated: include <tinman/io/mapped_segment.hpp>")
#endif
#include <tinman/io/mapped_segment.hpp>
