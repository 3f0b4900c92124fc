#include "autodiff/lbfgs.hpp"

#include <cmath>
#include <stdexcept>

namespace ad {

double dot(const std::vector<double>& a, const std::vector<double>& b) {
    double s = 0;
    for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
    return s;
}

void LbfgsMemory::clear() { S_.clear(), Y_.clear(), rho_.clear(); }

void LbfgsMemory::push(std::vector<double> s, std::vector<double> y, double sy) {
    if (S_.size() == capacity_) S_.pop_front(), Y_.pop_front(), rho_.pop_front();
    S_.push_back(std::move(s)), Y_.push_back(std::move(y)), rho_.push_back(1 / sy);
}

void LbfgsMemory::direction(const std::vector<double>& g, double gamma0, std::vector<double>& d) {
    const std::size_t n = g.size();
    d.resize(n);
    for (std::size_t i = 0; i < n; ++i) d[i] = -g[i];
    alpha_.assign(S_.size(), 0.0);
    for (std::size_t k = S_.size(); k-- > 0;) {  // newest first
        alpha_[k] = rho_[k] * dot(S_[k], d);
        for (std::size_t i = 0; i < n; ++i) d[i] -= alpha_[k] * Y_[k][i];
    }
    const double gamma = S_.empty() ? gamma0 : dot(S_.back(), Y_.back()) / dot(Y_.back(), Y_.back());
    for (double& e : d) e *= gamma;
    for (std::size_t k = 0; k < S_.size(); ++k) {
        const double beta = rho_[k] * dot(Y_[k], d);
        for (std::size_t i = 0; i < n; ++i) d[i] += (alpha_[k] - beta) * S_[k][i];
    }
}

namespace {

// The params as one vector of doubles, and the loss and gradient at a point.
template <class T>
struct ParamVector {
    const std::vector<Param<T>*>& params;
    const std::function<Var<T>(Tape<T>&)>& loss;
    LbfgsReport& rep;
    Tape<T> tape;

    std::size_t size() const {
        std::size_t n = 0;
        for (const Param<T>* q : params) n += q->size();
        return n;
    }
    std::vector<double> get() const {
        std::vector<double> x;
        x.reserve(size());
        for (const Param<T>* q : params)
            for (std::size_t i = 0; i < q->size(); ++i) x.push_back(static_cast<double>(q->value.data()[i]));
        return x;
    }
    void set(const std::vector<double>& x) {
        std::size_t o = 0;
        for (Param<T>* q : params)
            for (std::size_t i = 0; i < q->size(); ++i) q->value.data()[i] = static_cast<T>(x[o++]);
    }
    double eval(const std::vector<double>& x, std::vector<double>& g) {
        set(x);
        for (Param<T>* q : params) q->zero_grad();
        tape.reset();
        Var<T> L = loss(tape);
        tape.backward(L);
        ++rep.evals;
        std::size_t o = 0;
        for (Param<T>* q : params)
            for (std::size_t i = 0; i < q->size(); ++i) g[o++] = static_cast<double>(q->grad.data()[i]);
        return static_cast<double>(L.item());
    }
};

// Why the minimisation ends before a step from (f, g), or an empty string.
std::string stop_reason(double f, double gg, const LbfgsReport& rep, const LbfgsOptions& opt) {
    if (!std::isfinite(f)) return "line search";
    if (gg == 0) return "gradient";
    if (opt.max_iters >= 0 && rep.iters >= opt.max_iters) return "iters";
    if (rep.evals >= opt.max_evals) return "evals";
    return "";
}

// Backtracking (Armijo, halving) along d from x: xn, gn, fn at the accepted point; false if none.
template <class T>
bool backtrack(ParamVector<T>& pv, const std::vector<double>& x, double f, const std::vector<double>& d, double slope,
               const LbfgsOptions& opt, std::vector<double>& xn, std::vector<double>& gn, double& fn) {
    double t = 1;
    for (int ls = 0; ls < opt.max_backtracks && pv.rep.evals < opt.max_evals; ++ls, t *= 0.5) {
        for (std::size_t i = 0; i < x.size(); ++i) xn[i] = x[i] + t * d[i];
        fn = pv.eval(xn, gn);
        if (fn <= f + opt.armijo * t * slope) return true;
    }
    return false;
}

}  // namespace

template <class T>
LbfgsReport lbfgs(const std::vector<Param<T>*>& params, const std::function<Var<T>(Tape<T>&)>& loss,
                  const LbfgsOptions& opt, const std::function<bool()>& stop) {
    if (opt.memory < 1 || opt.max_backtracks < 1 || !(opt.first_step > 0) || !(opt.armijo > 0 && opt.armijo < 1))
        throw std::invalid_argument("lbfgs: memory and max_backtracks must be positive, first_step > 0, 0 < armijo < 1");
    LbfgsReport rep;
    ParamVector<T> pv{params, loss, rep, {}};
    std::vector<double> x = pv.get();
    const std::size_t n = x.size();
    std::vector<double> g(n), xn(n), gn(n), d(n);
    if (opt.max_evals < 1) {
        rep.stopped = "evals";
        return rep;
    }
    double f = pv.eval(x, g);
    rep.initial = f;
    LbfgsMemory mem(static_cast<std::size_t>(opt.memory));
    std::deque<double> recent;  // the loss before each of the last 10 accepted steps
    while (true) {
        const double gg = dot(g, g);
        if (!(rep.stopped = stop_reason(f, gg, rep, opt)).empty()) break;
        mem.direction(g, opt.first_step / std::sqrt(gg), d);
        double slope = dot(g, d);
        if (!(slope < 0)) {  // not a descent direction: forget the curvature, restart along -g
            mem.clear();
            for (std::size_t i = 0; i < n; ++i) d[i] = -opt.first_step * g[i] / std::sqrt(gg);
            slope = dot(g, d);
        }
        double fn = f;
        if (!backtrack(pv, x, f, d, slope, opt, xn, gn, fn)) {
            rep.stopped = rep.evals >= opt.max_evals ? "evals" : "line search";
            break;
        }
        std::vector<double> s(n), y(n);
        for (std::size_t i = 0; i < n; ++i) s[i] = xn[i] - x[i], y[i] = gn[i] - g[i];
        const double sy = dot(s, y);
        if (sy > 1e-300) mem.push(std::move(s), std::move(y), sy);  // positive curvature only
        recent.push_back(f);
        if (recent.size() > 10) recent.pop_front();
        x.swap(xn), g.swap(gn), f = fn;
        ++rep.iters;
        pv.set(x);
        if (stop && stop()) {
            rep.stopped = "stop";
            break;
        }
        if (recent.size() == 10 && recent.front() - f <= opt.ftol * (1 + std::abs(f))) {
            rep.stopped = "converged";
            break;
        }
    }
    pv.set(x);
    rep.value = f;
    return rep;
}

template LbfgsReport lbfgs<double>(const std::vector<Param<double>*>&, const std::function<Var<double>(Tape<double>&)>&,
                                   const LbfgsOptions&, const std::function<bool()>&);
template LbfgsReport lbfgs<float>(const std::vector<Param<float>*>&, const std::function<Var<float>(Tape<float>&)>&,
                                  const LbfgsOptions&, const std::function<bool()>&);

}  // namespace ad
