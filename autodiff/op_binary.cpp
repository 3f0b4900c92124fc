// add, sub, mul, div with broadcasting: a dimension of size 1 is repeated to the other's size.
// The backward of a broadcast input sums the output gradient over the repeated dimension.
#include <stdexcept>

#include "autodiff/instantiate.hpp"
#include "autodiff/ops.hpp"

namespace ad {
namespace {

struct AddF {
    template <class T> static T f(T a, T b) { return a + b; }
    template <class T> static T da(T, T, T) { return T(1); }
    template <class T> static T db(T, T, T) { return T(1); }
};
struct SubF {
    template <class T> static T f(T a, T b) { return a - b; }
    template <class T> static T da(T, T, T) { return T(1); }
    template <class T> static T db(T, T, T) { return T(-1); }
};
struct MulF {
    template <class T> static T f(T a, T b) { return a * b; }
    template <class T> static T da(T, T b, T) { return b; }
    template <class T> static T db(T a, T, T) { return a; }
};
struct DivF {
    template <class T> static T f(T a, T b) { return a / b; }
    template <class T> static T da(T, T b, T) { return T(1) / b; }
    template <class T> static T db(T, T b, T y) { return -y / b; }
};

std::size_t bdim(std::size_t x, std::size_t y, const char* what) {
    if (x == y || y == 1) return x;
    if (x == 1) return y;
    throw std::invalid_argument(std::string(what) + ": shapes cannot be broadcast together");
}

template <class T, class F>
void binary_backward(Tape<T>& t, Node<T>& n) {
    Node<T>& a = t.node(n.in[0]);
    Node<T>& b = t.node(n.in[1]);
    const Mat<T>& A = *a.value;
    const Mat<T>& B = *b.value;
    const Mat<T>& Y = *n.value;
    const Mat<T>& dY = *n.grad;
    const std::size_t R = Y.shape()[0], C = Y.shape()[1];
    const std::size_t ar = A.shape()[0] == 1 ? 0 : 1, ac = A.shape()[1] == 1 ? 0 : 1;
    const std::size_t br = B.shape()[0] == 1 ? 0 : 1, bc = B.shape()[1] == 1 ? 0 : 1;
    const std::size_t as = A.shape()[1], bs = B.shape()[1];
    const T* pa = A.data();
    const T* pb = B.data();
    const T* py = Y.data();
    const T* pg = dY.data();
    T* ga = a.grad ? a.grad->data() : nullptr;
    T* gb = b.grad ? b.grad->data() : nullptr;
    for (std::size_t i = 0; i < R; ++i) {
        for (std::size_t j = 0; j < C; ++j) {
            const std::size_t ia = i * ar * as + j * ac, ib = i * br * bs + j * bc;
            const T g = pg[i * C + j];
            if (ga) ga[ia] += g * F::da(pa[ia], pb[ib], py[i * C + j]);
            if (gb) gb[ib] += g * F::db(pa[ia], pb[ib], py[i * C + j]);
        }
    }
}

template <class T, class F>
Var<T> binary(Var<T> a, Var<T> b, const char* what) {
    const Mat<T>& A = a.value();
    const Mat<T>& B = b.value();
    const std::size_t R = bdim(A.shape()[0], B.shape()[0], what);
    const std::size_t C = bdim(A.shape()[1], B.shape()[1], what);
    Var<T> out;
    Node<T>& n = a.tape->push(R, C, {a, b}, &binary_backward<T, F>, out);
    const std::size_t ar = A.shape()[0] == 1 ? 0 : 1, ac = A.shape()[1] == 1 ? 0 : 1;
    const std::size_t br = B.shape()[0] == 1 ? 0 : 1, bc = B.shape()[1] == 1 ? 0 : 1;
    const std::size_t as = A.shape()[1], bs = B.shape()[1];
    const T* pa = A.data();
    const T* pb = B.data();
    T* py = n.own_value.data();
    if (ar && ac && br && bc) {
        const std::size_t N = R * C;
        for (std::size_t i = 0; i < N; ++i) py[i] = F::f(pa[i], pb[i]);
    } else {
        for (std::size_t i = 0; i < R; ++i)
            for (std::size_t j = 0; j < C; ++j)
                py[i * C + j] = F::f(pa[i * ar * as + j * ac], pb[i * br * bs + j * bc]);
    }
    return out;
}

}  // namespace

template <class T> Var<T> add(Var<T> a, Var<T> b) { return binary<T, AddF>(a, b, "add"); }
template <class T> Var<T> sub(Var<T> a, Var<T> b) { return binary<T, SubF>(a, b, "sub"); }
template <class T> Var<T> mul(Var<T> a, Var<T> b) { return binary<T, MulF>(a, b, "mul"); }
template <class T> Var<T> div(Var<T> a, Var<T> b) { return binary<T, DivF>(a, b, "div"); }

AD_INSTANTIATE_BINARY(add)
AD_INSTANTIATE_BINARY(sub)
AD_INSTANTIATE_BINARY(mul)
AD_INSTANTIATE_BINARY(div)

}  // namespace ad
