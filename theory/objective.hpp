// The objectives that training minimises, as functions of second moments: their value at given
// parameters and their optimum. Evaluated on the *sample* moments of a training set they give a
// run's optimality certificate (issue 8): the full-batch loss at the learned parameters against
// the best value the same loss can take on the same data, so that sampling error is not counted
// as optimisation error. Derivations: docs/theory.md, section 9.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "theory/model.hpp"

namespace theory {

// Uncentred sample second moments of a training set whose rows are samples:
//   S11 = X1^T X1 / n, S22 = X2^T X2 / n, S12 = X1^T X2 / n, S1y = X1^T Y / n, S2y = X2^T Y / n,
//   Syy = Y^T Y / n.
// The losses of models/losses.hpp do not centre a batch, so with these moments every plug-in
// objective below equals the corresponding loss evaluated on the whole set (one batch of n), to
// rounding. S1v and S2v stay empty (the latents are not observed). Y may have no columns (then
// the task moments are empty). Throws std::invalid_argument on mismatched row counts or when
// n <= max(d1, d2) (the second moments would be singular).
Moments sample_moments(const Mat& X1, const Mat& X2, const Mat& Y);

// --- cca as trained: alignment + penalty * whitening gap (models::cca_alignment) ---
// E|W1x1 - W2x2|^2 + c (|W1 S11 W1^T - I|_F^2 + |W2 S22 W2^T - I|_F^2), c >= 0.
double cca_penalised_loss(const Moments& mo, const Mat& W1, const Mat& W2, double penalty);
// The optimal value of one canonical pair of correlation rho: min over t >= 0 of
// 2 t (1 - rho) + 2 c (t - 1)^2, that is 2(1 - rho) - (1 - rho)^2 / (2c) when 1 - rho < 2c
// (t = 1 - (1 - rho) / (2c)) and 2c otherwise (t = 0, the pair collapses).
double cca_penalised_pair_loss(double rho, double penalty);
// kappa of the expected minibatch penalty: c (n - B) / (B (n - 1)) for batches of B rows drawn
// without replacement from n (0 when B = n).
double cca_batch_kappa(double penalty, std::size_t n, std::size_t batch);
// The expected minibatch excess E_B[loss on a batch] - loss on the whole set, at (W1, W2), for
// Gaussian z: kappa ((tr C1)^2 + |C1|_F^2 + (tr C2)^2 + |C2|_F^2), C_i = W_i S_ii W_i^T.
// (The batch second-moment matrix is an unbiased but noisy estimate of C_i, and the penalty is
// quadratic in it; the alignment term is linear and has no excess.)
double cca_batch_excess(const Moments& mo, const Mat& W1, const Mat& W2, double kappa);

struct CcaPenalisedOptimum {
    Mat W1, W2;                 // p x d_i: rows sqrt(t_k) u_k^T S11^{-1/2}, sqrt(t_k) v_k^T S22^{-1/2}
    std::vector<double> rho;    // the p canonical correlations used (0 beyond the non-zero ones)
    std::vector<double> scale;  // t_k: W_i S_ii W_i^T = diag(t)
    double value = 0;           // the minimised objective: cca_penalised_loss + cca_batch_excess
    double loss = 0;            // cca_penalised_loss at (W1, W2) (= value when kappa = 0)
};
// The global minimiser of cca_penalised_loss + cca_batch_excess(kappa) (kappa = 0: the loss on
// the whole set). 1 <= p <= min(d1, d2), penalty >= 0, kappa >= 0.
CcaPenalisedOptimum cca_penalised_optimum(const Moments& mo, int p, double penalty, double kappa = 0);

// --- one run's objective ---
struct ObjectiveSpec {
    std::string alignment = "none";  // regression | cca | spectral | infonce | none
    int task = -1;                   // target column of the task term (kTargetNames order), -1: none
    double lambda = 1;               // task + lambda * alignment (used when there is a task)
    double cca_penalty = 1;          // c of the cca loss
    int p = 0;                       // representation dimension
    Mat W2;                          // the frozen target encoder of regression alignment (p x d2)
};
// The learned quantities an objective depends on. W2 is ignored for regression (spec.W2 is
// frozen); v (p x 1) only matters with a task.
struct ObjectiveParams {
    Mat W1, W2, v;
};
// "" when the objective has a closed-form optimum, otherwise why not (a sentence).
std::string no_closed_form_reason(const ObjectiveSpec& spec);
// The objective at given parameters, from moments: regression and cca alignment,
// E|W1x1 - W2x2|^2 (+ the cca penalty); spectral, the plug-in -2 E[z1^T z2] + tr(C1 C2)
// (docs/theory.md section 9 on the in-batch i != j form); with a task, E(y_t - v^T W1 x1)^2 +
// lambda * alignment; alignment "none" with a task, the task loss alone.
double objective_value(const Moments& mo, const ObjectiveSpec& spec, const ObjectiveParams& x);

struct ObjectiveOptimum {
    double value = 0;
    ObjectiveParams at;     // an optimiser (W2 = spec.W2 for regression)
    bool attained = true;   // false: an infimum approached within 1e-10 (see tradeoff_optimum)
};
// Throws std::invalid_argument when no_closed_form_reason(spec) is not empty.
ObjectiveOptimum objective_optimum(const Moments& mo, const ObjectiveSpec& spec);

// (learned - optimum) / max(|optimum|, 1e-12).
double relative_gap(double learned, double optimum);

}  // namespace theory
