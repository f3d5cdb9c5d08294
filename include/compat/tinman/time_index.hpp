#pragma once
// Deprecated: tinman 0.1's path of <tinman/index/time_index.hpp>; removed in 0.3.
#ifndef TINMAN_NO_DEPRECATED_HEADER_WARNINGS
#pragma message("<tinman/time_index.hpp> is deprecated: include <tinman/index/time_index.hpp>")
#endif
#include <tinman/index/time_index.hpp>
#include <tinman/index/index_writer.hpp>
#include <tinman/framing/channel_files.hpp>
