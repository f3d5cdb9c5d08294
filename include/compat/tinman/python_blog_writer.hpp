#pragma once
// Deprecated: tinman 0.1's path of <tinman/python/blog_writer.hpp>; removed in 0.3.
#ifndef TINMAN_NO_DEPRECATED_HEADER_WARNINGS
#pragma message("<tinman/python_blog_writer.hpp> is deprecated: include <tinman/python/blog_writer.hpp>")
#endif
#include <tinman/python/blog_writer.hpp>
