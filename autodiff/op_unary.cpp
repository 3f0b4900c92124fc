// Elementwise unary ops: y = f(x) and dx += dy * f'(x), with f' written from x, y and the op's
// scalar alpha (so exp reuses y, sigmoid reuses y...). Transcendental forwards go through the
// vectorised kernels; the simple ones are plain loops the compiler vectorises.
#include <algorithm>
#include <cmath>

#include "autodiff/instantiate.hpp"
#include "autodiff/kernels.hpp"
#include "autodiff/ops.hpp"

namespace ad {
namespace {

struct Plain {  // forward by F::f element by element
    static constexpr bool vectorised = false;
    template <class T> static void fv(const T*, std::size_t, T*) {}
};

struct ScaleF : Plain {
    template <class T> static T f(T x, T c) { return c * x; }
    template <class T> static T d(T, T, T c) { return c; }
};
struct AddScalarF : Plain {
    template <class T> static T f(T x, T c) { return x + c; }
    template <class T> static T d(T, T, T) { return T(1); }
};
struct NegF : Plain {
    template <class T> static T f(T x, T) { return -x; }
    template <class T> static T d(T, T, T) { return T(-1); }
};
struct ExpF {
    static constexpr bool vectorised = true;
    template <class T> static void fv(const T* x, std::size_t n, T* y) { kernels::exp(x, n, y); }
    template <class T> static T f(T x, T) { return std::exp(x); }
    template <class T> static T d(T, T y, T) { return y; }
};
struct LogF {
    static constexpr bool vectorised = true;
    template <class T> static void fv(const T* x, std::size_t n, T* y) { kernels::log(x, n, y); }
    template <class T> static T f(T x, T) { return std::log(x); }
    template <class T> static T d(T x, T, T) { return T(1) / x; }
};
struct SquareF : Plain {
    template <class T> static T f(T x, T) { return x * x; }
    template <class T> static T d(T x, T, T) { return T(2) * x; }
};
struct SqrtF : Plain {
    template <class T> static T f(T x, T) { return std::sqrt(x); }
    template <class T> static T d(T, T y, T) { return T(0.5) / y; }
};
struct AbsF : Plain {
    template <class T> static T f(T x, T) { return std::abs(x); }
    template <class T> static T d(T x, T, T) { return x > T(0) ? T(1) : (x < T(0) ? T(-1) : T(0)); }
};
struct ReluF : Plain {
    template <class T> static T f(T x, T) { return x > T(0) ? x : T(0); }
    template <class T> static T d(T x, T, T) { return x > T(0) ? T(1) : T(0); }
};
struct LeakyReluF : Plain {
    template <class T> static T f(T x, T s) { return x > T(0) ? x : s * x; }
    template <class T> static T d(T x, T, T s) { return x > T(0) ? T(1) : s; }
};
struct TanhF {
    static constexpr bool vectorised = true;
    template <class T> static void fv(const T* x, std::size_t n, T* y) { kernels::tanh(x, n, y); }
    template <class T> static T f(T x, T) { return std::tanh(x); }
    template <class T> static T d(T, T y, T) { return T(1) - y * y; }
};
struct SigmoidF {
    static constexpr bool vectorised = true;
    template <class T> static void fv(const T* x, std::size_t n, T* y) { kernels::sigmoid(x, n, y); }
    template <class T> static T f(T x, T) {
        if (x >= T(0)) return T(1) / (T(1) + std::exp(-x));
        const T e = std::exp(x);
        return e / (T(1) + e);
    }
    template <class T> static T d(T, T y, T) { return y * (T(1) - y); }
};
struct SoftplusF {  // log(1 + e^x), stable: max(x, 0) + log1p(e^-|x|); y' = sigmoid(x)
    static constexpr bool vectorised = true;
    template <class T> static void fv(const T* x, std::size_t n, T* y) { kernels::softplus(x, n, y); }
    template <class T> static T f(T x, T) { return std::max(x, T(0)) + std::log1p(std::exp(-std::abs(x))); }
    // sigmoid(x) = 1 - exp(-y): exact algebra, but loses digits for very negative x where
    // sigmoid(x) ~ e^x; use the direct form.
    template <class T> static T d(T x, T, T) { return SigmoidF::f(x, T(0)); }
};

template <class T, class F>
void unary_backward(Tape<T>& t, Node<T>& n) {
    Node<T>& a = t.node(n.in[0]);
    if (!a.grad) return;
    const T* x = a.value->data();
    const T* y = n.value->data();
    const T* g = n.grad->data();
    const std::size_t N = n.value->size();
    const T c = n.alpha;
    T* gx = a.grad->data();
    if (t.accumulating(a)) {
        for (std::size_t i = 0; i < N; ++i) gx[i] += g[i] * F::d(x[i], y[i], c);
    } else {
        for (std::size_t i = 0; i < N; ++i) gx[i] = g[i] * F::d(x[i], y[i], c);
    }
}

template <class T, class F>
Var<T> unary(Var<T> a, T c = T(0)) {
    const Mat<T>& X = a.value();
    Var<T> out;
    Node<T>& n = a.tape->push(X.shape()[0], X.shape()[1], {a}, &unary_backward<T, F>, out);
    n.alpha = c;
    const T* x = X.data();
    T* y = n.own_value.data();
    const std::size_t N = X.size();
    if constexpr (F::vectorised) {
        F::fv(x, N, y);
    } else {
        for (std::size_t i = 0; i < N; ++i) y[i] = F::f(x[i], c);
    }
    return out;
}

}  // namespace

template <class T> Var<T> scale(Var<T> a, T c) { return unary<T, ScaleF>(a, c); }
template <class T> Var<T> add_scalar(Var<T> a, T c) { return unary<T, AddScalarF>(a, c); }
template <class T> Var<T> neg(Var<T> a) { return unary<T, NegF>(a); }
template <class T> Var<T> exp(Var<T> a) { return unary<T, ExpF>(a); }
template <class T> Var<T> log(Var<T> a) { return unary<T, LogF>(a); }
template <class T> Var<T> square(Var<T> a) { return unary<T, SquareF>(a); }
template <class T> Var<T> sqrt(Var<T> a) { return unary<T, SqrtF>(a); }
template <class T> Var<T> abs(Var<T> a) { return unary<T, AbsF>(a); }
template <class T> Var<T> relu(Var<T> a) { return unary<T, ReluF>(a); }
template <class T> Var<T> leaky_relu(Var<T> a, T slope) { return unary<T, LeakyReluF>(a, slope); }
template <class T> Var<T> tanh(Var<T> a) { return unary<T, TanhF>(a); }
template <class T> Var<T> sigmoid(Var<T> a) { return unary<T, SigmoidF>(a); }
template <class T> Var<T> softplus(Var<T> a) { return unary<T, SoftplusF>(a); }

AD_INSTANTIATE_SCALAR(scale)
AD_INSTANTIATE_SCALAR(add_scalar)
AD_INSTANTIATE_SCALAR(leaky_relu)
AD_INSTANTIATE_UNARY(neg)
AD_INSTANTIATE_UNARY(exp)
AD_INSTANTIATE_UNARY(log)
AD_INSTANTIATE_UNARY(square)
AD_INSTANTIATE_UNARY(sqrt)
AD_INSTANTIATE_UNARY(abs)
AD_INSTANTIATE_UNARY(relu)
AD_INSTANTIATE_UNARY(tanh)
AD_INSTANTIATE_UNARY(sigmoid)
AD_INSTANTIATE_UNARY(softplus)

}  // namespace ad
