// The nonlinear probe (sim/run/probe_nonlinear.hpp): random Fourier features of the whitened,
// marginally Gaussianised representation, one pass over the rows per length scale (the Gram
// matrices of the fitting and validation rows), then a Cholesky solve per penalty.
#include "sim/run/probe_nonlinear.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

// xsimd 8.1's AVX-512 code trips a spurious -Wuninitialized in GCC's own intrinsics header.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <xsimd/xsimd.hpp>
#pragma GCC diagnostic pop

#include "autodiff/blas.hpp"
#include "autodiff/linalg.hpp"
#include "autodiff/random.hpp"

namespace sim {

namespace {

constexpr double kTwoPi = 6.283185307179586476925286766559;

// The whitening map of the training representation: z~ = (z - mean) W^T, W = L^{-1/2} V^T over
// the eigenvalues above 1e-10 x the largest (q of them; numerically constant directions carry
// nothing). Eigenvector signs are fixed (largest entry positive) so the map does not depend on
// the LAPACK build.
struct Whitening {
    std::vector<double> mean;
    Mat W;  // q x p
    std::size_t q = 0;
};

Whitening whitening_of(const Mat& Z) {
    const std::size_t n = Z.shape()[0], p = Z.shape()[1];
    Whitening w;
    w.mean.assign(p, 0.0);
    for (std::size_t r = 0; r < n; ++r)
        for (std::size_t j = 0; j < p; ++j) w.mean[j] += Z(r, j);
    for (double& m : w.mean) m /= static_cast<double>(n);
    Mat Zc = Z;
    for (std::size_t r = 0; r < n; ++r)
        for (std::size_t j = 0; j < p; ++j) Zc(r, j) -= w.mean[j];
    Mat S({p, p});
    ad::blas::gemm(Zc, true, Zc, false, S, 1.0 / static_cast<double>(n), 0.0);
    for (std::size_t i = 0; i < p; ++i)
        for (std::size_t j = 0; j < i; ++j) S(i, j) = S(j, i) = 0.5 * (S(i, j) + S(j, i));
    const ad::la::Eig ev = ad::la::eigh(S);
    const std::vector<double>& lam = ev.w;
    const Mat& V = ev.V;
    double top = 0;
    for (std::size_t i = 0; i < p; ++i) top = std::max(top, lam[i]);
    std::vector<std::size_t> keep;
    for (std::size_t i = p; i-- > 0;)  // descending
        if (top > 0 && lam[i] > 1e-10 * top && std::isfinite(lam[i])) keep.push_back(i);
    w.q = keep.size();
    w.W = Mat({w.q, p});
    for (std::size_t a = 0; a < w.q; ++a) {
        const std::size_t i = keep[a];
        std::size_t big = 0;
        for (std::size_t j = 1; j < p; ++j)
            if (std::abs(V(j, i)) > std::abs(V(big, i))) big = j;
        const double sign = V(big, i) < 0 ? -1.0 : 1.0;
        const double s = sign / std::sqrt(lam[i]);
        for (std::size_t j = 0; j < p; ++j) w.W(a, j) = s * V(j, i);
    }
    return w;
}

// z~ of every row into out (n x q).
void whiten(const Mat& Z, const Whitening& w, Mat& out) {
    const std::size_t n = Z.shape()[0], p = Z.shape()[1];
    Mat Zc = Z;
    for (std::size_t r = 0; r < n; ++r)
        for (std::size_t j = 0; j < p; ++j) Zc(r, j) -= w.mean[j];
    out = Mat({n, w.q});
    if (w.q > 0) ad::blas::gemm(Zc, false, w.W, true, out);
}

// Inverse of the standard normal CDF (Acklam's rational approximation, relative error < 1.2e-9).
double norm_quantile(double u) {
    static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                               1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                               6.680131188771972e+01, -1.328068155288572e+01};
    static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                               -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00};
    static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                               3.754408661907416e+00};
    const double lo = 0.02425;
    if (u < lo) {
        const double q = std::sqrt(-2 * std::log(u));
        return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
               ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
    if (u > 1 - lo) {
        const double q = std::sqrt(-2 * std::log(1 - u));
        return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
               ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
    const double q = u - 0.5, r = q * q;
    return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
           (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

// Marginal Gaussianisation of each whitened coordinate by the training empirical CDF
// (piecewise linear between the sorted training values): a monotone, invertible map per axis
// that evens out the density the kernel sees (heavy tails are pulled in).
struct Marginals {
    std::vector<std::vector<double>> sorted;  // per coordinate
};
Marginals marginals_of(const Mat& Zt) {
    Marginals m;
    const std::size_t n = Zt.shape()[0], q = Zt.shape()[1];
    m.sorted.assign(q, std::vector<double>(n));
    for (std::size_t j = 0; j < q; ++j) {
        for (std::size_t r = 0; r < n; ++r) m.sorted[j][r] = Zt(r, j);
        std::sort(m.sorted[j].begin(), m.sorted[j].end());
    }
    return m;
}
void gaussianise(const Mat& Zt, const Marginals& m, Mat& out) {
    const std::size_t n = Zt.shape()[0], q = Zt.shape()[1];
    out = Mat({n, q});
    for (std::size_t j = 0; j < q; ++j) {
        const auto& v = m.sorted[j];
        const double N = static_cast<double>(v.size());
        for (std::size_t r = 0; r < n; ++r) {
            const double x = Zt(r, j);
            double pos;  // fractional index into v
            if (x <= v.front()) pos = 0;
            else if (x >= v.back()) pos = N - 1;
            else {
                const std::size_t i = static_cast<std::size_t>(std::upper_bound(v.begin(), v.end(), x) - v.begin());  // v[i-1] <= x < v[i]
                const double span = v[i] - v[i - 1];
                pos = static_cast<double>(i - 1) + (span > 0 ? (x - v[i - 1]) / span : 0.0);
            }
            out(r, j) = norm_quantile((pos + 0.5) / N);
        }
    }
}

// cos x for the random features, faster than xsimd::cos (which also serves sin and a wider range):
// x - 2 pi k with k the nearest integer to x / (2 pi) (two-part 2 pi, exact to about 1e-16 for
// |k| < 2^20; the arguments here are tens of radians at most), then the Taylor series of cos to
// degree 28 in r in [-pi, pi] (the next term is below 4e-18). Absolute error below 1e-15.
template <class B>
B cos_reduced(B x) {
    const B k = xsimd::nearbyint(x * B(0.15915494309189535));       // 1 / (2 pi)
    B r = xsimd::fnma(k, B(6.283185307179586), x);                   // the double nearest 2 pi
    r = xsimd::fnma(k, B(2.4492935982947064e-16), r);                // 2 pi minus that double
    const B u = r * r;
    static constexpr double c[] = {1.0, -0.5, 0.041666666666666664, -0.001388888888888889, 2.48015873015873e-05,
                                   -2.755731922398589e-07, 2.08767569878681e-09, -1.1470745597729725e-11,
                                   4.779477332387385e-14, -1.5619206968586225e-16, 4.110317623312165e-19,
                                   -8.896791392450574e-22, 1.6117375710961184e-24, -2.4795962632247976e-27,
                                   3.279889237069838e-30};  // (-1)^n / (2n)!
    B p(c[14]);
    for (int n = 13; n >= 0; --n) p = xsimd::fma(p, u, B(c[n]));
    return p;
}

// The feature rows [1, z~, sqrt(2/D) cos(g Omega + b)] into F (n x M), M = 1 + q + D, with z~
// the whitened rows (Zt), g their marginally Gaussianised version (Zg), Omega = Omega0 / length.
void features(const Mat& Zt, const Mat& Zg, const Mat& Omega0, const std::vector<double>& phase, double length, double* F) {
    const std::size_t n = Zt.shape()[0], q = Zt.shape()[1], D = phase.size(), M = 1 + q + D;
    for (std::size_t r = 0; r < n; ++r) {
        double* f = F + r * M;
        f[0] = 1.0;
        for (std::size_t j = 0; j < q; ++j) f[1 + j] = Zt(r, j);
    }
    if (D == 0 || q == 0) return;
    ad::blas::gemm_raw(false, false, n, D, q, 1.0 / length, Zg.data(), q, Omega0.data(), D, 0.0, F + 1 + q, M);
    const double amp = std::sqrt(2.0 / static_cast<double>(D));
    using B = xsimd::batch<double>;
    constexpr std::size_t W = B::size;
    const B va(amp);
    for (std::size_t r = 0; r < n; ++r) {
        double* f = F + r * M + 1 + q;
        std::size_t j = 0;
        for (; j + W <= D; j += W)
            (va * cos_reduced(B::load_unaligned(f + j) + B::load_unaligned(phase.data() + j))).store_unaligned(f + j);
        if (j < D) {  // the tail through one padded batch (the same arithmetic as the full ones)
            alignas(64) double t[W] = {};
            for (std::size_t i = j; i < D; ++i) t[i - j] = f[i] + phase[i];
            (va * cos_reduced(B::load_unaligned(t))).store_unaligned(t);
            for (std::size_t i = j; i < D; ++i) f[i] = t[i - j];
        }
    }
}

// theta (M x k) for penalty lam on the Fourier block (columns 1 + q ..): (G + lam P) theta = R,
// by a Cholesky solve (autodiff/linalg.hpp) with a small jitter if it is numerically singular.
// lam = inf: the affine block alone, the Fourier coefficients zero. A is scratch (M x M).
void solve_penalised(const Mat& G, const Mat& R, std::size_t q, double lam, Mat& A, Mat& theta,
                     std::vector<double>& work) {
    const std::size_t M = G.shape()[0], k = R.shape()[1];
    const std::size_t m = std::isfinite(lam) ? M : 1 + q;
    std::copy(G.begin(), G.end(), A.begin());
    if (std::isfinite(lam))
        for (std::size_t i = 1 + q; i < M; ++i) A(i, i) += lam;
    std::fill(theta.begin(), theta.end(), 0.0);
    double tr = 0;
    for (std::size_t i = 0; i < m; ++i) tr += A(i, i);
    const double base = tr > 0 ? tr / static_cast<double>(m) : 1.0;
    // hopeless: no fit, theta stays zero (the intercept alone is never singular)
    ad::la::solve_spd_jittered(A.data(), m, M, R.data(), k, k, theta.data(), base, {0.0, 1e-12, 1e-10, 1e-8, 1e-6, 1e-4},
                               work);
}

// Penalty scale: the mean diagonal of the Fourier block of G (its mean second moment x rows).
double fourier_scale(const Mat& G, std::size_t q) {
    const std::size_t M = G.shape()[0];
    if (M <= 1 + q) return 1.0;
    double tr = 0;
    for (std::size_t i = 1 + q; i < M; ++i) tr += G(i, i);
    return tr > 0 ? tr / static_cast<double>(M - 1 - q) : 1.0;
}

// Test-style R^2 of column c of the predictions P against Y over rows [0, n).
double r2_col(const double* P, const double* Y, std::size_t n, std::size_t k, std::size_t c) {
    double ybar = 0;
    for (std::size_t r = 0; r < n; ++r) ybar += Y[r * k + c];
    ybar /= static_cast<double>(n);
    double sse = 0, sst = 0;
    for (std::size_t r = 0; r < n; ++r) {
        const double e = Y[r * k + c] - P[r * k + c], t = Y[r * k + c] - ybar;
        sse += e * e;
        sst += t * t;
    }
    return sst > 0 ? 1.0 - sse / sst : 0.0;
}

bool finite(const Mat& a) {
    for (double x : a)
        if (!std::isfinite(x)) return false;
    return true;
}

// The large buffers of one thread's probes, kept between calls: the feature rows (n x M, about
// 20 MB for the paper's 10,000 rows) would otherwise be allocated, and page-faulted in, anew for
// every representation read. Grown, never shrunk; every entry used is written before it is read.
struct Workspace {
    std::vector<double> F, Ft, solve;
};
Workspace& workspace() {
    thread_local Workspace w;
    return w;
}
double* grown(std::vector<double>& v, std::size_t size) {
    if (v.size() < size) v.resize(size);
    return v.data();
}

}  // namespace

NonlinearProbeResult nonlinear_probe(const Mat& Z_train, const Mat& Y_train, const Mat& Z_test, const Mat& Y_test,
                                     const NonlinearProbeOptions& opt) {
    const std::size_t n = Z_train.shape()[0], p = Z_train.shape()[1], k = Y_train.shape()[1];
    const std::size_t nt = Z_test.shape()[0];
    if (Y_train.shape()[0] != n || Y_test.shape()[0] != nt || Z_test.shape()[1] != p || Y_test.shape()[1] != k)
        throw std::invalid_argument("nonlinear_probe: inconsistent shapes");
    if (p == 0 || k == 0 || nt == 0) throw std::invalid_argument("nonlinear_probe: empty representation, targets or test set");
    if (!(opt.val_fraction > 0 && opt.val_fraction < 1)) throw std::invalid_argument("nonlinear_probe: val_fraction must be in (0, 1)");
    if (opt.features == 0) throw std::invalid_argument("nonlinear_probe: needs at least one Fourier feature");
    if (opt.bandwidths.empty() || opt.grid.empty()) throw std::invalid_argument("nonlinear_probe: empty bandwidth or penalty grid");
    for (double b : opt.bandwidths)
        if (!(b > 0) || !std::isfinite(b)) throw std::invalid_argument("nonlinear_probe: bandwidths must be positive and finite");
    for (double g : opt.grid)
        if (!(g > 0)) throw std::invalid_argument("nonlinear_probe: penalties must be positive (HUGE_VAL: affine only)");
    if (!finite(Z_train) || !finite(Z_test) || !finite(Y_train) || !finite(Y_test))
        throw std::invalid_argument("nonlinear_probe: non-finite values in the representation or the targets");
    const std::size_t n_val = std::max<std::size_t>(1, static_cast<std::size_t>(opt.val_fraction * static_cast<double>(n)));
    const std::size_t n_fit = n - std::min(n, n_val);
    const Whitening wh = whitening_of(Z_train);
    const std::size_t q = wh.q;
    if (n_fit < 2 * (1 + q) + 2 || n_val < 2) throw std::invalid_argument("nonlinear_probe: too few training rows");
    const std::size_t D = q > 0 ? opt.features : 0;
    const std::size_t M = 1 + q + D;

    Mat Zt, Zs;
    whiten(Z_train, wh, Zt);
    whiten(Z_test, wh, Zs);
    Mat Zgt, Zgs;
    {
        const Marginals mg = marginals_of(Zt);
        gaussianise(Zt, mg, Zgt);
        gaussianise(Zs, mg, Zgs);
    }
    ad::Rng rng(ad::derive_seed(opt.seed, "nonlinear_probe.fourier"));
    Mat Omega0({std::max<std::size_t>(q, 1), std::max<std::size_t>(D, 1)});
    ad::fill_normal(Omega0, rng, 0.0, 1.0);
    std::vector<double> phase(D);
    for (double& b : phase) b = kTwoPi * ad::uniform01(rng);

    // preallocated storage, reused for every bandwidth and penalty
    Workspace& ws = workspace();
    double* F = grown(ws.F, n * M);
    Mat G({M, M}), Gv({M, M}), R({M, k}), Rv({M, k}), A({M, M}), theta({M, k});
    Mat P({std::max(n_val, nt), k});
    const std::size_t nb = opt.bandwidths.size();
    std::vector<Mat> G_all(nb), R_all(nb);
    NonlinearProbeResult res;
    res.r2.assign(k, 0.0);
    res.lambda.assign(k, opt.grid.front());
    res.bandwidth.assign(k, opt.bandwidths.front());
    std::vector<std::size_t> best_b(k, 0);
    std::vector<double> best(k, -std::numeric_limits<double>::infinity());
    const double sqrt_q = std::sqrt(static_cast<double>(std::max<std::size_t>(q, 1)));
    const double* Yv = Y_train.data() + n_fit * k;
    for (std::size_t bi = 0; bi < nb; ++bi) {
        features(Zt, Zgt, Omega0, phase, opt.bandwidths[bi] * sqrt_q, F);
        const double* Ff = F;
        const double* Fv = F + n_fit * M;
        ad::la::syrk_tn(M, n_fit, 1.0, Ff, M, 0.0, G.data(), M);
        ad::blas::gemm_raw(true, false, M, k, n_fit, 1.0, Ff, M, Y_train.data(), k, 0.0, R.data(), k);
        ad::la::syrk_tn(M, n_val, 1.0, Fv, M, 0.0, Gv.data(), M);
        ad::blas::gemm_raw(true, false, M, k, n_val, 1.0, Fv, M, Yv, k, 0.0, Rv.data(), k);
        const double scale = fourier_scale(G, q);
        for (double g : opt.grid) {
            solve_penalised(G, R, q, g * scale, A, theta, ws.solve);
            ad::blas::gemm_raw(false, false, n_val, k, M, 1.0, Fv, M, theta.data(), k, 0.0, P.data(), k);
            for (std::size_t c = 0; c < k; ++c) {
                const double r2 = r2_col(P.data(), Yv, n_val, k, c);
                if (r2 > best[c]) {  // strict: ties keep the earlier (shorter length, smaller penalty)
                    best[c] = r2;
                    best_b[c] = bi;
                    res.lambda[c] = g;
                    res.bandwidth[c] = opt.bandwidths[bi];
                }
            }
            if (D == 0) break;  // nothing to penalise
        }
        G_all[bi] = G + Gv;
        R_all[bi] = R + Rv;
        if (D == 0) break;  // one "bandwidth" is enough without Fourier features
    }

    // refit on every training row with each column's choice, score on the test rows
    double* Ft = grown(ws.Ft, nt * M);
    for (std::size_t bi = 0; bi < nb; ++bi) {
        bool used = false;
        for (std::size_t c = 0; c < k; ++c) used = used || best_b[c] == bi;
        if (!used) continue;
        features(Zs, Zgs, Omega0, phase, opt.bandwidths[bi] * sqrt_q, Ft);
        const double scale = fourier_scale(G_all[bi], q);
        for (double g : opt.grid) {
            bool any = false;
            for (std::size_t c = 0; c < k; ++c) any = any || (best_b[c] == bi && res.lambda[c] == g);
            if (!any) continue;
            solve_penalised(G_all[bi], R_all[bi], q, g * scale, A, theta, ws.solve);
            ad::blas::gemm_raw(false, false, nt, k, M, 1.0, Ft, M, theta.data(), k, 0.0, P.data(), k);
            for (std::size_t c = 0; c < k; ++c)
                if (best_b[c] == bi && res.lambda[c] == g) res.r2[c] = r2_col(P.data(), Y_test.data(), nt, k, c);
        }
    }
    return res;
}

}  // namespace sim
