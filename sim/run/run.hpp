// One training run and its evaluation: what `alignsim train` prints and what a sweep cell is.
#pragma once
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "sim/config/config.hpp"

namespace sim {

// R^2 of a ridge probe from z1 and from z2.
struct R2Pair {
    double z1 = 0, z2 = 0;
};

// One checkpoint of a run's history: after `step` minibatch steps and `evals` full-batch
// evaluations of the polishing phase; loss: the mean minibatch loss since the previous
// checkpoint (the full-batch loss in the polishing phase); objective and gap: the training
// objective on the training set and its relative gap to the optimum (NaN without a closed form).
struct Checkpoint {
    long step = 0, evals = 0;
    double loss = 0, objective = 0, gap = 0;
};

// When a run records a checkpoint during its steps: every max(1, steps / 25) steps and at the
// last one (so at least 20 when there are 20 steps), with the mean minibatch loss since the last.
class CheckpointClock {
public:
    explicit CheckpointClock(long steps) : steps_(steps), every_(steps / 25 > 1 ? steps / 25 : 1) {}
    // After step `step` (0-based) with minibatch loss L: true at a checkpoint, with `mean` set.
    bool tick(long step, double L, double& mean) {
        sum_ += L;
        ++count_;
        if ((step + 1) % every_ != 0 && step + 1 != steps_) return false;
        mean = sum_ / static_cast<double>(count_);
        sum_ = 0;
        count_ = 0;
        return true;
    }

private:
    long steps_, every_;
    double sum_ = 0;
    long count_ = 0;
};

struct RunResult {
    std::string status = "ok";  // "ok" | "not_converged" | "diverged"
    std::string reason;         // why it diverged, or the gap of a run that did not converge
    long steps = 0;
    double seconds = 0;
    double final_loss = 0;
    // keys: targets "y_shared", "y1", "y2", "y_mix" and latent blocks "s", "u1", "u2"
    std::map<std::string, R2Pair> learned_r2;
    std::map<std::string, R2Pair> analytic_r2;  // linear data only (empty otherwise)
    // The same read by the nonlinear probe (sim/run/probe_nonlinear.hpp), and what the theory says
    // any probe reads at the optimum (linear data only; empty otherwise). Empty when the
    // nonlinear probe is off (nonlinear_probe_on).
    std::map<std::string, R2Pair> learned_r2_nonlinear;
    std::map<std::string, R2Pair> analytic_r2_nonlinear;
    // Linear encoders on linear data: the exact (population) R^2 of the learned W1 (and W2)
    // from the closed forms, free of probe and test-sample noise; empty otherwise.
    std::map<std::string, R2Pair> learned_population_r2;
    // what analytic_r2 describes: "aligned" (the alignment optimum; for infonce the cca one),
    // "tradeoff" (regression alignment + task at objective.lambda), "" (none)
    std::string analytic_kind;
    double subspace_distance = -1;  // largest principal angle (radians) to the analytic optimum; -1: n/a
    // Linear encoders on linear data: the principal angles (radians, ascending) between encoder
    // 1's row space and the population CCA subspace (the top-p canonical directions of x1).
    std::vector<double> principal_angles_to_cca;
    // SigLIP: the learned temperature t and bias b at the end (NaN for the other losses)
    double siglip_temperature = std::numeric_limits<double>::quiet_NaN();
    double siglip_bias = std::numeric_limits<double>::quiet_NaN();
    double cka = 0;                 // linear CKA between z1 and z2 on the test set
    double alignment_loss = 0;      // alignment loss on the test set
    // The optimality certificate (linear data, linear encoders, an objective with a closed form;
    // docs/usage.md): the training objective on the training set at the learned parameters, its
    // optimum on the same set, and the relative gap (learned - optimum) / max(|optimum|, 1e-12).
    // NaN without a closed form; objective_reason then says why.
    double objective_learned = std::numeric_limits<double>::quiet_NaN();
    double objective_optimum = std::numeric_limits<double>::quiet_NaN();
    double objective_gap = std::numeric_limits<double>::quiet_NaN();
    double tolerance = 0;       // train.tolerance
    std::string objective_reason;
    std::string objective_method;  // vicreg, barlow_twins: how the numerical optimum was obtained
    long polish_evals = 0;      // full-batch evaluations of the polishing phase (0: none)
    std::vector<Checkpoint> history;
    // data.kind = "fashion_mnist" (sim/run/real.hpp): the logistic probe's test accuracy of each
    // target from z1 and z2; the baselines per target and representation ("x1", "x2": the probe
    // on raw pixels; "x1_supervised": a supervised model on x1 alone, supervised_model says
    // which) when eval.baselines is on. Empty for other data (whose targets are read by R^2).
    std::map<std::string, R2Pair> learned_accuracy;
    // ... and by the kNN probe (sim/run/probe_knn.hpp): results.csv rows with probe = knn
    std::map<std::string, R2Pair> learned_accuracy_knn;
    std::map<std::string, std::map<std::string, double>> baseline_accuracy;
    std::string supervised_model;
    nlohmann::json to_json() const;  // the `alignsim train --json` object
};

// Whether a run of cfg reads its representations with the nonlinear probe too (eval.nonlinear_probe;
// "auto": for MLP encoders or data other than linear).
bool nonlinear_probe_on(const Config& cfg);

// One row of results.csv: what it measures (`name`, a target or block, `kind` saying which),
// from which representation (`rep`: z1, z2; for fashion_mnist's baselines x1, x2 (raw pixels)
// and x1_supervised), with which read-out (`probe`: linear | nonlinear; the logistic probe is
// `linear`) and in which unit (`metric`: r2, or accuracy for fashion_mnist).
struct RowKey {
    std::string kind, name, rep, probe, metric;
};
// The rows a run of cfg reports, in the order results.csv writes them. Depends on the config
// only, so a reader knows when a cell's rows are complete.
std::vector<RowKey> result_row_keys(const Config& cfg);
// The values of one row: learned (NaN when the run has none, e.g. diverged), and, when they
// exist, the learned population value and the analytic one.
struct RowValues {
    double learned = 0;
    std::optional<double> learned_population, analytic;
};
RowValues row_values(const RunResult& r, const RowKey& k);

// One learned parameter array (row-major): RunOptions::weights.
struct LearnedArray {
    std::string name;  // linear encoders: "W1", "W2" (regression: the frozen target encoder); MLPs: "encoder1.<param>", "encoder2.<param>"
    std::vector<std::size_t> shape;
    std::vector<double> data;
};

struct RunOptions {
    bool progress = false;  // print progress to stderr
    // When set, filled with the learned parameters of a run on linear or nonlinear data that did
    // not diverge (alignsim.train of python/); untouched for fashion_mnist.
    std::vector<LearnedArray>* weights = nullptr;
    // Threads the run may use. 1 in a sweep cell (parallelism is across cells). alignsim train
    // passes the cores for data.kind = fashion_mnist: the trainer's two encoders on two threads
    // (TrainerSpec::threads) and BLAS threads for the evaluation and baselines; BLAS is back to
    // one thread when the run returns.
    int threads = 1;
};

// Deterministic in cfg: same config (seeds included), same numbers, on any thread.
RunResult run(const Config& cfg, const RunOptions& opt = {});

}  // namespace sim
