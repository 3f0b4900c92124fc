// matmul: C = op(A) op(B). Backward (beta = 1 when the gradient already holds a contribution,
// beta = 0 on its first write, so gradients are never zero-filled first):
//   dA += dC op(B)^T        (or op(B) dC^T when A is transposed)
//   dB += op(A)^T dC        (or dC^T op(A) when B is transposed)
#include "autodiff/blas.hpp"
#include "autodiff/ops.hpp"

namespace ad {

template <class T>
static void matmul_backward(Tape<T>& t, Node<T>& n) {
    const bool ta = n.iarg & 1, tb = n.iarg & 2;
    Node<T>& a = t.node(n.in[0]);
    Node<T>& b = t.node(n.in[1]);
    const Mat<T>& dc = *n.grad;
    // a first, then b: they may be the same node (z z^T), whose gradient gets both terms.
    if (a.grad) {
        const T beta = t.accumulating(a) ? T(1) : T(0);
        if (!ta) blas::gemm(dc, false, *b.value, !tb, *a.grad, T(1), beta);
        else blas::gemm(*b.value, tb, dc, true, *a.grad, T(1), beta);
    }
    if (b.grad) {
        const T beta = t.accumulating(b) ? T(1) : T(0);
        if (!tb) blas::gemm(*a.value, !ta, dc, false, *b.grad, T(1), beta);
        else blas::gemm(dc, true, *a.value, ta, *b.grad, T(1), beta);
    }
}

template <class T>
Var<T> matmul(Var<T> a, Var<T> b, bool ta, bool tb) {
    const auto& A = a.value();
    const auto& B = b.value();
    const std::size_t m = ta ? A.shape()[1] : A.shape()[0];
    const std::size_t k = ta ? A.shape()[0] : A.shape()[1];
    const std::size_t kb = tb ? B.shape()[1] : B.shape()[0];
    const std::size_t n = tb ? B.shape()[0] : B.shape()[1];
    if (k != kb) throw std::invalid_argument("matmul: inner dimensions differ");
    Var<T> out;
    Node<T>& node = a.tape->push(m, n, {a, b}, &matmul_backward<T>, out);
    node.iarg = (ta ? 1 : 0) | (tb ? 2 : 0);
    blas::gemm(A, ta, B, tb, node.own_value, T(1), T(0));
    return out;
}

// The shared backward of affine and affine_relu, from dZ (the gradient before the bias).
template <class T>
static void affine_backward_from(Tape<T>& t, Node<T>& n, const Mat<T>& dz) {
    Node<T>& x = t.node(n.in[0]);
    Node<T>& w = t.node(n.in[1]);
    Node<T>& b = t.node(n.in[2]);
    if (x.grad) blas::gemm(dz, false, *w.value, false, *x.grad, T(1), t.accumulating(x) ? T(1) : T(0));
    if (w.grad) blas::gemm(dz, true, *x.value, false, *w.grad, T(1), t.accumulating(w) ? T(1) : T(0));
    if (b.grad) {
        const std::size_t R = dz.shape()[0], C = dz.shape()[1];
        T* gb = b.grad->data();
        const T* g = dz.data();
        std::size_t i0 = 0;
        if (!t.accumulating(b) && R > 0) {
            for (std::size_t j = 0; j < C; ++j) gb[j] = g[j];
            i0 = 1;
        }
        for (std::size_t i = i0; i < R; ++i)
            for (std::size_t j = 0; j < C; ++j) gb[j] += g[i * C + j];
    }
}

template <class T>
static void affine_backward(Tape<T>& t, Node<T>& n) {
    affine_backward_from(t, n, *n.grad);
}

template <class T>
static void affine_relu_backward(Tape<T>& t, Node<T>& n) {
    const std::size_t N = n.value->size();
    const T* y = n.value->data();
    const T* g = n.grad->data();
    T* dz = n.aux.data();
    for (std::size_t i = 0; i < N; ++i) dz[i] = y[i] > T(0) ? g[i] : T(0);
    affine_backward_from(t, n, n.aux);
}

template <class T>
static Node<T>& affine_forward(Var<T> x, Var<T> w, Var<T> b, BackwardFn<T> bwd, Var<T>& out) {
    const auto& X = x.value();
    const auto& W = w.value();
    const auto& Bv = b.value();
    if (X.shape()[1] != W.shape()[1]) throw std::invalid_argument("affine: x and W differ in input width");
    if (Bv.shape()[0] != 1 || Bv.shape()[1] != W.shape()[0])
        throw std::invalid_argument("affine: the bias must be a 1 x out row");
    const std::size_t R = X.shape()[0], C = W.shape()[0];
    Node<T>& node = x.tape->push(R, C, {x, w, b}, bwd, out);
    T* z = node.own_value.data();
    const T* bias = Bv.data();
    for (std::size_t i = 0; i < R; ++i)
        for (std::size_t j = 0; j < C; ++j) z[i * C + j] = bias[j];
    blas::gemm(X, false, W, true, node.own_value, T(1), T(1));
    return node;
}

template <class T>
Var<T> affine(Var<T> x, Var<T> w, Var<T> b) {
    Var<T> out;
    affine_forward(x, w, b, &affine_backward<T>, out);
    return out;
}

template <class T>
Var<T> affine_relu(Var<T> x, Var<T> w, Var<T> b) {
    Var<T> out;
    Node<T>& n = affine_forward(x, w, b, &affine_relu_backward<T>, out);
    T* z = n.own_value.data();
    const std::size_t N = n.own_value.size();
    for (std::size_t i = 0; i < N; ++i) z[i] = z[i] > T(0) ? z[i] : T(0);
    if (n.grad) x.tape->ensure(n.aux, n.own_value.shape()[0], n.own_value.shape()[1]);
    return out;
}

template Var<double> affine_relu<double>(Var<double>, Var<double>, Var<double>);
template Var<float> affine_relu<float>(Var<float>, Var<float>, Var<float>);
template Var<double> affine<double>(Var<double>, Var<double>, Var<double>);
template Var<float> affine<float>(Var<float>, Var<float>, Var<float>);
template Var<double> matmul<double>(Var<double>, Var<double>, bool, bool);
template Var<float> matmul<float>(Var<float>, Var<float>, bool, bool);

}  // namespace ad
