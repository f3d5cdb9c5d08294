#pragma once
/// @file
/// Python tinman interop (opt-in, not in `tinman.hpp`): read and write the
/// `.blog` log directories of the Python tinman this library descends from.
/// See `python_blog_format.hpp` for the format, `python_blog_reader.hpp` and
/// `python_blog_writer.hpp` for the API.

#include "python_blog_format.hpp"
#include "python_blog_reader.hpp"
#include "python_blog_writer.hpp"
