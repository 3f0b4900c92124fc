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
};

// A named alignment loss with its settings and persistent buffers (zero allocation per step).
// The name is resolved in the registry once, here: an unknown name (or spectral centering)
// throws std::invalid_argument from the constructor.
template <class T>
class AlignmentLoss {
public:
    using Settings = AlignmentSettings<T>;
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

private:
    Settings s_;
    const AlignmentLossEntry* entry_;
    AlignmentFn<T> build_;
    bool centred_;
    std::vector<int> arange_;
    ad::Mat<T> zero_;
};

}  // namespace models
