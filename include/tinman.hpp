#pragma once
/// @file
/// tinman: timestamped n-d array logs with zero-copy reads. Includes everything.

#include "tinman/any_array_codec.hpp"
#include "tinman/bytes_codec.hpp"
#include "tinman/merge.hpp"
#include "tinman/ndarray_codec.hpp"
#include "tinman/oblog_reader.hpp"
#include "tinman/oblog_writer.hpp"
#include "tinman/replay.hpp"
#include "tinman/time_index.hpp"
