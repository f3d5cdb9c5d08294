#pragma once
/// @file
/// xtensor from either header layout: `xtensor/containers/...` (0.26 and later)
/// or the flat `xtensor/...` (0.24, 0.25). Includes what tinman itself needs, and
/// gives `TINMAN_XTENSOR_HEADER(folder, file)` for any other xtensor header:
///
///     #include TINMAN_XTENSOR_HEADER(core, xmath.hpp)        // xt::mean, xt::sum, ...
///     #include TINMAN_XTENSOR_HEADER(generators, xrandom.hpp)

#define TINMAN_XTENSOR_STRINGIZE(path) #path
#if __has_include(<xtensor/containers/xarray.hpp>)
#define TINMAN_XTENSOR_HEADER(folder, file) TINMAN_XTENSOR_STRINGIZE(xtensor/folder/file)
#else
#define TINMAN_XTENSOR_HEADER(folder, file) TINMAN_XTENSOR_STRINGIZE(xtensor/file)
#endif

#include TINMAN_XTENSOR_HEADER(containers, xadapt.hpp)
#include TINMAN_XTENSOR_HEADER(containers, xarray.hpp)
#include TINMAN_XTENSOR_HEADER(containers, xbuffer_adaptor.hpp)
#include TINMAN_XTENSOR_HEADER(containers, xstorage.hpp)
#include TINMAN_XTENSOR_HEADER(core, xexpression.hpp)
#include TINMAN_XTENSOR_HEADER(core, xnoalias.hpp)
#include TINMAN_XTENSOR_HEADER(utils, xutils.hpp)
