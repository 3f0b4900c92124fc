// The symmetric (CLIP / InfoNCE) cross-entropy, on a logit matrix or fused with its product.
//
//   S(L) = (CE(L, labels) + CE(L^T, labels)) / 2
//        = 1/(2n) sum_i [lse_j L_ij - L_{i,lab_i}] + 1/(2n) sum_j [lse_i L_ij - L_{lab_j,j}]
//   dL_ij = g/(2n) (P_ij + Q_ij - [j = lab_i] - [i = lab_j]),
// P the row softmax, Q the column softmax.
//
// One pass over L, one exponential per entry: row i is shifted by its own maximum m_i,
// E_ij = exp(L_ij - m_i), so P_ij = E_ij / r_i with r_i = sum_j E_ij. The column sums need a
// common shift, the global maximum M: c_j = sum_i E_ij exp(m_i - M), accumulated against the
// running maximum and rescaled when it grows (a handful of times). Then Q_ij = E_ij f_i / c_j
// with f_i = exp(m_i - M). Terms flushed to zero by exp(m_i - M) are below the smallest normal
// number; if some column sum itself is that small (a column far below every row maximum), or an
// entry is not finite, a fallback recomputes the columns with their own maxima (a second
// exponential per entry) and caches P + Q instead of E.
//
// Caches: aux = E (or P + Q); aux2 rows 0 = 1/r_i, 1 = 1/c_j, 2 = f_i, 3 = scratch, and for the
// fused op rows 4.. a block of logits.
#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "autodiff/blas.hpp"
#include "autodiff/kernels.hpp"
#include "autodiff/ops.hpp"

namespace ad {
namespace {

template <class T>
struct SceRows {
    std::size_t N;
    T *e, *ir, *ic, *f, *scratch;
    T M = -std::numeric_limits<T>::infinity();
    T lse_sum = 0;  // sum of the row and column log-sum-exps
    bool ok = true;

    SceRows(Mat<T>& aux, Mat<T>& aux2, std::size_t n)
        : N(n), e(aux.data()), ir(aux2.data()), ic(ir + n), f(ir + 2 * n), scratch(ir + 3 * n) {
        for (std::size_t j = 0; j < N; ++j) ic[j] = 0;
    }
    // Row i of L, in any order of rows.
    void row(std::size_t i, const T* xi) {
        if (!ok) return;
        T* ei = e + i * N;
        const T m = kernels::max(xi, N);
        if (!std::isfinite(m)) {
            ok = false;
            return;
        }
        const T r = kernels::exp_shift_sum(xi, N, m, ei);
        lse_sum += m + std::log(r);
        ir[i] = T(1) / r;
        f[i] = m;
        if (m > M) {
            if (M > -std::numeric_limits<T>::infinity()) {
                const T s = std::exp(M - m);
                for (std::size_t j = 0; j < N; ++j) ic[j] *= s;
            }
            M = m;
        }
        const T w = std::exp(m - M);
        for (std::size_t j = 0; j < N; ++j) ic[j] += ei[j] * w;
    }
    // After every row: false if the fallback is needed.
    bool finish() {
        if (!ok) return false;
        const T tiny = std::numeric_limits<T>::min() / std::numeric_limits<T>::epsilon();
        for (std::size_t j = 0; j < N; ++j)
            if (!(ic[j] >= tiny)) return false;
        for (std::size_t j = 0; j < N; ++j) {
            lse_sum += M + std::log(ic[j]);
            ic[j] = T(1) / ic[j];
        }
        for (std::size_t i = 0; i < N; ++i) f[i] = std::exp(f[i] - M);
        return true;
    }
    // The fallback on a materialised L: rows and columns each by their own maxima; caches
    // P + Q in e, with 1/r = 1 and f = 0 so that the backward's formula reads it directly.
    void fallback(const T* x) {
        lse_sum = 0;
        kernels::softmax_rows(x, N, N, e, ir);
        for (std::size_t i = 0; i < N; ++i) lse_sum += ir[i];
        T* cmax = f;
        for (std::size_t j = 0; j < N; ++j) {
            cmax[j] = -std::numeric_limits<T>::infinity();
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
        for (std::size_t j = 0; j < N; ++j) {
            ir[j] = T(1);
            f[j] = T(0);
        }
    }
};

// dL for rows [i0, i0 + rows) into d (leading dimension N), overwritten or accumulated, label
// terms included: c = g / (2n).
template <class T>
void dlogits_rows(const Node<T>& n, std::size_t i0, std::size_t rows, T c, T* d, bool acc) {
    const std::size_t N = n.aux.shape()[1];
    const T* e = n.aux.data();
    const T* ir = n.aux2.data();
    const T* ic = ir + N;
    const T* f = ir + 2 * N;
    for (std::size_t r = 0; r < rows; ++r) {
        const std::size_t i = i0 + r;
        const T cr = c * ir[i], cf = c * f[i];
        const T* ei = e + i * N;
        T* di = d + r * N;
        if (acc) for (std::size_t j = 0; j < N; ++j) di[j] += ei[j] * (cr + cf * ic[j]);
        else for (std::size_t j = 0; j < N; ++j) di[j] = ei[j] * (cr + cf * ic[j]);
    }
    const std::vector<int>& lab = *n.labels;
    for (std::size_t r = 0; r < rows; ++r) d[r * N + static_cast<std::size_t>(lab[i0 + r])] -= c;  // [j = lab_i]
    for (std::size_t j = 0; j < N; ++j) {  // [i = lab_j]
        const std::size_t l = static_cast<std::size_t>(lab[j]);
        if (l >= i0 && l < i0 + rows) d[(l - i0) * N + j] -= c;
    }
}

void check_labels(const std::vector<int>& labels, std::size_t N, const char* what) {
    if (labels.size() != N) throw std::invalid_argument(std::string(what) + ": one label per row needed");
    for (int l : labels)
        if (l < 0 || static_cast<std::size_t>(l) >= N)
            throw std::invalid_argument(std::string(what) + ": label out of range");
}

template <class T>
void sce_backward(Tape<T>& t, Node<T>& n) {
    Node<T>& a = t.node(n.in[0]);
    if (!a.grad) return;
    const std::size_t N = n.aux.shape()[0];
    const bool acc = t.accumulating(a);
    dlogits_rows(n, 0, N, (*n.grad)(0, 0) / T(2 * N), a.grad->data(), acc);
}

// Rows per block of the fused op: a block of logits stays within about 256 KiB (L2).
std::size_t block_rows(std::size_t N, std::size_t elem) {
    const std::size_t r = (256 * 1024) / std::max<std::size_t>(1, N * elem);
    return std::min(N, std::max<std::size_t>(8, r));
}

// Fused backward, block by block: dL_blk (in the aux2 scratch block), then
// dA[blk] = dL_blk B and dB += dL_blk^T A[blk].
template <class T>
void sce_ab_backward(Tape<T>& t, Node<T>& n) {
    Node<T>& a = t.node(n.in[0]);
    Node<T>& b = t.node(n.in[1]);
    if (!a.grad && !b.grad) return;
    const std::size_t N = n.aux.shape()[0], p = a.value->shape()[1];
    const std::size_t BR = static_cast<std::size_t>(n.iarg);
    const T c = (*n.grad)(0, 0) / T(2 * N);
    T* blk = n.aux2.data() + 4 * N;
    const T* A = a.value->data();
    const T* B = b.value->data();
    // The same node on both sides: accumulate everything into a zeroed gradient.
    const bool same = n.in[0] == n.in[1];
    T* ga = nullptr;
    T* gb = nullptr;
    bool acc_a = true, acc_b = true;
    if (same) {
        ga = gb = t.grad_acc(a);
    } else {
        if (a.grad) {
            acc_a = t.accumulating(a);
            ga = a.grad->data();
        }
        if (b.grad) {
            acc_b = t.accumulating(b);
            gb = b.grad->data();
        }
    }
    for (std::size_t i0 = 0; i0 < N; i0 += BR) {
        const std::size_t rows = std::min(BR, N - i0);
        dlogits_rows(n, i0, rows, c, blk, false);
        if (ga)
            blas::gemm_raw(false, false, rows, p, N, T(1), blk, N, B, p, acc_a ? T(1) : T(0), ga + i0 * p, p);
        if (gb)
            blas::gemm_raw(true, false, N, p, rows, T(1), blk, N, A + i0 * p, p,
                           (acc_b || i0 > 0) ? T(1) : T(0), gb, p);
    }
}

}  // namespace

template <class T>
Var<T> symmetric_cross_entropy(Var<T> a, const std::vector<int>& labels) {
    const Mat<T>& X = a.value();
    const std::size_t N = X.shape()[0];
    if (X.shape()[1] != N) throw std::invalid_argument("symmetric_cross_entropy: logits must be square");
    check_labels(labels, N, "symmetric_cross_entropy");
    Var<T> out;
    Node<T>& n = a.tape->push(1, 1, {a}, &sce_backward<T>, out);
    n.labels = &labels;
    a.tape->ensure(n.aux, N, N);
    a.tape->ensure(n.aux2, 4, N);
    const T* x = X.data();
    SceRows<T> s(n.aux, n.aux2, N);
    for (std::size_t i = 0; i < N; ++i) s.row(i, x + i * N);
    if (!s.finish()) s.fallback(x);
    T picked = 0;
    for (std::size_t i = 0; i < N; ++i) {
        const std::size_t l = static_cast<std::size_t>(labels[i]);
        picked += x[i * N + l] + x[l * N + i];
    }
    n.own_value(0, 0) = N ? (s.lse_sum - picked) / T(2 * N) : T(0);
    return out;
}

template <class T>
Var<T> symmetric_cross_entropy_ab(Var<T> a, Var<T> b, const std::vector<int>& labels) {
    const Mat<T>& A = a.value();
    const Mat<T>& B = b.value();
    if (A.shape() != B.shape())
        throw std::invalid_argument("symmetric_cross_entropy_ab: a and b must have the same shape");
    const std::size_t N = A.shape()[0], p = A.shape()[1];
    check_labels(labels, N, "symmetric_cross_entropy_ab");
    Var<T> out;
    Node<T>& n = a.tape->push(1, 1, {a, b}, &sce_ab_backward<T>, out);
    n.labels = &labels;
    const std::size_t BR = block_rows(N, sizeof(T));
    n.iarg = static_cast<int>(BR);
    a.tape->ensure(n.aux, N, N);
    a.tape->ensure(n.aux2, 4 + BR, N);
    if (N == 0) {
        n.own_value(0, 0) = T(0);
        return out;
    }
    const T* pa = A.data();
    const T* pb = B.data();
    {
        SceRows<T> s(n.aux, n.aux2, N);
        T* blk = n.aux2.data() + 4 * N;
        for (std::size_t i0 = 0; i0 < N && s.ok; i0 += BR) {
            const std::size_t rows = std::min(BR, N - i0);
            blas::gemm_raw(false, true, rows, N, p, T(1), pa + i0 * p, p, pb, p, T(0), blk, N);
            for (std::size_t r = 0; r < rows; ++r) s.row(i0 + r, blk + r * N);
        }
        if (s.finish()) {
            // L_{i,lab_i} and L_{lab_j,j} as dot products: no logit matrix needed.
            T picked = 0;
            for (std::size_t i = 0; i < N; ++i) {
                const T* ai = pa + i * p;
                const T* bl = pb + static_cast<std::size_t>(labels[i]) * p;
                const T* al = pa + static_cast<std::size_t>(labels[i]) * p;
                const T* bi = pb + i * p;
                for (std::size_t k = 0; k < p; ++k) picked += ai[k] * bl[k] + al[k] * bi[k];
            }
            n.own_value(0, 0) = (s.lse_sum - picked) / T(2 * N);
            return out;
        }
    }
    // Fallback: materialise L (a buffer of its own, so this path allocates) and take the
    // two-shift route. The caches keep the layout the backward expects.
    a.tape->ensure(n.aux2, 4 + std::max(BR, N), N);
    T* L = n.aux2.data() + 4 * N;
    blas::gemm_raw(false, true, N, N, p, T(1), pa, p, pb, p, T(0), L, N);
    SceRows<T> s(n.aux, n.aux2, N);
    s.fallback(L);
    T picked = 0;
    for (std::size_t i = 0; i < N; ++i) {
        const std::size_t l = static_cast<std::size_t>(labels[i]);
        picked += L[i * N + l] + L[l * N + i];
    }
    n.own_value(0, 0) = (s.lse_sum - picked) / T(2 * N);
    return out;
}

template Var<double> symmetric_cross_entropy<double>(Var<double>, const std::vector<int>&);
template Var<float> symmetric_cross_entropy<float>(Var<float>, const std::vector<int>&);
template Var<double> symmetric_cross_entropy_ab<double>(Var<double>, Var<double>, const std::vector<int>&);
template Var<float> symmetric_cross_entropy_ab<float>(Var<float>, Var<float>, const std::vector<int>&);

}  // namespace ad
