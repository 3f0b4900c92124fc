#include "sim/run/probe.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>

#include "autodiff/blas.hpp"
#include "autodiff/linalg.hpp"

namespace sim {

bool all_finite(const Mat& a) {
    for (std::size_t i = 0; i < a.size(); ++i)
        if (!std::isfinite(a.data()[i])) return false;
    return true;
}

namespace {

Mat rows(const Mat& a, std::size_t r0, std::size_t r1) {
    Mat out({r1 - r0, a.shape()[1]});
    const std::size_t c = a.shape()[1];
    std::copy(a.data() + r0 * c, a.data() + r1 * c, out.data());
    return out;
}

std::vector<double> col_means(const Mat& a) {
    std::vector<double> m(a.shape()[1], 0.0);
    for (std::size_t r = 0; r < a.shape()[0]; ++r)
        for (std::size_t j = 0; j < a.shape()[1]; ++j) m[j] += a(r, j);
    for (auto& x : m) x /= static_cast<double>(a.shape()[0]);
    return m;
}

void subtract(Mat& a, const std::vector<double>& m) {
    for (std::size_t r = 0; r < a.shape()[0]; ++r)
        for (std::size_t j = 0; j < a.shape()[1]; ++j) a(r, j) -= m[j];
}

// W = (S + lam I)^{-1} R (S p x p SPD after the shift) by Cholesky (autodiff/linalg.hpp); adds a
// tiny jitter when S is singular (a collapsed representation).
Mat solve_ridge(const Mat& S, double lam, const Mat& R) {
    const std::size_t p = S.shape()[0], q = R.shape()[1];
    double tr = 0;
    for (std::size_t i = 0; i < p; ++i) tr += S(i, i);
    const double base = tr > 0 ? tr / static_cast<double>(p) : 1.0;
    Mat A = S;
    for (std::size_t i = 0; i < p; ++i) A(i, i) += lam;
    Mat W({p, q});
    std::vector<double> work;
    if (ad::la::solve_spd_jittered(A.data(), p, p, R.data(), q, q, W.data(), base, {0.0, 1e-12, 1e-10, 1e-8, 1e-6}, work))
        return W;
    return Mat({p, q}, 0.0);  // degenerate: predict the mean
}

struct Fit {
    std::vector<double> zmean, ymean;
    Mat S, R;  // centred Z^T Z / n, Z^T Y / n
};

Fit moments_of(const Mat& Z, const Mat& Y) {
    Fit f;
    f.zmean = col_means(Z);
    f.ymean = col_means(Y);
    Mat Zc = Z, Yc = Y;
    subtract(Zc, f.zmean);
    subtract(Yc, f.ymean);
    const double n = static_cast<double>(Z.shape()[0]);
    f.S = Mat({Z.shape()[1], Z.shape()[1]});
    f.R = Mat({Z.shape()[1], Y.shape()[1]});
    ad::blas::gemm(Zc, true, Zc, false, f.S, 1.0 / n, 0.0);
    ad::blas::gemm(Zc, true, Yc, false, f.R, 1.0 / n, 0.0);
    return f;
}

// R^2 of column c of Y predicted by (Z - zmean) W + ymean.
double r2_of(const Mat& Z, const Mat& Y, const Fit& f, const Mat& W, std::size_t c) {
    const std::size_t n = Z.shape()[0], p = Z.shape()[1];
    double ybar = 0;
    for (std::size_t r = 0; r < n; ++r) ybar += Y(r, c);
    ybar /= static_cast<double>(n);
    double sse = 0, sst = 0;
    for (std::size_t r = 0; r < n; ++r) {
        double pred = f.ymean[c];
        for (std::size_t j = 0; j < p; ++j) pred += (Z(r, j) - f.zmean[j]) * W(j, c);
        const double e = Y(r, c) - pred, t = Y(r, c) - ybar;
        sse += e * e;
        sst += t * t;
    }
    if (!(sst > 0)) return 0.0;
    return 1.0 - sse / sst;
}

}  // namespace

ProbeResult ridge_probe(const Mat& Z_train, const Mat& Y_train, const Mat& Z_test, const Mat& Y_test,
                        const ProbeOptions& opt) {
    const std::size_t n = Z_train.shape()[0], q = Y_train.shape()[1];
    if (Y_train.shape()[0] != n || Z_test.shape()[0] != Y_test.shape()[0] || Z_test.shape()[1] != Z_train.shape()[1] ||
        Y_test.shape()[1] != q)
        throw std::invalid_argument("ridge_probe: inconsistent shapes");
    const std::size_t n_val = std::max<std::size_t>(1, static_cast<std::size_t>(opt.val_fraction * static_cast<double>(n)));
    if (n_val + 2 > n) throw std::invalid_argument("ridge_probe: too few training rows");
    const std::size_t n_fit = n - n_val;
    const Mat Zf = rows(Z_train, 0, n_fit), Yf = rows(Y_train, 0, n_fit);
    const Mat Zv = rows(Z_train, n_fit, n), Yv = rows(Y_train, n_fit, n);
    const Fit ffit = moments_of(Zf, Yf);
    const std::size_t p = Z_train.shape()[1];
    double tr = 0;
    for (std::size_t i = 0; i < p; ++i) tr += ffit.S(i, i);
    const double scale = tr > 0 ? tr / static_cast<double>(p) : 1.0;

    ProbeResult res;
    res.r2.assign(q, 0.0);
    res.lambda.assign(q, opt.grid.empty() ? 0.0 : opt.grid[0]);
    std::vector<double> best(q, -std::numeric_limits<double>::infinity());
    for (double g : opt.grid) {
        const Mat W = solve_ridge(ffit.S, g * scale, ffit.R);
        for (std::size_t c = 0; c < q; ++c) {
            const double r2 = r2_of(Zv, Yv, ffit, W, c);
            if (r2 > best[c]) {  // strict: ties keep the smaller lambda
                best[c] = r2;
                res.lambda[c] = g;
            }
        }
    }
    const Fit fall = moments_of(Z_train, Y_train);
    double tra = 0;
    for (std::size_t i = 0; i < p; ++i) tra += fall.S(i, i);
    const double scale_all = tra > 0 ? tra / static_cast<double>(p) : 1.0;
    for (std::size_t c = 0; c < q; ++c) {
        const Mat W = solve_ridge(fall.S, res.lambda[c] * scale_all, fall.R);
        res.r2[c] = r2_of(Z_test, Y_test, fall, W, c);
    }
    return res;
}

double linear_cka(const Mat& A, const Mat& B) {
    if (A.shape()[0] != B.shape()[0]) throw std::invalid_argument("linear_cka: row counts differ");
    Mat Ac = A, Bc = B;
    subtract(Ac, col_means(A));
    subtract(Bc, col_means(B));
    Mat AB({A.shape()[1], B.shape()[1]}), AA({A.shape()[1], A.shape()[1]}), BB({B.shape()[1], B.shape()[1]});
    ad::blas::gemm(Ac, true, Bc, false, AB);
    ad::blas::gemm(Ac, true, Ac, false, AA);
    ad::blas::gemm(Bc, true, Bc, false, BB);
    auto fro2 = [](const Mat& m) {
        double s = 0;
        for (std::size_t i = 0; i < m.size(); ++i) s += m.data()[i] * m.data()[i];
        return s;
    };
    const double den = std::sqrt(fro2(AA)) * std::sqrt(fro2(BB));
    if (!(den > 0)) return 0.0;
    return fro2(AB) / den;
}

}  // namespace sim
