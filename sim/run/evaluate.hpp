// Closed-form evaluation of any linear encoders on the configured linear-Gaussian model, from the
// population moments: what `alignsim evaluate --weights W1.npy [W2.npy]` prints and what
// alignsim.evaluate returns (python/). Also the optimum of the configured objective, the encoders
// alignsim.theory reports. docs/python.md describes the keys.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "sim/config/config.hpp"
#include "sim/data/samples.hpp"
#include "theory/model.hpp"

namespace sim {

// The encoders to evaluate: z1 = W1 x1 + b1 (p x d1, p = model.dim), optionally z2 = W2 x2 + b2.
struct LinearEncoders {
    theory::Mat W1;
    std::optional<theory::Mat> W2;
    std::vector<double> b1, b2;  // empty: no bias
};

// {"r2": {target or block: {"z1", "z2"}}, "info_nats": {block: {"z1", "z2"}},
//  "principal_angles_to_cca": {"z1": [...], "z2": [...]},
//  "objective": {loss: {"value", "optimum", "gap"}} for cca, spectral and regression,
//  "configured_alignment": objective.alignment}. Without W2 only the "z1" entries and the
// regression objective (whose W2 is the frozen target encoder). Throws ConfigError (one line) for
// bad input: another data.kind than linear, a shape that does not fit the config, a value that is
// not finite.
nlohmann::json evaluate_linear(const Config& cfg, const LinearEncoders& enc);

// The optimum of the configured objective on the population moments (the one a training run's
// certificate uses, on the training set's moments): {"objective", "value", "attained"} with
// "value" null and "note" when the objective has no closed form (infonce: the cca optimum's
// encoders, which infonce is compared with). W1 and W2 are filled in *W1, *W2 (W2 empty when
// there is none; both empty, with a note, for data.kind other than linear).
nlohmann::json configured_optimum(const Config& cfg, theory::Mat* W1, theory::Mat* W2);

// The probes of a run on given representations of two splits (rows are samples; z2 may be
// empty): {"r2": {target or block: {"z1", "z2"}}, "r2_nonlinear": {...}, "cka"} with the ridge
// probe and the nonlinear probe of `train` (seeded from train.seed), fitted on the train rows and
// scored on the test rows; "cka" only with z2. Throws ConfigError on shapes that do not match.
nlohmann::json probe_representations(const Config& cfg, const Mat& z1_train, const Mat& z2_train, const Split& train,
                                     const Mat& z1_test, const Mat& z2_test, const Split& test);

}  // namespace sim
