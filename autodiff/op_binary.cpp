// add, sub, mul, div with broadcasting: a dimension of size 1 is repeated to the other's size.
// The backward of a broadcast input sums the output gradient over the repeated dimension.
//
// Each operand is walked with a row stride (0 when its rows are broadcast) and a column step
// that is a compile-time 0 or 1, so the inner loops are contiguous and vectorise.
#include <stdexcept>
#include <string>

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

// Operand layout within the R x C output: element (i, j) is p[i * rs + (cc ? j : 0)].
template <class T>
struct Operand {
    const T* p;
    std::size_t rs;
    bool cc;
};
template <class T>
Operand<T> operand(const Mat<T>& m) {
    const bool rows = m.shape()[0] != 1, cols = m.shape()[1] != 1;
    return {m.data(), rows ? m.shape()[1] : 0, cols};
}

template <class T, class F, bool AC, bool BC>
void forward_loop(Operand<T> a, Operand<T> b, T* y, std::size_t R, std::size_t C) {
    for (std::size_t i = 0; i < R; ++i) {
        const T* ai = a.p + i * a.rs;
        const T* bi = b.p + i * b.rs;
        T* yi = y + i * C;
        for (std::size_t j = 0; j < C; ++j) yi[j] = F::f(AC ? ai[j] : ai[0], BC ? bi[j] : bi[0]);
    }
}

// The gradient of one side (SIDE 0 = a, 1 = b) into g_x, laid out like that side's operand.
template <class T, class F, bool AC, bool BC, int SIDE>
void backward_loop(Operand<T> a, Operand<T> b, const T* y, const T* g, T* gx, bool overwrite,
                   std::size_t R, std::size_t C) {
    constexpr bool XC = SIDE == 0 ? AC : BC;
    const std::size_t xrs = SIDE == 0 ? a.rs : b.rs;
    for (std::size_t i = 0; i < R; ++i) {
        const T* ai = a.p + i * a.rs;
        const T* bi = b.p + i * b.rs;
        const T* yi = y + i * C;
        const T* gi = g + i * C;
        T* gxi = gx + i * xrs;
        auto term = [&](std::size_t j) {
            const T av = AC ? ai[j] : ai[0], bv = BC ? bi[j] : bi[0];
            return gi[j] * (SIDE == 0 ? F::da(av, bv, yi[j]) : F::db(av, bv, yi[j]));
        };
        if constexpr (XC) {
            if (overwrite) {
                for (std::size_t j = 0; j < C; ++j) gxi[j] = term(j);
            } else {
                for (std::size_t j = 0; j < C; ++j) gxi[j] += term(j);
            }
        } else {
            T s = 0;
            for (std::size_t j = 0; j < C; ++j) s += term(j);
            if (overwrite) gxi[0] = s;  // full shape with C == 1: one write per entry
            else gxi[0] += s;
        }
    }
}

template <class T, class F, int SIDE>
void backward_side(Tape<T>& t, Node<T>& x, Operand<T> a, Operand<T> b, const Node<T>& n) {
    const std::size_t R = n.value->shape()[0], C = n.value->shape()[1];
    const bool full = x.value->shape()[0] == R && x.value->shape()[1] == C;
    bool overwrite = false;
    T* gx;
    if (full) {
        overwrite = !t.accumulating(x);
        gx = x.grad->data();
    } else {
        gx = t.grad_acc(x);
    }
    const T* y = n.value->data();
    const T* g = n.grad->data();
    if (a.cc && b.cc) backward_loop<T, F, true, true, SIDE>(a, b, y, g, gx, overwrite, R, C);
    else if (a.cc) backward_loop<T, F, true, false, SIDE>(a, b, y, g, gx, overwrite, R, C);
    else if (b.cc) backward_loop<T, F, false, true, SIDE>(a, b, y, g, gx, overwrite, R, C);
    else backward_loop<T, F, false, false, SIDE>(a, b, y, g, gx, overwrite, R, C);
}

template <class T, class F>
void binary_backward(Tape<T>& t, Node<T>& n) {
    Node<T>& a = t.node(n.in[0]);
    Node<T>& b = t.node(n.in[1]);
    const Operand<T> oa = operand(*a.value), ob = operand(*b.value);
    // One side after the other: a and b may be the same node (x * x).
    if (a.grad) backward_side<T, F, 0>(t, a, oa, ob, n);
    if (b.grad) backward_side<T, F, 1>(t, b, oa, ob, n);
}

template <class T, class F>
Var<T> binary(Var<T> a, Var<T> b, const char* what) {
    const Mat<T>& A = a.value();
    const Mat<T>& B = b.value();
    const std::size_t R = bdim(A.shape()[0], B.shape()[0], what);
    const std::size_t C = bdim(A.shape()[1], B.shape()[1], what);
    Var<T> out;
    Node<T>& n = a.tape->push(R, C, {a, b}, &binary_backward<T, F>, out);
    const Operand<T> oa = operand(A), ob = operand(B);
    T* y = n.own_value.data();
    if (oa.cc && ob.cc) forward_loop<T, F, true, true>(oa, ob, y, R, C);
    else if (oa.cc) forward_loop<T, F, true, false>(oa, ob, y, R, C);
    else if (ob.cc) forward_loop<T, F, false, true>(oa, ob, y, R, C);
    else forward_loop<T, F, false, false>(oa, ob, y, R, C);
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
