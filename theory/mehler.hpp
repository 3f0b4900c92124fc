// Closed forms for unconstrained (nonlinear) encoders on the linear-Gaussian model, through
// Mehler's expansion of the joint density of (x1, x2) (docs/theory.md, section 8).
//
// With xi = W1 x1, eta = W2 x2 the canonical variates (Cov = I, Cov(xi_k, eta_l) = rho_k delta_kl),
//     p(x1, x2) / (p(x1) p(x2)) = sum_alpha rho^alpha h_alpha(xi) h_alpha(eta),
// h_alpha = prod_k h_{alpha_k}(xi_k), h_n = He_n / sqrt(n!) the orthonormal Hermite polynomials,
// rho^alpha = prod_k rho_k^{alpha_k}. The h_alpha are the eigenfunctions of the kernel, rho^alpha
// its eigenvalues: 1 for the constant, rho_k for degree 1, rho_i rho_j for degree 2, ... The
// spectral contrastive loss over all encoders is minimised by the top p of them (the constant
// first when the loss is uncentred); centred cca and the centred spectral loss by the top p
// non-constant ones.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "theory/model.hpp"

namespace theory {

// h_n(x) = He_n(x) / sqrt(n!), the probabilists' Hermite polynomials normalised so that
// E[h_m(g) h_n(g)] = delta_mn for g ~ N(0, 1). n >= 0.
double hermite(int n, double x);

// A product of Hermite polynomials of the canonical variates, with its kernel eigenvalue.
struct HermiteFunction {
    std::vector<int> alpha;  // degree in each canonical variate (length r)
    double eigenvalue = 1;   // prod_k rho_k^alpha_k
    int degree() const;      // sum of alpha
    // h_alpha at one row of variates (xi has at least alpha.size() entries)
    double operator()(const double* xi) const;
    std::string name() const;  // "1", "h1(xi1)", "h2(xi1)", "h1(xi1) h1(xi2)", ...
};

// The first `count` eigenfunctions of the kernel in descending order of eigenvalue, from the
// constant (with_constant) or from degree 1. Equal eigenvalues (relative 1e-12) are ordered by
// degree, then by alpha (larger first: h1(xi1) before h1(xi2)). rho: descending, in (0, 1).
std::vector<HermiteFunction> mehler_eigenfunctions(const std::vector<double>& rho, int count, bool with_constant);

// The canonical variates of (x1, x2) as encoders: xi = W1 x1 (r x d1), eta = W2 x2 (r x d2),
// with the non-zero canonical correlations rho (descending). One SVD, so pairs are matched.
struct CanonicalVariates {
    Mat W1, W2;
    std::vector<double> rho;
};
CanonicalVariates canonical_variates(const Moments& mo);

// What a probe reads from a representation, per target ("y_shared", ...) and block ("s", ...).
struct ProbeR2 {
    std::map<std::string, double> linear;     // affine probe, R^2 = Var(best affine prediction) / Var
    std::map<std::string, double> nonlinear;  // any function: Var(E[y | z]) / Var(y)
};

// The optimum over all (measurable, square-integrable) encoders f1, f2 of
//   centering "none":  the spectral contrastive loss of HaoChen et al. (uncentred);
//   centering "batch": the centred spectral loss, and cca with a centred whitening (same optimum).
// Any optimal pair has z1 = M h_kept(xi), z2 = N h_kept(eta) with M, N invertible (M^T N fixed for
// spectral), so everything below does not depend on which optimum is reached, except where
// `determined` is false.
struct UnconstrainedOptimum {
    std::string centering;
    int p = 0;
    std::vector<double> rho;              // canonical correlations
    std::vector<HermiteFunction> kept;    // the p kept functions (ties broken as in mehler_eigenfunctions)
    // Every function whose eigenvalue equals the p-th kept one (kept or not). When it holds more
    // than the kept ones do (`tie`), any subspace of their span of the right dimension is optimal.
    std::vector<HermiteFunction> boundary;
    bool tie = false;
    // False when the tie involves degree-1 functions: then which canonical variates are kept,
    // and so the R^2 of single targets, depends on the optimum reached (values below are for
    // the tie-break above).
    bool determined = true;
    std::vector<int> linear_variates;  // k with h1(xi_k) kept: all an affine probe can read
    std::vector<int> variates;         // k on which some kept function depends: all any probe can read
    // Population values at the optimum: spectral -sum lambda^2 over kept (with its centring);
    // cca (centred, hard constraint Cov(z_i) = I): 2 sum (1 - lambda) over kept ("batch" only,
    // NaN for "none").
    double spectral_loss = 0, cca_loss = 0;
    ProbeR2 z1, z2;  // R^2 of every target and block from z1 = f1(x1), z2 = f2(x2)
};
UnconstrainedOptimum unconstrained_optimum(const Model& m, const Moments& mo, int p, const std::string& centering);

}  // namespace theory
