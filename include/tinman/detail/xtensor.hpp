#pragma once
/// @file
/// The xtensor headers tinman uses, from either layout: `xtensor/containers/...`
/// (0.26 and later) or the flat `xtensor/...` (0.24, 0.25).

#if __has_include(<xtensor/containers/xadapt.hpp>)
#include <xtensor/containers/xadapt.hpp>
#include <xtensor/containers/xarray.hpp>
#include <xtensor/containers/xbuffer_adaptor.hpp>
#include <xtensor/containers/xstorage.hpp>
#include <xtensor/core/xexpression.hpp>
#include <xtensor/core/xnoalias.hpp>
#include <xtensor/utils/xutils.hpp>
#else
#include <xtensor/xadapt.hpp>
#include <xtensor/xarray.hpp>
#include <xtensor/xbuffer_adaptor.hpp>
#include <xtensor/xexpression.hpp>
#include <xtensor/xnoalias.hpp>
#include <xtensor/xstorage.hpp>
#include <xtensor/xutils.hpp>
#endif
