// The objectives that training minimises, as functions of second moments: their value at given
// parameters and their optimum. Evaluated on the *sample* moments of a training set they give a
// run's optimality certificate (issue 8): the full-batch loss at the learned parameters against
// the best value the same loss can take on the same data, so that sampling error is not counted
// as optimisation error. Derivations: docs/theory.md, section 9.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "theory/forms.hpp"
#include "theory/model.hpp"
#include "theory/second_moment.hpp"

namespace theory {

// Sample second moments of a training set whose rows are samples:
//   S11 = X1^T X1 / n, S22 = X2^T X2 / n, S12 = X1^T X2 / n, S1y = X1^T Y / n, S2y = X2^T Y / n,
//   Syy = Y^T Y / n,
// uncentred, or (centred = true) of the columns minus their means over the set: the sample
// covariances with divisor n. Every plug-in objective below, on the moments that
// objective_is_centred(spec) asks for, equals the corresponding loss of models/losses.hpp
// evaluated on the whole set as one batch of n, to rounding: regression, the task and
// HaoChen et al.'s spectral loss do not centre a batch (uncentred moments); cca and the centred
// spectral loss are functions of the batch covariances (centred moments). S1v and S2v stay empty
// (the latents are not observed). Y may have no columns (then the task moments are empty).
// Throws std::invalid_argument on mismatched row counts or when n <= max(d1, d2) + centred (the
// moments would be singular).
Moments sample_moments(const Mat& X1, const Mat& X2, const Mat& Y, bool centred = false);

// --- cca as trained: alignment + penalty * whitening gap (models::cca_alignment) ---
// E|W1x1 - W2x2|^2 + c (|W1 S11 W1^T - I|_F^2 + |W2 S22 W2^T - I|_F^2), c >= 0.
double cca_penalised_loss(const Moments& mo, const Mat& W1, const Mat& W2, double penalty);
// The optimal value of one canonical pair of correlation rho: min over t >= 0 of
// 2 t (1 - rho) + 2 c (t - 1)^2, that is 2(1 - rho) - (1 - rho)^2 / (2c) when 1 - rho < 2c
// (t = 1 - (1 - rho) / (2c)) and 2c otherwise (t = 0, the pair collapses).
double cca_penalised_pair_loss(double rho, double penalty);
// The expected loss of a minibatch of B rows drawn without replacement from the n of a set,
// against the loss L_c on the whole set (C_i = W_i S_ii W_i^T on centred moments):
//   E L_B = a (L_c's alignment term) + c sum_i (|a C_i - I|_F^2 + v ((tr C_i)^2 + |C_i|_F^2)),
// with a = n (B - 1) / (B (n - 1)) (the batch covariance, divisor B, shrinks in expectation) and
// v = f (1 - f), f = (n - B) / (B (n - 1)) (its variance for Gaussian codes, to O(1/(nB))).
// docs/theory.md section 9. B = n: a = 1, kappa = 0 (the whole set).
struct CcaBatch {
    double shrink = 1;  // a
    double kappa = 0;   // c v
};
CcaBatch cca_batch(double penalty, std::size_t n, std::size_t batch);
// E_B[loss on a batch] - loss on the whole set, at (W1, W2), for Gaussian codes (mo centred).
double cca_batch_excess(const Moments& mo, const Mat& W1, const Mat& W2, double penalty, const CcaBatch& b);

struct CcaPenalisedOptimum {
    Mat W1, W2;                 // p x d_i: rows sqrt(t_k) u_k^T S11^{-1/2}, sqrt(t_k) v_k^T S22^{-1/2}
    std::vector<double> rho;    // the p canonical correlations used (0 beyond the non-zero ones)
    std::vector<double> scale;  // t_k: W_i S_ii W_i^T = diag(t)
    double value = 0;           // the minimised objective: cca_penalised_loss + cca_batch_excess
    double loss = 0;            // cca_penalised_loss at (W1, W2) (= value on the whole set)
};
// The global minimiser of cca_penalised_loss + cca_batch_excess(batch) (default: the loss on
// the whole set). 1 <= p <= min(d1, d2), penalty >= 0, batch.shrink > 0, batch.kappa >= 0.
CcaPenalisedOptimum cca_penalised_optimum(const Moments& mo, int p, double penalty, const CcaBatch& batch = {});

// --- one run's objective ---
struct ObjectiveSpec {
    // The alignment loss: its closed form (from the registry of losses, models/registry.cpp),
    // and its name and title for the messages (no_closed_form_reason).
    ClosedForm form = ClosedForm::no_alignment;
    std::string loss = "none";
    std::string loss_title = "none";
    int task = -1;                   // target column of the task term (kTargetNames order), -1: none
    double lambda = 1;               // task + lambda * alignment (used when there is a task)
    double cca_penalty = 1;          // c of the cca loss
    std::string spectral_centering = "none";  // spectral: "none" (HaoChen et al.) | "batch" (centred codes)
    // vicreg | barlow_twins: the loss's weights, and the set the moments are of (its size and
    // column means, theory/second_moment.hpp; n = 0 and no means: the population)
    SecondMomentLoss second_moment;
    int p = 0;                       // representation dimension
    Mat W2;                          // the frozen target encoder of regression alignment (p x d2)
};
// The learned quantities an objective depends on. W2 is ignored for regression (spec.W2 is
// frozen); v (p x 1) only matters with a task.
struct ObjectiveParams {
    Mat W1, W2, v;
};
// "" when the objective has a closed-form optimum, otherwise why not (a sentence): a loss whose
// form is ClosedForm::none has none (never an error).
std::string no_closed_form_reason(const ObjectiveSpec& spec);
// Whether the objective as trained is a function of batch covariances (cca; spectral with
// centring "batch"; vicreg and barlow_twins, vicreg with spec.second_moment's means): then objective_value and objective_optimum take the centred sample moments
// (sample_moments(..., true)), otherwise the uncentred ones.
bool objective_is_centred(const ObjectiveSpec& spec);
// The objective at given parameters, from moments (centred or not, objective_is_centred):
// regression and cca alignment, E|W1x1 - W2x2|^2 (+ the cca penalty); spectral, the plug-in
// -2 E[z1^T z2] + tr(C1 C2)
// (docs/theory.md section 9 on the in-batch i != j form); with a task, E(y_t - v^T W1 x1)^2 +
// lambda * alignment; alignment "none" with a task, the task loss alone.
double objective_value(const Moments& mo, const ObjectiveSpec& spec, const ObjectiveParams& x);

struct ObjectiveOptimum {
    double value = 0;
    ObjectiveParams at;     // an optimiser (W2 = spec.W2 for regression)
    bool attained = true;   // false: an infimum approached within 1e-10 (see tradeoff_optimum)
    std::string method;     // vicreg, barlow_twins: how the numerical optimum was obtained
};
// Throws std::invalid_argument when no_closed_form_reason(spec) is not empty.
ObjectiveOptimum objective_optimum(const Moments& mo, const ObjectiveSpec& spec);

// (learned - optimum) / max(|optimum|, 1e-12).
double relative_gap(double learned, double optimum);

}  // namespace theory
