#pragma once
/// @file
/// Shapes of arrays as tinman stores and returns them.

#include <cstddef>

#include "../xtensor.hpp"

namespace tinman {

/// Shape of a decoded array (no heap allocation up to 4 dimensions).
using shape_type = xt::svector<std::size_t, 4>;

/// Most dimensions an array may have (numpy 2's limit).
inline constexpr std::size_t max_ndim = 64;
/// Longest dtype string accepted.
inline constexpr std::size_t max_dtype_size = 32;

/// The rank of arrays whose number of dimensions is known only at run time.
inline constexpr std::size_t dynamic_rank = static_cast<std::size_t>(-1);

}  // namespace tinman
