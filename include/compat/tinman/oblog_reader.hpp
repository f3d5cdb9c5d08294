#pragma once
// Deprecated: tinman 0.1's path of <tinman/channel/oblog_reader.hpp>; removed in 0.3.
#ifndef TINMAN_NO_DEPRECATED_HEADER_WARNINGS
#pragma message("<tinman/oblog_reader.hpp> is deprecated: include <tinman/channel/oblog_reader.hpp>")
#endif
#include <tinman/channel/oblog_reader.hpp>
