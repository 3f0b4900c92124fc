#include "autodiff/lbfgs.hpp"

#include <cmath>
#include <deque>
#include <stdexcept>

namespace ad {

namespace {

double dot(const std::vector<double>& a, const std::vector<double>& b) {
    double s = 0;
    for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
    return s;
}

}  // namespace

template <class T>
LbfgsReport lbfgs(const std::vector<Param<T>*>& params, const std::function<Var<T>(Tape<T>&)>& loss,
                  const LbfgsOptions& opt, const std::function<bool()>& stop) {
    if (opt.memory < 1 || opt.max_backtracks < 1 || !(opt.first_step > 0) || !(opt.armijo > 0 && opt.armijo < 1))
        throw std::invalid_argument("lbfgs: memory and max_backtracks must be positive, first_step > 0, 0 < armijo < 1");
    LbfgsReport rep;
    Tape<T> tape;
    std::size_t n = 0;
    for (const Param<T>* q : params) n += q->size();
    auto set = [&](const std::vector<double>& x) {
        std::size_t o = 0;
        for (Param<T>* q : params)
            for (std::size_t i = 0; i < q->size(); ++i) q->value.data()[i] = static_cast<T>(x[o++]);
    };
    auto eval = [&](const std::vector<double>& x, std::vector<double>& g) {
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
    };
    std::vector<double> x(n), g(n), xn(n), gn(n), d(n);
    {
        std::size_t o = 0;
        for (const Param<T>* q : params)
            for (std::size_t i = 0; i < q->size(); ++i) x[o++] = static_cast<double>(q->value.data()[i]);
    }
    if (opt.max_evals < 1) {
        rep.stopped = "evals";
        return rep;
    }
    double f = eval(x, g);
    rep.initial = f;
    std::deque<std::vector<double>> S, Y;
    std::deque<double> rho;
    std::vector<double> alpha;
    std::deque<double> recent;  // the loss before each of the last 10 accepted steps
    while (true) {
        if (!std::isfinite(f)) {
            rep.stopped = "line search";
            break;
        }
        const double gg = dot(g, g);
        if (gg == 0) {
            rep.stopped = "gradient";
            break;
        }
        if (opt.max_iters >= 0 && rep.iters >= opt.max_iters) {
            rep.stopped = "iters";
            break;
        }
        if (rep.evals >= opt.max_evals) {
            rep.stopped = "evals";
            break;
        }
        // two-loop recursion: d = -H g
        d = g;
        alpha.assign(S.size(), 0.0);
        for (std::size_t k = S.size(); k-- > 0;) {
            alpha[k] = rho[k] * dot(S[k], d);
            for (std::size_t i = 0; i < n; ++i) d[i] -= alpha[k] * Y[k][i];
        }
        const double gamma = S.empty() ? opt.first_step / std::sqrt(gg) : dot(S.back(), Y.back()) / dot(Y.back(), Y.back());
        for (double& e : d) e *= gamma;
        for (std::size_t k = 0; k < S.size(); ++k) {
            const double beta = rho[k] * dot(Y[k], d);
            for (std::size_t i = 0; i < n; ++i) d[i] += (alpha[k] - beta) * S[k][i];
        }
        for (double& e : d) e = -e;
        double slope = dot(g, d);
        if (!(slope < 0)) {  // not a descent direction: forget the curvature, restart along -g
            S.clear(), Y.clear(), rho.clear();
            for (std::size_t i = 0; i < n; ++i) d[i] = -opt.first_step * g[i] / std::sqrt(gg);
            slope = dot(g, d);
        }
        // backtracking (Armijo)
        double t = 1, fn = f;
        bool accepted = false;
        for (int ls = 0; ls < opt.max_backtracks && rep.evals < opt.max_evals; ++ls, t *= 0.5) {
            for (std::size_t i = 0; i < n; ++i) xn[i] = x[i] + t * d[i];
            fn = eval(xn, gn);
            if (fn <= f + opt.armijo * t * slope) {
                accepted = true;
                break;
            }
        }
        if (!accepted) {
            set(x);  // back to the best point
            rep.stopped = rep.evals >= opt.max_evals ? "evals" : "line search";
            break;
        }
        std::vector<double> s(n), y(n);
        for (std::size_t i = 0; i < n; ++i) s[i] = xn[i] - x[i], y[i] = gn[i] - g[i];
        const double sy = dot(s, y);
        if (sy > 1e-300) {  // keep the pair only with positive curvature
            if (S.size() == static_cast<std::size_t>(opt.memory)) S.pop_front(), Y.pop_front(), rho.pop_front();
            S.push_back(std::move(s)), Y.push_back(std::move(y)), rho.push_back(1 / sy);
        }
        recent.push_back(f);
        if (recent.size() > 10) recent.pop_front();
        x.swap(xn), g.swap(gn), f = fn;
        ++rep.iters;
        set(x);
        if (stop && stop()) {
            rep.stopped = "stop";
            break;
        }
        if (recent.size() == 10 && recent.front() - f <= opt.ftol * (1 + std::abs(f))) {
            rep.stopped = "converged";
            break;
        }
    }
    set(x);
    rep.value = f;
    return rep;
}

template LbfgsReport lbfgs<double>(const std::vector<Param<double>*>&, const std::function<Var<double>(Tape<double>&)>&,
                                   const LbfgsOptions&, const std::function<bool()>&);
template LbfgsReport lbfgs<float>(const std::vector<Param<float>*>&, const std::function<Var<float>(Tape<float>&)>&,
                                  const LbfgsOptions&, const std::function<bool()>&);

}  // namespace ad
