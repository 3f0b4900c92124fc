// VICReg and Barlow Twins from second moments (theory/second_moment.hpp).
#include "theory/second_moment.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <stdexcept>

#include "autodiff/lbfgs.hpp"
#include "autodiff/ops.hpp"
#include "autodiff/random.hpp"
#include "theory/linalg.hpp"

namespace theory {

namespace {

using V = ad::Var<double>;

void require(bool ok, const std::string& what) {
    if (!ok) throw std::invalid_argument("theory: " + what);
}

// n / (n - 1): VICReg's unbiased batch variances against the centred moments (1: population)
double bessel(const SecondMomentLoss& s) { return s.n > 1 ? s.n / (s.n - 1) : 1.0; }

// The loss as a node of `tape` from the encoders' leaves w1, w2 and the moments' constants.
struct Consts {
    Mat S11, S22, S12, m1, m2;
    Mat offmask;  // p x p: 0 on the diagonal, 1 elsewhere
    bool means = false;
};

V loss_node(ad::Tape<double>& tape, const Consts& c, const SecondMomentLoss& s, V w1, V w2) {
    const double p = static_cast<double>(w1.rows());
    V a1 = ad::matmul(w1, tape.constant(c.S11)), a2 = ad::matmul(w2, tape.constant(c.S22));
    V v1 = ad::row_sum(ad::mul(a1, w1)), v2 = ad::row_sum(ad::mul(a2, w2));  // diag C_ii, p x 1
    V b12 = ad::matmul(w1, tape.constant(c.S12));                             // W1 S12, p x d2
    if (s.name == "vicreg") {
        const double f = bessel(s);
        // invariance: (tr C11 + tr C22 - 2 tr C12 + |W1 m1 - W2 m2|^2) / p
        V inv = ad::sub(ad::add(ad::sum(v1), ad::sum(v2)), ad::scale(ad::sum(ad::mul(b12, w2)), 2.0));
        if (c.means)
            inv = ad::add(inv, ad::sum(ad::square(ad::sub(ad::matmul(w1, tape.constant(c.m1)), ad::matmul(w2, tape.constant(c.m2))))));
        inv = ad::scale(inv, 1.0 / p);
        auto hinge = [&](V v) {
            return ad::mean(ad::relu(ad::scale(ad::add_scalar(ad::sqrt(ad::add_scalar(ad::scale(v, f), 1e-4)), -s.gamma), -1.0)));
        };
        V var = ad::scale(ad::add(hinge(v1), hinge(v2)), 0.5);
        // the off-diagonal entries through a mask: ||C||^2 - sum v^2 cancels catastrophically
        // for large codes, and an optimiser would exploit the rounding
        auto off = [&](V a, V w, V) { return ad::sum(ad::square(ad::mul(ad::matmul(a, w, false, true), tape.constant(c.offmask)))); };
        V cov = ad::scale(ad::add(off(a1, w1, v1), off(a2, w2, v2)), f * f / p);
        return ad::add(ad::add(ad::scale(inv, s.invariance), ad::scale(var, s.variance)), ad::scale(cov, s.covariance));
    }
    // barlow_twins: R = D1^{-1/2} W1 S12 W2^T D2^{-1/2}
    V r1 = ad::sqrt(v1), r2 = ad::sqrt(v2);
    V R = ad::div(ad::div(ad::matmul(b12, w2, false, true), r1), ad::transpose(r2));
    V d = ad::div(ad::div(ad::row_sum(ad::mul(b12, w2)), r1), r2);  // R_ii, p x 1
    V on = ad::sum(ad::sub(ad::square(ad::add_scalar(ad::neg(d), 1.0)), ad::scale(ad::square(d), s.offdiag)));
    return ad::add(on, ad::scale(ad::sum(ad::square(R)), s.offdiag));
}

// VICReg's optimum puts code coordinates exactly on the hinge's kink (standard deviation gamma),
// where L-BFGS only creeps towards it. Rows within 2% of the kink are held on it by a change of
// variables, w_k = u_k c / sqrt(u_k S u_k^T) with f c^2 + 1e-4 = gamma^2 (their hinge is then
// zero and the loss smooth in u), the others are left free; L-BFGS from the current point. The
// result replaces (w1, w2) only when its true loss is lower.
void kink_polish(const Consts& c, const SecondMomentLoss& s, ad::Param<double>& w1, ad::Param<double>& w2) {
    const double f = bessel(s), target = s.gamma * s.gamma - 1e-4;
    if (!(target > 0)) return;
    const double cc = std::sqrt(target / f);
    const std::size_t P = w1.value.shape()[0];
    auto mask_of = [&](const ad::Param<double>& w, const Mat& S, Mat& keep, Mat& fix) {
        const Mat C = la::mm3(w.value, S, la::transpose(w.value));
        keep = Mat({P, std::size_t(1)}, 1.0);
        fix = Mat({P, std::size_t(1)}, 0.0);
        bool any = false;
        for (std::size_t k = 0; k < P; ++k) {
            const double sd = std::sqrt(f * C(k, k) + 1e-4);
            if (std::abs(sd - s.gamma) < 0.02 * s.gamma && C(k, k) > 0) {
                keep(k, 0) = 0;
                fix(k, 0) = cc;
                any = true;
            }
        }
        return any;
    };
    Mat k1, f1, k2, f2;
    const bool a1 = mask_of(w1, c.S11, k1, f1), a2 = mask_of(w2, c.S22, k2, f2);
    if (!a1 && !a2) return;
    // u -> u * (keep + fix / sqrt(diag(u S u^T)))
    auto map = [&](ad::Tape<double>& t, ad::Var<double> u, const Mat& S, const Mat& keep, const Mat& fix) {
        ad::Var<double> v = ad::row_sum(ad::mul(ad::matmul(u, t.constant(S)), u));
        ad::Var<double> factor = ad::add(t.constant(keep), ad::div(t.constant(fix), ad::sqrt(v)));
        return ad::mul(u, factor);
    };
    ad::Param<double> u1 = w1, u2 = w2;
    const std::vector<ad::Param<double>*> params{&u1, &u2};
    const std::function<V(ad::Tape<double>&)> loss = [&](ad::Tape<double>& t) {
        return loss_node(t, c, s, map(t, t.param(u1), c.S11, k1, f1), map(t, t.param(u2), c.S22, k2, f2));
    };
    ad::LbfgsOptions lo;
    lo.max_evals = 3000;
    lo.first_step = 1e-4;
    ad::lbfgs<double>(params, loss, lo);
    ad::Tape<double> t;
    const Mat n1 = map(t, t.constant(u1.value), c.S11, k1, f1).value(), n2 = map(t, t.constant(u2.value), c.S22, k2, f2).value();
    ad::Tape<double> t2;
    const double before = loss_node(t2, c, s, t2.constant(w1.value), t2.constant(w2.value)).item();
    t2.reset();
    const double after = loss_node(t2, c, s, t2.constant(n1), t2.constant(n2)).item();
    if (std::isfinite(after) && after < before) {
        w1.value = n1;
        w2.value = n2;
    }
}

Consts consts_of(const Moments& mo, const SecondMomentLoss& s, std::size_t P) {
    Consts c;
    c.offmask = Mat({P, P}, 1.0);
    for (std::size_t k = 0; k < P; ++k) c.offmask(k, k) = 0.0;
    c.S11 = mo.S11;
    c.S22 = mo.S22;
    c.S12 = mo.S12;
    c.means = s.mean1.size() > 0 || s.mean2.size() > 0;
    const std::size_t d1 = mo.S11.shape()[0], d2 = mo.S22.shape()[0];
    if (c.means) {
        require(s.mean1.shape()[0] == d1 && s.mean1.shape()[1] == 1 && s.mean2.shape()[0] == d2 && s.mean2.shape()[1] == 1,
                "the column means must be d1 x 1 and d2 x 1");
        c.m1 = s.mean1;
        c.m2 = s.mean2;
    }
    return c;
}

void check_encoders(const Moments& mo, const Mat& W1, const Mat& W2) {
    require(W1.shape()[1] == mo.S11.shape()[0] && W2.shape()[1] == mo.S22.shape()[0] && W1.shape()[0] == W2.shape()[0] &&
                W1.shape()[0] >= 1,
            "encoders must be p x d1 and p x d2");
}

}  // namespace

void check_second_moment_loss(const SecondMomentLoss& s) {
    require(s.name == "vicreg" || s.name == "barlow_twins",
            "unknown second-moment loss '" + s.name + "' (expected vicreg or barlow_twins)");
    for (double w : {s.invariance, s.variance, s.covariance, s.offdiag})
        require(w >= 0 && std::isfinite(w), "the loss weights must be non-negative and finite");
    require(s.gamma > 0 && std::isfinite(s.gamma), "VICReg's gamma must be positive and finite");
    require(s.n == 0 || s.n > 1, "the set size n must be 0 (population) or above 1");
}

double second_moment_loss(const Moments& mo, const SecondMomentLoss& s, const Mat& W1, const Mat& W2) {
    check_second_moment_loss(s);
    check_encoders(mo, W1, W2);
    const Consts c = consts_of(mo, s, W1.shape()[0]);
    ad::Tape<double> tape;
    return loss_node(tape, c, s, tape.constant(W1), tape.constant(W2)).item();
}

CanonicalCandidate canonical_candidate(const Moments& mo, int p, const SecondMomentLoss& s) {
    check_second_moment_loss(s);
    const int dmin = static_cast<int>(std::min(mo.S11.shape()[0], mo.S22.shape()[0]));
    require(p >= 1 && p <= dmin, "representation dimension p = " + std::to_string(p) + " must be in [1, min(d1, d2)]");
    const Mat S11ih = la::sym_pow(mo.S11, -0.5), S22ih = la::sym_pow(mo.S22, -0.5);
    const la::Svd svd = la::svd(la::mm3(S11ih, mo.S12, S22ih), true);
    const Mat R1 = la::mm(svd.U, S11ih, true, false), R2 = la::mm(svd.Vt, S22ih);
    CanonicalCandidate o;
    const std::size_t P = static_cast<std::size_t>(p);
    o.W1 = la::zeros(P, mo.S11.shape()[0]);
    o.W2 = la::zeros(P, mo.S22.shape()[0]);
    const double f = bessel(s);
    for (std::size_t k = 0; k < P; ++k) {
        const double rho = std::clamp(svd.s[k], 0.0, 1.0);
        double t = 1;
        if (s.name == "vicreg") {
            const double top = std::max(0.0, (s.gamma * s.gamma - 1e-4) / f);
            const double keep = 2 * s.invariance * top * (1 - rho) + s.variance * std::max(0.0, s.gamma - std::sqrt(f * top + 1e-4));
            const double drop = s.variance * (s.gamma - std::sqrt(1e-4));
            t = keep <= drop ? top : 0.0;
        }
        o.rho.push_back(rho);
        o.scale.push_back(t);
        const double r = std::sqrt(t);
        for (std::size_t j = 0; j < o.W1.shape()[1]; ++j) o.W1(k, j) = r * R1(k, j);
        for (std::size_t j = 0; j < o.W2.shape()[1]; ++j) o.W2(k, j) = r * R2(k, j);
    }
    o.value = second_moment_loss(mo, s, o.W1, o.W2);
    return o;
}

SecondMomentOptimum second_moment_optimum(const Moments& mo, int p, const SecondMomentLoss& s, int random_starts,
                                          std::uint64_t seed) {
    const CanonicalCandidate cand = canonical_candidate(mo, p, s);
    require(random_starts >= 0, "random_starts must be non-negative");
    const Consts c = consts_of(mo, s, static_cast<std::size_t>(p));
    const std::size_t P = static_cast<std::size_t>(p), d1 = mo.S11.shape()[0], d2 = mo.S22.shape()[0];
    ad::Param<double> w1("W1", P, d1), w2("W2", P, d2);
    const std::vector<ad::Param<double>*> params{&w1, &w2};
    const std::function<V(ad::Tape<double>&)> loss = [&](ad::Tape<double>& t) {
        return loss_node(t, c, s, t.param(w1), t.param(w2));
    };
    // random starts: Gaussian rows in the whitened coordinates, codes of variance about gamma^2
    // (VICReg) or 1, so that every start is in the region the losses care about
    const Mat S11ih = la::sym_pow(mo.S11, -0.5), S22ih = la::sym_pow(mo.S22, -0.5);
    const double sc = s.name == "vicreg" ? s.gamma : 1.0;
    ad::Rng rng(ad::derive_seed(seed, "second_moment_optimum"));
    SecondMomentOptimum o;
    o.canonical_value = cand.value;
    o.value = std::numeric_limits<double>::infinity();
    ad::Tape<double> tape;
    // the canonical candidate itself (a VICReg optimum may sit on the hinge's kink, where
    // L-BFGS only approaches it), then every L-BFGS end point
    auto consider = [&](const Mat& A, const Mat& B, double v) {
        if (std::isfinite(v) && v < o.value) {
            o.value = v;
            o.W1 = A;
            o.W2 = B;
        }
    };
    consider(cand.W1, cand.W2, cand.value);
    for (int r = 0; r <= random_starts; ++r) {
        if (r == 0) {
            w1.value = cand.W1;
            w2.value = cand.W2;
            if (s.name == "barlow_twins") {  // no zero rows: the correlation needs a scale
            } else {
                // a collapsed pair is a zero row: nudge it so that the hinge has a gradient
                for (std::size_t k = 0; k < P; ++k)
                    if (cand.scale[k] == 0)
                        for (std::size_t j = 0; j < d1; ++j) w1.value(k, j) = 1e-3 * S11ih(k % d1, j);
            }
        } else {
            Mat g1({P, d1}), g2({P, d2});
            ad::fill_normal(g1, rng);
            ad::fill_normal(g2, rng);
            w1.value = la::mm(g1, S11ih);
            w2.value = la::mm(g2, S22ih);
            w1.value *= sc / std::sqrt(static_cast<double>(d1));
            w2.value *= sc / std::sqrt(static_cast<double>(d2));
        }
        ad::LbfgsOptions lo;
        lo.max_evals = 4000;
        lo.first_step = 1e-3;
        ad::lbfgs<double>(params, loss, lo);
        if (s.name == "vicreg") kink_polish(c, s, w1, w2);
        tape.reset();
        const double v = loss_node(tape, c, s, tape.constant(w1.value), tape.constant(w2.value)).item();
        o.values.push_back(v);
        consider(w1.value, w2.value, v);
        ++o.starts;
    }
    require(std::isfinite(o.value), "no start of the " + s.name + " optimum ended at a finite loss");
    const double tol = 1e-6 * std::max(1.0, std::abs(o.value));
    for (double v : o.values)
        if (v <= o.value + tol) ++o.agreeing;
    o.canonical = cand.value <= o.value + 1e-9 * std::max(1.0, std::abs(o.value));
    o.method = "L-BFGS on the population loss in moment space from the canonical candidate and " + std::to_string(random_starts) +
               " random encoders; " + std::to_string(o.agreeing) + " of " + std::to_string(o.starts) +
               " runs ended within 1e-6 of the best" + (o.canonical ? "; the canonical candidate is optimal" : "; the canonical candidate is not optimal");
    return o;
}

SecondMomentLocal second_moment_local(const Moments& mo, const SecondMomentLoss& s, const Mat& W1, const Mat& W2) {
    check_second_moment_loss(s);
    check_encoders(mo, W1, W2);
    const Consts c = consts_of(mo, s, W1.shape()[0]);
    ad::Param<double> w1("W1", W1.shape()[0], W1.shape()[1]), w2("W2", W2.shape()[0], W2.shape()[1]);
    w1.value = W1;
    w2.value = W2;
    const std::vector<ad::Param<double>*> params{&w1, &w2};
    const std::function<V(ad::Tape<double>&)> loss = [&](ad::Tape<double>& t) {
        return loss_node(t, c, s, t.param(w1), t.param(w2));
    };
    SecondMomentLocal o;
    ad::Tape<double> tape;
    o.start = loss_node(tape, c, s, tape.constant(W1), tape.constant(W2)).item();
    ad::LbfgsOptions lo;
    lo.max_evals = 2000;
    lo.first_step = 1e-4;
    ad::lbfgs<double>(params, loss, lo);
    if (s.name == "vicreg") kink_polish(c, s, w1, w2);
    tape.reset();
    const double v = loss_node(tape, c, s, tape.constant(w1.value), tape.constant(w2.value)).item();
    if (std::isfinite(v) && v < o.start) {
        o.W1 = w1.value;
        o.W2 = w2.value;
        o.value = v;
    } else {
        o.W1 = W1;
        o.W2 = W2;
        o.value = o.start;
    }
    return o;
}

}  // namespace theory
