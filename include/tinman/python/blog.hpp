#pragma once
/// @file
/// Python tinman interop (opt-in, not in `tinman.hpp`): read and write the
/// `.blog` log directories of the Python tinman this library descends from.

#include "blog_format.hpp"
#include "blog_reader.hpp"
#include "blog_scanner.hpp"
#include "blog_writer.hpp"
