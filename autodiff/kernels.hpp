// Hot row-wise kernels shared by the ops (plain loops the compiler vectorises).
#pragma once
#include <cstddef>

namespace ad::kernels {
// For each row i of the R x C matrix x: lse[i] = log sum_j exp(x_ij) (shifted by the row max),
// and, if p is not null, p_ij = exp(x_ij - lse[i]) (the softmax).
template <class T>
void softmax_rows(const T* x, std::size_t R, std::size_t C, T* p, T* lse);
}  // namespace ad::kernels
