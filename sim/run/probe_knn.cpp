#include "sim/run/probe_knn.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "autodiff/blas.hpp"

namespace sim {

std::vector<double> knn_probe(const ad::Mat<double>& X_train, const std::vector<std::vector<int>>& y_train,
                              const ad::Mat<double>& X_test, const std::vector<std::vector<int>>& y_test,
                              std::size_t classes, std::size_t k) {
    const std::size_t n = X_train.shape()[0], m = X_test.shape()[0], d = X_train.shape()[1];
    if (X_test.shape()[1] != d) throw std::invalid_argument("knn probe: train and test features differ in width");
    if (y_train.size() != y_test.size()) throw std::invalid_argument("knn probe: train and test targets differ in number");
    if (k == 0 || k > n) throw std::invalid_argument("knn probe: k must be in 1..training rows");
    for (std::size_t t = 0; t < y_train.size(); ++t) {
        if (y_train[t].size() != n || y_test[t].size() != m) throw std::invalid_argument("knn probe: labels and rows differ in number");
        for (const auto* v : {&y_train[t], &y_test[t]})
            for (int c : *v)
                if (c < 0 || static_cast<std::size_t>(c) >= classes) throw std::invalid_argument("knn probe: a label is out of range");
    }
    // standardise with the training rows' moments (constant features: scale 1)
    std::vector<double> mu(d, 0.0), inv(d, 1.0);
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < d; ++j) mu[j] += X_train(i, j);
    for (double& v : mu) v /= double(n);
    std::vector<double> var(d, 0.0);
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < d; ++j) var[j] += (X_train(i, j) - mu[j]) * (X_train(i, j) - mu[j]);
    for (std::size_t j = 0; j < d; ++j) {
        const double sd = std::sqrt(var[j] / double(n));
        inv[j] = sd > 1e-12 ? 1.0 / sd : 1.0;
    }
    auto standardise = [&](const ad::Mat<double>& X) {
        ad::Mat<double> S(X.shape());
        for (std::size_t i = 0; i < X.shape()[0]; ++i)
            for (std::size_t j = 0; j < d; ++j) S(i, j) = (X(i, j) - mu[j]) * inv[j];
        return S;
    };
    const ad::Mat<double> A = standardise(X_train), B = standardise(X_test);
    std::vector<double> na(n, 0.0);
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < d; ++j) na[i] += A(i, j) * A(i, j);

    const std::size_t T = y_train.size();
    std::vector<std::size_t> correct(T, 0);
    const std::size_t blk = std::max<std::size_t>(1, std::min<std::size_t>(m, (1u << 22) / std::max<std::size_t>(n, 1)));
    ad::Mat<double> G(ad::Shape{blk, n});
    std::vector<std::size_t> idx(n);
    std::vector<double> votes(classes), dist(classes);
    for (std::size_t r0 = 0; r0 < m; r0 += blk) {
        const std::size_t rows = std::min(blk, m - r0);
        // G = B_blk A^T
        ad::blas::gemm_raw(false, true, rows, n, d, 1.0, B.data() + r0 * d, d, A.data(), d, 0.0, G.data(), n);
        for (std::size_t q = 0; q < rows; ++q) {
            const double* g = G.data() + q * n;
            // squared distance up to the test row's own norm (the same for every training row)
            auto key = [&](std::size_t i) { return na[i] - 2.0 * g[i]; };
            std::iota(idx.begin(), idx.end(), std::size_t(0));
            std::nth_element(idx.begin(), idx.begin() + std::ptrdiff_t(k - 1), idx.end(), [&](std::size_t a, std::size_t b) {
                const double ka = key(a), kb = key(b);
                return ka < kb || (ka == kb && a < b);
            });
            for (std::size_t t = 0; t < T; ++t) {
                std::fill(votes.begin(), votes.end(), 0.0);
                std::fill(dist.begin(), dist.end(), 0.0);
                for (std::size_t j = 0; j < k; ++j) {
                    const int c = y_train[t][idx[j]];
                    votes[std::size_t(c)] += 1;
                    dist[std::size_t(c)] += key(idx[j]);
                }
                std::size_t best = 0;
                for (std::size_t c = 1; c < classes; ++c)
                    if (votes[c] > votes[best] || (votes[c] == votes[best] && votes[c] > 0 && dist[c] < dist[best])) best = c;
                if (static_cast<int>(best) == y_test[t][r0 + q]) ++correct[t];
            }
        }
    }
    std::vector<double> acc(T);
    for (std::size_t t = 0; t < T; ++t) acc[t] = m ? double(correct[t]) / double(m) : std::nan("");
    return acc;
}

}  // namespace sim
