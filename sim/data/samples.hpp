// Samples from the generative model: linear (spec section 1) or nonlinear (section 6).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "autodiff/random.hpp"
#include "sim/config/config.hpp"
#include "sim/data/fashion_mnist.hpp"
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
// data.kind = "fashion_mnist" has no generative model (kind only; its samples: fashion_sample).
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
// Linear and nonlinear data only (fashion_mnist: fashion_sample).
Samples make_samples(const Config& cfg, const DataModel& dm);
// The same samples, drawn once per process for each distinct data setting and sample seed (every
// data.* value and sample_seed(cfg): all that make_data_model and make_samples read) and shared,
// read-only, by the cells of a sweep that use them: the same numbers as make_samples, bit for bit.
// The least recently used sets beyond about 256 MB are dropped (their users keep their copies).
std::shared_ptr<const Samples> shared_samples(const Config& cfg, const DataModel& dm);
// The sample seed: data.sample_seed if >= 0, else derived from data.seed and train.seed.
// Train and test draw from the sub-streams "train" and "test" of it.
std::uint64_t sample_seed(const Config& cfg);

// data.kind = "fashion_mnist": the config's scenes (docs/real_data.md): data.n_train scenes from
// the dataset's train images and data.n_test from its test images, in data.path, drawn from the
// sample seed (make_fashion_scenes). The scenes do not depend on data.redundancy: they are shared
// between configs through a process-wide cache (keyed by path, seed and sizes; the dataset read
// once per path; scenes kept up to about 1 GB, the least recently used dropped first), and the
// targets of this config, y_mix for its rho included, are the sample's own.
struct FashionSample {
    std::shared_ptr<const FashionScenes> scenes;  // shared, read-only; its own y_mix is not this config's
    std::string key;                              // what identifies the scenes (path, seed, sizes)
    double rho = 0;
    // per split, the four targets in theory::kTargetNames order (y_shared, y1, y2, y_mix at rho)
    std::vector<std::vector<int>> y_train, y_test;
};
// Throws IdxError (a ConfigError) when the dataset cannot be read.
FashionSample fashion_sample(const Config& cfg);

}  // namespace sim
