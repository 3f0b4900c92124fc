// The population (or plug-in) VICReg and Barlow Twins losses of linear encoders z_i = W_i x_i,
// from the moments of (x1, x2), and their optimum over the encoders (docs/theory.md, section 10).
// With linear encoders on Gaussian data (z1, z2) is jointly Gaussian, so every term of the two
// losses is a function of the codes' joint covariance W S W^T: the losses of models/losses.hpp
// evaluated on a whole set as one batch equal these functions of the set's centred sample
// moments (theory::sample_moments(..., true)) with n and the column means given, to rounding.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "theory/model.hpp"

namespace theory {

struct SecondMomentLoss {
    std::string name = "vicreg";  // vicreg | barlow_twins
    double invariance = 25, variance = 25, covariance = 1, gamma = 1;  // vicreg
    double offdiag = 5e-3;                                             // barlow_twins
    // The set the moments are of: n samples (VICReg's variances and covariances use the
    // divisor n - 1, so they are n / (n - 1) times the centred moments'); 0: the population.
    double n = 0;
    // The column means of x1 and x2 over the set (d_i x 1): VICReg's invariance term is not
    // centred, E|z1 - z2|^2 = centred part + |W1 m1 - W2 m2|^2. Empty: zero (the population).
    Mat mean1, mean2;
};
// Throws std::invalid_argument on an unknown name, negative weights, gamma <= 0, or shapes.
void check_second_moment_loss(const SecondMomentLoss& s);

// The loss at (W1, W2) (p x d_i) from the centred moments mo. Barlow Twins needs every code
// coordinate to vary (W_i S_ii W_i^T with a positive diagonal); otherwise the value is NaN.
double second_moment_loss(const Moments& mo, const SecondMomentLoss& s, const Mat& W1, const Mat& W2);

// The canonical candidate: code coordinate k of each side the k-th canonical variate, scaled
// by sqrt(t_k) (W1 S11 W1^T = diag(t) = W2 S22 W2^T): Barlow Twins, t_k = 1 (any scale), its
// loss sum_k (1 - rho_k)^2; VICReg (population, zero means), t_k the better of 0 and
// (gamma^2 - 1e-4) (n - 1) / n, per pair: 2 inv t (1 - rho) / p + var relu(gamma - sqrt(t' + 1e-4)) / p.
struct CanonicalCandidate {
    Mat W1, W2;
    std::vector<double> rho, scale;
    double value = 0;  // second_moment_loss at (W1, W2)
};
CanonicalCandidate canonical_candidate(const Moments& mo, int p, const SecondMomentLoss& s);

struct SecondMomentOptimum {
    Mat W1, W2;                    // the best encoders found
    double value = 0;              // second_moment_loss there
    double canonical_value = 0;    // the canonical candidate's loss
    bool canonical = false;        // the canonical candidate is (within 1e-9 relative) the best found
    int starts = 0;                // L-BFGS runs: the canonical candidate, then random starts
    int agreeing = 0;              // runs that ended within 1e-6 (relative) of the best
    std::vector<double> values;    // the end value of every run, in order
    std::string method;            // how it was obtained, one sentence
};
// The minimum over linear encoders (1 <= p <= min(d1, d2)): L-BFGS (autodiff/lbfgs.hpp) from
// the canonical candidate and from `random_starts` random encoders drawn from seed, the best
// end point kept. Deterministic for given arguments.
SecondMomentOptimum second_moment_optimum(const Moments& mo, int p, const SecondMomentLoss& s, int random_starts = 12,
                                          std::uint64_t seed = 0x5ec0d);

// From (W1, W2), a local minimisation of the same loss: L-BFGS, then (VICReg) the coordinates
// within 2% of the hinge's kink held on it exactly, as second_moment_optimum does to each of its
// starts. Returns the better of the start and the end point, never worse than the start.
// Used to finish a learned VICReg run, whose minibatch steps and L-BFGS polish can stall
// next to the kink (sim/run/run.cpp).
struct SecondMomentLocal {
    Mat W1, W2;
    double start = 0, value = 0;  // the loss at (W1, W2) given and at the end
};
SecondMomentLocal second_moment_local(const Moments& mo, const SecondMomentLoss& s, const Mat& W1, const Mat& W2);

}  // namespace theory
