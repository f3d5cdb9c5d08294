// An ArrayView's iterators and data pointer are const: filling it must not compile.
#include <algorithm>

#include <tinman.hpp>

void fill(tinman::ArrayView<float>& view) {
#ifdef TINMAN_EXPECT_COMPILE_ERROR
    std::fill(view.begin(), view.end(), 1.0f);
#else
    (void)std::count(view.begin(), view.end(), 1.0f);
#endif
}
