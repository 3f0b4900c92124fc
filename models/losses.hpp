// Alignment and task losses, each a composite of engine ops (so each passes the gradient-check
// harness). Batches are rows: z1, z2 are batch x p.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "autodiff/tape.hpp"
#include "models/registry.hpp"

namespace models {

// Symmetric InfoNCE / CLIP: logits = sim(z1, z2) / tau, loss = (CE(logits, diag) +
// CE(logits^T, diag)) / 2. sim = cosine (rows L2-normalised) or dot.
template <class T>
ad::Var<T> infonce(ad::Var<T> z1, ad::Var<T> z2, T temperature, bool cosine,
                   const std::vector<int>& arange);  // arange = 0..batch-1, kept alive by caller

// mean over the batch of ||z1 - target||^2 (target: the frozen encoder's output W2 x2)
template <class T>
ad::Var<T> regression_alignment(ad::Var<T> z1, ad::Var<T> target);

// CCA as alignment plus a whitening penalty, a function of the batch covariances only:
//   mean ||(z1 - mean z1) - (z2 - mean z2)||^2 + penalty * (||C1 - I||_F^2 + ||C2 - I||_F^2),
// C_i = (z_i - mean)^T (z_i - mean) / n the batch covariance matrix (means over the batch).
// CCA is location-invariant, so the loss ignores a shift of either code. (Until issue 13 both
// terms were uncentred: C_i = z_i^T z_i / n, which an encoder with a bias satisfies with a
// constant output coordinate that is aligned at no cost; issue 8 centred the alignment term too,
// so that the full-batch loss is exactly the plug-in objective of the sample covariances.)
template <class T>
ad::Var<T> cca_alignment(ad::Var<T> z1, ad::Var<T> z2, T penalty);

// Spectral contrastive loss (HaoChen et al. 2021) with in-batch negatives:
//   -2 mean_i z1_i . z2_i + mean_{i != j} (z1_i . z2_j)^2
// Uncentred, as HaoChen et al. define it: for encoders with a bias the constant function is its
// top eigenfunction (eigenvalue 1) and takes one of the p dimensions (docs/theory.md, section 8).
template <class T>
ad::Var<T> spectral_contrastive(ad::Var<T> z1, ad::Var<T> z2);
// The same loss of the batch-centred codes z_i - mean(z_i): the constant is removed, so its
// optimum over all encoders is the top p non-constant eigenfunctions.
template <class T>
ad::Var<T> spectral_contrastive_centered(ad::Var<T> z1, ad::Var<T> z2);

// VICReg (Bardes et al. 2022, as in their official code), codes batch x p, batch >= 2:
//   invariance * mean over batch and dimensions of (z1 - z2)^2
//   + variance * (mean_j relu(gamma - sqrt(Var z1_j + 1e-4)) + the same for z2) / 2
//   + covariance * ((1/p) sum_{i != j} Cov(z1)_ij^2 + the same for z2),
// Var and Cov of the batch-centred codes with divisor batch - 1 (unbiased, as torch.var).
template <class T>
ad::Var<T> vicreg(ad::Var<T> z1, ad::Var<T> z2, T invariance, T variance, T covariance, T gamma);

// Barlow Twins (Zbontar et al. 2021): sum_i (1 - R_ii)^2 + offdiag * sum_{i != j} R_ij^2, R the
// cross-correlation of the batch-standardised codes, R = z1s^T z2s / batch, z_s = (z - mean) /
// sqrt(Var z) with the biased variance (divisor batch, as BatchNorm's). Unlike BatchNorm no
// epsilon is added: R is then exactly the sample correlation, scale-invariant, so the population
// optimum over linear encoders is attained (docs/theory.md, section 10). A code coordinate
// that is constant over the batch has no correlation (the loss is then not finite).
template <class T>
ad::Var<T> barlow_twins(ad::Var<T> z1, ad::Var<T> z2, T offdiag);

// SigLIP (Zhai et al. 2023): logits_ij = t cos(z1_i, z2_j) + b with t = exp(log_t) (log_t and b
// 1 x 1, learned), loss = (1/B) sum_ij softplus(-s_ij logits_ij) = -(1/B) sum_ij log sigma(s_ij
// logits_ij), s_ij = +1 on the pairs (i = j) and -1 elsewhere. signs is the B x B matrix s,
// kept alive by the caller.
template <class T>
ad::Var<T> siglip(ad::Var<T> z1, ad::Var<T> z2, ad::Var<T> log_t, ad::Var<T> b, const ad::Mat<T>& signs);

// mean squared error of a prediction column (batch x 1) against a target column
template <class T>
ad::Var<T> mse(ad::Var<T> pred, ad::Var<T> target);

// The settings of an alignment loss (objective.* keys); each loss reads the ones it needs.
template <class T>
struct AlignmentSettings {
    std::string name = "infonce";  // an entry of alignment_losses() (models/registry.cpp)
    T temperature = T(0.1);
    bool cosine = true;
    T cca_penalty = T(1);
    std::string spectral_centering = "none";  // spectral: "none" (HaoChen et al.) | "batch"
    T vicreg_invariance = T(25), vicreg_variance = T(25), vicreg_covariance = T(1), vicreg_gamma = T(1);
    T barlow_offdiag = T(5e-3);
    T siglip_temperature = T(10), siglip_bias = T(-10);  // initial t (> 0) and b, both learned
};

// A named alignment loss with its settings and persistent buffers (zero allocation per step).
// The name is resolved in the registry once, here: an unknown name (or spectral centering)
// throws std::invalid_argument from the constructor.
template <class T>
class AlignmentLoss {
public:
    using Settings = AlignmentSettings<T>;
    // siglip: the learned log t and b start at log(siglip_temperature) and siglip_bias.
    explicit AlignmentLoss(Settings s);
    // For a loss with a frozen target (regression), z2 is the frozen target encoder's output.
    // Returns a 1x1 node; for "none", a constant 0.
    ad::Var<T> operator()(ad::Var<T> z1, ad::Var<T> z2) { return build_(*this, z1, z2); }
    const Settings& settings() const { return s_; }
    const AlignmentLossEntry& entry() const { return *entry_; }
    bool has_term() const { return entry_->has_term(); }
    // Whether the loss centres the batch (its entry's centring with these settings).
    bool centred() const { return centred_; }

    // Buffers for the builders: 0..n-1 (reallocated only when n changes) and a 1x1 zero.
    const std::vector<int>& arange(std::size_t n);
    ad::Var<T> zero(ad::Tape<T>& tape);
    // siglip: the B x B signs (+1 on the diagonal, -1 elsewhere; reallocated only when n
    // changes) and the learned log t and b.
    const ad::Mat<T>& signs(std::size_t n);
    ad::Param<T>& log_t() { return log_t_; }
    ad::Param<T>& bias() { return bias_; }
    // The loss's own learned parameters (siglip: log t and b, 1 x 1 each; none for the others),
    // to be trained with the encoders.
    std::vector<ad::Param<T>*> params();
    // The settings with the learned values as initial ones (siglip: t = exp(log t), b): a new
    // AlignmentLoss built from them computes the same loss as this one now.
    Settings current_settings() const;

private:
    Settings s_;
    const AlignmentLossEntry* entry_;
    AlignmentFn<T> build_;
    bool centred_;
    ad::Param<T> log_t_, bias_;  // siglip
    ad::Mat<T> signs_;           // siglip
    std::size_t signs_n_ = 0;    // the batch signs_ is for (0: none yet)
    std::vector<int> arange_;
    ad::Mat<T> zero_;
};

}  // namespace models
