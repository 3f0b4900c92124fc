// Every closed form of ../shared/spec/theory.md (sections 2-5), from population moments, with
// LAPACK through xtensor-blas. Encoders are p x d matrices W (z = W x); an empty (0 x 0) W means
// the oracle W = I. See docs/theory.md for the derivations.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "theory/model.hpp"

namespace theory {

// --- what a representation keeps (section 2) ---
// R^2(y | W x) for target column t of the moments (kTargetNames order) of modality i (1 or 2).
double r2_target(const Model& m, const Moments& mo, int modality, const Mat& W, int target);
double r2_target(const Moments& mo, int modality, const Mat& W, int target);  // the same, from moments only
// Mean over the block's coordinates of R^2(v_j | W x); block = "s" | "u1" | "u2".
double r2_block(const Model& m, const Moments& mo, int modality, const Mat& W, const std::string& block);
// I(block; W x_i) in nats (Gaussian).
double info_block(const Model& m, const Moments& mo, int modality, const Mat& W, const std::string& block);
// Canonical correlations of (x1, x2), descending, the non-zero ones (at most ks).
std::vector<double> canonical_correlations(const Moments& mo);
double mutual_information_x1_x2(const Moments& mo);  // nats
// The shared posterior E[s | x_i] = A_i^T S_ii^{-1} x_i as an encoder (ks x d_i).
Mat shared_posterior_encoder(const Model& m, const Moments& mo, int modality);

// --- alignment optima (section 3) ---
// The frozen target encoder W2 (p x d2) of regression alignment and of the trade-off:
// "cca": the population CCA encoder of modality 2 scaled so that W2 S22 W2^T = I (the top-p
// canonical directions, completed by whitened directions of S22 when p > ks);
// "random": a Gaussian matrix drawn from seed.
Mat target_encoder(const Moments& mo, int p, const std::string& kind, std::uint64_t seed);
// Minimum-norm optimum W1 (p x d1) of objective "regression" (needs W2), "cca" or "spectral".
Mat aligned_encoder(const Moments& mo, int p, const std::string& objective, const Mat& W2);
// The matching W2 for cca / spectral (p x d2): the modality-2 side of the same optimum.
Mat aligned_encoder_2(const Moments& mo, int p, const std::string& objective);
// Population value of the alignment objective at (W1, W2).
// "regression" and "cca": E|W1 x1 - W2 x2|^2 (the cca constraint is not part of the value);
// "spectral": -2 E[z1^T z2] + E[(z1^T z2')^2].
double alignment_loss(const Moments& mo, const std::string& objective, const Mat& W1, const Mat& W2);
// Optimal values: cca under W_i S_ii W_i^T = I_p, 2 sum_{k<=p} (1 - rho_k) (rho_k = 0 beyond the
// non-zero ones); spectral, -sum_{k<=p} rho_k^2.
double cca_constrained_loss(const Moments& mo, int p);
double spectral_optimum_loss(const Moments& mo, int p);

// --- the trade-off (section 5): task (target t) + lambda * regression alignment to W2 ---
struct TradeoffPoint {
    double lambda = 0;
    Mat W1;           // p x d1
    Mat v;            // p x 1 head
    double r2 = 0;    // R^2(y_t | W1 x1) (the probe's, not just v's)
    double task_loss = 0, alignment_loss = 0;
    int iterations = 0;  // fixed-point iterations
    // false when the infimum of J_lambda is not attained (a row of W2 uncorrelated with x1 lets
    // |v| grow without bound): W1, v are then a finite point within 1e-10 of the infimum.
    bool attained = true;
};
// The global minimiser of J_lambda (closed form through a (p+1) x (p+1) eigenproblem, polished
// by the fixed point in v). lambda > 0.
TradeoffPoint tradeoff_optimum(const Moments& mo, const Mat& W2, int target, double lambda);
// The fixed point of spec section 5 iterated from v0 (p x 1): W1 = W1(v) by Sherman-Morrison,
// v = (W1 S11 W1^T)^+ W1 S1y, until the step is below tol (relative) or max_iter.
TradeoffPoint tradeoff_fixed_point(const Moments& mo, const Mat& W2, int target, double lambda, const Mat& v0,
                                   int max_iter = 100000, double tol = 1e-12);
// J_lambda(W1, v) = E(y_t - v^T W1 x1)^2 + lambda E|W1 x1 - W2 x2|^2.
double tradeoff_objective(const Moments& mo, const Mat& W2, int target, double lambda, const Mat& W1, const Mat& v);
std::vector<TradeoffPoint> tradeoff_curve(const Moments& mo, const Mat& W2, int target,
                                          double lambda_min, double lambda_max, int points);

// --- subspaces ---
// Principal angles (radians, ascending) between the row spaces of A (p x d) and B (q x d).
std::vector<double> principal_angles(const Mat& A, const Mat& B);

}  // namespace theory
