#pragma once
// Deprecated: tinman 0.1's path of <tinman/framing/channel_files.hpp>; removed in 0.3.
#ifndef TINMAN_NO_DEPRECATED_HEADER_WARNINGS
#pragma message("<tinman/channel_name.hpp> is deprecated: include <tinman/framing/channel_files.hpp>")
#endif
#include <tinman/framing/channel_files.hpp>
