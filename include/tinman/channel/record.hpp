#pragma once
/// @file
/// `Record<V>`: one timestamped value, as readers yield them.

#include <cstdint>

namespace tinman {

/// One record as a reader yields it; binds as `auto&& [timestamp, value]`.
template <class V>
struct Record {
    std::int64_t timestamp;  ///< ns since the Unix epoch
    V value;
};

}  // namespace tinman
