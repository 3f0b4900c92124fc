// One training run and its evaluation: what `alignsim train` prints and what a sweep cell is.
#pragma once
#include <map>
#include <string>
#include <utility>

#include <nlohmann/json_fwd.hpp>

#include "sim/config/config.hpp"

namespace sim {

// R^2 of a ridge probe from z1 and from z2.
struct R2Pair {
    double z1 = 0, z2 = 0;
};

struct RunResult {
    std::string status = "ok";  // "ok" | "diverged"
    std::string reason;         // why it diverged
    long steps = 0;
    double seconds = 0;
    double final_loss = 0;
    // keys: targets "y_shared", "y1", "y2", "y_mix" and latent blocks "s", "u1", "u2"
    std::map<std::string, R2Pair> learned_r2;
    std::map<std::string, R2Pair> analytic_r2;  // linear data only (empty otherwise)
    // Linear encoders on linear data: the exact (population) R^2 of the learned W1 (and W2)
    // from the closed forms, free of probe and test-sample noise; empty otherwise.
    std::map<std::string, R2Pair> learned_population_r2;
    // what analytic_r2 describes: "aligned" (the alignment optimum; for infonce the cca one),
    // "tradeoff" (regression alignment + task at objective.lambda), "" (none)
    std::string analytic_kind;
    double subspace_distance = -1;  // largest principal angle (radians) to the analytic optimum; -1: n/a
    double cka = 0;                 // linear CKA between z1 and z2 on the test set
    double alignment_loss = 0;      // alignment loss on the test set
    nlohmann::json to_json() const;  // the `alignsim train --json` object
};

struct RunOptions {
    bool progress = false;  // print progress to stderr
};

// Deterministic in cfg: same config (seeds included), same numbers, on any thread.
RunResult run(const Config& cfg, const RunOptions& opt = {});

}  // namespace sim
