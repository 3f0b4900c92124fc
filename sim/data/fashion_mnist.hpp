// Two modalities with known shared and specific content, built from real images (Fashion-MNIST).
//
// A scene holds three garments drawn independently and uniformly from one split of the
// dataset: a shared one S that both modalities see, one G1 that only modality 1 sees and one G2
// that only modality 2 sees. Each modality is an image of two panels side by side, each garment
// resampled from 28 x 28 to side x side (20 x 20 by default):
//
//     x1 = [ optical(S) | optical(G1) ]      x2 = [ radar(S) | radar(G2) ]
//
// optical: a mild Gaussian blur, then additive Gaussian noise (reflectance, about 0..1).
// radar:   a wider blur; a backscatter that mixes the area return with an edge (gradient
//          magnitude) return; a noise floor; multiplicative Gamma speckle of L looks; then a log
//          response, x2 = 1 + log10(intensity) (decibels / 10 + 1).
// Targets (classes 0..9): y_shared = class(S), y1 = class(G1), y2 = class(G2), and
//     y_mix = y_shared if the scene's coin u < clamp(10 rho - y1, 0, 1), else y1,
// so that the modality-1-only garment decides whether y_mix is the shared garment's class: for
// rho = k / 10, y_mix = y_shared exactly when y1 < k. The best possible accuracies (every garment
// read perfectly) are best_scores(rho); docs/real_data.md derives them.
//
// Train scenes use only the dataset's train images, test scenes only its test images.
// Everything is deterministic from the seed, whatever the thread count.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "autodiff/tensor.hpp"
#include "sim/data/idx.hpp"

namespace sim {

inline constexpr int kFashionClasses = 10;
inline constexpr const char* kFashionClassNames[kFashionClasses] = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};

// The dataset's two splits, validated: 28 x 28 images, labels 0..9, counts that pair up.
struct FashionMnist {
    LabelledImages train, test;
};
// Reads <dir>/{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]. Throws IdxError.
FashionMnist load_fashion_mnist(const std::string& dir = kFashionMnistPath);

// The sensor models. The defaults are the documented construction; noise = false gives
// noise-free sensors (no additive noise, no speckle) on the same garments (tests, pictures).
struct SensorOptions {
    std::size_t side = 20;        // each garment is resampled from 28 x 28 to side x side
    double optical_blur = 0.5;    // Gaussian blur sigma, in source pixels
    double optical_noise = 0.1;   // additive Gaussian noise standard deviation
    double radar_blur = 1.0;      // Gaussian blur sigma, in source pixels
    double radar_edge = 0.8;      // share of the edge return in the backscatter (the rest is area)
    double radar_edge_gain = 3.0; // edge return = min(1, gain * |gradient|)
    double radar_floor = 0.05;    // noise floor added to the backscatter before speckle
    int radar_looks = 4;          // speckle ~ Gamma(looks, 1 / looks), mean 1
    bool noise = true;
};

// One split of scenes: row i of x1 and x2 is scene i, a side x (2 side) image in row-major order
// (panel 0 = columns 0..side-1 = the shared garment, panel 1 = the modality's own garment).
struct FashionSplit {
    ad::Mat<float> x1, x2;
    std::vector<int> y_shared, y1, y2, y_mix;
    std::vector<std::uint32_t> shared_image, image1, image2;  // indices into the split's images
    std::vector<float> mix_coin;  // u ~ U[0, 1) per scene (see mix_label)
    double rho = 0;               // the redundancy y_mix was made with
    std::size_t size() const { return y_shared.size(); }
    // The target of theory::kTargetNames order: 0 y_shared, 1 y1, 2 y2, 3 y_mix.
    const std::vector<int>& target(int t) const;
};
struct FashionScenes {
    FashionSplit train, test;
};

// y_mix of one scene: y_shared if coin < clamp(10 rho - y1, 0, 1), else y1.
int mix_label(int y_shared, int y1, float coin, double rho);
// y_mix of every scene of s at redundancy rho (s.y_mix is the one at s.rho).
std::vector<int> mix_labels(const FashionSplit& s, double rho);
// Recomputes y_mix for another rho (the scenes themselves do not depend on rho).
void set_redundancy(FashionSplit& s, double rho);

// n scenes from one split's images; seed is the split's own stream (garments and noise are
// drawn from sub-streams of it). Throws std::invalid_argument on bad options.
FashionSplit make_fashion_split(const LabelledImages& src, std::size_t n, double rho, std::uint64_t seed,
                                const SensorOptions& opt = {});
// n_train scenes from the train images (stream derive_seed(seed, "fashion_mnist/train")) and
// n_test from the test images (".../test").
FashionScenes make_fashion_scenes(const FashionMnist& d, std::size_t n_train, std::size_t n_test, double rho,
                                  std::uint64_t seed, const SensorOptions& opt = {});

// The garments without any sensor: each image of idx box-resampled to side x side, in [0, 1]
// (row i = image idx[i]). "The shared content alone" is clean_views(images, split.shared_image).
ad::Mat<float> clean_views(const IdxImages& images, const std::vector<std::uint32_t>& idx, std::size_t side = 20);

// Best possible accuracy of each target (theory::kTargetNames order) from a view when every
// garment the view shows is classified perfectly, for 10 equally likely classes:
// from x1 (S and G1), from x2 (S and G2), from the shared garment S alone, from G1 alone.
struct BestScores {
    std::array<double, 4> x1, x2, shared, specific1;
};
BestScores best_scores(double rho);

}  // namespace sim
