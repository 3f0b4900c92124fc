// Alignment and task losses, each a composite of engine ops (so each passes the gradient-check
// harness). Batches are rows: z1, z2 are batch x p.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "autodiff/tape.hpp"

namespace models {

// Symmetric InfoNCE / CLIP: logits = sim(z1, z2) / tau, loss = (CE(logits, diag) +
// CE(logits^T, diag)) / 2. sim = cosine (rows L2-normalised) or dot.
template <class T>
ad::Var<T> infonce(ad::Var<T> z1, ad::Var<T> z2, T temperature, bool cosine,
                   const std::vector<int>& arange);  // arange = 0..batch-1, kept alive by caller

// mean over the batch of ||z1 - target||^2 (target: the frozen encoder's output W2 x2)
template <class T>
ad::Var<T> regression_alignment(ad::Var<T> z1, ad::Var<T> target);

// CCA as alignment plus a whitening penalty: mean ||z1 - z2||^2
//   + penalty * (||C1 - I||_F^2 + ||C2 - I||_F^2), C_i the batch covariance matrix
//   (z_i - mean)^T (z_i - mean) / n, centred on the batch mean. (Until issue 13 C_i was the
// uncentred second moment z_i^T z_i / n, which an encoder with a bias satisfies with a constant
// output coordinate that is aligned at no cost; for encoders without a bias on centred data the
// two agree in the population.)
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

// A named alignment loss with its settings and persistent buffers (zero allocation per step).
template <class T>
class AlignmentLoss {
public:
    struct Settings {
        std::string name = "infonce";  // infonce | regression | cca | spectral | none
        T temperature = T(0.1);
        bool cosine = true;
        T cca_penalty = T(1);
        std::string spectral_centering = "none";  // spectral: "none" (HaoChen et al.) | "batch"
    };
    explicit AlignmentLoss(Settings s) : s_(std::move(s)) {}
    // For "regression", z2 is the frozen target encoder's output. Returns a 1x1 node; for
    // "none", a constant 0.
    ad::Var<T> operator()(ad::Var<T> z1, ad::Var<T> z2);
    const Settings& settings() const { return s_; }

private:
    Settings s_;
    std::vector<int> arange_;
    ad::Mat<T> zero_;
};

}  // namespace models
