// The operators of the engine. Each takes and returns Vars of one tape; each is implemented in a
// small file of this folder with its forward and backward side by side.
//
// Broadcasting (add, sub, mul, div): the two shapes must agree in each dimension or be 1 there,
// so a 1 x n row, an m x 1 column or a 1 x 1 scalar combine with an m x n matrix, on either side.
#pragma once
#include <vector>

#include "autodiff/tape.hpp"

namespace ad {

// op(A) op(B), op = identity or transpose. BLAS gemm; the backward accumulates with beta = 1.
template <class T> Var<T> matmul(Var<T> a, Var<T> b, bool transpose_a = false, bool transpose_b = false);

// A dense layer x W^T + b, W out x in, b a 1 x out row: the bias is laid down first and one
// GEMM accumulates onto it (beta = 1); the backward takes db as column sums of dZ. Equal to
// add(matmul(x, w, false, true), b) with one pass and one node fewer.
template <class T> Var<T> affine(Var<T> x, Var<T> w, Var<T> b);
// relu(x W^T + b) as one node: the ReLU runs on the GEMM's output in place, and the backward
// masks dY once into a cache before the two GEMMs.
template <class T> Var<T> affine_relu(Var<T> x, Var<T> w, Var<T> b);

template <class T> Var<T> add(Var<T> a, Var<T> b);
template <class T> Var<T> sub(Var<T> a, Var<T> b);
template <class T> Var<T> mul(Var<T> a, Var<T> b);
template <class T> Var<T> div(Var<T> a, Var<T> b);
template <class T> Var<T> scale(Var<T> a, T c);       // c * a
template <class T> Var<T> add_scalar(Var<T> a, T c);  // a + c

template <class T> Var<T> neg(Var<T> a);
template <class T> Var<T> exp(Var<T> a);
template <class T> Var<T> log(Var<T> a);
template <class T> Var<T> square(Var<T> a);
template <class T> Var<T> sqrt(Var<T> a);
template <class T> Var<T> abs(Var<T> a);
template <class T> Var<T> relu(Var<T> a);
template <class T> Var<T> leaky_relu(Var<T> a, T slope = T(0.01));
template <class T> Var<T> tanh(Var<T> a);
template <class T> Var<T> sigmoid(Var<T> a);
template <class T> Var<T> softplus(Var<T> a);

template <class T> Var<T> sum(Var<T> a);       // 1 x 1
template <class T> Var<T> mean(Var<T> a);      // 1 x 1
template <class T> Var<T> row_sum(Var<T> a);   // m x 1: the sum of each row
template <class T> Var<T> row_mean(Var<T> a);  // m x 1
template <class T> Var<T> col_sum(Var<T> a);   // 1 x n: the sum of each column
template <class T> Var<T> col_mean(Var<T> a);  // 1 x n
template <class T> Var<T> transpose(Var<T> a);

// Each row divided by max(||row||, eps).
template <class T> Var<T> l2_normalize_rows(Var<T> a, T eps = T(1e-12));
// log sum_j exp(a_ij), m x 1, shifted by the row maximum: stable for any finite input.
template <class T> Var<T> logsumexp_rows(Var<T> a);
template <class T> Var<T> log_softmax_rows(Var<T> a);
// mean_i [logsumexp(a_i) - a_{i, labels[i]}]; labels is referenced and must outlive the step.
template <class T> Var<T> cross_entropy(Var<T> logits, const std::vector<int>& labels);
// (cross_entropy(L, labels) + cross_entropy(transpose(L), labels)) / 2 for a square L, the
// symmetric InfoNCE / CLIP loss, with one exponential per entry for both directions.
template <class T> Var<T> symmetric_cross_entropy(Var<T> logits, const std::vector<int>& labels);
// symmetric_cross_entropy(matmul(a, b, false, true), labels) for a, b both n x p, without the
// n x n logit matrix in memory: logits are made block by block (blocks that stay in cache) and
// the backward goes straight to da and db. The InfoNCE loss of models/losses.cpp.
template <class T> Var<T> symmetric_cross_entropy_ab(Var<T> a, Var<T> b, const std::vector<int>& labels);

// Operator sugar for readable model code.
template <class T> inline Var<T> operator+(Var<T> a, Var<T> b) { return add(a, b); }
template <class T> inline Var<T> operator-(Var<T> a, Var<T> b) { return sub(a, b); }
template <class T> inline Var<T> operator*(Var<T> a, Var<T> b) { return mul(a, b); }
template <class T> inline Var<T> operator/(Var<T> a, Var<T> b) { return div(a, b); }
template <class T> inline Var<T> operator*(T c, Var<T> a) { return scale(a, c); }
template <class T> inline Var<T> operator-(Var<T> a) { return neg(a); }

}  // namespace ad
