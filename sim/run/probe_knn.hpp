// The k-nearest-neighbour probe for class targets: a nonparametric read-out that finds a class
// wherever it sits in the representation, linearly separable or not. Beside the logistic probe
// (sim/run/probe_logistic.hpp), it tells information that is hidden (kNN reads it, the linear
// probe does not) from information that is lost (neither reads it).
//
// Features are standardised with the training rows' means and standard deviations; each test
// row takes the majority class of its k nearest training rows (Euclidean distance), ties between
// classes going to the class whose tied neighbours are nearest in total. Distances come from one
// GEMM per block of test rows (||a||^2 + ||b||^2 - 2 a.b). Deterministic, no randomness.
#pragma once
#include <cstddef>
#include <vector>

#include "autodiff/tensor.hpp"

namespace sim {

// Test accuracy per target: y_train[t] / y_test[t] are target t's labels (0..classes-1).
// Throws std::invalid_argument on mismatched sizes, k = 0, k above the training rows or labels
// out of range.
std::vector<double> knn_probe(const ad::Mat<double>& X_train, const std::vector<std::vector<int>>& y_train,
                              const ad::Mat<double>& X_test, const std::vector<std::vector<int>>& y_test,
                              std::size_t classes, std::size_t k = 15);

}  // namespace sim
