// An ArrayView is read-only: assigning to it must not compile.
#include <tinman.hpp>

double read_only(const tinman::ArrayView<double>& view, tinman::ArrayView<double>& target) {
#ifdef TINMAN_EXPECT_COMPILE_ERROR
    target = view * 2.0;  // writes into the mapped file: refused at compile time
#endif
    return view(0) + target(0);
}
