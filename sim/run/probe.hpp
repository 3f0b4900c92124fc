// Linear read-outs of a representation: the ridge probe (R^2 on a test set, regularisation
// chosen on a validation split of the training data) and linear CKA.
#pragma once
#include <vector>

#include "autodiff/tensor.hpp"

namespace sim {

using Mat = ad::Mat<double>;

// Whether every entry is finite (a representation the probes can read).
bool all_finite(const Mat& a);

struct ProbeOptions {
    double val_fraction = 0.2;  // last rows of the training data held out to choose lambda
    // lambda grid, relative to the mean eigenvalue of the training covariance of z
    std::vector<double> grid{0.0, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0};
};

struct ProbeResult {
    std::vector<double> r2;      // per column of Y: test R^2 (1 - SSE / SST, SST about the test mean)
    std::vector<double> lambda;  // the relative lambda chosen for each column
};

// Affine ridge regression of each column of Y on Z (intercept unpenalised: both centred with
// the fitting rows' means). For each column, the lambda of the grid with the best validation
// R^2 is chosen, the probe is refitted on all training rows and scored on the test rows.
ProbeResult ridge_probe(const Mat& Z_train, const Mat& Y_train, const Mat& Z_test, const Mat& Y_test,
                        const ProbeOptions& opt = {});

// Linear CKA (Kornblith et al. 2019) between the rows of A (n x p) and B (n x q), both centred:
// ||A^T B||_F^2 / (||A^T A||_F ||B^T B||_F). In [0, 1]; 0 if either is constant.
double linear_cka(const Mat& A, const Mat& B);

}  // namespace sim
