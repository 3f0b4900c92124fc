// Training objectives from second moments, their values and optima (theory/objective.hpp).
// Derivations: docs/theory.md, section 9.
#include "theory/objective.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "theory/closed_forms.hpp"
#include "theory/linalg.hpp"

namespace theory {

namespace {

using la::mm;

std::string shape_of(const Mat& A) { return std::to_string(A.shape()[0]) + "x" + std::to_string(A.shape()[1]); }

void require(bool ok, const std::string& what) {
    if (!ok) throw std::invalid_argument("theory: " + what);
}

// X^T Y / n
Mat second_moment(const Mat& X, const Mat& Y) {
    Mat S = mm(X, Y, true, false);
    S /= static_cast<double>(X.shape()[0]);
    return S;
}

double tr_prod(const Mat& A, const Mat& B) {  // sum A .* B
    double s = 0;
    auto ia = A.begin();
    for (auto ib = B.begin(); ib != B.end(); ++ia, ++ib) s += *ia * *ib;
    return s;
}

void check_encoders(const Moments& mo, const Mat& W1, const Mat& W2) {
    require(W1.shape()[1] == mo.S11.shape()[0] && W2.shape()[1] == mo.S22.shape()[0] &&
                W1.shape()[0] == W2.shape()[0] && W1.shape()[0] >= 1,
            "encoders must be p x d1 and p x d2 (d1 = " + std::to_string(mo.S11.shape()[0]) +
                ", d2 = " + std::to_string(mo.S22.shape()[0]) + "), got " + shape_of(W1) + " and " + shape_of(W2));
}

void check_p(const Moments& mo, int p) {
    const int dmin = static_cast<int>(std::min(mo.S11.shape()[0], mo.S22.shape()[0]));
    require(p >= 1 && p <= dmin, "representation dimension p = " + std::to_string(p) + " must be in [1, min(d1, d2) = " +
                                     std::to_string(dmin) + "]");
}

// |C - I|_F^2 for a symmetric p x p C
double whitening_gap(const Mat& C) {
    double s = 0;
    for (std::size_t i = 0; i < C.shape()[0]; ++i)
        for (std::size_t j = 0; j < C.shape()[1]; ++j) {
            const double e = C(i, j) - (i == j ? 1.0 : 0.0);
            s += e * e;
        }
    return s;
}

double task_loss(const Moments& mo, int t, const Mat& W1, const Mat& v) {
    require(t >= 0 && t < static_cast<int>(mo.Syy.shape()[0]), "task target index " + std::to_string(t) + " out of range");
    require(v.shape()[0] == W1.shape()[0] && v.shape()[1] == 1, "the task head v must be p x 1, got " + shape_of(v));
    const Mat h = mm(v, W1, true, false);  // 1 x d1: the predictor v^T W1
    const Mat b = la::cols(mo.S1y, t, t + 1);
    return mo.Syy(t, t) - 2 * mm(h, b)(0, 0) + la::mm3(h, mo.S11, la::transpose(h))(0, 0);
}

double alignment_value(const Moments& mo, const ObjectiveSpec& s, const ObjectiveParams& x) {
    switch (s.form) {
        case ClosedForm::regression: return alignment_loss(mo, "regression", x.W1, s.W2);
        case ClosedForm::cca: return cca_penalised_loss(mo, x.W1, x.W2, s.cca_penalty);
        case ClosedForm::spectral: return alignment_loss(mo, "spectral", x.W1, x.W2);
        case ClosedForm::vicreg:
        case ClosedForm::barlow_twins: {
            SecondMomentLoss l = s.second_moment;
            l.name = closed_form_name(s.form);
            return second_moment_loss(mo, l, x.W1, x.W2);
        }
        case ClosedForm::no_alignment: return 0.0;
        case ClosedForm::none: break;
    }
    throw std::invalid_argument("theory: the " + s.loss_title + " loss has no value from moments");
}

}  // namespace

Moments sample_moments(const Mat& X1, const Mat& X2, const Mat& Y, bool centred) {
    const std::size_t n = X1.shape()[0];
    require(X2.shape()[0] == n && (Y.size() == 0 || Y.shape()[0] == n),
            "sample_moments: the data matrices have different numbers of rows (" + std::to_string(n) + ", " +
                std::to_string(X2.shape()[0]) + ", " + std::to_string(Y.shape()[0]) + ")");
    const std::size_t dmax = std::max(X1.shape()[1], X2.shape()[1]) + (centred ? 1 : 0);
    require(n > dmax, "sample_moments: " + std::to_string(n) + " samples do not determine the " +
                          (centred ? "covariances of " : "second moments of ") + std::to_string(dmax - (centred ? 1 : 0)) +
                          " dimensions (need more samples than dimensions" + (centred ? " plus one)" : ")"));
    // the columns minus their means over the set (centred) or as they are
    auto prepared = [&](const Mat& X) {
        if (!centred || X.size() == 0) return X;
        Mat C = X;
        for (std::size_t j = 0; j < C.shape()[1]; ++j) {
            double mu = 0;
            for (std::size_t i = 0; i < n; ++i) mu += C(i, j);
            mu /= static_cast<double>(n);
            for (std::size_t i = 0; i < n; ++i) C(i, j) -= mu;
        }
        return C;
    };
    const Mat A = prepared(X1), B = prepared(X2), Yc = prepared(Y);
    Moments mo;
    mo.S11 = la::symmetrize(second_moment(A, A));
    mo.S22 = la::symmetrize(second_moment(B, B));
    mo.S12 = second_moment(A, B);
    if (Yc.size() > 0) {
        mo.S1y = second_moment(A, Yc);
        mo.S2y = second_moment(B, Yc);
        mo.Syy = la::symmetrize(second_moment(Yc, Yc));
    }
    return mo;
}

// ------------------------------------------------------------------ penalised cca

double cca_penalised_loss(const Moments& mo, const Mat& W1, const Mat& W2, double penalty) {
    check_encoders(mo, W1, W2);
    require(penalty >= 0 && std::isfinite(penalty), "the cca penalty must be non-negative and finite");
    const Mat C1 = la::mm3(W1, mo.S11, la::transpose(W1)), C2 = la::mm3(W2, mo.S22, la::transpose(W2));
    const double cross = tr_prod(mm(W1, mo.S12), W2);
    return la::trace(C1) - 2 * cross + la::trace(C2) + penalty * (whitening_gap(C1) + whitening_gap(C2));
}

double cca_penalised_pair_loss(double rho, double penalty) {
    require(penalty >= 0 && std::isfinite(penalty), "the cca penalty must be non-negative and finite");
    const double q = 1 - rho;
    if (q < 2 * penalty) return 2 * q - q * q / (2 * penalty);
    return 2 * penalty;
}

CcaBatch cca_batch(double penalty, std::size_t n, std::size_t batch) {
    require(penalty >= 0 && std::isfinite(penalty), "the cca penalty must be non-negative and finite");
    require(batch >= 2 && batch <= n, "cca_batch: need 2 <= batch <= n");
    const double N = static_cast<double>(n), B = static_cast<double>(batch);
    CcaBatch b;
    b.shrink = N * (B - 1) / (B * (N - 1));
    const double f = (N - B) / (B * (N - 1));
    b.kappa = penalty * f * (1 - f);
    return b;
}

double cca_batch_excess(const Moments& mo, const Mat& W1, const Mat& W2, double penalty, const CcaBatch& b) {
    check_encoders(mo, W1, W2);
    const Mat C1 = la::mm3(W1, mo.S11, la::transpose(W1)), C2 = la::mm3(W2, mo.S22, la::transpose(W2));
    const double align = la::trace(C1) - 2 * tr_prod(mm(W1, mo.S12), W2) + la::trace(C2);
    double excess = (b.shrink - 1) * align;
    for (const Mat* C : {&C1, &C2}) {
        const Mat aC = b.shrink * *C;
        const double t = la::trace(*C);
        excess += penalty * (whitening_gap(aC) - whitening_gap(*C)) + b.kappa * (t * t + la::frob2(*C));
    }
    return excess;
}

CcaPenalisedOptimum cca_penalised_optimum(const Moments& mo, int p, double penalty, const CcaBatch& batch) {
    check_p(mo, p);
    require(penalty >= 0 && std::isfinite(penalty), "the cca penalty must be non-negative and finite");
    const double a = batch.shrink, kappa = batch.kappa;
    require(a > 0 && std::isfinite(a), "the minibatch shrink factor must be positive and finite");
    require(kappa >= 0 && std::isfinite(kappa), "the minibatch term kappa must be non-negative and finite");
    // whitened cross-covariance C = S11^{-1/2} S12 S22^{-1/2} = U diag(rho) V^T (full SVD: the
    // singular vectors beyond the non-zero correlations complete both sides)
    const Mat S11ih = la::sym_pow(mo.S11, -0.5), S22ih = la::sym_pow(mo.S22, -0.5);
    const la::Svd svd = la::svd(la::mm3(S11ih, mo.S12, S22ih), true);
    CcaPenalisedOptimum o;
    const std::size_t P = static_cast<std::size_t>(p);
    for (std::size_t k = 0; k < P; ++k) o.rho.push_back(std::clamp(svd.s[k], 0.0, 1.0));
    // per side, G(t) = sum_k a (1 - rho_k) t_k + c (a t_k - 1)^2 + kappa ((sum t)^2 + sum t^2),
    // convex on t >= 0: t_k = max(0, (a_k - 2 kappa S) / (2 c a^2 + 2 kappa)),
    // a_k = 2 c a - a (1 - rho_k), where S = sum t solves S = sum_k max(0, ...) (the right side
    // decreases in S: bisection)
    const double den = 2 * penalty * a * a + 2 * kappa;
    std::vector<double> num(P);
    for (std::size_t k = 0; k < P; ++k) num[k] = 2 * penalty * a - a * (1 - o.rho[k]);
    auto t_of = [&](double S, std::size_t k) { return den > 0 ? std::max(0.0, (num[k] - 2 * kappa * S) / den) : 0.0; };
    auto excess = [&](double S) {
        double s = 0;
        for (std::size_t k = 0; k < P; ++k) s += t_of(S, k);
        return s - S;
    };
    double lo = 0, hi = 0;
    for (std::size_t k = 0; k < P; ++k) hi += t_of(0, k);
    for (int it = 0; it < 200 && hi > lo; ++it) {
        const double mid = 0.5 * (lo + hi);
        (excess(mid) > 0 ? lo : hi) = mid;
    }
    const double S = 0.5 * (lo + hi);
    o.W1 = la::zeros(P, mo.S11.shape()[0]);
    o.W2 = la::zeros(P, mo.S22.shape()[0]);
    const Mat R1 = mm(svd.U, S11ih, true, false);  // rows u_k^T S11^{-1/2}
    const Mat R2 = mm(svd.Vt, S22ih);              // rows v_k^T S22^{-1/2}
    double whole = 0, expected = 0, St = 0, St2 = 0;
    for (std::size_t k = 0; k < P; ++k) {
        const double t = t_of(S, k);
        o.scale.push_back(t);
        const double r = std::sqrt(t);
        for (std::size_t j = 0; j < o.W1.shape()[1]; ++j) o.W1(k, j) = r * R1(k, j);
        for (std::size_t j = 0; j < o.W2.shape()[1]; ++j) o.W2(k, j) = r * R2(k, j);
        whole += (1 - o.rho[k]) * t + penalty * (t - 1) * (t - 1);
        expected += a * (1 - o.rho[k]) * t + penalty * (a * t - 1) * (a * t - 1);
        St += t;
        St2 += t * t;
    }
    o.loss = 2 * whole;
    o.value = 2 * (expected + kappa * (St * St + St2));
    return o;
}

// ------------------------------------------------------------------ one run's objective

std::string no_closed_form_reason(const ObjectiveSpec& s) {
    if (s.form == ClosedForm::spectral && s.spectral_centering != "none" && s.spectral_centering != "batch")
        throw std::invalid_argument("theory: unknown spectral centering '" + s.spectral_centering + "' (expected none or batch)");
    if (s.form == ClosedForm::none) return "the " + s.loss_title + " loss has no closed-form optimum";
    if (s.task >= 0 && (s.form == ClosedForm::cca || s.form == ClosedForm::spectral || s.form == ClosedForm::vicreg ||
                        s.form == ClosedForm::barlow_twins))
        return "a task added to " + s.loss + " alignment has no closed-form optimum (only the regression trade-off has one)";
    if (s.form == ClosedForm::no_alignment && s.task < 0) return "nothing is trained (no alignment and no task)";
    return "";
}

bool objective_is_centred(const ObjectiveSpec& s) {
    return s.form == ClosedForm::cca || (s.form == ClosedForm::spectral && s.spectral_centering == "batch") ||
           s.form == ClosedForm::vicreg || s.form == ClosedForm::barlow_twins;
}

double objective_value(const Moments& mo, const ObjectiveSpec& s, const ObjectiveParams& x) {
    require(x.W1.shape()[1] == mo.S11.shape()[0] && x.W1.shape()[0] >= 1,
            "objective_value: W1 must be p x d1 (d1 = " + std::to_string(mo.S11.shape()[0]) + "), got " + shape_of(x.W1));
    const double align = alignment_value(mo, s, x);
    if (s.task < 0) return align;
    const double task = task_loss(mo, s.task, x.W1, x.v);
    return s.form == ClosedForm::no_alignment ? task : task + s.lambda * align;
}

ObjectiveOptimum objective_optimum(const Moments& mo, const ObjectiveSpec& s) {
    const std::string why = no_closed_form_reason(s);
    if (!why.empty()) throw std::invalid_argument("theory: " + why);
    ObjectiveOptimum o;
    if (s.form == ClosedForm::regression) {
        require(s.W2.shape()[0] == static_cast<std::size_t>(s.p) && s.W2.shape()[1] == mo.S22.shape()[0],
                "regression alignment needs the frozen target encoder W2 (p x d2), got " + shape_of(s.W2));
        o.at.W2 = s.W2;
        if (s.task < 0) {
            o.at.W1 = aligned_encoder(mo, s.p, "regression", s.W2);
            o.value = alignment_loss(mo, "regression", o.at.W1, s.W2);
            return o;
        }
        const TradeoffPoint pt = tradeoff_optimum(mo, s.W2, s.task, s.lambda);
        o.at.W1 = pt.W1;
        o.at.v = pt.v;
        o.attained = pt.attained;
        o.value = objective_value(mo, s, o.at);
        return o;
    }
    check_p(mo, s.p);
    if (s.form == ClosedForm::cca) {
        const CcaPenalisedOptimum c = cca_penalised_optimum(mo, s.p, s.cca_penalty);
        o.at.W1 = c.W1;
        o.at.W2 = c.W2;
        o.value = c.value;
        return o;
    }
    if (s.form == ClosedForm::vicreg || s.form == ClosedForm::barlow_twins) {
        SecondMomentLoss l = s.second_moment;
        l.name = closed_form_name(s.form);
        const SecondMomentOptimum so = second_moment_optimum(mo, s.p, l);
        o.at.W1 = so.W1;
        o.at.W2 = so.W2;
        o.value = so.value;
        o.method = so.method;
        return o;
    }
    if (s.form == ClosedForm::spectral) {
        o.at.W1 = aligned_encoder(mo, s.p, "spectral", Mat());
        o.at.W2 = aligned_encoder_2(mo, s.p, "spectral");
        o.value = spectral_optimum_loss(mo, s.p);
        return o;
    }
    // no alignment, with a task: least squares of y_t on x1 through any one row of W1
    require(s.task < static_cast<int>(mo.Syy.shape()[0]), "task target index " + std::to_string(s.task) + " out of range");
    const Mat b = la::cols(mo.S1y, s.task, s.task + 1);
    const Mat beta = la::solve_spd(mo.S11, b);
    o.at.W1 = la::zeros(s.p, mo.S11.shape()[0]);
    for (std::size_t j = 0; j < beta.shape()[0]; ++j) o.at.W1(0, j) = beta(j, 0);
    o.at.v = la::zeros(s.p, 1);
    o.at.v(0, 0) = 1;
    o.value = mo.Syy(s.task, s.task) - mm(b, beta, true, false)(0, 0);
    return o;
}

double relative_gap(double learned, double optimum) { return (learned - optimum) / std::max(std::abs(optimum), 1e-12); }

}  // namespace theory
