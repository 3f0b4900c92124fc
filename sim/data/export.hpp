// `alignsim export`: samples and model parameters as .npy files plus a manifest.json.
#pragma once
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "sim/config/config.hpp"

namespace sim {

// Writes every file into dir (created if needed) and returns the manifest it also writes as
// dir/manifest.json: {"files": [{"file", "shape", "dtype", "meaning"}...], "config": {...},
// "meta": {...}, "sample_seed": ..., "targets": [...]}. Each file is written atomically and the
// manifest last; throws std::runtime_error if dir cannot be written, naming the file and what is
// complete.
// data.kind = "fashion_mnist": train_/test_ x1, x2 (float32), y and y_shared, y1, y2, y_mix
// (int64 classes), garments (the dataset indices of S, G1, G2) and mix_coin; the manifest adds
// "classes", "labels" and "fashion_mnist".
nlohmann::json export_samples(const Config& cfg, const std::string& dir);

}  // namespace sim
