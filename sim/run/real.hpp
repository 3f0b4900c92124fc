// data.kind = "fashion_mnist": one run on real images (sim::run dispatches here) and its
// baselines. docs/real_data.md describes the data, the model and the evaluation.
//
// The run: MLP (or linear) encoders of the two 800-pixel modalities, any alignment loss, and a
// classification head on z1 (z1 -> 10 logits, softmax cross-entropy to objective.task's classes)
// with weight lambda on the alignment: loss = CE + lambda * alignment (models::Trainer). Without a
// task, the alignment alone. Evaluation: the logistic probe's test accuracy
// (sim/run/probe_logistic.hpp) of every target from z1 and from z2.
//
// The baselines (eval.baselines): the same probe on the raw pixels of x1 and of x2, and a
// supervised model on x1 alone: for each target, the encoder f1 with the classification head
// trained on that target only (cross-entropy, no alignment, no x2; the run's architecture,
// optimiser, steps and seed), its p-dimensional representation read by the same probe. For
// y_mix that is the lambda = 0 run with task y_mix. They depend on the sample, not on the
// alignment or lambda: a process-wide cache computes each once (per data.path, sample seed,
// sizes and target labels; the supervised ones also per training settings), and concurrent runs
// that need the same baselines share the work instead of repeating it.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "sim/config/config.hpp"
#include "sim/data/samples.hpp"
#include "sim/run/run.hpp"

namespace sim {

// The representations of the baseline rows, in row order: raw x1, raw x2, the supervised model.
inline const std::vector<std::string>& baseline_reps() {
    static const std::vector<std::string> r{"x1", "x2", "x1_supervised"};
    return r;
}

// One run of a fashion_mnist config (validated). Deterministic in the config; with several BLAS
// threads (alignsim train) equal to the single-threaded numbers up to rounding.
RunResult run_fashion(const Config& cfg, const RunOptions& opt = {});

// The baselines of cfg's sample: accuracy[target][rep], rep in baseline_reps(). Cached (above).
std::map<std::string, std::map<std::string, double>> fashion_baselines(const Config& cfg, const FashionSample& s,
                                                                        const RunOptions& opt = {});

// How many baseline accuracies this process has computed rather than taken from the cache (tests
// check what the cache shares, and what it must not).
std::size_t fashion_baselines_computed();

// What the x1_supervised baseline is, in one sentence (train --json: baseline.supervised_model).
std::string supervised_description(const Config& cfg);

}  // namespace sim
