// Row-wise ops: L2 normalisation, logsumexp, log-softmax and cross-entropy. All softmax-based
// ops share one stable kernel (kernels::softmax_rows) and cache the softmax for their backward.
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <stdexcept>

#include "autodiff/instantiate.hpp"
#include "autodiff/kernels.hpp"
#include "autodiff/ops.hpp"

namespace ad {
namespace {

// y_i = x_i / n_i, n_i = max(|x_i|, eps). When |x_i| > eps: dx_i = (dy_i - y_i (y_i . dy_i)) / n_i;
// otherwise n_i is the constant eps and dx_i = dy_i / eps.
template <class T>
void l2n_backward(Tape<T>& t, Node<T>& n) {
    Node<T>& a = t.node(n.in[0]);
    if (!a.grad) return;
    const std::size_t R = n.value->shape()[0], C = n.value->shape()[1];
    const T* y = n.value->data();
    const T* g = n.grad->data();
    const T* nrm = n.aux.data();
    const T* raw = n.aux2.data();
    T* gx = a.grad->data();
    const bool acc = t.accumulating(a);
    for (std::size_t i = 0; i < R; ++i) {
        const T* yi = y + i * C;
        const T* gi = g + i * C;
        T* gxi = gx + i * C;
        const T inv = T(1) / nrm[i];
        T dot = 0;
        if (raw[i] > n.alpha)
            for (std::size_t j = 0; j < C; ++j) dot += yi[j] * gi[j];
        if (acc) for (std::size_t j = 0; j < C; ++j) gxi[j] += (gi[j] - yi[j] * dot) * inv;
        else for (std::size_t j = 0; j < C; ++j) gxi[j] = (gi[j] - yi[j] * dot) * inv;
    }
}

template <class T>
void lse_backward(Tape<T>& t, Node<T>& n) {  // dx_ij += dy_i p_ij
    Node<T>& a = t.node(n.in[0]);
    if (!a.grad) return;
    const std::size_t R = n.aux.shape()[0], C = n.aux.shape()[1];
    const T* p = n.aux.data();
    const T* g = n.grad->data();
    T* gx = a.grad->data();
    const bool acc = t.accumulating(a);
    for (std::size_t i = 0; i < R; ++i) {
        if (acc) for (std::size_t j = 0; j < C; ++j) gx[i * C + j] += g[i] * p[i * C + j];
        else for (std::size_t j = 0; j < C; ++j) gx[i * C + j] = g[i] * p[i * C + j];
    }
}

template <class T>
void log_softmax_backward(Tape<T>& t, Node<T>& n) {  // dx_ij += dy_ij - p_ij sum_k dy_ik
    Node<T>& a = t.node(n.in[0]);
    if (!a.grad) return;
    const std::size_t R = n.aux.shape()[0], C = n.aux.shape()[1];
    const T* p = n.aux.data();
    const T* g = n.grad->data();
    T* gx = a.grad->data();
    const bool acc = t.accumulating(a);
    for (std::size_t i = 0; i < R; ++i) {
        T s = 0;
        for (std::size_t j = 0; j < C; ++j) s += g[i * C + j];
        if (acc) for (std::size_t j = 0; j < C; ++j) gx[i * C + j] += g[i * C + j] - p[i * C + j] * s;
        else for (std::size_t j = 0; j < C; ++j) gx[i * C + j] = g[i * C + j] - p[i * C + j] * s;
    }
}

template <class T>
void ce_backward(Tape<T>& t, Node<T>& n) {  // dx_ij += dy (p_ij - [j = label_i]) / R
    Node<T>& a = t.node(n.in[0]);
    if (!a.grad) return;
    const std::size_t R = n.aux.shape()[0], C = n.aux.shape()[1];
    const T* p = n.aux.data();
    const T s = (*n.grad)(0, 0) / T(R);
    T* gx = a.grad->data();
    const bool acc = t.accumulating(a);
    const std::vector<int>& lab = *n.labels;
    for (std::size_t i = 0; i < R; ++i) {
        if (acc) for (std::size_t j = 0; j < C; ++j) gx[i * C + j] += s * p[i * C + j];
        else for (std::size_t j = 0; j < C; ++j) gx[i * C + j] = s * p[i * C + j];
        gx[i * C + static_cast<std::size_t>(lab[i])] -= s;
    }
}


}  // namespace

template <class T>
Var<T> l2_normalize_rows(Var<T> a, T eps) {
    const Mat<T>& X = a.value();
    const std::size_t R = X.shape()[0], C = X.shape()[1];
    Var<T> out;
    Node<T>& n = a.tape->push(R, C, {a}, &l2n_backward<T>, out);
    n.alpha = eps;
    a.tape->ensure(n.aux, R, 1);
    a.tape->ensure(n.aux2, R, 1);
    const T* x = X.data();
    T* y = n.own_value.data();
    for (std::size_t i = 0; i < R; ++i) {
        T s = 0;
        for (std::size_t j = 0; j < C; ++j) s += x[i * C + j] * x[i * C + j];
        const T raw = std::sqrt(s);
        const T nrm = raw > eps ? raw : eps;
        n.aux2(i, 0) = raw;
        n.aux(i, 0) = nrm;
        const T inv = T(1) / nrm;
        for (std::size_t j = 0; j < C; ++j) y[i * C + j] = x[i * C + j] * inv;
    }
    return out;
}

template <class T>
Var<T> logsumexp_rows(Var<T> a) {
    const Mat<T>& X = a.value();
    const std::size_t R = X.shape()[0], C = X.shape()[1];
    Var<T> out;
    Node<T>& n = a.tape->push(R, 1, {a}, &lse_backward<T>, out);
    a.tape->ensure(n.aux, R, C);
    kernels::softmax_rows(X.data(), R, C, n.aux.data(), n.own_value.data());
    return out;
}

template <class T>
Var<T> log_softmax_rows(Var<T> a) {
    const Mat<T>& X = a.value();
    const std::size_t R = X.shape()[0], C = X.shape()[1];
    Var<T> out;
    Node<T>& n = a.tape->push(R, C, {a}, &log_softmax_backward<T>, out);
    a.tape->ensure(n.aux, R, C);
    a.tape->ensure(n.aux2, R, 1);
    kernels::softmax_rows(X.data(), R, C, n.aux.data(), n.aux2.data());
    const T* x = X.data();
    T* y = n.own_value.data();
    for (std::size_t i = 0; i < R; ++i)
        for (std::size_t j = 0; j < C; ++j) y[i * C + j] = x[i * C + j] - n.aux2(i, 0);
    return out;
}

template <class T>
Var<T> cross_entropy(Var<T> a, const std::vector<int>& labels) {
    const Mat<T>& X = a.value();
    const std::size_t R = X.shape()[0], C = X.shape()[1];
    if (labels.size() != R) throw std::invalid_argument("cross_entropy: one label per row needed");
    for (int l : labels)
        if (l < 0 || static_cast<std::size_t>(l) >= C)
            throw std::invalid_argument("cross_entropy: label out of range");
    Var<T> out;
    Node<T>& n = a.tape->push(1, 1, {a}, &ce_backward<T>, out);
    n.labels = &labels;
    a.tape->ensure(n.aux, R, C);
    a.tape->ensure(n.aux2, R, 1);
    kernels::softmax_rows(X.data(), R, C, n.aux.data(), n.aux2.data());
    T s = 0;
    for (std::size_t i = 0; i < R; ++i) s += n.aux2(i, 0) - X(i, static_cast<std::size_t>(labels[i]));
    n.own_value(0, 0) = R ? s / T(R) : T(0);
    return out;
}

template Var<double> l2_normalize_rows<double>(Var<double>, double);
template Var<float> l2_normalize_rows<float>(Var<float>, float);
AD_INSTANTIATE_UNARY(logsumexp_rows)
AD_INSTANTIATE_UNARY(log_softmax_rows)
template Var<double> cross_entropy<double>(Var<double>, const std::vector<int>&);
template Var<float> cross_entropy<float>(Var<float>, const std::vector<int>&);

}  // namespace ad
