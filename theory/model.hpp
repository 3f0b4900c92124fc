// The linear-Gaussian generative model (spec section 1): its parameters, drawn reproducibly from
// a DataSpec, and its population moments. Everything the closed forms, the sampler and the
// trainer use comes from one Model, so all three see the same A_i, B_i and target loadings.
#pragma once
#include <string>

#include "autodiff/tensor.hpp"
#include "theory/spec.hpp"

namespace theory {

using Mat = ad::Mat<double>;

// Targets, in this order everywhere (column j of a target matrix is kTargetNames[j]).
inline constexpr int kNumTargets = 4;
inline constexpr const char* kTargetNames[kNumTargets] = {"y_shared", "y1", "y2", "y_mix"};
int target_index(const std::string& name);  // throws std::invalid_argument
// Latent blocks, in this order everywhere: shared s, then u1 and u2 specific to each modality.
inline constexpr int kNumBlocks = 3;
inline constexpr const char* kBlockNames[kNumBlocks] = {"s", "u1", "u2"};

struct Model {
    DataSpec spec;
    Mat A1, B1, A2, B2;  // d_i x ks, d_i x k_i
    Mat c_s, c_1, c_2;   // unit-norm loading vectors (ks x 1, k1 x 1, k2 x 1)
    // Loadings of every target on the stacked latent v = [s; u1; u2]: kNumTargets x (ks+k1+k2),
    // so y = G v + target_noise * eta.
    Mat G;
    int ks() const { return spec.k_shared; }
    int k1() const { return spec.k1; }
    int k2() const { return spec.k2; }
    int kv() const { return spec.k_shared + spec.k1 + spec.k2; }
};

// Draws the mixing matrices (orthogonal or gaussian) and loadings from spec.seed.
Model make_model(const DataSpec& spec);

// Population moments. "v" is the stacked latent [s; u1; u2].
struct Moments {
    Mat S11, S22, S12;      // Cov(x1), Cov(x2), Cov(x1, x2)
    Mat S1v, S2v;           // Cov(x1, v), Cov(x2, v): d_i x kv
    Mat S1y, S2y;           // Cov(x_i, y): d_i x kNumTargets
    Mat Syy;                // Cov(y): kNumTargets x kNumTargets
};
Moments moments(const Model& m);

}  // namespace theory
