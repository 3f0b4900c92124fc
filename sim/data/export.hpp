// `alignsim export`: samples and model parameters as .npy files plus a manifest.json.
#pragma once
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "sim/config/config.hpp"

namespace sim {

// Writes every file into dir (created if needed) and returns the manifest it also writes as
// dir/manifest.json: {"files": [{"file", "shape", "meaning"}...], "config": {...}, "meta": {...},
// "sample_seed": ...}. Throws std::runtime_error if dir cannot be written.
nlohmann::json export_samples(const Config& cfg, const std::string& dir);

}  // namespace sim
