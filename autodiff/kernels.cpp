#include "autodiff/kernels.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
// xsimd 8.1's AVX-512 code trips a spurious -Wuninitialized in GCC's own intrinsics header.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <xsimd/xsimd.hpp>
#pragma GCC diagnostic pop

namespace ad::kernels {
namespace {

// xsimd's exp (and tanh, through it) converts x / ln 2 to an integer before its range check, so
// inputs far outside the range (the logits of a diverging run, 1e19) are undefined behaviour
// (UBSan: "outside the range of representable values", found by .ci/sanitizers.sh). Inputs are
// first clamped to just beyond the range, where xsimd answers 0 or inf (tanh: +-1) anyway: the
// same results bit for bit.
// (NaN is UB there too: it goes in clamped and comes out as the NaN it was.)
// The clamp is min(max(b, -lim), lim): x86's max returns its second operand when the first is
// NaN, so a NaN goes in as -lim (test kernels_outside_exp_range checks all of this). Four vector
// instructions, not seven: this sits in the InfoNCE logits' hot loop.
template <class B, class F>
inline B in_range(B b, typename B::value_type lim, F f) {
    const B c = xsimd::min(xsimd::max(b, B(-lim)), B(lim));
    return xsimd::select(xsimd::isnan(b), b, f(c));
}
template <class B>
inline B vexp(B b) {
    using T = typename B::value_type;
    return in_range(b, sizeof(T) == 4 ? T(100) : T(800), [](B c) { return xsimd::exp(c); });
}

// Applies vf to full batches and sf to the tail.
template <class T, class VF, class SF>
inline void map(const T* x, std::size_t n, T* y, VF vf, SF sf) {
    using B = xsimd::batch<T>;
    constexpr std::size_t W = B::size;
    std::size_t i = 0;
    for (; i + W <= n; i += W) vf(B::load_unaligned(x + i)).store_unaligned(y + i);
    for (; i < n; ++i) y[i] = sf(x[i]);
}

template <class T>
inline T sigmoid1(T x) {
    if (x >= T(0)) return T(1) / (T(1) + std::exp(-x));
    const T e = std::exp(x);
    return e / (T(1) + e);
}

}  // namespace

template <class T>
T max(const T* x, std::size_t n) {
    using B = xsimd::batch<T>;
    constexpr std::size_t W = B::size;
    T m = -std::numeric_limits<T>::infinity();
    std::size_t i = 0;
    if (n >= W) {
        B mb = B::load_unaligned(x);
        for (i = W; i + W <= n; i += W) mb = xsimd::max(mb, B::load_unaligned(x + i));
        alignas(64) T buf[W];
        mb.store_aligned(buf);
        for (std::size_t k = 0; k < W; ++k) m = std::max(m, buf[k]);
    }
    for (; i < n; ++i) m = std::max(m, x[i]);
    return m;
}

template <class T>
T exp_shift_sum(const T* x, std::size_t n, T shift, T* y) {
    using B = xsimd::batch<T>;
    constexpr std::size_t W = B::size;
    const B sb(shift);
    B acc(T(0));
    std::size_t i = 0;
    for (; i + W <= n; i += W) {
        const B e = vexp(B::load_unaligned(x + i) - sb);
        e.store_unaligned(y + i);
        acc += e;
    }
    T s = xsimd::hadd(acc);
    for (; i < n; ++i) {
        y[i] = std::exp(x[i] - shift);
        s += y[i];
    }
    return s;
}

template <class T>
void exp_sub(const T* x, const T* c, std::size_t n, T* y) {
    using B = xsimd::batch<T>;
    constexpr std::size_t W = B::size;
    std::size_t i = 0;
    for (; i + W <= n; i += W)
        vexp(B::load_unaligned(x + i) - B::load_unaligned(c + i)).store_unaligned(y + i);
    for (; i < n; ++i) y[i] = std::exp(x[i] - c[i]);
}

template <class T>
void softmax_rows(const T* x, std::size_t R, std::size_t C, T* p, T* lse) {
    for (std::size_t i = 0; i < R; ++i) {
        const T* xi = x + i * C;
        T m = max(xi, C);
        if (!std::isfinite(m)) m = T(0);  // all -inf (or a non-finite row): no shift
        T s;
        if (p) {
            T* pi = p + i * C;
            s = exp_shift_sum(xi, C, m, pi);
            const T inv = T(1) / s;
            for (std::size_t j = 0; j < C; ++j) pi[j] *= inv;
        } else {
            s = 0;
            for (std::size_t j = 0; j < C; ++j) s += std::exp(xi[j] - m);
        }
        lse[i] = m + std::log(s);
    }
}

template <class T>
void exp(const T* x, std::size_t n, T* y) {
    map(x, n, y, [](auto b) { return vexp(b); }, [](T v) { return std::exp(v); });
}
template <class T>
void log(const T* x, std::size_t n, T* y) {
    map(x, n, y, [](auto b) { return xsimd::log(b); }, [](T v) { return std::log(v); });
}
template <class T>
void tanh(const T* x, std::size_t n, T* y) {
    map(x, n, y, [](auto b) { return in_range(b, T(40), [](decltype(b) c) { return xsimd::tanh(c); }); },
        [](T v) { return std::tanh(v); });
}
template <class T>
void sigmoid(const T* x, std::size_t n, T* y) {
    using B = xsimd::batch<T>;
    // 1 / (1 + e^-x) for x >= 0, e^x / (1 + e^x) otherwise: e^-|x| never overflows.
    map(x, n, y,
        [](B b) {
            const B e = vexp(-xsimd::abs(b));
            const B one(T(1));
            return xsimd::select(b >= B(T(0)), one / (one + e), e / (one + e));
        },
        [](T v) { return sigmoid1(v); });
}
template <class T>
void softplus(const T* x, std::size_t n, T* y) {
    using B = xsimd::batch<T>;
    map(x, n, y,
        [](B b) { return xsimd::max(b, B(T(0))) + xsimd::log1p(vexp(-xsimd::abs(b))); },
        [](T v) { return std::max(v, T(0)) + std::log1p(std::exp(-std::abs(v))); });
}

#define AD_KERNELS(T)                                                                   \
    template void softmax_rows<T>(const T*, std::size_t, std::size_t, T*, T*);         \
    template T max<T>(const T*, std::size_t);                                           \
    template T exp_shift_sum<T>(const T*, std::size_t, T, T*);                          \
    template void exp_sub<T>(const T*, const T*, std::size_t, T*);                      \
    template void exp<T>(const T*, std::size_t, T*);                                    \
    template void log<T>(const T*, std::size_t, T*);                                    \
    template void tanh<T>(const T*, std::size_t, T*);                                   \
    template void sigmoid<T>(const T*, std::size_t, T*);                                \
    template void softplus<T>(const T*, std::size_t, T*);
AD_KERNELS(double)
AD_KERNELS(float)

}  // namespace ad::kernels
