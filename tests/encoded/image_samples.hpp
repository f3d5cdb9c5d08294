#pragma once
// Camera-like test images: a smooth gradient with a little deterministic noise.

#include <cstddef>
#include <cstdint>

#include <tinman/xtensor.hpp>
#include TINMAN_XTENSOR_HEADER(containers, xtensor.hpp)

namespace tinman::test {

/// An `h x w x c` image of `T`: smooth gradients plus noise of +-`noise` (of 255, scaled for 16 bits).
template <class T>
xt::xtensor<T, 3> smooth_image(std::size_t h, std::size_t w, std::size_t c, unsigned noise = 3, unsigned seed = 1) {
    xt::xtensor<T, 3> img = xt::xtensor<T, 3>::from_shape({h, w, c});
    const unsigned scale = sizeof(T) == 1 ? 1 : 256;
    std::uint32_t state = seed * 2654435761u + 1;
    for (std::size_t y = 0; y < h; ++y)
        for (std::size_t x = 0; x < w; ++x)
            for (std::size_t k = 0; k < c; ++k) {
                state = state * 1664525u + 1013904223u;
                const unsigned base = static_cast<unsigned>((x * 200 / (w ? w : 1) + y * 50 / (h ? h : 1) + k * 40) % 256);
                const unsigned jitter = noise ? (state >> 24) % (2 * noise + 1) : noise;
                const unsigned v = base + jitter > noise ? base + jitter - noise : 0;
                img(y, x, k) = static_cast<T>((v > 255 ? 255 : v) * scale);
            }
    return img;
}

}  // namespace tinman::test
