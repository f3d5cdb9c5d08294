#pragma once
/// @file
/// tinman: timestamped n-d array logs with zero-copy reads. Includes the library
/// (not the opt-in Python interop, `tinman/python/blog.hpp`). The layers, each
/// including only those before it:
///
///     io/        mapped files
///     framing/   channel file layout, records, scanning, damage reports
///     index/     the time index beside each channel
///     codecs/    the Codec concept and the built-in codecs
///     channel/   typed channel writers and readers, log directories, recovery
///     merge.hpp, replay.hpp   several channels as one stream
///     stacked.hpp             a whole channel as one array

#include "tinman/channel/oblog_reader.hpp"
#include "tinman/channel/oblog_writer.hpp"
#include "tinman/channel/recovery.hpp"
#include "tinman/codecs/any_array_codec.hpp"
#include "tinman/codecs/bytes_codec.hpp"
#include "tinman/codecs/ndarray_codec.hpp"
#include "tinman/codecs/struct_codec.hpp"
#include "tinman/codecs/text_codec.hpp"
#include "tinman/merge.hpp"
#include "tinman/replay.hpp"
#include "tinman/stacked.hpp"
