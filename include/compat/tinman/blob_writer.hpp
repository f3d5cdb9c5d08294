#pragma once
// Deprecated: tinman 0.1's path of <tinman/channel/record_writer.hpp>; removed in 0.3.
#ifndef TINMAN_NO_DEPRECATED_HEADER_WARNINGS
#pragma message("<tinman/blob_writer.hpp> is deprecated: include <tinman/channel/record_writer.hpp>")
#endif
#include <tinman/channel/record_writer.hpp>
#include <tinman/framing/payload.hpp>
