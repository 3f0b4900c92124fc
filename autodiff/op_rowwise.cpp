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


// Symmetric cross-entropy of a square n x n logit matrix L:
//   (CE(L, labels) + CE(L^T, labels)) / 2
//   = 1/(2n) sum_i [lse_j L_ij - L_{i,lab_i}] + 1/(2n) sum_j [lse_i L_ij - L_{lab_j,j}].
// dL_ij = g/(2n) (P_ij + Q_ij - [j = lab_i] - [i = lab_j]), P the row softmax, Q the column
// softmax.
//
// One pass over L, one exponential per entry: row i is shifted by its own maximum m_i,
// E_ij = exp(L_ij - m_i), so P_ij = E_ij / r_i with r_i = sum_j E_ij. The column sums need a
// common shift, the global maximum M: c_j = sum_i E_ij exp(m_i - M), accumulated against the
// running maximum and rescaled when it grows (a handful of times). Then Q_ij = E_ij f_i / c_j
// with f_i = exp(m_i - M). Terms flushed to zero by exp(m_i - M) are below the smallest normal
// number; if some column sum itself is that small (a column far below every row maximum), the
// fallback recomputes the columns with their own maxima (a second exponential per entry).
// aux: E (or P + Q in the fallback); aux2 rows: 0 = 1/r_i, 1 = 1/c_j, 2 = f_i, 3 = scratch.
template <class T>
void sce_backward(Tape<T>& t, Node<T>& n) {
    Node<T>& a = t.node(n.in[0]);
    if (!a.grad) return;
    const std::size_t N = n.aux.shape()[0];
    const T c = (*n.grad)(0, 0) / T(2 * N);
    const T* e = n.aux.data();
    const T* ir = n.aux2.data();
    const T* ic = ir + N;
    const T* f = ir + 2 * N;
    T* gx = a.grad->data();
    const bool acc = t.accumulating(a);
    for (std::size_t i = 0; i < N; ++i) {
        const T cr = c * ir[i], cf = c * f[i];
        const T* ei = e + i * N;
        T* gi = gx + i * N;
        if (acc) for (std::size_t j = 0; j < N; ++j) gi[j] += ei[j] * (cr + cf * ic[j]);
        else for (std::size_t j = 0; j < N; ++j) gi[j] = ei[j] * (cr + cf * ic[j]);
    }
    const std::vector<int>& lab = *n.labels;
    for (std::size_t i = 0; i < N; ++i) {
        const std::size_t l = static_cast<std::size_t>(lab[i]);
        gx[i * N + l] -= c;
        gx[l * N + i] -= c;
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

template <class T>
Var<T> symmetric_cross_entropy(Var<T> a, const std::vector<int>& labels) {
    const Mat<T>& X = a.value();
    const std::size_t N = X.shape()[0];
    if (X.shape()[1] != N) throw std::invalid_argument("symmetric_cross_entropy: logits must be square");
    if (labels.size() != N)
        throw std::invalid_argument("symmetric_cross_entropy: one label per row needed");
    for (int l : labels)
        if (l < 0 || static_cast<std::size_t>(l) >= N)
            throw std::invalid_argument("symmetric_cross_entropy: label out of range");
    Var<T> out;
    Node<T>& n = a.tape->push(1, 1, {a}, &sce_backward<T>, out);
    n.labels = &labels;
    a.tape->ensure(n.aux, N, N);
    a.tape->ensure(n.aux2, 4, N);
    if (N == 0) {
        n.own_value(0, 0) = T(0);
        return out;
    }
    const T* x = X.data();
    T* e = n.aux.data();
    T* ir = n.aux2.data();
    T* ic = ir + N;
    T* f = ir + 2 * N;  // the row maxima m_i, then f_i = exp(m_i - M)
    T* scratch = ir + 3 * N;
    constexpr T inf = std::numeric_limits<T>::infinity();
    // Column sums below this may have lost terms to underflow: min normal / epsilon.
    const T tiny = std::numeric_limits<T>::min() / std::numeric_limits<T>::epsilon();
    T lse_sum = 0;  // sum of the row and column log-sum-exps
    bool fast = true;
    T M = -inf;
    for (std::size_t j = 0; j < N; ++j) ic[j] = 0;
    for (std::size_t i = 0; i < N && fast; ++i) {
        const T* xi = x + i * N;
        T* ei = e + i * N;
        const T m = kernels::max(xi, N);
        if (!std::isfinite(m)) {
            fast = false;
            break;
        }
        const T r = kernels::exp_shift_sum(xi, N, m, ei);
        lse_sum += m + std::log(r);
        ir[i] = T(1) / r;
        f[i] = m;
        if (m > M) {
            if (M > -inf) {
                const T s = std::exp(M - m);
                for (std::size_t j = 0; j < N; ++j) ic[j] *= s;
            }
            M = m;
        }
        const T w = std::exp(m - M);
        for (std::size_t j = 0; j < N; ++j) ic[j] += ei[j] * w;
    }
    if (fast) {
        for (std::size_t j = 0; j < N && fast; ++j) fast = ic[j] >= tiny;
    }
    if (fast) {
        for (std::size_t j = 0; j < N; ++j) {
            lse_sum += M + std::log(ic[j]);
            ic[j] = T(1) / ic[j];
        }
        for (std::size_t i = 0; i < N; ++i) f[i] = std::exp(f[i] - M);
    } else {
        // Rows: P into aux, row log-sum-exps into ir.
        lse_sum = 0;
        kernels::softmax_rows(x, N, N, e, ir);
        for (std::size_t i = 0; i < N; ++i) lse_sum += ir[i];
        // Columns, each shifted by its own maximum (a column without a finite one: no shift).
        T* cmax = f;
        for (std::size_t j = 0; j < N; ++j) {
            cmax[j] = -inf;
            ic[j] = 0;
        }
        for (std::size_t i = 0; i < N; ++i)
            for (std::size_t j = 0; j < N; ++j) cmax[j] = cmax[j] < x[i * N + j] ? x[i * N + j] : cmax[j];
        for (std::size_t j = 0; j < N; ++j)
            if (!std::isfinite(cmax[j])) cmax[j] = T(0);
        for (std::size_t i = 0; i < N; ++i) {
            kernels::exp_sub(x + i * N, cmax, N, scratch);
            for (std::size_t j = 0; j < N; ++j) ic[j] += scratch[j];
        }
        for (std::size_t j = 0; j < N; ++j) {
            lse_sum += cmax[j] + std::log(ic[j]);
            ic[j] = T(1) / ic[j];
        }
        for (std::size_t i = 0; i < N; ++i) {
            kernels::exp_sub(x + i * N, cmax, N, scratch);
            T* ei = e + i * N;
            for (std::size_t j = 0; j < N; ++j) ei[j] += scratch[j] * ic[j];
        }
        // aux = P + Q: the backward's E (1/r + f / c) becomes aux (1 + 0).
        for (std::size_t j = 0; j < N; ++j) {
            ir[j] = T(1);
            f[j] = T(0);
        }
    }
    T picked = 0;
    for (std::size_t i = 0; i < N; ++i) {
        const std::size_t l = static_cast<std::size_t>(labels[i]);
        picked += x[i * N + l] + x[l * N + i];
    }
    n.own_value(0, 0) = (lse_sum - picked) / T(2 * N);
    return out;
}

template Var<double> l2_normalize_rows<double>(Var<double>, double);
template Var<float> l2_normalize_rows<float>(Var<float>, float);
AD_INSTANTIATE_UNARY(logsumexp_rows)
AD_INSTANTIATE_UNARY(log_softmax_rows)
template Var<double> cross_entropy<double>(Var<double>, const std::vector<int>&);
template Var<float> cross_entropy<float>(Var<float>, const std::vector<int>&);
template Var<double> symmetric_cross_entropy<double>(Var<double>, const std::vector<int>&);
template Var<float> symmetric_cross_entropy<float>(Var<float>, const std::vector<int>&);

}  // namespace ad
