// The gradient-check harness every op and every composite goes through: the backward pass
// against central finite differences, in float64.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "autodiff/tape.hpp"

namespace ad {

struct GradcheckOptions {
    double h = 1e-6;      // central-difference step
    double rtol = 1e-5;   // |analytic - numeric| <= atol + rtol * max(|analytic|, |numeric|)
    double atol = 1e-7;
    std::uint64_t seed = 7;  // for the random output projection
};

struct GradcheckReport {
    bool ok = true;
    double max_abs_err = 0, max_rel_err = 0;
    std::string detail;  // the worst entry, readable
};

// f builds an output from the inputs (given as Vars of learned leaves). A non-scalar output is
// contracted with a fixed random matrix R (loss = sum(out * R)): a vector-Jacobian product
// check, which tests the whole Jacobian with probability one.
using GradcheckFn = std::function<Var<double>(Tape<double>&, const std::vector<Var<double>>&)>;
GradcheckReport gradcheck(const GradcheckFn& f, const std::vector<Mat<double>>& inputs,
                          const GradcheckOptions& opt = {});

}  // namespace ad
