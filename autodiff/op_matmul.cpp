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

template Var<double> matmul<double>(Var<double>, Var<double>, bool, bool);
template Var<float> matmul<float>(Var<float>, Var<float>, bool, bool);

}  // namespace ad
