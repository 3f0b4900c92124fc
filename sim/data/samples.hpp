// Samples from the generative model: linear (spec section 1) or nonlinear (section 6).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "autodiff/random.hpp"
#include "sim/config/config.hpp"
#include "theory/model.hpp"

namespace sim {

using Mat = ad::Mat<double>;

// One split; rows are samples. y has one column per target, in theory::kTargetNames order.
struct Split {
    Mat x1, x2, s, u1, u2, y;
    std::size_t size() const { return x1.shape()[0]; }
};
struct Samples {
    Split train, test;
};

// The data model: the linear model's parameters and, for data.kind = "nonlinear", a fixed random
// invertible network h_i per modality (square leaky-ReLU layers of well-conditioned weights).
struct DataModel {
    theory::Model linear;
    std::string kind = "linear";
    double slope = 0.2;
    std::vector<Mat> h1, h2;  // layer weights (d_i x d_i), applied in order
};
DataModel make_data_model(const Config& cfg);  // parameters from data.seed

// n samples drawn with rng.
Split draw(const DataModel& dm, std::size_t n, ad::Rng& rng);
// data.n_train + data.n_test samples from the sample seed (data.sample_seed, or derived).
Samples make_samples(const Config& cfg, const DataModel& dm);
// The sample seed: data.sample_seed if >= 0, else derived from data.seed and train.seed.
// Train and test draw from the sub-streams "train" and "test" of it.
std::uint64_t sample_seed(const Config& cfg);

}  // namespace sim
