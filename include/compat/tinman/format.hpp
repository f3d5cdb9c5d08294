#pragma once
// Deprecated: tinman 0.1's path of <tinman/framing/file_header.hpp>; removed in 0.3.
#ifndef TINMAN_NO_DEPRECATED_HEADER_WARNINGS
#pragma message("<tinman/format.hpp> is deprecated: include <tinman/framing/file_header.hpp>")
#endif
#include <tinman/framing/file_header.hpp>
#include <tinman/index/index_format.hpp>
#include <tinman/framing/record_header.hpp>
#include <tinman/framing/channel_files.hpp>
