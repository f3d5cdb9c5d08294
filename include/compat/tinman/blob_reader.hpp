#pragma once
// Deprecated: tinman 0.1's path of <tinman/framing/record_scanner.hpp>; removed in 0.3.
#ifndef TINMAN_NO_DEPRECATED_HEADER_WARNINGS
#pragma message("<tinman/blob_reader.hpp> is deprecated: include <tinman/framing/record_scanner.hpp>")
#endif
#include <tinman/framing/record_scanner.hpp>
