#pragma once
// Deprecated: tinman 0.1's path of <tinman/channel/oblog_writer.hpp>; removed in 0.3.
#ifndef TINMAN_NO_DEPRECATED_HEADER_WARNINGS
#pragma message("<tinman/oblog_writer.hpp> is deprecated: include <tinman/channel/oblog_writer.hpp>")
#endif
#include <tinman/channel/oblog_writer.hpp>
#include <tinman/framing/timestamp.hpp>
