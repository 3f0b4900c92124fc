// The one tensor type of the engine: a dense, row-major matrix. Scalars are 1x1, vectors are
// n x 1 or 1 x n. Keeping every node two-dimensional keeps broadcasting and BLAS calls simple.
#pragma once
#include <array>
#include <cstddef>
#include <xtensor/xtensor.hpp>

namespace ad {
template <class T>
using Mat = xt::xtensor<T, 2>;
using Shape = std::array<std::size_t, 2>;

// Resize without touching the allocation when the shape is unchanged.
template <class T>
inline void ensure_shape(Mat<T>& m, std::size_t r, std::size_t c) {
    if (m.shape()[0] != r || m.shape()[1] != c) m.resize(Shape{r, c});
}
}  // namespace ad
