#include "autodiff/linalg.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <xtensor-blas/xlinalg.hpp>
#include <xtensor/xview.hpp>

#include "autodiff/blas.hpp"

namespace ad::la {

Mat mm(const Mat& A, const Mat& B, bool ta, bool tb) {
    const std::size_t m = ta ? A.shape()[1] : A.shape()[0];
    const std::size_t ka = ta ? A.shape()[0] : A.shape()[1];
    const std::size_t kb = tb ? B.shape()[1] : B.shape()[0];
    const std::size_t n = tb ? B.shape()[0] : B.shape()[1];
    if (ka != kb) throw std::invalid_argument("ad::la::mm: inner dimensions differ");
    Mat C = xt::zeros<double>({m, n});
    if (m == 0 || n == 0 || ka == 0) return C;
    ad::blas::gemm(A, ta, B, tb, C);
    return C;
}

Mat mm3(const Mat& A, const Mat& B, const Mat& C) { return mm(mm(A, B), C); }

Mat transpose(const Mat& A) {
    Mat T = xt::transpose(A);
    return T;
}

Mat eye(std::size_t n) {
    Mat I = xt::eye<double>(n);
    return I;
}

Mat zeros(std::size_t r, std::size_t c) {
    Mat Z = xt::zeros<double>({r, c});
    return Z;
}

double trace(const Mat& A) {
    double t = 0;
    for (std::size_t i = 0; i < std::min(A.shape()[0], A.shape()[1]); ++i) t += A(i, i);
    return t;
}

double frob2(const Mat& A) {
    double s = 0;
    for (double x : A) s += x * x;
    return s;
}

Mat canonical_basis(const Mat& Q) {
    const std::size_t g = Q.shape()[0], n = Q.shape()[1];
    const Mat P = mm(Q, Q, true, false);  // n x n projector onto the row space
    Mat B = zeros(g, n);
    std::size_t k = 0;
    for (std::size_t j = 0; j < n && k < g; ++j) {
        std::vector<double> v(n);
        for (std::size_t i = 0; i < n; ++i) v[i] = P(i, j);  // P e_j
        for (int pass = 0; pass < 2; ++pass)               // Gram-Schmidt, twice for accuracy
            for (std::size_t r = 0; r < k; ++r) {
                double d = 0;
                for (std::size_t i = 0; i < n; ++i) d += B(r, i) * v[i];
                for (std::size_t i = 0; i < n; ++i) v[i] -= d * B(r, i);
            }
        double norm = 0;
        for (double x : v) norm += x * x;
        norm = std::sqrt(norm);
        // (P - Pi_k) e_j has norm^2 = its j-th coordinate: below 1e-3 e_j is nearly in the span
        // of the basis so far (or orthogonal to the space), and would be a rounding-sensitive pick
        if (norm < 1e-3) continue;
        for (std::size_t i = 0; i < n; ++i) B(k, i) = v[i] / norm;
        ++k;
    }
    if (k < g) throw std::runtime_error("canonical_basis: the rows are not orthonormal");
    return B;
}

Mat rows(const Mat& A, std::size_t r0, std::size_t r1) {
    Mat R = xt::view(A, xt::range(r0, r1), xt::all());
    return R;
}

Mat cols(const Mat& A, std::size_t c0, std::size_t c1) {
    Mat R = xt::view(A, xt::all(), xt::range(c0, c1));
    return R;
}

Mat hcat(const Mat& A, const Mat& B) {
    if (A.shape()[0] != B.shape()[0]) throw std::invalid_argument("ad::la::hcat: row counts differ");
    Mat C = xt::zeros<double>({A.shape()[0], A.shape()[1] + B.shape()[1]});
    xt::view(C, xt::all(), xt::range(0, A.shape()[1])) = A;
    xt::view(C, xt::all(), xt::range(A.shape()[1], A.shape()[1] + B.shape()[1])) = B;
    return C;
}

Mat vcat(const Mat& A, const Mat& B) {
    if (A.shape()[1] != B.shape()[1]) throw std::invalid_argument("ad::la::vcat: column counts differ");
    Mat C = xt::zeros<double>({A.shape()[0] + B.shape()[0], A.shape()[1]});
    xt::view(C, xt::range(0, A.shape()[0]), xt::all()) = A;
    xt::view(C, xt::range(A.shape()[0], A.shape()[0] + B.shape()[0]), xt::all()) = B;
    return C;
}

Mat symmetrize(const Mat& A) {
    Mat S = 0.5 * (A + xt::transpose(A));
    return S;
}

Eig eigh(const Mat& S) {
    Eig e;
    const std::size_t n = S.shape()[0];
    if (n == 0) return e;
    if (S.shape()[1] != n) throw std::invalid_argument("ad::la::eigh: matrix is not square");
    Mat Ssym = symmetrize(S);
    auto res = xt::linalg::eigh(Ssym);
    const auto& w = std::get<0>(res);
    e.w.assign(w.begin(), w.end());
    e.V = std::get<1>(res);
    return e;
}

Svd svd(const Mat& A, bool full) {
    Svd r;
    const std::size_t m = A.shape()[0], n = A.shape()[1];
    if (m == 0 || n == 0) {
        r.U = zeros(m, full ? m : 0);
        r.Vt = zeros(full ? n : 0, n);
        return r;
    }
    auto res = xt::linalg::svd(A, full, true);
    r.U = std::get<0>(res);
    const auto& s = std::get<1>(res);
    r.s.assign(s.begin(), s.end());
    r.Vt = std::get<2>(res);
    return r;
}

namespace {
Mat from_eig(const Eig& e, double (*f)(double, double), double arg, double floor_rel, bool drop_small) {
    const std::size_t n = e.w.size();
    double wmax = 0;
    for (double x : e.w) wmax = std::max(wmax, std::abs(x));
    Mat VD = e.V;
    for (std::size_t j = 0; j < n; ++j) {
        double w = e.w[j];
        double fw;
        if (w <= floor_rel * wmax) fw = drop_small ? 0.0 : f(std::max(floor_rel * wmax, 1e-300), arg);
        else fw = f(w, arg);
        for (std::size_t i = 0; i < n; ++i) VD(i, j) *= fw;
    }
    return symmetrize(mm(VD, e.V, false, true));
}
double powf_(double w, double p) { return std::pow(w, p); }
double invf_(double w, double) { return 1.0 / w; }
}  // namespace

Mat sym_pow(const Mat& S, double power) {
    const Eig e = eigh(S);
    if (!e.w.empty() && e.w.front() <= 0 && power < 0)
        throw std::runtime_error("theory: a covariance matrix is not positive definite");
    return from_eig(e, powf_, power, 1e-300, false);
}

Mat pinv_sym(const Mat& S, double rtol) {
    if (S.shape()[0] == 0) return S;
    return from_eig(eigh(S), invf_, 0, rtol, true);
}

Mat solve_spd(const Mat& S, const Mat& B) { return mm(sym_pow(S, -1.0), B); }

void qr_thin(const Mat& A, Mat& Q, Mat& R) {
    auto res = xt::linalg::qr(A, xt::linalg::qrmode::reduced);
    Q = std::get<0>(res);
    R = std::get<1>(res);
    // a unique factorisation: R with a non-negative diagonal
    for (std::size_t j = 0; j < R.shape()[0] && j < R.shape()[1]; ++j) {
        if (R(j, j) < 0) {
            for (std::size_t i = 0; i < Q.shape()[0]; ++i) Q(i, j) = -Q(i, j);
            for (std::size_t k = 0; k < R.shape()[1]; ++k) R(j, k) = -R(j, k);
        }
    }
}

Mat row_basis(const Mat& A, double rtol) {
    const std::size_t d = A.shape()[1];
    if (A.shape()[0] == 0) return zeros(d, 0);
    const Svd s = svd(A, false);
    const double smax = s.s.empty() ? 0.0 : s.s.front();
    std::size_t r = 0;
    while (r < s.s.size() && s.s[r] > rtol * smax && s.s[r] > 0) ++r;
    return transpose(rows(s.Vt, 0, r));
}

}  // namespace ad::la
