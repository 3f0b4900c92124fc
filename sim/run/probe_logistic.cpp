#include "sim/run/probe_logistic.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <stdexcept>
#include <string>

#include "autodiff/blas.hpp"
#include "autodiff/kernels.hpp"
#include "autodiff/lbfgs.hpp"
#include "sim/run/stop.hpp"

#include <xtensor-blas/xlinalg.hpp>
#include <xtensor/xtensor.hpp>

namespace sim {
namespace {

using Vec = std::vector<double>;

double dot(const Vec& a, const Vec& b) {
    double s = 0;
    for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
    return s;
}

void check_labels(const std::vector<std::vector<int>>& y, std::size_t n, std::size_t classes, const char* what) {
    if (y.empty()) throw std::invalid_argument(std::string(what) + ": no target");
    for (std::size_t t = 0; t < y.size(); ++t) {
        if (y[t].size() != n)
            throw std::invalid_argument(std::string(what) + ": target " + std::to_string(t) + " has " +
                                        std::to_string(y[t].size()) + " labels for " + std::to_string(n) + " rows");
        for (int c : y[t])
            if (c < 0 || static_cast<std::size_t>(c) >= classes)
                throw std::invalid_argument(std::string(what) + ": label " + std::to_string(c) + " out of range 0.." +
                                            std::to_string(classes - 1));
    }
}

// Standardisation and the preconditioning basis of a fit. The Hessian of F is about
// lambda I + C / K in standardised coordinates (C the features' correlation matrix, 1/K the
// softmax curvature at the start), badly conditioned for correlated pixels and small lambda.
// Writing W = V diag(s) U with C = V diag(e) V^T and s_k = 1 / sqrt(lambda + e_k / K) leaves the
// penalty unchanged (V is orthogonal), so the problem is the same, and makes the Hessian in U
// close to the identity: L-BFGS then needs tens of iterations at any lambda, not hundreds.
// C is estimated on at most kBasisRows rows (a preconditioner need not be exact); the basis
// costs one d x d eigendecomposition per probe, shared by every fit.
constexpr std::size_t kBasisRows = 8192;

struct Basis {
    std::size_t d = 0;
    Vec mu, sd;  // standardisation of the fitting rows
    Vec V;       // d x d, columns the eigenvectors of C (row-major)
    Vec e;       // eigenvalues of C
};

template <class T>
void standardisation(const ad::Mat<T>& Xm, std::size_t r0, std::size_t r1, Basis& B) {
    const std::size_t d = Xm.shape()[1], n = r1 - r0;
    const T* X = Xm.data() + r0 * d;
    B.d = d;
    B.mu.assign(d, 0.0);
    B.sd.assign(d, 0.0);
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < d; ++j) B.mu[j] += X[i * d + j];
    for (double& m : B.mu) m /= double(n);
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < d; ++j) {
            const double c = X[i * d + j] - B.mu[j];
            B.sd[j] += c * c;
        }
    for (double& s : B.sd) {
        s = std::sqrt(s / double(n));
        if (!(s > 0)) s = 1.0;  // a constant feature: its weight only meets the penalty
    }
}

template <class T>
Basis make_basis(const ad::Mat<T>& Xm, std::size_t r0, std::size_t r1) {
    Basis B;
    standardisation(Xm, r0, r1, B);
    const std::size_t d = B.d, m = std::min(r1 - r0, kBasisRows);
    const T* X = Xm.data() + r0 * d;
    std::vector<T> Z(m * d), C(d * d);
    for (std::size_t i = 0; i < m; ++i)
        for (std::size_t j = 0; j < d; ++j) Z[i * d + j] = static_cast<T>((X[i * d + j] - B.mu[j]) / B.sd[j]);
    ad::blas::gemm_raw(true, false, d, d, m, T(1) / T(m), Z.data(), d, Z.data(), d, T(0), C.data(), d);
    xt::xtensor<double, 2> Cd = xt::zeros<double>({d, d});
    for (std::size_t i = 0; i < d; ++i)
        for (std::size_t j = 0; j < d; ++j) Cd(i, j) = 0.5 * (double(C[i * d + j]) + double(C[j * d + i]));
    const auto ev = xt::linalg::eigh(Cd);
    const xt::xtensor<double, 1> w = std::get<0>(ev);
    const xt::xtensor<double, 2> V = std::get<1>(ev);
    B.e.resize(d);
    B.V.resize(d * d);
    for (std::size_t k = 0; k < d; ++k) B.e[k] = std::max(0.0, w(k));
    for (std::size_t i = 0; i < d; ++i)
        for (std::size_t k = 0; k < d; ++k) B.V[i * d + k] = V(i, k);
    return B;
}

// The objective on rows [r0, r1) of X. Parameters x = (U, c): U d x TK (row-major) and c (TK),
// with standardised weights W = V diag(s_t) U_t per target block and intercepts b = sqrt(K) c.
// Buffers live here: allocations per fit, none per evaluation.
template <class T>
struct Objective {
    const T* X;
    std::size_t n, d, K, NT, TK;
    const std::vector<std::vector<int>>* y;
    std::size_t r0;
    const Basis* B;
    Vec lambda, s;  // s: d x NT, the preconditioner's scales
    double sb;      // the intercepts' scale
    std::vector<T> weff, logits, gw;
    Vec M, W, gW, beff, gb, shift;
    double grad_max = 0;  // max |dF/dW|, dF/db (standardised coordinates) at the last evaluation

    Objective(const ad::Mat<T>& Xm, std::size_t row0, std::size_t row1, const std::vector<std::vector<int>>& labels,
              std::size_t classes, const Vec& lam, const Basis& basis)
        : X(Xm.data() + row0 * Xm.shape()[1]), n(row1 - row0), d(Xm.shape()[1]), K(classes), NT(labels.size()),
          TK(labels.size() * classes), y(&labels), r0(row0), B(&basis), lambda(lam), s(d * NT),
          sb(std::sqrt(double(classes))), weff(d * TK), logits(n * TK), gw(d * TK), M(d * TK), W(d * TK),
          gW(d * TK), beff(TK), gb(TK), shift(n * NT) {
        for (std::size_t k = 0; k < d; ++k)
            for (std::size_t t = 0; t < NT; ++t) s[k * NT + t] = 1.0 / std::sqrt(lambda[t] + B->e[k] / double(K));
    }
    std::size_t size() const { return (d + 1) * TK; }

    // W = V diag(s) U into this->W, b into beff (not yet shifted).
    void weights(const Vec& x) {
        for (std::size_t k = 0; k < d; ++k)
            for (std::size_t c = 0; c < TK; ++c) M[k * TK + c] = s[k * NT + c / K] * x[k * TK + c];
        ad::blas::gemm_raw(false, false, d, TK, d, 1.0, B->V.data(), d, M.data(), TK, 0.0, W.data(), TK);
        for (std::size_t c = 0; c < TK; ++c) beff[c] = sb * x[d * TK + c];
    }

    // Parameters from / to a model on the original features.
    void from_model(const LogisticModel& m, Vec& x) {
        for (std::size_t j = 0; j < d; ++j)
            for (std::size_t c = 0; c < TK; ++c) W[j * TK + c] = m.W(j, c) * B->sd[j];
        ad::blas::gemm_raw(true, false, d, TK, d, 1.0, B->V.data(), d, W.data(), TK, 0.0, M.data(), TK);
        for (std::size_t k = 0; k < d; ++k)
            for (std::size_t c = 0; c < TK; ++c) x[k * TK + c] = M[k * TK + c] / s[k * NT + c / K];
        for (std::size_t c = 0; c < TK; ++c) {
            double b = m.b[c];
            for (std::size_t j = 0; j < d; ++j) b += B->mu[j] * m.W(j, c);
            x[d * TK + c] = b / sb;
        }
    }
    void to_model(const Vec& x, LogisticModel& m) {
        weights(x);
        m.dim = d;
        m.classes = K;
        m.targets = NT;
        m.W.resize(ad::Shape{d, TK});
        m.b.assign(TK, 0.0);
        for (std::size_t c = 0; c < TK; ++c) {
            double b = beff[c];
            for (std::size_t j = 0; j < d; ++j) {
                const double w = W[j * TK + c] / B->sd[j];
                m.W(j, c) = w;
                b -= B->mu[j] * w;
            }
            m.b[c] = b;
        }
        m.lambda = lambda;
    }

    // F(x) and its gradient g (with respect to x).
    double operator()(const Vec& x, Vec& g) {
        weights(x);
        // Logits on the raw rows: z W_eff + b_eff with W_eff = W / sd, b_eff = b - mu^T W_eff.
        for (std::size_t j = 0; j < d; ++j)
            for (std::size_t c = 0; c < TK; ++c) {
                const double w = W[j * TK + c] / B->sd[j];
                weff[j * TK + c] = static_cast<T>(w);
                beff[c] -= B->mu[j] * w;
            }
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t c = 0; c < TK; ++c) logits[i * TK + c] = static_cast<T>(beff[c]);
        ad::blas::gemm_raw(false, false, n, TK, d, T(1), X, d, weff.data(), TK, T(1), logits.data(), TK);
        // Softmax per (row, target) block: shift by the block maximum, one vectorised exp pass.
        double loss = 0;
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t t = 0; t < NT; ++t) {
                T* l = logits.data() + i * TK + t * K;
                T mx = l[0];
                for (std::size_t c = 1; c < K; ++c) mx = std::max(mx, l[c]);
                for (std::size_t c = 0; c < K; ++c) l[c] -= mx;
                shift[i * NT + t] = double(l[(*y)[t][r0 + i]]);  // the label's shifted logit
            }
        ad::kernels::exp(logits.data(), n * TK, logits.data());
        const T inv_n = T(1) / T(n);
        std::fill(gb.begin(), gb.end(), 0.0);
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t t = 0; t < NT; ++t) {
                T* p = logits.data() + i * TK + t * K;
                double sum = 0;
                for (std::size_t c = 0; c < K; ++c) sum += p[c];
                loss += std::log(sum) - shift[i * NT + t];
                const T f = static_cast<T>(1.0 / sum) * inv_n;
                for (std::size_t c = 0; c < K; ++c) p[c] *= f;
                p[(*y)[t][r0 + i]] -= inv_n;  // dF/dlogits = (softmax - onehot) / n
                for (std::size_t c = 0; c < K; ++c) gb[t * K + c] += p[c];
            }
        loss /= double(n);
        // dF/dW_eff = X^T R; in standardised coordinates dF/dW = (X^T R - mu gb^T) / sd + lambda W.
        ad::blas::gemm_raw(true, false, d, TK, n, T(1), X, d, logits.data(), TK, T(0), gw.data(), TK);
        grad_max = 0;
        for (std::size_t j = 0; j < d; ++j)
            for (std::size_t c = 0; c < TK; ++c) {
                const double w = W[j * TK + c], lam = lambda[c / K];
                gW[j * TK + c] = (double(gw[j * TK + c]) - B->mu[j] * gb[c]) / B->sd[j] + lam * w;
                grad_max = std::max(grad_max, std::abs(gW[j * TK + c]));
                loss += 0.5 * lam * w * w;
            }
        // dF/dU = diag(s) V^T dF/dW, dF/dc = sqrt(K) dF/db.
        ad::blas::gemm_raw(true, false, d, TK, d, 1.0, B->V.data(), d, gW.data(), TK, 0.0, M.data(), TK);
        for (std::size_t k = 0; k < d; ++k)
            for (std::size_t c = 0; c < TK; ++c) g[k * TK + c] = s[k * NT + c / K] * M[k * TK + c];
        for (std::size_t c = 0; c < TK; ++c) {
            g[d * TK + c] = sb * gb[c];
            grad_max = std::max(grad_max, std::abs(gb[c]));
        }
        return loss;
    }
};

struct LbfgsResult {
    double f = 0, grad_norm = 0;
    int iterations = 0;
};

// Minimises a smooth convex f from x (in place): the two-loop recursion of autodiff/lbfgs.hpp and
// a backtracking line search with quadratic interpolation (Armijo); stops at |g| <= tol (2-norm),
// when the line search cannot decrease f any more (the floating-point floor), or after max_iter
// iterations.
template <class F>
LbfgsResult lbfgs(F& f, Vec& x, int max_iter, double tol, int memory) {
    const std::size_t n = x.size();
    Vec g(n), xn(n), gn(n), dir(n);
    ad::LbfgsMemory mem(static_cast<std::size_t>(memory));
    LbfgsResult r;
    double fx = f(x, g);
    int flat = 0;
    for (r.iterations = 0; r.iterations < max_iter; ++r.iterations) {
        throw_if_stopped();  // SIGINT / SIGTERM, a stopping sweep (sim/run/stop.hpp)
        if (!(std::sqrt(dot(g, g)) > tol)) break;
        mem.direction(g, 1.0, dir);  // dir = -H g (-g itself while the memory is empty)
        double gd = dot(g, dir);
        if (!(gd < 0)) {  // not a descent direction (numerical trouble): restart from -g
            mem.clear();
            for (std::size_t i = 0; i < n; ++i) dir[i] = -g[i];
            gd = dot(g, dir);
        }
        double step = mem.empty() ? std::min(1.0, 1.0 / std::sqrt(-gd)) : 1.0;
        double fn = 0;
        bool ok = false;
        for (int ls = 0; ls < 40; ++ls) {
            for (std::size_t i = 0; i < n; ++i) xn[i] = x[i] + step * dir[i];
            fn = f(xn, gn);
            if (std::isfinite(fn) && fn <= fx + 1e-4 * step * gd) {
                ok = true;
                break;
            }
            // Minimum of the quadratic through f(x), f'(x) along dir and f(x + step dir), kept
            // within [0.1, 0.5] of the step.
            double next = 0.5 * step;
            if (std::isfinite(fn)) {
                const double q = -gd * step * step / (2 * (fn - fx - gd * step));
                if (std::isfinite(q)) next = std::clamp(q, 0.1 * step, 0.5 * step);
            }
            step = next;
        }
        if (!ok) break;  // no decrease left at this precision
        flat = (fx - fn) <= 1e-12 * std::max(1.0, std::abs(fx)) ? flat + 1 : 0;
        Vec s(n), yv(n);
        for (std::size_t i = 0; i < n; ++i) {
            s[i] = xn[i] - x[i];
            yv[i] = gn[i] - g[i];
        }
        const double sy = dot(s, yv);
        if (sy > 1e-12 * dot(yv, yv)) mem.push(std::move(s), std::move(yv), sy);
        x.swap(xn);
        g.swap(gn);
        fx = fn;
        if (flat >= 3) {
            ++r.iterations;
            break;
        }
    }
    r.f = fx;
    r.grad_norm = std::sqrt(dot(g, g));
    return r;
}

Vec expand_lambda(const std::vector<double>& lambda, std::size_t targets) {
    if (lambda.size() != 1 && lambda.size() != targets)
        throw std::invalid_argument("fit_logistic: one lambda, or one per target, needed");
    for (double l : lambda)
        if (!(l >= 0) || !std::isfinite(l)) throw std::invalid_argument("fit_logistic: lambda must be finite and >= 0");
    return lambda.size() == 1 ? Vec(targets, lambda[0]) : lambda;
}

template <class T>
LogisticModel fit_rows(const ad::Mat<T>& X, std::size_t r0, std::size_t r1, const std::vector<std::vector<int>>& y,
                       std::size_t classes, const Vec& lambda, const LogisticProbeOptions& opt,
                       const LogisticModel* start, const Basis& basis) {
    Objective<T> obj(X, r0, r1, y, classes, lambda, basis);
    Vec x(obj.size(), 0.0);
    if (start && start->dim == obj.d && start->classes == classes && start->targets == y.size()) obj.from_model(*start, x);
    const LbfgsResult r = lbfgs(obj, x, opt.max_iter, opt.grad_tol, std::max(1, opt.memory));
    LogisticModel m;
    Vec g(x.size());
    m.objective = obj(x, g);  // also sets obj.grad_max at x
    m.grad_max = obj.grad_max;
    m.iterations = r.iterations;
    obj.to_model(x, m);
    return m;
}

// Predictions for rows [r0, r1) of X, all targets: pred[t][i - r0].
template <class T>
std::vector<std::vector<int>> predict_rows(const LogisticModel& m, const ad::Mat<T>& X, std::size_t r0, std::size_t r1) {
    if (X.shape()[1] != m.dim) throw std::invalid_argument("logistic probe: the data has the wrong number of columns");
    const std::size_t TK = m.targets * m.classes, d = m.dim;
    std::vector<T> w(d * TK);
    for (std::size_t i = 0; i < w.size(); ++i) w[i] = static_cast<T>(m.W.data()[i]);
    std::vector<std::vector<int>> pred(m.targets, std::vector<int>(r1 - r0));
    const std::size_t B = 4096;
    std::vector<T> L(std::min(B, r1 - r0) * TK);
    for (std::size_t b0 = r0; b0 < r1; b0 += B) {
        const std::size_t rows = std::min(B, r1 - b0);
        for (std::size_t i = 0; i < rows; ++i)
            for (std::size_t c = 0; c < TK; ++c) L[i * TK + c] = static_cast<T>(m.b[c]);
        ad::blas::gemm_raw(false, false, rows, TK, d, T(1), X.data() + b0 * d, d, w.data(), TK, T(1), L.data(), TK);
        for (std::size_t i = 0; i < rows; ++i)
            for (std::size_t t = 0; t < m.targets; ++t) {
                const T* l = L.data() + i * TK + t * m.classes;
                pred[t][b0 - r0 + i] = static_cast<int>(std::max_element(l, l + m.classes) - l);
            }
    }
    return pred;
}

double hits(const std::vector<int>& pred, const std::vector<int>& y, std::size_t offset) {
    std::size_t h = 0;
    for (std::size_t i = 0; i < pred.size(); ++i) h += pred[i] == y[offset + i];
    return pred.empty() ? 0.0 : double(h) / double(pred.size());
}

}  // namespace

template <class T>
LogisticModel fit_logistic(const ad::Mat<T>& X, const std::vector<std::vector<int>>& y, std::size_t classes,
                           const std::vector<double>& lambda, const LogisticProbeOptions& opt,
                           const LogisticModel* start) {
    if (classes < 2) throw std::invalid_argument("fit_logistic: at least 2 classes needed");
    const std::size_t n = X.shape()[0];
    if (n == 0) throw std::invalid_argument("fit_logistic: no rows");
    check_labels(y, n, classes, "fit_logistic");
    return fit_rows(X, 0, n, y, classes, expand_lambda(lambda, y.size()), opt, start, make_basis(X, 0, n));
}

template <class T>
std::vector<int> predict(const LogisticModel& m, const ad::Mat<T>& X, std::size_t t) {
    if (t >= m.targets) throw std::invalid_argument("predict: no target " + std::to_string(t));
    return predict_rows(m, X, 0, X.shape()[0])[t];
}

template <class T>
double accuracy(const LogisticModel& m, const ad::Mat<T>& X, const std::vector<int>& y, std::size_t t) {
    if (y.size() != X.shape()[0]) throw std::invalid_argument("accuracy: one label per row needed");
    return hits(predict(m, X, t), y, 0);
}

template <class T>
LogisticProbeResult logistic_probe(const ad::Mat<T>& X_train, const std::vector<std::vector<int>>& y_train,
                                   const ad::Mat<T>& X_test, const std::vector<std::vector<int>>& y_test,
                                   std::size_t classes, const LogisticProbeOptions& opt) {
    const std::size_t n = X_train.shape()[0], NT = y_train.size();
    if (classes < 2) throw std::invalid_argument("logistic_probe: at least 2 classes needed");
    if (X_test.shape()[1] != X_train.shape()[1])
        throw std::invalid_argument("logistic_probe: train and test have different numbers of columns");
    check_labels(y_train, n, classes, "logistic_probe (train)");
    check_labels(y_test, X_test.shape()[0], classes, "logistic_probe (test)");
    if (y_test.size() != NT) throw std::invalid_argument("logistic_probe: train and test have different targets");
    if (opt.grid.empty()) throw std::invalid_argument("logistic_probe: empty lambda grid");
    if (!(opt.val_fraction > 0 && opt.val_fraction < 1))
        throw std::invalid_argument("logistic_probe: val_fraction must be in (0, 1)");
    const std::size_t n_val = static_cast<std::size_t>(std::round(opt.val_fraction * double(n)));
    const std::size_t n_fit = n - n_val;
    if (n_val < 1 || n_fit < 2) throw std::invalid_argument("logistic_probe: too few training rows for a validation split");

    std::vector<double> grid = opt.grid;
    std::sort(grid.begin(), grid.end(), std::greater<double>());
    LogisticProbeResult res;
    res.val_accuracy.assign(NT, -1.0);
    res.lambda.assign(NT, grid.front());
    std::vector<LogisticModel> best(NT);
    Basis basis = make_basis(X_train, 0, n_fit);
    LogisticModel prev;
    int worse = 0;  // consecutive lambdas at which no target improved on its best
    for (std::size_t k = 0; k < grid.size(); ++k) {
        prev = fit_rows(X_train, 0, n_fit, y_train, classes, Vec(NT, grid[k]), opt, k ? &prev : nullptr, basis);
        res.iterations += prev.iterations;
        const auto pred = predict_rows(prev, X_train, n_fit, n);
        bool improved = false;
        for (std::size_t t = 0; t < NT; ++t) {
            const double a = hits(pred[t], y_train[t], n_fit);
            if (a > res.val_accuracy[t]) {
                res.val_accuracy[t] = a;
                res.lambda[t] = grid[k];
                best[t] = prev;
                improved = true;
            }
        }
        worse = improved ? 0 : worse + 1;
        if (opt.patience > 0 && worse >= opt.patience) break;
    }
    // Refit on every training row, each target from its own chosen fit.
    LogisticModel start = best[0];
    for (std::size_t t = 1; t < NT; ++t) {
        const std::size_t K = classes;
        for (std::size_t j = 0; j < start.dim; ++j)
            for (std::size_t c = 0; c < K; ++c) start.W(j, t * K + c) = best[t].W(j, t * K + c);
        for (std::size_t c = 0; c < K; ++c) start.b[t * K + c] = best[t].b[t * K + c];
    }
    standardisation(X_train, 0, n, basis);  // all training rows; the same preconditioning basis
    const LogisticModel final_model = fit_rows(X_train, 0, n, y_train, classes, res.lambda, opt, &start, basis);
    res.iterations += final_model.iterations;
    const auto pred = predict_rows(final_model, X_test, 0, X_test.shape()[0]);
    res.accuracy.resize(NT);
    res.chance.resize(NT);
    for (std::size_t t = 0; t < NT; ++t) {
        res.accuracy[t] = hits(pred[t], y_test[t], 0);
        std::vector<std::size_t> count(classes, 0);
        for (int c : y_train[t]) ++count[static_cast<std::size_t>(c)];
        const int common = static_cast<int>(std::max_element(count.begin(), count.end()) - count.begin());
        std::size_t h = 0;
        for (int c : y_test[t]) h += c == common;
        res.chance[t] = y_test[t].empty() ? 0.0 : double(h) / double(y_test[t].size());
    }
    return res;
}

#define SIM_LOGISTIC_INSTANTIATE(T)                                                                                   \
    template LogisticModel fit_logistic<T>(const ad::Mat<T>&, const std::vector<std::vector<int>>&, std::size_t,    \
                                           const std::vector<double>&, const LogisticProbeOptions&,                  \
                                           const LogisticModel*);                                                    \
    template std::vector<int> predict<T>(const LogisticModel&, const ad::Mat<T>&, std::size_t);                     \
    template double accuracy<T>(const LogisticModel&, const ad::Mat<T>&, const std::vector<int>&, std::size_t);     \
    template LogisticProbeResult logistic_probe<T>(const ad::Mat<T>&, const std::vector<std::vector<int>>&,          \
                                                   const ad::Mat<T>&, const std::vector<std::vector<int>>&,          \
                                                   std::size_t, const LogisticProbeOptions&);
SIM_LOGISTIC_INSTANTIATE(double)
SIM_LOGISTIC_INSTANTIATE(float)

}  // namespace sim
