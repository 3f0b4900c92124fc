// The closed forms of one configuration, in one place for everything that reports them:
// the analytic side of a training run (`alignsim train`, sweep cells), `alignsim theory`
// (--json and --curve) and the analytic curves of `alignsim plot`'s by_<key> figures.
// Linear-Gaussian model only (spec sections 2-5); nonlinear data has no closed form.
#pragma once
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "sim/config/config.hpp"
#include "sim/run/run.hpp"
#include "theory/closed_forms.hpp"
#include "theory/model.hpp"
#include "theory/second_moment.hpp"

namespace sim {

// The frozen target encoder W2 (p x d2) of regression alignment and of the trade-off
// (objective.target_encoder, drawn from data.seed): the one training, theory and plots share.
theory::Mat target_encoder_of(const Config& cfg, const theory::Moments& mo);

// The VICReg / Barlow Twins loss of cfg (weights from objective.*; population: n = 0, no means).
theory::SecondMomentLoss second_moment_loss_of(const Config& cfg);

// Population R^2 of every target and block from z1 = W1 x1 and z2 = W2 x2 (empty W: all of x_i,
// the oracle).
std::map<std::string, R2Pair> population_r2(const theory::Model& m, const theory::Moments& mo, const theory::Mat& W1,
                                            const theory::Mat& W2);

// What training on cfg should reach: the minimum-norm optimum of the alignment objective
// (infonce: the cca one), or with regression alignment and a task, the trade-off optimum at
// objective.lambda; for MLP encoders with cca or spectral alignment, the optimum over all
// encoders (theory/mehler.hpp).
struct AnalyticOptimum {
    // "aligned" | "tradeoff" | "unconstrained" (MLP encoders, cca or spectral; no W1, W2; with
    // "unconstrained_tie" when a tie leaves single targets' R^2 to the optimum reached) |
    // "" (none: nonlinear data or alignment "none")
    std::string kind;
    theory::Mat W1, W2;
    std::map<std::string, R2Pair> r2;            // every target and block, z1 and z2, by a linear probe
    std::map<std::string, R2Pair> r2_nonlinear;  // by any probe (= r2 for linear optima)
};
// From cfg's model and moments; W2target is target_encoder_of(cfg, mo) (used by regression only).
AnalyticOptimum analytic_optimum(const Config& cfg, const theory::Model& m, const theory::Moments& mo,
                                 const theory::Mat& W2target);

// What the by_<key> figures draw at one configuration: the analytic optimum's R^2 and the
// oracle's (all of x1, all of x2). Empty maps for nonlinear data.
struct ClosedFormPoint {
    std::string kind;                       // AnalyticOptimum::kind
    std::map<std::string, R2Pair> analytic;  // = `theory --json`'s analytic.r2
    std::map<std::string, R2Pair> oracle;    // = r2.<target>.oracle_x1/x2 and r2_blocks.oracle_x1/x2.<block>
};
ClosedFormPoint closed_form_point(const Config& cfg);  // throws ConfigError if the model cannot be drawn

// Throws the ConfigError of `alignsim theory` for a config without closed forms (fashion_mnist).
void require_closed_forms(const Config& cfg);

// Every closed form of cfg: the object `alignsim theory --json` prints, without "config" and
// "meta". Throws ConfigError if the model cannot be drawn.
nlohmann::json theory_report(const Config& cfg);

// --- the closed forms along one key (`alignsim theory --curve`, the by_<key> figures)
// The numeric keys the closed forms depend on: the linear model's data.* keys, model.dim and
// objective.lambda.
const std::vector<std::string>& curve_keys();
bool is_curve_key(const std::string& key);

struct CurveSpec {
    std::string key;
    double start = 0, stop = 0;
    int n = 0;          // points, 2..10000
    bool log = false;   // log-spaced (start > 0)
    std::string text() const;  // "KEY=START:STOP:N", the --curve argument that gives this curve
};
// Parses "KEY=START:STOP:N" (START < STOP, N >= 2). Throws ConfigError (one line).
CurveSpec parse_curve(const std::string& arg, bool log);
// The values of the curve: N points from START to STOP, evenly spaced (in log with log); for an
// integer key rounded to integers, repeats dropped.
std::vector<double> curve_values(const CurveSpec& c);
// base with c.key set to each value, each validated. Throws ConfigError naming the first point
// whose configuration is invalid.
std::vector<Config> curve_configs(const Config& base, const CurveSpec& c);

}  // namespace sim
