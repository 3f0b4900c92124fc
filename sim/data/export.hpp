// `alignsim export`: samples and model parameters as .npy files plus a manifest.json.
#pragma once
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "sim/config/config.hpp"

namespace sim {

// Writes every file into dir (created if needed) and returns the manifest it also writes as
// dir/manifest.json: {"kind": "export", "files": [{"file", "shape", "dtype", "meaning"}...], "config": {...},
// "meta": {...}, "sample_seed": ..., "targets": [...]}. Each file is written atomically and the
// manifest last; throws std::runtime_error if dir cannot be written, naming the file and what is
// complete.
// data.kind = "fashion_mnist": train_/test_ x1, x2 (float32), y and y_shared, y1, y2, y_mix
// (int64 classes), garments (the dataset indices of S, G1, G2) and mix_coin; the manifest adds
// "classes", "labels" and "fashion_mnist".
// dir must be new, empty, or an earlier export (its manifest's "kind" is "export"), and not locked
// by another writer (sim/io/owned_dir.hpp); a sweep's or plot's directory, or one holding a file
// of an export's name without an export manifest, is refused (ConfigError): export never
// replaces a file it did not write.
nlohmann::json export_samples(const Config& cfg, const std::string& dir);
// Whether a file name is one export writes (train_*.npy, A1.npy, ..., and their .tmp).
bool is_export_file(const std::string& name);

}  // namespace sim
