// L-BFGS: the one two-loop recursion of alignsim (LbfgsMemory, used by the logistic probe of
// sim/run/probe_logistic.cpp with its own line search) and the minimiser over Params that polishes
// models::Trainer's full-batch objective. Deterministic (no randomness; the same evaluations give
// the same iterates), arithmetic in double whatever T.
#pragma once
#include <deque>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "autodiff/tape.hpp"

namespace ad {

double dot(const std::vector<double>& a, const std::vector<double>& b);

// The memory of an L-BFGS: the last `capacity` curvature pairs (s, y) and the two-loop recursion
// that applies the inverse-Hessian estimate they define to a gradient.
class LbfgsMemory {
public:
    explicit LbfgsMemory(std::size_t capacity) : capacity_(capacity < 1 ? 1 : capacity) {}
    bool empty() const { return S_.empty(); }
    void clear();
    // Keeps the pair (s, y) with sy = s.y > 0 (the caller's curvature test), dropping the oldest
    // pair when full.
    void push(std::vector<double> s, std::vector<double> y, double sy);
    // d = -H g, H = the recursion over the pairs from H0 = gamma I, gamma = s.y / y.y of the newest
    // pair, or gamma0 when there is none.
    void direction(const std::vector<double>& g, double gamma0, std::vector<double>& d);

private:
    std::size_t capacity_;
    std::deque<std::vector<double>> S_, Y_;
    std::deque<double> rho_;
    std::vector<double> alpha_;
};

struct LbfgsOptions {
    int memory = 10;            // curvature pairs kept
    long max_evals = 1000;      // loss-and-gradient evaluations at most (line-search trials included)
    long max_iters = -1;        // accepted steps at most; -1: no limit
    double first_step = 1e-2;   // length of the first step along -g (and after a restart)
    double armijo = 1e-4;       // sufficient decrease: f(x + t d) <= f(x) + armijo t g.d
    int max_backtracks = 40;    // halvings of the step before the line search gives up
    // converged: the last 10 accepted steps decreased the loss by at most ftol (1 + |f|) in all
    double ftol = 1e-14;
};

struct LbfgsReport {
    long evals = 0, iters = 0;  // evaluations made, steps accepted
    double initial = std::numeric_limits<double>::quiet_NaN(), value = std::numeric_limits<double>::quiet_NaN();
    // why it ended: "stop" (the callback said so), "evals", "iters", "line search" (no step along
    // the direction decreased the loss: rounding level, or a non-finite loss), "gradient" (zero),
    // "converged" (ftol)
    std::string stopped;
};

// Minimises loss(tape) (a 1x1 node built on the tape from the params) from the params' current
// values, which hold the best point found when it returns. `stop` is called after every
// accepted step, with the params at the new point; true ends the minimisation. The loss is
// rebuilt on one tape of its own for every evaluation (its buffers are reused).
template <class T>
LbfgsReport lbfgs(const std::vector<Param<T>*>& params, const std::function<Var<T>(Tape<T>&)>& loss,
                  const LbfgsOptions& opt = {}, const std::function<bool()>& stop = {});

extern template LbfgsReport lbfgs<double>(const std::vector<Param<double>*>&,
                                          const std::function<Var<double>(Tape<double>&)>&, const LbfgsOptions&,
                                          const std::function<bool()>&);
extern template LbfgsReport lbfgs<float>(const std::vector<Param<float>*>&,
                                         const std::function<Var<float>(Tape<float>&)>&, const LbfgsOptions&,
                                         const std::function<bool()>&);

}  // namespace ad
