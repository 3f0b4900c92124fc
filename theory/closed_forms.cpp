// The closed forms of ../shared/spec/theory.md, sections 2-5. Derivations: docs/theory.md.
#include "theory/closed_forms.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "autodiff/random.hpp"
#include "theory/linalg.hpp"

namespace theory {

namespace {

using la::mm;

// Canonical correlations below this are zero (they are correlations, so an absolute scale).
constexpr double kRhoTol = 1e-10;

struct Side {
    const Mat* Sxx;
    const Mat* Sxv;
    const Mat* Sxy;
};

Side side(const Moments& mo, int modality) {
    if (modality == 1) return {&mo.S11, &mo.S1v, &mo.S1y};
    if (modality == 2) return {&mo.S22, &mo.S2v, &mo.S2y};
    throw std::invalid_argument("theory: modality must be 1 or 2, got " + std::to_string(modality));
}

bool is_oracle(const Mat& W) { return W.size() == 0; }

// The whitened view of a representation z = W x: Sxx^{-1/2} and an orthonormal basis Qz of the
// row space of W Sxx^{1/2} (d x r). The part of Cov(x, y) that z explains is Qz^T Sxx^{-1/2} Cov(x, y):
// R^2(y | Wx) = |Qz^T Sxx^{-1/2} c|^2 / Var(y). The oracle (empty W) has Qz = I.
struct Whitened {
    Mat isqrt;  // Sxx^{-1/2}
    Mat Qz;     // d x r
};

Whitened whiten(const Mat& Sxx, const Mat& W) {
    Whitened w;
    w.isqrt = la::sym_pow(Sxx, -0.5);
    const std::size_t d = Sxx.shape()[0];
    if (is_oracle(W)) {
        w.Qz = la::eye(d);
    } else {
        if (W.shape()[1] != d)
            throw std::invalid_argument("theory: encoder has " + std::to_string(W.shape()[1]) +
                                        " columns, the modality has dimension " + std::to_string(d));
        w.Qz = la::row_basis(mm(W, la::sym_pow(Sxx, 0.5)));
    }
    return w;
}

// Explained covariance of the columns of C (d x k): K^T K with K = Qz^T Sxx^{-1/2} C (k x k).
Mat explained(const Whitened& w, const Mat& C) {
    const Mat K = mm(w.Qz, mm(w.isqrt, C), true, false);
    return la::symmetrize(mm(K, K, true, false));
}

Mat target_column(const Mat& S, int t) {
    if (t < 0 || t >= static_cast<int>(S.shape()[1]))
        throw std::invalid_argument("theory: target index out of range: " + std::to_string(t));
    return la::cols(S, t, t + 1);
}

double r2_of(const Side& s, double var, const Mat& W, int t) {
    if (!(var > 0)) return 0.0;
    const Whitened w = whiten(*s.Sxx, W);
    const Mat E = explained(w, target_column(*s.Sxy, t));
    return std::clamp(E(0, 0) / var, 0.0, 1.0);
}

std::pair<std::size_t, std::size_t> block_range(const Model& m, const std::string& block) {
    const std::size_t ks = m.ks(), k1 = m.k1(), k2 = m.k2();
    if (block == "s") return {0, ks};
    if (block == "u1") return {ks, ks + k1};
    if (block == "u2") return {ks + k1, ks + k1 + k2};
    throw std::invalid_argument("theory: unknown latent block '" + block + "' (expected s, u1 or u2)");
}

// The canonical analysis of (x1, x2): C = S11^{-1/2} S12 S22^{-1/2} = U diag(rho) V^T (full SVD).
struct Canonical {
    Mat S11ih, S22ih;
    la::Svd svd;            // full: U d1 x d1, Vt d2 x d2
    std::size_t r = 0;      // number of non-zero canonical correlations
};

Canonical canonical(const Moments& mo) {
    Canonical c;
    c.S11ih = la::sym_pow(mo.S11, -0.5);
    c.S22ih = la::sym_pow(mo.S22, -0.5);
    c.svd = la::svd(la::mm3(c.S11ih, mo.S12, c.S22ih), true);
    while (c.r < c.svd.s.size() && c.svd.s[c.r] > kRhoTol) ++c.r;
    return c;
}

void check_p(int p, const Moments& mo) {
    const int dmin = static_cast<int>(std::min(mo.S11.shape()[0], mo.S22.shape()[0]));
    if (p < 1 || p > dmin)
        throw std::invalid_argument("theory: representation dimension p = " + std::to_string(p) +
                                    " must be in [1, min(d1, d2) = " + std::to_string(dmin) + "]");
}

double tr_prod(const Mat& A, const Mat& B) {  // tr(A B^T) = sum A .* B
    double s = 0;
    auto ia = A.begin();
    for (auto ib = B.begin(); ib != B.end(); ++ia, ++ib) s += *ia * *ib;
    return s;
}

}  // namespace

// ------------------------------------------------------------------ section 2

double r2_target(const Model& m, const Moments& mo, int modality, const Mat& W, int target) {
    (void)m;
    return r2_target(mo, modality, W, target);
}

double r2_target(const Moments& mo, int modality, const Mat& W, int target) {
    const Side s = side(mo, modality);
    const double var = mo.Syy(target, target);
    return r2_of(s, var, W, target);
}

double r2_block(const Model& m, const Moments& mo, int modality, const Mat& W, const std::string& block) {
    const auto [b0, b1] = block_range(m, block);
    const Side s = side(mo, modality);
    const Whitened w = whiten(*s.Sxx, W);
    const Mat E = explained(w, la::cols(*s.Sxv, b0, b1));
    return std::clamp(la::trace(E) / double(b1 - b0), 0.0, 1.0);  // latents have unit variance
}

double info_block(const Model& m, const Moments& mo, int modality, const Mat& W, const std::string& block) {
    const auto [b0, b1] = block_range(m, block);
    const Side s = side(mo, modality);
    const Whitened w = whiten(*s.Sxx, W);
    // Sigma_{v|z} = I - E, E = Sigma_vz Sigma_zz^+ Sigma_zv: I = -1/2 sum log(1 - eig(E))
    const la::Eig e = la::eigh(explained(w, la::cols(*s.Sxv, b0, b1)));
    double info = 0;
    for (double x : e.w) {
        const double lam = std::clamp(x, 0.0, 1.0);
        if (lam >= 1.0) return HUGE_VAL;
        info -= 0.5 * std::log1p(-lam);
    }
    return info;
}

std::vector<double> canonical_correlations(const Moments& mo) {
    const Canonical c = canonical(mo);
    std::vector<double> rho(c.svd.s.begin(), c.svd.s.begin() + static_cast<std::ptrdiff_t>(c.r));
    for (double& x : rho) x = std::min(x, 1.0);
    return rho;
}

double mutual_information_x1_x2(const Moments& mo) {
    double info = 0;
    for (double rho : canonical_correlations(mo)) {
        if (rho >= 1.0) return HUGE_VAL;
        info -= 0.5 * std::log1p(-rho * rho);
    }
    return info;
}

Mat shared_posterior_encoder(const Model& m, const Moments& mo, int modality) {
    const Side s = side(mo, modality);
    const Mat& A = modality == 1 ? m.A1 : m.A2;
    return la::transpose(la::solve_spd(*s.Sxx, A));  // A^T Sxx^{-1}
}

// ------------------------------------------------------------------ section 3

Mat target_encoder(const Moments& mo, int p, const std::string& kind, std::uint64_t seed) {
    check_p(p, mo);
    const std::size_t d2 = mo.S22.shape()[0];
    if (kind == "cca") {
        // rows of V^T beyond r have zero canonical correlation: they complete the top canonical
        // directions with whitened directions of x2 uncorrelated with x1. Within a group of tied
        // correlations (orthogonal mixing ties the shared ones; the zeros always tie) any
        // orthonormal basis is an SVD, and LAPACK's pick depends on the BLAS kernel: the
        // canonical basis of the group's span makes W2 the same on every kernel (and a group cut
        // by p keeps its canonical first rows).
        const Canonical c = canonical(mo);
        const std::size_t P = static_cast<std::size_t>(p);
        Mat Vt = c.svd.Vt;
        auto rho = [&](std::size_t k) { return k < c.svd.s.size() ? c.svd.s[k] : 0.0; };
        const double tol = 1e-9 * std::max(1.0, rho(0));
        for (std::size_t a = 0; a < P;) {
            std::size_t b = a + 1;
            while (b < d2 && std::abs(rho(b) - rho(a)) <= tol) ++b;
            if (b - a > 1) {
                const Mat B = la::canonical_basis(la::rows(Vt, a, b));
                for (std::size_t k = a; k < b; ++k)
                    for (std::size_t j = 0; j < d2; ++j) Vt(k, j) = B(k - a, j);
            } else {  // a single direction: only its sign is free; its largest coordinate positive
                std::size_t jm = 0;
                for (std::size_t j = 1; j < d2; ++j)
                    if (std::abs(Vt(a, j)) > std::abs(Vt(a, jm)) + 1e-12) jm = j;
                if (Vt(a, jm) < 0)
                    for (std::size_t j = 0; j < d2; ++j) Vt(a, j) = -Vt(a, j);
            }
            a = b;
        }
        return mm(la::rows(Vt, 0, P), c.S22ih);
    }
    if (kind == "random") {
        ad::Rng rng(ad::derive_seed(seed, "theory.target_encoder"));
        Mat W({static_cast<std::size_t>(p), d2});
        ad::fill_normal(W, rng, 0.0, 1.0 / std::sqrt(double(d2)));
        return W;
    }
    throw std::invalid_argument("theory: unknown target encoder '" + kind + "' (expected cca or random)");
}

namespace {

// Minimum-norm spectral optimum: W1^T W2 = S11^{-1/2} [C]_p S22^{-1/2} =: M = L S R^T;
// W1 = S^{1/2} L^T, W2 = S^{1/2} R^T minimise |W1|^2 + |W2|^2 among the factorisations of M.
void spectral_pair(const Moments& mo, int p, Mat& W1, Mat& W2) {
    const Canonical c = canonical(mo);
    const std::size_t q = std::min<std::size_t>(p, c.r);
    const std::size_t d1 = mo.S11.shape()[0], d2 = mo.S22.shape()[0];
    W1 = la::zeros(p, d1);
    W2 = la::zeros(p, d2);
    if (q == 0) return;
    Mat Uq = la::cols(c.svd.U, 0, q);
    for (std::size_t k = 0; k < q; ++k)
        for (std::size_t i = 0; i < Uq.shape()[0]; ++i) Uq(i, k) *= c.svd.s[k];
    const Mat M = mm(mm(c.S11ih, Uq), mm(la::rows(c.svd.Vt, 0, q), c.S22ih));
    const la::Svd f = la::svd(M, false);
    for (std::size_t k = 0; k < q; ++k) {
        const double r = std::sqrt(f.s[k]);
        for (std::size_t j = 0; j < d1; ++j) W1(k, j) = r * f.U(j, k);
        for (std::size_t j = 0; j < d2; ++j) W2(k, j) = r * f.Vt(k, j);
    }
}

// Canonical pair: W1 = U_q^T S11^{-1/2}, W2 = V_q^T S22^{-1/2}, q = min(p, r), zero rows beyond.
void cca_pair(const Moments& mo, int p, Mat& W1, Mat& W2) {
    const Canonical c = canonical(mo);
    const std::size_t q = std::min<std::size_t>(p, c.r);
    W1 = la::zeros(p, mo.S11.shape()[0]);
    W2 = la::zeros(p, mo.S22.shape()[0]);
    if (q == 0) return;
    const Mat top1 = mm(la::cols(c.svd.U, 0, q), c.S11ih, true, false);
    const Mat top2 = mm(la::rows(c.svd.Vt, 0, q), c.S22ih);
    for (std::size_t k = 0; k < q; ++k) {
        for (std::size_t j = 0; j < W1.shape()[1]; ++j) W1(k, j) = top1(k, j);
        for (std::size_t j = 0; j < W2.shape()[1]; ++j) W2(k, j) = top2(k, j);
    }
}

}  // namespace

Mat aligned_encoder(const Moments& mo, int p, const std::string& objective, const Mat& W2) {
    check_p(p, mo);
    if (objective == "regression") {
        if (W2.shape()[0] != static_cast<std::size_t>(p) || W2.shape()[1] != mo.S22.shape()[0])
            throw std::invalid_argument("theory: regression alignment needs a target encoder W2 of shape p x d2");
        // W1* = W2 S21 S11^{-1} = (S11^{-1} S12 W2^T)^T
        return la::transpose(la::solve_spd(mo.S11, mm(mo.S12, W2, false, true)));
    }
    Mat A, B;
    if (objective == "cca") cca_pair(mo, p, A, B);
    else if (objective == "spectral") spectral_pair(mo, p, A, B);
    else throw std::invalid_argument("theory: no closed-form optimum for objective '" + objective +
                                     "' (expected regression, cca or spectral)");
    return A;
}

Mat aligned_encoder_2(const Moments& mo, int p, const std::string& objective) {
    check_p(p, mo);
    Mat A, B;
    if (objective == "cca") cca_pair(mo, p, A, B);
    else if (objective == "spectral") spectral_pair(mo, p, A, B);
    else if (objective == "regression")
        throw std::invalid_argument("theory: the modality-2 side of regression alignment is the frozen target encoder");
    else throw std::invalid_argument("theory: no closed-form optimum for objective '" + objective + "'");
    return B;
}

double alignment_loss(const Moments& mo, const std::string& objective, const Mat& W1, const Mat& W2) {
    if (W1.shape()[0] != W2.shape()[0] || W1.shape()[1] != mo.S11.shape()[0] || W2.shape()[1] != mo.S22.shape()[0])
        throw std::invalid_argument("theory: alignment_loss: encoders must be p x d1 and p x d2");
    const Mat C11 = la::mm3(W1, mo.S11, la::transpose(W1));  // Cov(z1)
    const Mat C22 = la::mm3(W2, mo.S22, la::transpose(W2));  // Cov(z2)
    const double cross = tr_prod(mm(W1, mo.S12), W2);        // E[z1^T z2]
    if (objective == "regression" || objective == "cca") return la::trace(C11) - 2 * cross + la::trace(C22);
    if (objective == "spectral") return -2 * cross + tr_prod(C11, C22);  // both symmetric
    throw std::invalid_argument("theory: no population value for objective '" + objective + "'");
}

double cca_constrained_loss(const Moments& mo, int p) {
    check_p(p, mo);
    const std::vector<double> rho = canonical_correlations(mo);
    double loss = 0;
    for (int k = 0; k < p; ++k) loss += 2 * (1 - (k < static_cast<int>(rho.size()) ? rho[k] : 0.0));
    return loss;
}

double spectral_optimum_loss(const Moments& mo, int p) {
    check_p(p, mo);
    const std::vector<double> rho = canonical_correlations(mo);
    double loss = 0;
    for (int k = 0; k < p && k < static_cast<int>(rho.size()); ++k) loss -= rho[k] * rho[k];
    return loss;
}

// ------------------------------------------------------------------ section 5

namespace {

struct TradeoffParts {
    Mat beta;  // d1 x 1: S11^{-1} S1y (oracle regression)
    Mat WA;    // p x d1: W2 S21 S11^{-1} (alignment optimum)
};

TradeoffParts tradeoff_parts(const Moments& mo, const Mat& W2, int target) {
    if (W2.shape()[1] != mo.S22.shape()[0] || W2.shape()[0] < 1)
        throw std::invalid_argument("theory: the trade-off needs a target encoder W2 of shape p x d2");
    if (target < 0 || target >= kNumTargets) throw std::invalid_argument("theory: target index out of range");
    TradeoffParts t;
    t.beta = la::solve_spd(mo.S11, target_column(mo.S1y, target));
    t.WA = aligned_encoder(mo, static_cast<int>(W2.shape()[0]), "regression", W2);
    return t;
}

// W1(v) = W_A + v (beta^T - v^T W_A) / (lambda + |v|^2)  (Sherman-Morrison)
Mat w1_of_v(const TradeoffParts& t, const Mat& v, double lambda) {
    const double nv = la::frob2(v);
    const Mat r = la::transpose(t.beta) - mm(v, t.WA, true, false);  // 1 x d1
    Mat W1 = t.WA + mm(v, r) / (lambda + nv);
    return W1;
}

// v(W1) = (W1 S11 W1^T)^+ W1 S1y
Mat v_of_w1(const Moments& mo, const Mat& W1, int target) {
    const Mat Czz = la::mm3(W1, mo.S11, la::transpose(W1));
    return mm(la::pinv_sym(Czz, 1e-14), mm(W1, target_column(mo.S1y, target)));
}

TradeoffPoint finish_point(const Moments& mo, const Mat& W2, int target, double lambda, Mat W1, Mat v, int it) {
    TradeoffPoint pt;
    pt.lambda = lambda;
    pt.W1 = std::move(W1);
    pt.v = std::move(v);
    pt.r2 = r2_target(mo, 1, pt.W1, target);
    const Mat h = mm(pt.v, pt.W1, true, false);  // 1 x d1: the predictor v^T W1
    pt.task_loss = mo.Syy(target, target) - 2 * mm(h, target_column(mo.S1y, target))(0, 0) +
                   la::mm3(h, mo.S11, la::transpose(h))(0, 0);
    pt.alignment_loss = alignment_loss(mo, "regression", pt.W1, W2);
    pt.iterations = it;
    return pt;
}

void check_lambda(double lambda) {
    if (!(lambda > 0) || !std::isfinite(lambda))
        throw std::invalid_argument("theory: the trade-off weight lambda must be positive and finite");
}

}  // namespace

double tradeoff_objective(const Moments& mo, const Mat& W2, int target, double lambda, const Mat& W1, const Mat& v) {
    const Mat h = mm(v, W1, true, false);
    const double task = mo.Syy(target, target) - 2 * mm(h, target_column(mo.S1y, target))(0, 0) +
                        la::mm3(h, mo.S11, la::transpose(h))(0, 0);
    return task + lambda * alignment_loss(mo, "regression", W1, W2);
}

TradeoffPoint tradeoff_fixed_point(const Moments& mo, const Mat& W2, int target, double lambda, const Mat& v0,
                                   int max_iter, double tol) {
    check_lambda(lambda);
    const TradeoffParts t = tradeoff_parts(mo, W2, target);
    if (v0.shape()[0] != W2.shape()[0] || v0.shape()[1] != 1)
        throw std::invalid_argument("theory: the trade-off head v must be p x 1");
    Mat v = v0;
    int it = 0;
    for (; it < max_iter; ++it) {
        const Mat vn = v_of_w1(mo, w1_of_v(t, v, lambda), target);
        const double step = std::sqrt(la::frob2(vn - v));
        v = vn;
        if (step <= tol * (1 + std::sqrt(la::frob2(v)))) {
            ++it;
            break;
        }
    }
    return finish_point(mo, W2, target, lambda, w1_of_v(t, v, lambda), v, it);
}

TradeoffPoint tradeoff_optimum(const Moments& mo, const Mat& W2, int target, double lambda) {
    check_lambda(lambda);
    const TradeoffParts t = tradeoff_parts(mo, W2, target);
    const std::size_t p = W2.shape()[0], d1 = mo.S11.shape()[0];
    // Eliminating W1 leaves J(v) = const + lambda |b - K v|^2 / (lambda + |v|^2) in whitened
    // coordinates (b = S11^{-1/2} S1y, K = S11^{-1/2} S12 W2^T): a generalised Rayleigh quotient
    // of [1; v], minimised by the smallest eigenvector of D^{-1/2} N^T N D^{-1/2}, N = [b, -K],
    // D = diag(lambda, 1, ..., 1). See docs/theory.md.
    const Mat S11ih = la::sym_pow(mo.S11, -0.5);
    const Mat b = mm(S11ih, target_column(mo.S1y, target));
    const Mat K = la::mm3(S11ih, mo.S12, la::transpose(W2));
    Mat N = la::hcat(b, -1.0 * K);
    const double sl = std::sqrt(lambda);
    for (std::size_t i = 0; i < d1; ++i) N(i, 0) /= sl;
    const la::Eig e = la::eigh(mm(N, N, true, false));
    Mat tvec = la::cols(e.V, 0, 1);  // (p+1) x 1, smallest eigenvalue
    tvec(0, 0) /= sl;
    const double t0 = tvec(0, 0);
    const double tn = std::sqrt(la::frob2(tvec));
    Mat v = la::rows(tvec, 1, p + 1);
    if (std::abs(t0) > 1e-9 * tn) {
        v /= t0;
        // polish with the fixed point (alternating exact minimisation in W1 and v)
        TradeoffPoint pt = tradeoff_fixed_point(mo, W2, target, lambda, v, 50, 1e-13);
        // keep the closed form if the iteration did not improve J (it only ever decreases it)
        const Mat W1e = w1_of_v(t, v, lambda);
        if (tradeoff_objective(mo, W2, target, lambda, W1e, v) <
            tradeoff_objective(mo, W2, target, lambda, pt.W1, pt.v))
            return finish_point(mo, W2, target, lambda, W1e, v, 0);
        return pt;
    }
    // The infimum is not attained: along a direction n of the head with K n = 0 (a row of W2
    // uncorrelated with x1), J decreases towards its infimum as |v| grows. Report a point whose
    // excess over the infimum is below 1e-10 of lambda |b|^2.
    v /= std::sqrt(la::frob2(v));
    const double c = 1e5 * std::sqrt(std::max(lambda, 1.0));
    v *= c;
    TradeoffPoint pt = finish_point(mo, W2, target, lambda, w1_of_v(t, v, lambda), v, 0);
    pt.attained = false;
    return pt;
}

std::vector<TradeoffPoint> tradeoff_curve(const Moments& mo, const Mat& W2, int target, double lambda_min,
                                          double lambda_max, int points) {
    if (!(lambda_min > 0) || !(lambda_max >= lambda_min) || points < 1)
        throw std::invalid_argument("theory: the trade-off curve needs 0 < lambda_min <= lambda_max and points >= 1");
    std::vector<TradeoffPoint> out;
    out.reserve(static_cast<std::size_t>(points));
    const double l0 = std::log(lambda_min), l1 = std::log(lambda_max);
    for (int i = 0; i < points; ++i) {
        const double lam = points == 1 ? lambda_min : std::exp(l0 + (l1 - l0) * i / (points - 1));
        out.push_back(tradeoff_optimum(mo, W2, target, lam));
    }
    return out;
}

// ------------------------------------------------------------------ subspaces

std::vector<double> principal_angles(const Mat& A, const Mat& B) {
    if (A.shape()[1] != B.shape()[1])
        throw std::invalid_argument("theory: principal_angles: the row spaces live in different dimensions");
    const Mat Qa = la::row_basis(A), Qb = la::row_basis(B);
    const std::size_t ra = Qa.shape()[1], rb = Qb.shape()[1];
    std::vector<double> angles;
    if (ra == 0 || rb == 0) return angles;
    const la::Svd s = la::svd(mm(Qa, Qb, true, false), false);  // cosines
    const std::size_t k = std::min(ra, rb);
    const Mat Y = mm(Qb, la::rows(s.Vt, 0, k), false, true);      // principal vectors of B, d x k
    const Mat R = Y - mm(Qa, mm(Qa, Y, true, false));             // their parts outside row(A)
    for (std::size_t j = 0; j < k; ++j) {
        double sn = 0;
        for (std::size_t i = 0; i < R.shape()[0]; ++i) sn += R(i, j) * R(i, j);
        angles.push_back(std::atan2(std::sqrt(sn), std::min(s.s[j], 1.0)));
    }
    std::sort(angles.begin(), angles.end());
    return angles;
}

}  // namespace theory
