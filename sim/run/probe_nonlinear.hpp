// A nonlinear read-out of a representation, next to the ridge probe of sim/probe.hpp: kernel
// ridge regression with a Gaussian kernel, approximated by random Fourier features, plus an
// unpenalised affine part (so a linear relation is read as well as by the ridge probe, and the
// kernel adds what a linear probe cannot see).
//
// The representation is first whitened on the training rows (principal axes, eigenvalues below
// 1e-10 x the largest dropped as constant), then each whitened axis is Gaussianised by its
// training empirical CDF (a monotone map that pulls in heavy tails, so that one length scale
// suits the whole range; the affine part keeps the whitened values themselves).
//
// For each column of Y, the length scale and the ridge penalty are chosen on a validation split
// (the last val_fraction of the training rows) after fitting on the others; the probe is then
// refitted on all training rows and scored on the test rows. Deterministic in opt.seed (the
// Fourier frequencies and phases). A shift or a scale of z changes nothing but rounding; another
// invertible linear map of z changes only the draw of the features, not what can be read.
// It reads at most what E[y | z] holds: its R^2 is a lower bound of Var(E[y | z]) / Var(y), up
// to the noise of the test split, and the gap grows with the dimension of z (a fixed number of
// features covers a larger space).
#pragma once
#include <cmath>
#include <cstdint>
#include <vector>

#include "autodiff/tensor.hpp"

namespace sim {

using Mat = ad::Mat<double>;

struct NonlinearProbeOptions {
    double val_fraction = 0.2;
    std::size_t features = 256;  // random Fourier features D
    // Gaussian-kernel length scales, in units of sqrt(q) of the whitened representation (q its
    // rank: whitened points are about sqrt(2 q) apart)
    std::vector<double> bandwidths{0.4, 0.8, 1.6};
    // Ridge penalty on the Fourier features, relative to their mean second moment. The affine
    // part is never penalised; an infinite value is the affine (linear) probe alone.
    std::vector<double> grid{1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0, HUGE_VAL};
    std::uint64_t seed = 0;
};

struct NonlinearProbeResult {
    std::vector<double> r2;         // per column of Y: test R^2 (1 - SSE / SST, SST about the test mean)
    std::vector<double> lambda;     // the relative penalty chosen (HUGE_VAL: the affine probe)
    std::vector<double> bandwidth;  // the relative length scale chosen
};

// Throws std::invalid_argument for inconsistent shapes, too few training rows, empty or
// non-positive grids, or zero features.
NonlinearProbeResult nonlinear_probe(const Mat& Z_train, const Mat& Y_train, const Mat& Z_test, const Mat& Y_test,
                                     const NonlinearProbeOptions& opt = {});

}  // namespace sim
