// Optimisers on problems with known optima: least squares reaches the normal-equations
// solution (SGD with momentum, Adam, AdamW, L-BFGS), L2 weight decay reaches the ridge solution,
// AdamW's decoupled decay differs from Adam's L2 as it should, and gradient clipping; L-BFGS
// also on Rosenbrock's valley, with its budgets and stop callback.
// Budget: about a second.
#include <boost/test/unit_test.hpp>

#include <cmath>

#include "autodiff/lbfgs.hpp"
#include "autodiff/ops.hpp"
#include "autodiff/optim.hpp"
#include "autodiff/random.hpp"

using namespace ad;
using M = Mat<double>;

namespace {

// Solves A x = b for a symmetric positive-definite A by Cholesky (A = L L^T).
std::vector<double> cholesky_solve(std::vector<std::vector<double>> A, std::vector<double> b) {
    const std::size_t n = b.size();
    std::vector<std::vector<double>> L(n, std::vector<double>(n, 0.0));
    for (std::size_t j = 0; j < n; ++j) {
        double d = A[j][j];
        for (std::size_t k = 0; k < j; ++k) d -= L[j][k] * L[j][k];
        L[j][j] = std::sqrt(d);
        for (std::size_t i = j + 1; i < n; ++i) {
            double s = A[i][j];
            for (std::size_t k = 0; k < j; ++k) s -= L[i][k] * L[j][k];
            L[i][j] = s / L[j][j];
        }
    }
    std::vector<double> y(n), x(n);
    for (std::size_t i = 0; i < n; ++i) {
        double s = b[i];
        for (std::size_t k = 0; k < i; ++k) s -= L[i][k] * y[k];
        y[i] = s / L[i][i];
    }
    for (std::size_t i = n; i-- > 0;) {
        double s = y[i];
        for (std::size_t k = i + 1; k < n; ++k) s -= L[k][i] * x[k];
        x[i] = s / L[i][i];
    }
    return x;
}

struct LeastSquares {
    std::size_t n = 60, d = 5;
    M X, y;
    LeastSquares() : X({60, 5}), y({60, 1}) {
        Rng rng(2024);
        fill_normal(X, rng);
        fill_normal(y, rng);
        for (std::size_t i = 0; i < n; ++i) y(i, 0) += 2 * X(i, 0) - X(i, 3);
    }
    // Minimiser of mean((Xw - y)^2) + (wd / 2) ||w||^2:  (2 X^T X / n + wd I) w = 2 X^T y / n.
    std::vector<double> solution(double wd = 0.0) const {
        std::vector<std::vector<double>> A(d, std::vector<double>(d, 0.0));
        std::vector<double> b(d, 0.0);
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t j = 0; j < d; ++j) {
                b[j] += 2 * X(i, j) * y(i, 0) / n;
                for (std::size_t k = 0; k < d; ++k) A[j][k] += 2 * X(i, j) * X(i, k) / n;
            }
        for (std::size_t j = 0; j < d; ++j) A[j][j] += wd;
        return cholesky_solve(A, b);
    }
    // Runs `steps` full-batch steps of opt on w; lr decays geometrically to lr_end.
    template <class T>
    void train(Optimizer<T>& opt, Param<T>& w, int steps, double lr0, double lr_end) const {
        Mat<T> Xt(X.shape()), yt(y.shape());
        for (std::size_t i = 0; i < X.size(); ++i) Xt.data()[i] = T(X.data()[i]);
        for (std::size_t i = 0; i < y.size(); ++i) yt.data()[i] = T(y.data()[i]);
        Tape<T> tape;
        for (int s = 0; s < steps; ++s) {
            opt.set_lr(T(lr0 * std::pow(lr_end / lr0, double(s) / steps)));
            tape.reset();
            opt.zero_grad();
            auto loss = mean(square(sub(matmul(tape.constant(Xt), tape.param(w)), tape.constant(yt))));
            tape.backward(loss);
            opt.step();
        }
    }
};

template <class T>
double dist(const Param<T>& w, const std::vector<double>& x) {
    double s = 0;
    for (std::size_t i = 0; i < x.size(); ++i) s += (double(w.value.data()[i]) - x[i]) * (double(w.value.data()[i]) - x[i]);
    return std::sqrt(s);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(optim)

BOOST_AUTO_TEST_CASE(sgd_momentum_reaches_normal_equations) {
    LeastSquares ls;
    const auto ols = ls.solution();
    Param<double> w("w", ls.d, 1);
    SGD<double> opt({&w}, 0.05, 0.9);
    ls.train(opt, w, 600, 0.05, 0.05);
    BOOST_TEST(dist(w, ols) < 1e-8);
    // Plain SGD without momentum is slower but gets there too.
    Param<double> w2("w", ls.d, 1);
    SGD<double> plain({&w2}, 0.1, 0.0);
    ls.train(plain, w2, 1500, 0.1, 0.1);
    BOOST_TEST(dist(w2, ols) < 1e-6);
}

BOOST_AUTO_TEST_CASE(adam_and_adamw_reach_normal_equations) {
    LeastSquares ls;
    const auto ols = ls.solution();
    for (bool decoupled : {false, true}) {
        Param<double> w("w", ls.d, 1);
        Adam<double> opt({&w}, 0.05, 0.9, 0.999, 1e-8, 0.0, decoupled);
        ls.train(opt, w, 3000, 0.05, 1e-4);
        BOOST_TEST(dist(w, ols) < 1e-4, "decoupled=" << decoupled << " distance " << dist(w, ols));
    }
    // float32 too.
    Param<float> wf("w", ls.d, 1);
    Adam<float> optf({&wf}, 0.05f);
    ls.train(optf, wf, 3000, 0.05, 1e-4);
    BOOST_TEST(dist(wf, ols) < 1e-3);
}

BOOST_AUTO_TEST_CASE(l2_weight_decay_reaches_ridge) {
    LeastSquares ls;
    const double wd = 0.5;
    const auto ridge = ls.solution(wd), ols = ls.solution();
    BOOST_TEST(dist(Param<double>("w", ls.d, 1), ridge) > 0);  // sanity: a real problem
    Param<double> ws("w", ls.d, 1);
    SGD<double> sgd({&ws}, 0.05, 0.9, wd);
    ls.train(sgd, ws, 800, 0.05, 0.05);
    BOOST_TEST(dist(ws, ridge) < 1e-8);
    Param<double> wa("w", ls.d, 1);
    Adam<double> adam({&wa}, 0.05, 0.9, 0.999, 1e-8, wd, false);
    ls.train(adam, wa, 3000, 0.05, 1e-4);
    BOOST_TEST(dist(wa, ridge) < 1e-4);
    double gap = 0;
    for (std::size_t i = 0; i < ls.d; ++i) gap += (ridge[i] - ols[i]) * (ridge[i] - ols[i]);
    BOOST_TEST(std::sqrt(gap) > 0.05);  // ridge and OLS are far apart here
}

BOOST_AUTO_TEST_CASE(adamw_decay_is_decoupled) {
    // With a zero loss gradient, AdamW shrinks every weight by exactly (1 - lr wd), whatever its
    // size; Adam with L2 feeds wd w through the normalisation and moves each weight by ~lr.
    const double lr = 0.01, wd = 0.1;
    Param<double> w1("w", 1, 3), w2("w", 1, 3);
    const double init[3] = {5.0, -0.2, 0.003};
    for (int i = 0; i < 3; ++i) w1.value(0, i) = w2.value(0, i) = init[i];
    Adam<double> adamw({&w1}, lr, 0.9, 0.999, 1e-8, wd, true);
    Adam<double> adam({&w2}, lr, 0.9, 0.999, 1e-8, wd, false);
    w1.zero_grad();
    w2.zero_grad();
    adamw.step();
    adam.step();
    for (int i = 0; i < 3; ++i) {
        BOOST_TEST(w1.value(0, i) == init[i] * (1 - lr * wd), boost::test_tools::tolerance(1e-14));
        const double s = init[i] > 0 ? 1.0 : -1.0;
        BOOST_TEST(std::abs(w2.value(0, i) - (init[i] - lr * s)) < 1e-6);
    }
    // On least squares, Adam + L2 settles at the ridge solution; AdamW's fixed point
    // g_i / (|g_i| + eps) = -wd w_i has a vanishing gradient: it heads for OLS, not ridge
    // (slowly at the end: Adam's second moment remembers the early, larger gradients).
    LeastSquares ls;
    const double big_wd = 0.5;
    const auto ridge = ls.solution(big_wd), ols = ls.solution();
    Param<double> wa("w", ls.d, 1), ww("w", ls.d, 1);
    Adam<double> a({&wa}, 0.05, 0.9, 0.999, 1e-8, big_wd, false);
    Adam<double> aw({&ww}, 0.05, 0.9, 0.999, 1e-8, 0.01, true);
    ls.train(a, wa, 3000, 0.05, 1e-4);
    ls.train(aw, ww, 3000, 0.05, 1e-4);
    BOOST_TEST(dist(wa, ridge) < 1e-4);
    BOOST_TEST(dist(ww, ols) < 0.01);
    BOOST_TEST(dist(ww, ridge) > 0.05);
}

BOOST_AUTO_TEST_CASE(clip_grad_norm_rescales_jointly) {
    Param<double> a("a", 1, 2), b("b", 2, 1);
    SGD<double> opt({&a, &b}, 0.1);
    a.grad(0, 0) = 3;
    a.grad(0, 1) = 0;
    b.grad(0, 0) = 0;
    b.grad(1, 0) = 4;  // joint norm 5
    BOOST_TEST(opt.grad_norm() == 5.0);
    BOOST_TEST(opt.clip_grad_norm(10.0) == 5.0);  // below the bound: unchanged
    BOOST_TEST(a.grad(0, 0) == 3.0);
    BOOST_TEST(opt.clip_grad_norm(1.0) == 5.0);
    BOOST_TEST(a.grad(0, 0) == 0.6, boost::test_tools::tolerance(1e-15));
    BOOST_TEST(b.grad(1, 0) == 0.8, boost::test_tools::tolerance(1e-15));
    BOOST_TEST(opt.grad_norm() == 1.0, boost::test_tools::tolerance(1e-15));
    opt.zero_grad();
    BOOST_TEST(opt.grad_norm() == 0.0);
}

BOOST_AUTO_TEST_CASE(make_optimizer_by_name) {
    Param<double> w("w", 2, 2);
    BOOST_TEST(make_optimizer<double>("sgd", {&w}, 0.1, 0.0)->lr() == 0.1);
    BOOST_TEST(make_optimizer<double>("adam", {&w}, 0.2, 0.0)->lr() == 0.2);
    BOOST_TEST(make_optimizer<double>("adamw", {&w}, 0.3, 0.01)->lr() == 0.3);
    BOOST_CHECK_THROW(make_optimizer<double>("rmsprop", {&w}, 0.1, 0.0), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(lbfgs_reaches_the_minimum_within_its_budgets) {
    // least squares: the normal-equations solution, double and float
    LeastSquares ls;
    const auto ols = ls.solution();
    const M& X = ls.X;
    const M& y = ls.y;
    {
        Param<double> w("w", ls.d, 1);
        const LbfgsReport r = lbfgs<double>({&w}, [&](Tape<double>& t) {
            return mean(square(sub(matmul(t.constant(X), t.param(w)), t.constant(y))));
        });
        BOOST_TEST(dist(w, ols) < 1e-8, "distance " << dist(w, ols) << " after " << r.evals << " evaluations, " << r.stopped);
        BOOST_TEST(r.value < r.initial);
        BOOST_TEST(r.evals < 200);
        BOOST_TEST((r.stopped == "converged" || r.stopped == "gradient" || r.stopped == "line search"), r.stopped);
    }
    {
        Mat<float> Xf(X.shape()), yf(y.shape());
        for (std::size_t i = 0; i < X.size(); ++i) Xf.data()[i] = float(X.data()[i]);
        for (std::size_t i = 0; i < y.size(); ++i) yf.data()[i] = float(y.data()[i]);
        Param<float> w("w", ls.d, 1);
        lbfgs<float>({&w}, [&](Tape<float>& t) { return mean(square(sub(matmul(t.constant(Xf), t.param(w)), t.constant(yf)))); });
        BOOST_TEST(dist(w, ols) < 1e-3, "float distance " << dist(w, ols));
    }
    // Rosenbrock's valley (1 - a)^2 + 100 (b - a^2)^2 from (-1.2, 1): the minimum (1, 1)
    auto rosenbrock = [](Param<double>& p) {
        return [&p](Tape<double>& t) {
            Var<double> v = t.param(p);  // 1 x 2
            static const M e0 = [] { M m({2, 1}, 0.0); m(0, 0) = 1; return m; }();
            static const M e1 = [] { M m({2, 1}, 0.0); m(1, 0) = 1; return m; }();
            Var<double> a = matmul(v, t.constant(e0)), b = matmul(v, t.constant(e1));
            Var<double> one_minus_a = add_scalar(scale(a, -1.0), 1.0);
            return add(square(one_minus_a), scale(square(sub(b, square(a))), 100.0));
        };
    };
    Param<double> p("p", 1, 2);
    p.value(0, 0) = -1.2;
    p.value(0, 1) = 1.0;
    const LbfgsReport r = lbfgs<double>({&p}, rosenbrock(p));
    BOOST_TEST(std::abs(p.value(0, 0) - 1) < 1e-6, p.value(0, 0) << " after " << r.evals << " evaluations, " << r.stopped);
    BOOST_TEST(std::abs(p.value(0, 1) - 1) < 1e-6, p.value(0, 1));
    // the budgets: evaluations, accepted steps, and the stop callback (called after each step)
    p.value(0, 0) = -1.2;
    p.value(0, 1) = 1.0;
    LbfgsOptions few;
    few.max_evals = 7;
    const LbfgsReport e = lbfgs<double>({&p}, rosenbrock(p), few);
    BOOST_TEST(e.evals <= 7);
    BOOST_TEST(e.stopped == "evals");
    BOOST_TEST(e.value < e.initial);  // the params hold the best point found
    p.value(0, 0) = -1.2;
    p.value(0, 1) = 1.0;
    LbfgsOptions iters;
    iters.max_iters = 4;
    const LbfgsReport it = lbfgs<double>({&p}, rosenbrock(p), iters);
    BOOST_TEST(it.iters == 4);
    BOOST_TEST(it.stopped == "iters");
    p.value(0, 0) = -1.2;
    p.value(0, 1) = 1.0;
    int calls = 0;
    const LbfgsReport st = lbfgs<double>({&p}, rosenbrock(p), {}, [&] { return ++calls == 3; });
    BOOST_TEST(st.iters == 3);
    BOOST_TEST(st.stopped == "stop");
    // the value reported is the loss at the params left
    Tape<double> t;
    BOOST_TEST(std::abs(rosenbrock(p)(t).item() - st.value) < 1e-15);
    LbfgsOptions bad;
    bad.memory = 0;
    BOOST_CHECK_THROW(lbfgs<double>({&p}, rosenbrock(p), bad), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
