// Hot kernels shared by the ops, vectorised with xsimd (exp, log, tanh... have no vectorised
// libm form without -ffast-math, so plain loops over std::exp run one element at a time).
// Declared on raw pointers so that xsimd stays out of every other translation unit.
#pragma once
#include <cstddef>

namespace ad::kernels {
// For each row i of the R x C matrix x: lse[i] = log sum_j exp(x_ij) (shifted by the row max),
// and, if p is not null, p_ij = exp(x_ij - lse[i]) (the softmax).
template <class T>
void softmax_rows(const T* x, std::size_t R, std::size_t C, T* p, T* lse);

// max_i x[i] (-inf for n = 0).
template <class T>
T max(const T* x, std::size_t n);
// y[i] = exp(x[i] - shift); returns sum_i y[i]. y may alias x.
template <class T>
T exp_shift_sum(const T* x, std::size_t n, T shift, T* y);
// y[i] = exp(x[i] - c[i]). y may alias x.
template <class T>
void exp_sub(const T* x, const T* c, std::size_t n, T* y);

// Elementwise y = f(x), y may alias x.
template <class T> void exp(const T* x, std::size_t n, T* y);
template <class T> void log(const T* x, std::size_t n, T* y);
template <class T> void tanh(const T* x, std::size_t n, T* y);
template <class T> void sigmoid(const T* x, std::size_t n, T* y);
template <class T> void softplus(const T* x, std::size_t n, T* y);  // log(1 + e^x), stable
}  // namespace ad::kernels
