// The linear probe for class targets: multinomial logistic regression (softmax over an affine
// map of the representation), L2 strength chosen on a validation split of the training rows,
// refitted on all of them, scored by accuracy on the test rows.
//
// Features are standardised with the fitting rows' means and standard deviations (folded into
// the weights: the data is never copied), the intercept is not penalised, and the objective
//     F(W, b) = mean_i CE(softmax(z_i W + b), y_i) + lambda / 2 ||W||_F^2   (z standardised)
// is convex and minimised by L-BFGS, full batch, preconditioned by the eigenbasis of the
// features' correlation (a change of variables that leaves the problem unchanged: tens of
// iterations per fit instead of hundreds for correlated pixels). Several targets are fitted at once, each with
// its own weights and lambda: one pass over the data serves all of them (the data is the cost
// at n = 60000 raw pixels). The lambda path runs from the largest value down, each fit starting
// from the last. Deterministic: no randomness, sequential sums, single-threaded BLAS gives
// identical results run after run.
#pragma once
#include <cstddef>
#include <vector>

#include "autodiff/tensor.hpp"

namespace sim {

struct LogisticProbeOptions {
    double val_fraction = 0.2;  // last rows of the training data held out to choose lambda
    // lambda path, tried from the largest down (warm starts); ties in validation accuracy go to
    // the larger lambda.
    std::vector<double> grid{1.0, 1e-1, 1e-2, 1e-3, 1e-4};
    // The path stops early once every target's validation accuracy has stayed below its best
    // for `patience` consecutive lambdas (0: never; the small lambdas are the slow fits).
    int patience = 2;
    int max_iter = 300;      // L-BFGS iterations per fit
    // Stop when the gradient in the preconditioned coordinates has 2-norm <= grad_tol; the
    // Hessian there is close to the identity, so F is then within about grad_tol^2 / 2 of its
    // minimum (accuracies move by less than their sampling error below 1e-2).
    double grad_tol = 3e-3;
    int memory = 10;         // L-BFGS correction pairs
};

// A fitted affine classifier on the original (unstandardised) features: for target t,
// class scores z W_t + b_t, W_t = W(:, t K .. t K + K - 1).
struct LogisticModel {
    std::size_t dim = 0, classes = 0, targets = 0;
    ad::Mat<double> W;      // dim x (targets * classes)
    std::vector<double> b;  // targets * classes
    std::vector<double> lambda;  // per target
    int iterations = 0;     // L-BFGS iterations of the fit
    double objective = 0;   // F at the solution, summed over targets
    double grad_max = 0;    // max |dF/dW|, |dF/db| at the solution (standardised features)
};

// Fits on rows [0, n) of X with labels y[t] (each of length n, classes 0..classes-1) and the
// given lambda per target (one value: the same for all). Warm-starts from `start` when it has
// the right shape. Throws std::invalid_argument on mismatched sizes or labels out of range.
template <class T>
LogisticModel fit_logistic(const ad::Mat<T>& X, const std::vector<std::vector<int>>& y, std::size_t classes,
                           const std::vector<double>& lambda, const LogisticProbeOptions& opt = {},
                           const LogisticModel* start = nullptr);
// Predicted class of each row for target t.
template <class T>
std::vector<int> predict(const LogisticModel& m, const ad::Mat<T>& X, std::size_t t);
// Fraction of rows whose predicted class for target t is y.
template <class T>
double accuracy(const LogisticModel& m, const ad::Mat<T>& X, const std::vector<int>& y, std::size_t t);

struct LogisticProbeResult {
    std::vector<double> accuracy;      // per target: test accuracy of the refitted probe
    std::vector<double> val_accuracy;  // per target: validation accuracy at the chosen lambda
    std::vector<double> lambda;        // per target: the chosen lambda
    std::vector<double> chance;        // per target: test frequency of the commonest training class
    int iterations = 0;                // L-BFGS iterations, all fits together
};

// Chooses lambda per target on the last val_fraction of the training rows, refits on all
// training rows, scores on the test rows. y_train[t] / y_test[t] are target t's labels.
template <class T>
LogisticProbeResult logistic_probe(const ad::Mat<T>& X_train, const std::vector<std::vector<int>>& y_train,
                                   const ad::Mat<T>& X_test, const std::vector<std::vector<int>>& y_test,
                                   std::size_t classes, const LogisticProbeOptions& opt = {});

}  // namespace sim
