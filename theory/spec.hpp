// The parameters of the linear-Gaussian generative model (spec section 1), as plain values.
// sim/config converts a validated Config into this; theory/ never parses anything.
#pragma once
#include <cstdint>
#include <string>

namespace theory {

struct DataSpec {
    int d1 = 16, d2 = 16;              // modality dimensions
    int k_shared = 2, k1 = 2, k2 = 2;  // latent block sizes (ks, k1, k2)
    double a1 = 1, a2 = 1;             // shared strengths
    double b1 = 1, b2 = 1;             // specific strengths
    double noise1 = 0.5, noise2 = 0.5; // sigma_1, sigma_2
    std::string mixing = "orthogonal"; // "orthogonal" | "gaussian"
    double redundancy = 0.5;           // rho of y_mix
    double target_noise = 0.0;         // sigma_y
    std::uint64_t seed = 0;            // draws the mixing matrices and target loadings
};

}  // namespace theory
