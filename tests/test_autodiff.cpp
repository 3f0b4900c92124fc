// The engine, op by op: every op through the gradient-check harness (central differences in
// float64), every broadcasting pattern on both sides, every matmul transpose combination,
// awkward inputs (huge logits, near-zero norms, saturated activations), gradients against
// hand-derived formulas, float32 against float64, and the tape's storage reuse.
// Budget: a few seconds (all inputs are small).
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "autodiff/blas.hpp"
#include "autodiff/gradcheck.hpp"
#include "autodiff/kernels.hpp"
#include "autodiff/ops.hpp"
#include "autodiff/random.hpp"

using namespace ad;
using M = Mat<double>;
using Vars = std::vector<Var<double>>;

namespace {

M rnd(std::size_t r, std::size_t c, std::uint64_t seed, double sd = 1.0, double mean = 0.0) {
    M m({r, c});
    Rng rng(seed);
    fill_normal(m, rng, mean, sd);
    return m;
}
// Entries bounded away from zero (kinks of abs / relu, poles of div, log).
M away_from_zero(std::size_t r, std::size_t c, std::uint64_t seed, double gap = 0.2) {
    M m = rnd(r, c, seed);
    for (auto& v : m) v = v >= 0 ? v + gap : v - gap;
    return m;
}
M positive(std::size_t r, std::size_t c, std::uint64_t seed) {
    M m = rnd(r, c, seed);
    for (auto& v : m) v = std::abs(v) + 0.3;
    return m;
}

void check(const std::string& what, const GradcheckFn& f, const std::vector<M>& in,
           GradcheckOptions opt = {}) {
    const GradcheckReport rep = gradcheck(f, in, opt);
    BOOST_TEST(rep.ok, what << ": " << rep.detail << " (max rel err " << rep.max_rel_err << ")");
}

template <class T>
double rel(T a, T b) {
    return std::abs(double(a) - double(b)) / std::max(1e-300, std::max(std::abs(double(a)), std::abs(double(b))));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(autodiff)

BOOST_AUTO_TEST_CASE(gradcheck_harness_catches_a_wrong_gradient) {
    // An op whose backward is off by a factor 2 must fail the harness: the check can fail.
    struct Bad {
        static void backward(Tape<double>& t, Node<double>& n) {
            Node<double>& a = t.node(n.in[0]);
            double* g = t.grad_acc(a);
            for (std::size_t i = 0; i < a.value->size(); ++i) g[i] += 2.0 * n.grad->data()[i];
        }
    };
    auto f = [](Tape<double>& t, const Vars& v) {
        Var<double> out;
        Node<double>& n = t.push(v[0].rows(), v[0].cols(), {v[0]}, &Bad::backward, out);
        n.own_value = v[0].value();
        return out;
    };
    BOOST_TEST(!gradcheck(f, {rnd(3, 2, 1)}).ok);
}

BOOST_AUTO_TEST_CASE(matmul_all_transpose_combinations) {
    for (int ta = 0; ta < 2; ++ta)
        for (int tb = 0; tb < 2; ++tb) {
            const M a = ta ? rnd(4, 3, 10) : rnd(3, 4, 10);  // op(A) is 3 x 4
            const M b = tb ? rnd(5, 4, 11) : rnd(4, 5, 11);  // op(B) is 4 x 5
            check("matmul ta=" + std::to_string(ta) + " tb=" + std::to_string(tb),
                  [=](Tape<double>&, const Vars& v) { return matmul(v[0], v[1], ta != 0, tb != 0); },
                  {a, b});
        }
    // The same node on both sides (a Gram matrix) gets both contributions.
    check("matmul z z^T", [](Tape<double>&, const Vars& v) { return matmul(v[0], v[0], false, true); },
          {rnd(4, 3, 12)});
    check("matmul z^T z", [](Tape<double>&, const Vars& v) { return matmul(v[0], v[0], true, false); },
          {rnd(4, 3, 13)});
    // Forward value against a direct triple loop.
    Tape<double> t;
    const M a = rnd(3, 4, 14), b = rnd(5, 4, 15);
    auto c = matmul(t.constant(a), t.constant(b), false, true);
    for (std::size_t i = 0; i < 3; ++i)
        for (std::size_t j = 0; j < 5; ++j) {
            double s = 0;
            for (std::size_t k = 0; k < 4; ++k) s += a(i, k) * b(j, k);
            BOOST_TEST(c.value()(i, j) == s, boost::test_tools::tolerance(1e-12));
        }
    BOOST_CHECK_THROW(matmul(t.constant(a), t.constant(b)), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(affine_layer) {
    // x W^T + b against the composition it replaces, and through the harness.
    const M x = rnd(5, 4, 20), w = rnd(3, 4, 21), b = rnd(1, 3, 22);
    check("affine", [](Tape<double>&, const Vars& v) { return affine(v[0], v[1], v[2]); }, {x, w, b});
    check("affine, x used twice", [](Tape<double>&, const Vars& v) { return affine(v[0], v[0], v[1]); },
          {rnd(3, 3, 23), rnd(1, 3, 24)});
    check("affine_relu", [](Tape<double>&, const Vars& v) { return affine_relu(v[0], v[1], v[2]); }, {x, w, b});
    Tape<double> t;
    auto r1 = affine_relu(t.constant(x), t.constant(w), t.constant(b));
    auto r2 = relu(affine(t.constant(x), t.constant(w), t.constant(b)));
    int active = 0;
    for (std::size_t i = 0; i < r1.value().size(); ++i) {
        BOOST_TEST(r1.value().data()[i] == r2.value().data()[i]);
        active += r1.value().data()[i] > 0;
    }
    BOOST_TEST(active > 0);  // the mask is exercised both ways
    BOOST_TEST(active < int(r1.value().size()));
    auto y1 = affine(t.constant(x), t.constant(w), t.constant(b));
    auto y2 = add(matmul(t.constant(x), t.constant(w), false, true), t.constant(b));
    for (std::size_t i = 0; i < y1.value().size(); ++i)
        BOOST_TEST(y1.value().data()[i] == y2.value().data()[i], boost::test_tools::tolerance(1e-13));
    BOOST_CHECK_THROW(affine(t.constant(x), t.constant(w), t.constant(rnd(3, 1, 1))), std::invalid_argument);
    BOOST_CHECK_THROW(affine(t.constant(x), t.constant(rnd(3, 5, 1)), t.constant(b)), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(binary_ops_every_broadcast_pattern_both_sides) {
    using Fn = Var<double> (*)(Var<double>, Var<double>);
    const std::vector<std::pair<std::string, Fn>> ops = {
        {"add", &add<double>}, {"sub", &sub<double>}, {"mul", &mul<double>}, {"div", &div<double>}};
    const std::vector<std::array<std::size_t, 2>> shapes = {{3, 4}, {1, 4}, {3, 1}, {1, 1}};
    std::uint64_t seed = 100;
    for (const auto& [name, op] : ops)
        for (const auto& s : shapes) {
            // full (op) broadcast and broadcast (op) full; denominators kept away from zero.
            const M full = name == "div" ? away_from_zero(3, 4, ++seed, 0.5) : rnd(3, 4, ++seed);
            const M small = name == "div" ? away_from_zero(s[0], s[1], ++seed, 0.5) : rnd(s[0], s[1], ++seed);
            const std::string tag = name + " " + std::to_string(s[0]) + "x" + std::to_string(s[1]);
            const Fn f = op;  // (C++17 lambdas cannot capture a structured binding)
            check(tag + " on the right", [f](Tape<double>&, const Vars& v) { return f(v[0], v[1]); },
                  {rnd(3, 4, ++seed), small});
            check(tag + " on the left", [f](Tape<double>&, const Vars& v) { return f(v[0], v[1]); },
                  {small, full});
        }
    // Row (1 x 4) against column (3 x 1): both broadcast at once.
    check("add row+col", [](Tape<double>&, const Vars& v) { return add(v[0], v[1]); },
          {rnd(1, 4, 200), rnd(3, 1, 201)});
    check("mul col*row", [](Tape<double>&, const Vars& v) { return mul(v[0], v[1]); },
          {rnd(3, 1, 202), rnd(1, 4, 203)});
    // The same node on both sides.
    check("x * x", [](Tape<double>&, const Vars& v) { return mul(v[0], v[0]); }, {rnd(3, 4, 204)});
    check("x / x^2 + x", [](Tape<double>&, const Vars& v) { return add(div(v[0], mul(v[0], v[0])), v[0]); },
          {away_from_zero(2, 3, 205, 0.5)});
    // Values of the broadcast forward.
    Tape<double> t;
    const M a = rnd(3, 4, 206), r = rnd(1, 4, 207), c = rnd(3, 1, 208);
    auto y = sub(div(t.constant(a), t.constant(c)), t.constant(r));
    for (std::size_t i = 0; i < 3; ++i)
        for (std::size_t j = 0; j < 4; ++j)
            BOOST_TEST(y.value()(i, j) == a(i, j) / c(i, 0) - r(0, j), boost::test_tools::tolerance(1e-14));
    BOOST_CHECK_THROW(add(t.constant(rnd(3, 4, 1)), t.constant(rnd(2, 4, 1))), std::invalid_argument);
    BOOST_CHECK_THROW(add(t.constant(rnd(3, 4, 1)), t.constant(rnd(3, 2, 1))), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(unary_ops) {
    using Fn = std::function<Var<double>(Var<double>)>;
    // Sizes of 19 entries cover the vectorised body and the scalar tail of the kernels.
    const std::vector<std::tuple<std::string, Fn, M>> cases = {
        {"scale", [](Var<double> x) { return scale(x, -2.5); }, rnd(4, 5, 1)},
        {"add_scalar", [](Var<double> x) { return add_scalar(x, 3.0); }, rnd(4, 5, 2)},
        {"neg", [](Var<double> x) { return neg(x); }, rnd(4, 5, 3)},
        {"exp", [](Var<double> x) { return exp(x); }, rnd(1, 19, 4)},
        {"log", [](Var<double> x) { return log(x); }, positive(1, 19, 5)},
        {"square", [](Var<double> x) { return square(x); }, rnd(4, 5, 6)},
        {"sqrt", [](Var<double> x) { return sqrt(x); }, positive(4, 5, 7)},
        {"abs", [](Var<double> x) { return abs(x); }, away_from_zero(4, 5, 8)},
        {"relu", [](Var<double> x) { return relu(x); }, away_from_zero(4, 5, 9)},
        {"leaky_relu", [](Var<double> x) { return leaky_relu(x, 0.1); }, away_from_zero(4, 5, 10)},
        {"tanh", [](Var<double> x) { return tanh(x); }, rnd(1, 19, 11)},
        {"sigmoid", [](Var<double> x) { return sigmoid(x); }, rnd(1, 19, 12, 3.0)},
        {"softplus", [](Var<double> x) { return softplus(x); }, rnd(1, 19, 13, 3.0)},
    };
    for (const auto& [name, fn, x] : cases) {
        check(name, [fn = fn](Tape<double>&, const Vars& v) { return fn(v[0]); }, {x});
        // Forward values against the scalar definition.
        Tape<double> t;
        const M& y = fn(t.constant(x)).value();
        for (std::size_t i = 0; i < x.size(); ++i) {
            const double xi = x.data()[i];
            double want = 0;
            if (name == "scale") want = -2.5 * xi;
            else if (name == "add_scalar") want = xi + 3;
            else if (name == "neg") want = -xi;
            else if (name == "exp") want = std::exp(xi);
            else if (name == "log") want = std::log(xi);
            else if (name == "square") want = xi * xi;
            else if (name == "sqrt") want = std::sqrt(xi);
            else if (name == "abs") want = std::abs(xi);
            else if (name == "relu") want = std::max(xi, 0.0);
            else if (name == "leaky_relu") want = xi > 0 ? xi : 0.1 * xi;
            else if (name == "tanh") want = std::tanh(xi);
            else if (name == "sigmoid") want = 1 / (1 + std::exp(-xi));
            else if (name == "softplus") want = std::log1p(std::exp(xi));
            BOOST_TEST(rel(y.data()[i], want) < 1e-13, name << " at " << xi);
        }
    }
}

BOOST_AUTO_TEST_CASE(saturated_sigmoid_and_softplus) {
    // +-50 (and +-1000 for softplus): finite, accurate in relative terms in the tails.
    M x({1, 10});
    const double xs[10] = {-50, 50, -1000, 1000, -20, 20, -50, 50, -35, 35};
    for (int i = 0; i < 10; ++i) x(0, i) = xs[i];
    Tape<double> t;
    Param<double> p("x", 1, 10);
    p.value = x;
    auto vx = t.param(p);
    auto s = sigmoid(vx);
    auto sp = softplus(vx);
    for (std::size_t i = 0; i < 10; ++i) {
        const double v = xs[i];
        const double sig = v >= 0 ? 1 / (1 + std::exp(-v)) : std::exp(v) / (1 + std::exp(v));
        const double spl = std::max(v, 0.0) + std::log1p(std::exp(-std::abs(v)));
        BOOST_TEST(rel(s.value()(0, i), sig) < 1e-13, "sigmoid at " << v);
        BOOST_TEST(rel(sp.value()(0, i), spl) < 1e-13, "softplus at " << v);
    }
    t.backward(sum(sp));  // d softplus = sigmoid
    for (std::size_t i = 0; i < 10; ++i) {
        const double v = xs[i];
        const double sig = v >= 0 ? 1 / (1 + std::exp(-v)) : std::exp(v) / (1 + std::exp(v));
        BOOST_TEST(rel(p.grad(0, i), sig) < 1e-13, "softplus' at " << v);
    }
    check("sigmoid at +-50", [](Tape<double>&, const Vars& v) { return sigmoid(v[0]); }, {x});
    check("softplus at +-50", [](Tape<double>&, const Vars& v) { return softplus(v[0]); }, {x});
    // float32: finite and right.
    Tape<float> tf;
    Mat<float> xf({1, 10});
    for (int i = 0; i < 10; ++i) xf(0, i) = float(xs[i]);
    const auto& sf = sigmoid(tf.constant(xf)).value();
    const auto& spf = softplus(tf.constant(xf)).value();
    for (std::size_t i = 0; i < 10; ++i) {
        BOOST_TEST(std::isfinite(sf(0, i)));
        BOOST_TEST(std::isfinite(spf(0, i)));
        BOOST_TEST(std::abs(spf(0, i) - float(std::max(xs[i], 0.0) + std::log1p(std::exp(-std::abs(xs[i]))))) <= 1e-5f * std::max(1.0f, std::abs(spf(0, i))));
    }
    BOOST_TEST(sf(0, 0) > 0.0f);  // sigmoid(-50) = 2e-22 is representable in float
    BOOST_TEST(sf(0, 1) == 1.0f);
}

BOOST_AUTO_TEST_CASE(reductions_and_transpose) {
    const M x = rnd(3, 5, 30);
    check("sum", [](Tape<double>&, const Vars& v) { return sum(v[0]); }, {x});
    check("mean", [](Tape<double>&, const Vars& v) { return mean(v[0]); }, {x});
    check("row_sum", [](Tape<double>&, const Vars& v) { return row_sum(v[0]); }, {x});
    check("row_mean", [](Tape<double>&, const Vars& v) { return row_mean(v[0]); }, {x});
    check("col_sum", [](Tape<double>&, const Vars& v) { return col_sum(v[0]); }, {x});
    check("col_mean", [](Tape<double>&, const Vars& v) { return col_mean(v[0]); }, {x});
    check("transpose", [](Tape<double>&, const Vars& v) { return transpose(v[0]); }, {x});
    Tape<double> t;
    auto c = t.constant(x);
    double total = 0;
    for (double v : x) total += v;
    BOOST_TEST(sum(c).item() == total, boost::test_tools::tolerance(1e-13));
    BOOST_TEST(mean(c).item() == total / 15, boost::test_tools::tolerance(1e-13));
    const M& rs = row_mean(c).value();
    const M& cs = col_sum(c).value();
    const M& tr = transpose(c).value();
    BOOST_TEST(rs.shape()[0] == 3u);
    BOOST_TEST(rs.shape()[1] == 1u);
    BOOST_TEST(cs.shape()[0] == 1u);
    BOOST_TEST(cs.shape()[1] == 5u);
    for (std::size_t i = 0; i < 3; ++i)
        for (std::size_t j = 0; j < 5; ++j) BOOST_TEST(tr(j, i) == x(i, j));
    BOOST_TEST(rs(1, 0) == (x(1, 0) + x(1, 1) + x(1, 2) + x(1, 3) + x(1, 4)) / 5, boost::test_tools::tolerance(1e-13));
    BOOST_TEST(cs(0, 2) == x(0, 2) + x(1, 2) + x(2, 2), boost::test_tools::tolerance(1e-13));
}

BOOST_AUTO_TEST_CASE(l2_normalize_rows_including_tiny_norms) {
    check("l2n", [](Tape<double>&, const Vars& v) { return l2_normalize_rows(v[0]); }, {rnd(4, 3, 40)});
    // Rows of norm ~1e-8 (well above eps): unit outputs and gradients ~1e8 that the harness can
    // resolve with a step scaled to the row.
    const M tiny = rnd(3, 4, 41, 1e-8);
    GradcheckOptions o;
    o.h = 1e-14;
    o.atol = 1e-3;
    check("l2n tiny rows", [](Tape<double>&, const Vars& v) { return l2_normalize_rows(v[0]); }, {tiny}, o);
    Tape<double> t;
    const M& y = l2_normalize_rows(t.constant(tiny)).value();
    for (std::size_t i = 0; i < 3; ++i) {
        double s = 0;
        for (std::size_t j = 0; j < 4; ++j) s += y(i, j) * y(i, j);
        BOOST_TEST(std::sqrt(s) == 1.0, boost::test_tools::tolerance(1e-12));
    }
    // A row below eps is divided by eps (the linear branch), a zero row stays zero with a
    // finite gradient dy / eps. Mixed with a normal row.
    M mixed = rnd(3, 4, 42);
    for (std::size_t j = 0; j < 4; ++j) {
        mixed(1, j) = 0.01 * (j + 1);  // norm 0.055 < eps = 0.1
        mixed(2, j) = 0.0;
    }
    check("l2n below eps", [](Tape<double>&, const Vars& v) { return l2_normalize_rows(v[0], 0.1); }, {mixed});
    Tape<double> t2;
    Param<double> p("x", 3, 4);
    p.value = mixed;
    auto out = l2_normalize_rows(t2.param(p), 0.1);
    BOOST_TEST(out.value()(1, 2) == 0.3, boost::test_tools::tolerance(1e-12));
    BOOST_TEST(out.value()(2, 0) == 0.0);
    t2.backward(sum(out));
    for (std::size_t j = 0; j < 4; ++j) {
        BOOST_TEST(std::isfinite(p.grad(2, j)));
        BOOST_TEST(p.grad(2, j) == 10.0, boost::test_tools::tolerance(1e-12));
    }
}

BOOST_AUTO_TEST_CASE(softmax_family_gradcheck) {
    const M x = rnd(4, 6, 50, 2.0);
    check("logsumexp_rows", [](Tape<double>&, const Vars& v) { return logsumexp_rows(v[0]); }, {x});
    check("log_softmax_rows", [](Tape<double>&, const Vars& v) { return log_softmax_rows(v[0]); }, {x});
    static const std::vector<int> labels = {0, 5, 2, 2};
    check("cross_entropy", [](Tape<double>&, const Vars& v) { return cross_entropy(v[0], labels); }, {x});
    static const std::vector<int> sq_labels = {0, 1, 2, 3, 4};
    static const std::vector<int> perm = {3, 0, 4, 1, 2};
    check("symmetric_cross_entropy", [](Tape<double>&, const Vars& v) { return symmetric_cross_entropy(v[0], sq_labels); },
          {rnd(5, 5, 51, 2.0)});
    check("symmetric_cross_entropy, permuted labels",
          [](Tape<double>&, const Vars& v) { return symmetric_cross_entropy(v[0], perm); }, {rnd(5, 5, 52, 2.0)});
    // One row 900 above the others: the other rows' column weights exp(m_i - M) underflow, exactly.
    M wide = rnd(5, 5, 53, 1.0);
    for (std::size_t j = 0; j < 5; ++j) wide(2, j) += 900.0;
    check("symmetric_cross_entropy, a row 900 above",
          [](Tape<double>&, const Vars& v) { return symmetric_cross_entropy(v[0], perm); }, {wide});
    // One column 900 below the others: its sum underflows with the global shift, the
    // per-column fallback takes over.
    M low = rnd(5, 5, 54, 1.0);
    for (std::size_t i = 0; i < 5; ++i) low(i, 3) -= 900.0;
    check("symmetric_cross_entropy, a column 900 below",
          [](Tape<double>&, const Vars& v) { return symmetric_cross_entropy(v[0], perm); }, {low});
    Tape<double> t;
    BOOST_CHECK_THROW(cross_entropy(t.constant(x), std::vector<int>{0, 1, 6, 0}), std::invalid_argument);
    BOOST_CHECK_THROW(symmetric_cross_entropy(t.constant(x), labels), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(symmetric_cross_entropy_equals_the_composition) {
    // (CE(L) + CE(L^T)) / 2 built from the basic ops, value and gradient, on both paths.
    static const std::vector<int> perm = {2, 0, 1, 5, 3, 4};
    for (double spread : {3.0, 2000.0, -1.0}) {
        M L = rnd(6, 6, 60, std::abs(spread));
        if (spread < 0)  // a column far below everything: the fallback path
            for (std::size_t i = 0; i < 6; ++i) L(i, 4) -= 1500.0;
        Param<double> p1("L", 6, 6), p2("L", 6, 6);
        p1.value = L;
        p2.value = L;
        Tape<double> t;
        auto fused = symmetric_cross_entropy(t.param(p1), perm);
        auto v2 = t.param(p2);
        auto comp = scale(add(cross_entropy(v2, perm), cross_entropy(transpose(v2), perm)), 0.5);
        BOOST_TEST(rel(fused.item(), comp.item()) < 1e-12, "spread " << spread);
        t.backward(add(fused, comp));
        for (std::size_t i = 0; i < L.size(); ++i)
            BOOST_TEST(std::abs(p1.grad.data()[i] - p2.grad.data()[i]) < 1e-12, "spread " << spread);
    }
}

BOOST_AUTO_TEST_CASE(fused_symmetric_cross_entropy_of_a_product) {
    // symmetric_cross_entropy_ab(a, b) = symmetric_cross_entropy(a b^T): gradcheck, and equality
    // with the unfused pair, on the fast path and on the fallback, with the same node twice, and
    // with a batch large enough to take several blocks.
    static const std::vector<int> perm = {3, 0, 4, 1, 2};
    check("sce_ab", [](Tape<double>&, const Vars& v) { return symmetric_cross_entropy_ab(v[0], v[1], perm); },
          {rnd(5, 3, 61, 2.0), rnd(5, 3, 62, 2.0)});
    check("sce_ab same node", [](Tape<double>&, const Vars& v) { return symmetric_cross_entropy_ab(v[0], v[0], perm); },
          {rnd(5, 3, 63, 2.0)});
    // Column 2 of the logits 800 below every row maximum (a's first column >= 1, b row 2 =
    // (-800, 0, 0)): its sum underflows with the global shift, the fallback takes over.
    M pos = rnd(5, 3, 65, 1.0);
    for (std::size_t i = 0; i < 5; ++i) pos(i, 0) = 1.0 + std::abs(pos(i, 0));
    M far = rnd(5, 3, 64, 1.0);
    far(2, 0) = -800.0;
    far(2, 1) = far(2, 2) = 0.0;
    check("sce_ab fallback", [](Tape<double>&, const Vars& v) { return symmetric_cross_entropy_ab(v[0], v[1], perm); },
          {pos, far});
    for (std::size_t n : {5u, 70u}) {
        std::vector<int> lab(n);
        for (std::size_t i = 0; i < n; ++i) lab[i] = int((i * 7 + 3) % n);
        for (int variant = 0; variant < 3; ++variant) {
            M A = rnd(n, 4, 66 + n, 2.0), B = rnd(n, 4, 67 + n, 2.0);
            if (variant == 2) {  // the fallback, as above
                for (std::size_t i = 0; i < n; ++i) A(i, 0) = 1.0 + std::abs(A(i, 0));
                B(1, 0) = -800.0;
                B(1, 1) = B(1, 2) = B(1, 3) = 0.0;
            }
            Param<double> a1("a", n, 4), b1("b", n, 4), a2("a", n, 4), b2("b", n, 4);
            a1.value = a2.value = A;
            b1.value = b2.value = B;
            Tape<double> t;
            Var<double> fused, plain;
            if (variant == 1) {  // same node
                fused = symmetric_cross_entropy_ab(t.param(a1), t.param(a1), lab);
                auto v = t.param(a2);
                plain = symmetric_cross_entropy(matmul(v, v, false, true), lab);
            } else {
                fused = symmetric_cross_entropy_ab(t.param(a1), t.param(b1), lab);
                plain = symmetric_cross_entropy(matmul(t.param(a2), t.param(b2), false, true), lab);
            }
            BOOST_TEST(rel(fused.item(), plain.item()) < 1e-12, "n " << n << " variant " << variant);
            t.backward(add(fused, plain));
            for (std::size_t i = 0; i < A.size(); ++i) {
                BOOST_TEST(std::abs(a1.grad.data()[i] - a2.grad.data()[i]) < 1e-11);
                BOOST_TEST(std::abs(b1.grad.data()[i] - b2.grad.data()[i]) < 1e-11);
            }
        }
    }
    // Several blocks: 600 rows of float64 make blocks of 54 rows.
    const std::size_t n = 600;
    std::vector<int> lab(n);
    for (std::size_t i = 0; i < n; ++i) lab[i] = int(i);
    Param<double> a1("a", n, 3), b1("b", n, 3), a2("a", n, 3), b2("b", n, 3);
    a1.value = a2.value = rnd(n, 3, 68, 2.0);
    b1.value = b2.value = rnd(n, 3, 69, 2.0);
    Tape<double> t;
    auto fused = symmetric_cross_entropy_ab(t.param(a1), t.param(b1), lab);
    auto plain = symmetric_cross_entropy(matmul(t.param(a2), t.param(b2), false, true), lab);
    BOOST_TEST(rel(fused.item(), plain.item()) < 1e-12);
    t.backward(add(fused, plain));
    double gmax = 0, dmax = 0;
    for (std::size_t i = 0; i < n * 3; ++i) {
        gmax = std::max(gmax, std::abs(a2.grad.data()[i]));
        dmax = std::max({dmax, std::abs(a1.grad.data()[i] - a2.grad.data()[i]), std::abs(b1.grad.data()[i] - b2.grad.data()[i])});
    }
    BOOST_TEST(dmax < 1e-12 * std::max(1.0, gmax));
    BOOST_CHECK_THROW(symmetric_cross_entropy_ab(t.param(a1), t.constant(rnd(n, 2, 1)), lab), std::invalid_argument);
    // The fallback really runs on the construction above: its cache (the whole logit matrix)
    // is wider than the fast path's block, a buffer reallocation on a tape warmed on the fast path.
    M A = rnd(n, 3, 70), B = rnd(n, 3, 71);
    for (std::size_t i = 0; i < n; ++i) A(i, 0) = 1.0 + std::abs(A(i, 0));
    Param<double> pa("a", n, 3), pb("b", n, 3);
    pa.value = A;
    pb.value = B;
    Tape<double> w;
    for (int k = 0; k < 2; ++k) {
        w.reset();
        symmetric_cross_entropy_ab(w.param(pa), w.param(pb), lab);
    }
    const std::size_t before = w.buffer_allocations();
    w.reset();
    symmetric_cross_entropy_ab(w.param(pa), w.param(pb), lab);
    BOOST_TEST(w.buffer_allocations() == before);  // fast path: nothing new
    pb.value(7, 0) = -800.0;
    pb.value(7, 1) = pb.value(7, 2) = 0.0;
    w.reset();
    auto fb = symmetric_cross_entropy_ab(w.param(pa), w.param(pb), lab);
    BOOST_TEST(w.buffer_allocations() == before + 1);
    auto ref = symmetric_cross_entropy(matmul(w.param(pa), w.param(pb), false, true), lab);
    BOOST_TEST(rel(fb.item(), ref.item()) < 1e-12);
}

// Far outside exp's range (a diverging run's logits): the vectorised kernels agree with libm, keep
// NaN, and (under .ci/sanitizers.sh) do no undefined float-to-integer conversion inside xsimd.
template <class T>
void extreme_inputs_match_libm() {
    const T inf = std::numeric_limits<T>::infinity(), nan = std::numeric_limits<T>::quiet_NaN();
    const std::vector<T> base{T(-1e19), T(1e19), -inf, inf, nan, T(-1e4), T(1e4), T(-30), T(30), T(0.5), T(-745.5), T(709)};
    std::vector<T> x;
    for (int rep = 0; rep < 3; ++rep) x.insert(x.end(), base.begin(), base.end());  // vector body and tail
    const std::size_t n = x.size();
    std::vector<T> y(n);
    auto same = [](T got, T want) { return (std::isnan(got) && std::isnan(want)) || got == want || std::abs(got - want) <= T(1e-6) * std::abs(want); };
    ad::kernels::exp(x.data(), n, y.data());
    for (std::size_t i = 0; i < n; ++i) BOOST_TEST(same(y[i], std::exp(x[i])), "exp(" << x[i] << ") = " << y[i]);
    ad::kernels::tanh(x.data(), n, y.data());
    for (std::size_t i = 0; i < n; ++i) BOOST_TEST(same(y[i], std::tanh(x[i])), "tanh(" << x[i] << ") = " << y[i]);
    ad::kernels::sigmoid(x.data(), n, y.data());
    for (std::size_t i = 0; i < n; ++i)
        BOOST_TEST(same(y[i], T(1) / (T(1) + std::exp(-x[i]))) , "sigmoid(" << x[i] << ") = " << y[i]);
    ad::kernels::softplus(x.data(), n, y.data());
    for (std::size_t i = 0; i < n; ++i)
        BOOST_TEST(same(y[i], std::max(x[i], T(0)) + std::log1p(std::exp(-std::abs(x[i])))), "softplus(" << x[i] << ") = " << y[i]);
    const T s = ad::kernels::exp_shift_sum(x.data(), n, T(0), y.data());
    BOOST_TEST(std::isnan(s));  // NaN inputs make a NaN sum, as they must for divergence checks
}

BOOST_AUTO_TEST_CASE(kernels_outside_exp_range) {
    extreme_inputs_match_libm<double>();
    extreme_inputs_match_libm<float>();
}

BOOST_AUTO_TEST_CASE(huge_logits_are_stable) {
    // Logits ~ +1e3 and -1e3: a shift by c changes logsumexp by c and leaves log-softmax,
    // cross-entropy and every gradient unchanged. Checked against the small-logit values.
    const M x = rnd(3, 7, 70);
    static const std::vector<int> labels = {1, 6, 0};
    for (double c : {1000.0, -1000.0}) {
        M xs = x;
        xs += c;
        for (auto [lsefn, name] : {std::pair<int, const char*>{0, "logsumexp"}, {1, "log_softmax"}, {2, "cross_entropy"}}) {
            Param<double> p0("x", 3, 7), p1("x", 3, 7);
            p0.value = x;
            p1.value = xs;
            Tape<double> t;
            const int which = lsefn;  // (C++17 lambdas cannot capture a structured binding)
            auto f = [&](Var<double> v) {
                if (which == 0) return logsumexp_rows(v);
                if (which == 1) return log_softmax_rows(v);
                return cross_entropy(v, labels);
            };
            auto y0 = f(t.param(p0));
            auto y1 = f(t.param(p1));
            for (std::size_t i = 0; i < y0.value().size(); ++i) {
                const double want = y0.value().data()[i] + (lsefn == 0 ? c : 0.0);
                BOOST_TEST(std::isfinite(y1.value().data()[i]));
                BOOST_TEST(std::abs(y1.value().data()[i] - want) < 1e-10 * std::max(1.0, std::abs(want)), name << " shift " << c);
            }
            const M r = rnd(y0.rows(), y0.cols(), 71);
            t.backward(add(sum(mul(y0, t.constant(r))), sum(mul(y1, t.constant(r)))));
            for (std::size_t i = 0; i < x.size(); ++i) {
                BOOST_TEST(std::isfinite(p1.grad.data()[i]));
                BOOST_TEST(std::abs(p1.grad.data()[i] - p0.grad.data()[i]) < 1e-10, name << " grad shift " << c);
            }
        }
        GradcheckOptions o;
        o.atol = 1e-6;
        check("logsumexp at " + std::to_string(c), [](Tape<double>&, const Vars& v) { return logsumexp_rows(v[0]); }, {xs}, o);
        check("log_softmax at " + std::to_string(c), [](Tape<double>&, const Vars& v) { return log_softmax_rows(v[0]); }, {xs}, o);
        check("cross_entropy at " + std::to_string(c), [](Tape<double>&, const Vars& v) { return cross_entropy(v[0], labels); }, {xs}, o);
    }
    // A row spanning +-1e3: the largest entry takes all the mass, exactly.
    Tape<double> t;
    M y({1, 3});
    y(0, 0) = 1000;
    y(0, 1) = -1000;
    y(0, 2) = 0;
    BOOST_TEST(logsumexp_rows(t.constant(y)).item() == 1000.0);
    const M& ls = log_softmax_rows(t.constant(y)).value();
    BOOST_TEST(ls(0, 0) == 0.0);
    BOOST_TEST(ls(0, 1) == -2000.0);
    // float32 at +-1e3: finite and right.
    Tape<float> tf;
    Mat<float> xf({2, 3});
    xf(0, 0) = 1000; xf(0, 1) = 999; xf(0, 2) = -1000;
    xf(1, 0) = -1000; xf(1, 1) = -1001; xf(1, 2) = -1000;
    const auto& lf = logsumexp_rows(tf.constant(xf)).value();
    BOOST_TEST(std::abs(lf(0, 0) - float(1000 + std::log1p(std::exp(-1.0)))) < 1e-3f);
    BOOST_TEST(std::abs(lf(1, 0) - float(-1000 + std::log(2 + std::exp(-1.0)))) < 1e-3f);
    static const std::vector<int> lf_labels = {0, 1};
    BOOST_TEST(std::isfinite(cross_entropy(tf.constant(xf), lf_labels).item()));
}

BOOST_AUTO_TEST_CASE(cross_entropy_ties_spread_logits_and_reuse) {
    // cross_entropy is the mean softmax cross-entropy of a class head against integer labels
    // (the task loss of the real-data experiment): exact ties, rows spanning 2000 with the label
    // on a low entry, one row, one class, the logits used by two losses, float32 against
    // float64 on wide rows, and no allocation once warm.
    static const std::vector<int> lab = {2, 0, 1, 3};
    M ties({4, 4}, 0.0);  // row 0 all equal
    ties(1, 0) = ties(1, 2) = 1.5;  // a two-way tie for the maximum, label on one of them
    ties(1, 1) = -0.5;
    ties(2, 1) = ties(2, 3) = 2.0;  // the label tied with another entry
    ties(3, 0) = ties(3, 1) = ties(3, 2) = 0.7;  // the label alone below a three-way tie
    check("cross_entropy ties", [](Tape<double>&, const Vars& v) { return cross_entropy(v[0], lab); }, {ties});
    {
        Tape<double> t;
        M row({1, 4}, 0.0);
        BOOST_TEST(cross_entropy(t.constant(row), std::vector<int>{1}).item() == std::log(4.0),
                   boost::test_tools::tolerance(1e-15));
    }
    // Rows spanning 2000 with the label far below the maximum: the loss is about the gap, finite,
    // and equal to the direct formula m + log sum exp(x - m) - x_label.
    M wide = rnd(4, 4, 200, 1.0);
    wide(0, 1) += 1000.0;  // label 2 sits 1000 below
    wide(1, 0) -= 1000.0;  // label 0 sits 1000 below the rest
    wide(2, 3) += 1000.0;
    wide(2, 2) -= 1000.0;  // a row spanning 2000, label 1 in the middle
    wide(3, 3) -= 1000.0;  // label 3 on the low entry
    GradcheckOptions o;
    o.atol = 1e-6;
    check("cross_entropy spread 2000", [](Tape<double>&, const Vars& v) { return cross_entropy(v[0], lab); }, {wide}, o);
    {
        Tape<double> t;
        double want = 0;
        for (std::size_t i = 0; i < 4; ++i) {
            double m = wide(i, 0);
            for (std::size_t j = 1; j < 4; ++j) m = std::max(m, wide(i, j));
            double z = 0;
            for (std::size_t j = 0; j < 4; ++j) z += std::exp(wide(i, j) - m);
            want += m + std::log(z) - wide(i, static_cast<std::size_t>(lab[i]));
        }
        const double got = cross_entropy(t.constant(wide), lab).item();
        BOOST_TEST(got > 900.0);
        BOOST_TEST(got == want / 4, boost::test_tools::tolerance(1e-13));
    }
    static const std::vector<int> four = {4};  // labels are referenced: they must outlive the step
    check("cross_entropy one row", [](Tape<double>&, const Vars& v) { return cross_entropy(v[0], four); },
          {rnd(1, 5, 201, 3.0)});
    {  // One class: the loss and its gradient are zero.
        static const std::vector<int> zeros = {0, 0, 0};
        Param<double> p("x", 3, 1);
        p.value = rnd(3, 1, 202, 5.0);
        Tape<double> t;
        auto loss = cross_entropy(t.param(p), zeros);
        BOOST_TEST(loss.item() == 0.0);
        t.backward(loss);
        for (double g : p.grad) BOOST_TEST(g == 0.0);
    }
    // The same logits feeding two losses (two heads' targets) and another op: contributions add.
    static const std::vector<int> lab2 = {1, 1, 3, 0};
    check("cross_entropy reused",
          [](Tape<double>&, const Vars& v) {
              return add(add(cross_entropy(v[0], lab), cross_entropy(v[0], lab2)), scale(sum(square(v[0])), 0.1));
          },
          {rnd(4, 4, 203, 2.0)});
    // float32 against float64 on the wide rows: the same value and gradient to float accuracy.
    {
        Param<double> pd("x", 4, 4);
        Param<float> pf("x", 4, 4);
        pd.value = wide;
        for (std::size_t i = 0; i < wide.size(); ++i) pf.value.data()[i] = static_cast<float>(wide.data()[i]);
        Tape<double> td;
        Tape<float> tf;
        auto ld = cross_entropy(td.param(pd), lab);
        auto lf = cross_entropy(tf.param(pf), lab);
        BOOST_TEST(rel(ld.item(), double(lf.item())) < 1e-6);
        td.backward(ld);
        tf.backward(lf);
        for (std::size_t i = 0; i < wide.size(); ++i) BOOST_TEST(std::abs(pd.grad.data()[i] - pf.grad.data()[i]) < 1e-6);
    }
    // A class head step (affine + cross_entropy + backward) allocates no node buffer once warm.
    {
        Param<float> w("w", 10, 8), b("b", 1, 10);
        Rng rng(204);
        fill_normal(w.value, rng, 0.0f, 0.3f);
        Mat<float> z({64, 8});
        fill_normal(z, rng, 0.0f, 1.0f);
        std::vector<int> y(64);
        for (std::size_t i = 0; i < y.size(); ++i) y[i] = static_cast<int>(i % 10);
        Tape<float> t;
        std::size_t warm = 0;
        for (int step = 0; step < 4; ++step) {
            t.reset();
            w.zero_grad();
            b.zero_grad();
            t.backward(cross_entropy(affine(t.constant(z), t.param(w), t.param(b)), y));
            if (step == 0) warm = t.buffer_allocations();
            BOOST_TEST(t.buffer_allocations() == warm);
        }
    }
}

BOOST_AUTO_TEST_CASE(hand_derived_least_squares_gradient) {
    // loss = mean((X w - y)^2)  =>  dloss/dw = 2 X^T (X w - y) / n
    const std::size_t n = 20, d = 4;
    const M X = rnd(n, d, 80), y = rnd(n, 1, 81);
    Param<double> w("w", d, 1);
    w.value = rnd(d, 1, 82);
    Tape<double> t;
    auto loss = mean(square(sub(matmul(t.constant(X), t.param(w)), t.constant(y))));
    t.backward(loss);
    for (std::size_t k = 0; k < d; ++k) {
        double g = 0;
        for (std::size_t i = 0; i < n; ++i) {
            double r = -y(i, 0);
            for (std::size_t j = 0; j < d; ++j) r += X(i, j) * w.value(j, 0);
            g += 2 * X(i, k) * r / n;
        }
        BOOST_TEST(w.grad(k, 0) == g, boost::test_tools::tolerance(1e-12));
    }
}

BOOST_AUTO_TEST_CASE(hand_derived_softmax_cross_entropy_gradient) {
    // d CE / d logits = (softmax - onehot) / R
    const M x = rnd(5, 4, 90, 2.0);
    static const std::vector<int> labels = {3, 0, 1, 1, 2};
    Param<double> p("x", 5, 4);
    p.value = x;
    Tape<double> t;
    auto loss = cross_entropy(t.param(p), labels);
    t.backward(loss);
    double want_loss = 0;
    for (std::size_t i = 0; i < 5; ++i) {
        double z = 0;
        for (std::size_t j = 0; j < 4; ++j) z += std::exp(x(i, j));
        want_loss += std::log(z) - x(i, labels[i]);
        for (std::size_t j = 0; j < 4; ++j) {
            const double g = (std::exp(x(i, j)) / z - (int(j) == labels[i] ? 1.0 : 0.0)) / 5;
            BOOST_TEST(p.grad(i, j) == g, boost::test_tools::tolerance(1e-12));
        }
    }
    BOOST_TEST(loss.item() == want_loss / 5, boost::test_tools::tolerance(1e-12));
}

namespace {
// Direct definition of the convolution (HWC images, filters ordered row, column, channel).
M naive_conv(const M& x, ImageShape in, const M& w, const M& b, std::size_t k, std::size_t s, std::size_t p,
             bool relu) {
    const ImageShape o = conv2d_shape(in, w.shape()[0], k, s, p);
    M y({x.shape()[0], o.size()});
    for (std::size_t n = 0; n < x.shape()[0]; ++n)
        for (std::size_t oy = 0; oy < o.height; ++oy)
            for (std::size_t ox = 0; ox < o.width; ++ox)
                for (std::size_t f = 0; f < o.channels; ++f) {
                    double acc = b(0, f);
                    for (std::size_t ky = 0; ky < k; ++ky)
                        for (std::size_t kx = 0; kx < k; ++kx)
                            for (std::size_t c = 0; c < in.channels; ++c) {
                                const long iy = long(oy * s + ky) - long(p), ix = long(ox * s + kx) - long(p);
                                if (iy < 0 || ix < 0 || iy >= long(in.height) || ix >= long(in.width)) continue;
                                acc += w(f, (ky * k + kx) * in.channels + c) *
                                       x(n, (std::size_t(iy) * in.width + std::size_t(ix)) * in.channels + c);
                            }
                    y(n, (oy * o.width + ox) * o.channels + f) = relu ? std::max(acc, 0.0) : acc;
                }
    return y;
}
}  // namespace

BOOST_AUTO_TEST_CASE(conv2d_stride_padding_gradcheck_and_values) {
    struct Case { ImageShape in; std::size_t out, k, s, p; };
    const std::vector<Case> cases = {
        {{5, 6, 1}, 2, 3, 1, 0}, {{5, 6, 2}, 3, 3, 1, 1}, {{6, 7, 2}, 2, 3, 2, 1},
        {{7, 5, 3}, 2, 2, 2, 0}, {{4, 4, 1}, 1, 4, 1, 2}, {{6, 6, 2}, 2, 5, 3, 2}};
    for (const auto& cs : cases) {
        const Case c = cs;
        const std::string what = "conv2d " + std::to_string(c.in.height) + "x" + std::to_string(c.in.width) + "x" +
                                 std::to_string(c.in.channels) + " k" + std::to_string(c.k) + " s" +
                                 std::to_string(c.s) + " p" + std::to_string(c.p);
        const M x = rnd(3, c.in.size(), 300 + c.k), w = rnd(c.out, c.k * c.k * c.in.channels, 301), b = rnd(1, c.out, 302);
        for (bool relu : {false, true}) {
            check(what + (relu ? " relu" : ""),
                  [c, relu](Tape<double>&, const Vars& v) { return conv2d(v[0], c.in, v[1], v[2], c.k, c.s, c.p, relu); },
                  {x, w, b});
            Tape<double> t;
            const M& y = conv2d(t.constant(x), c.in, t.constant(w), t.constant(b), c.k, c.s, c.p, relu).value();
            const M want = naive_conv(x, c.in, w, b, c.k, c.s, c.p, relu);
            BOOST_TEST_REQUIRE(y.shape()[1] == want.shape()[1]);
            for (std::size_t i = 0; i < y.size(); ++i)
                BOOST_TEST(std::abs(y.data()[i] - want.data()[i]) < 1e-12, what << " entry " << i);
        }
    }
    Tape<double> t;
    const M x = rnd(2, 20, 1);
    BOOST_CHECK_THROW(conv2d(t.constant(x), ImageShape{4, 4, 1}, t.constant(rnd(2, 9, 2)), t.constant(rnd(1, 2, 3)), 3),
                      std::invalid_argument);  // rows are not 4 x 4 x 1 images
    BOOST_CHECK_THROW(conv2d(t.constant(x), ImageShape{4, 5, 1}, t.constant(rnd(2, 8, 2)), t.constant(rnd(1, 2, 3)), 3),
                      std::invalid_argument);  // filters of the wrong width
    BOOST_CHECK_THROW(conv2d(t.constant(x), ImageShape{4, 5, 1}, t.constant(rnd(2, 36, 2)), t.constant(rnd(1, 2, 3)), 6),
                      std::invalid_argument);  // the kernel does not fit
    BOOST_CHECK_THROW(conv2d_shape(ImageShape{4, 5, 1}, 2, 3, 0, 0), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(conv2d_blocks_of_images_equal_one_image_at_a_time) {
    // Large images are convolved in several im2col blocks (one image each here: 16 x 16 x 16 with
    // a 5 x 5 kernel is 800 KiB of im2col in float64); the batch's output and gradients equal
    // those of the images taken one by one, and a warm tape allocates nothing.
    const ImageShape in{16, 16, 16};
    const std::size_t B = 3, k = 5, s = 1, p = 2, F = 4;
    const M x = rnd(B, in.size(), 310), w = rnd(F, k * k * in.channels, 311, 0.1), b = rnd(1, F, 312), r = rnd(B, 16 * 16 * F, 313);
    Param<double> px("x", B, in.size()), pw("w", F, k * k * in.channels), pb("b", 1, F);
    px.value = x, pw.value = w, pb.value = b;
    Tape<double> t;
    std::size_t warm = 0;
    for (int step = 0; step < 2; ++step) {
        t.reset();
        for (auto* q : {&px, &pw, &pb}) q->zero_grad();
        auto y = conv2d(t.param(px), in, t.param(pw), t.param(pb), k, s, p, true);
        t.backward(sum(mul(y, t.constant(r))));
        if (step == 0) warm = t.buffer_allocations();
        BOOST_TEST(t.buffer_allocations() == warm);
    }
    M gw({F, k * k * in.channels}), gb({1, F});
    gw.fill(0), gb.fill(0);
    for (std::size_t i = 0; i < B; ++i) {
        Param<double> qx("x", 1, in.size()), qw("w", F, k * k * in.channels), qb("b", 1, F);
        for (std::size_t j = 0; j < in.size(); ++j) qx.value(0, j) = x(i, j);
        qw.value = w, qb.value = b;
        M ri({1, r.shape()[1]});
        for (std::size_t j = 0; j < r.shape()[1]; ++j) ri(0, j) = r(i, j);
        Tape<double> ti;
        auto yi = conv2d(ti.param(qx), in, ti.param(qw), ti.param(qb), k, s, p, true);
        ti.backward(sum(mul(yi, ti.constant(ri))));
        for (std::size_t j = 0; j < in.size(); ++j)
            BOOST_TEST(std::abs(px.grad(i, j) - qx.grad(0, j)) < 1e-12);
        gw += qw.grad;
        gb += qb.grad;
    }
    for (std::size_t j = 0; j < gw.size(); ++j) BOOST_TEST(std::abs(pw.grad.data()[j] - gw.data()[j]) < 1e-10);
    for (std::size_t j = 0; j < gb.size(); ++j) BOOST_TEST(std::abs(pb.grad.data()[j] - gb.data()[j]) < 1e-10);
}

BOOST_AUTO_TEST_CASE(pooling_and_flatten_gradcheck_and_values) {
    struct Case { ImageShape in; std::size_t k, s; };
    for (const Case c : {Case{{4, 6, 2}, 2, 2}, Case{{5, 5, 3}, 3, 1}, Case{{5, 7, 1}, 2, 3}, Case{{4, 4, 2}, 4, 4}}) {
        const std::string what = std::to_string(c.in.height) + "x" + std::to_string(c.in.width) + "x" +
                                 std::to_string(c.in.channels) + " k" + std::to_string(c.k) + " s" + std::to_string(c.s);
        const M x = rnd(3, c.in.size(), 320 + c.k);  // distinct values: no ties in a max window
        check("max_pool2d " + what, [c](Tape<double>&, const Vars& v) { return max_pool2d(v[0], c.in, c.k, c.s); }, {x});
        check("avg_pool2d " + what, [c](Tape<double>&, const Vars& v) { return avg_pool2d(v[0], c.in, c.k, c.s); }, {x});
        Tape<double> t;
        const M& ymax = max_pool2d(t.constant(x), c.in, c.k, c.s).value();
        const M& yavg = avg_pool2d(t.constant(x), c.in, c.k, c.s).value();
        const ImageShape o = pool2d_shape(c.in, c.k, c.s);
        for (std::size_t n = 0; n < 3; ++n)
            for (std::size_t oy = 0; oy < o.height; ++oy)
                for (std::size_t ox = 0; ox < o.width; ++ox)
                    for (std::size_t ch = 0; ch < c.in.channels; ++ch) {
                        double mx = -1e300, sm = 0;
                        for (std::size_t ky = 0; ky < c.k; ++ky)
                            for (std::size_t kx = 0; kx < c.k; ++kx) {
                                const double v = x(n, ((oy * c.s + ky) * c.in.width + ox * c.s + kx) * c.in.channels + ch);
                                mx = std::max(mx, v);
                                sm += v;
                            }
                        const std::size_t j = (oy * o.width + ox) * c.in.channels + ch;
                        BOOST_TEST(ymax(n, j) == mx);
                        BOOST_TEST(std::abs(yavg(n, j) - sm / double(c.k * c.k)) < 1e-14);
                    }
        check("flatten " + what, [c](Tape<double>&, const Vars& v) { return flatten(v[0], c.in); }, {x});
        const M& fl = flatten(t.constant(x), c.in).value();
        for (std::size_t n = 0; n < 3; ++n)
            for (std::size_t q = 0; q < c.in.height * c.in.width; ++q)
                for (std::size_t ch = 0; ch < c.in.channels; ++ch)
                    BOOST_TEST(fl(n, ch * c.in.height * c.in.width + q) == x(n, q * c.in.channels + ch));
    }
    // Max pooling's gradient goes to one winner per window: with ties, the first.
    Tape<double> t;
    Param<double> p("x", 1, 4);
    p.value.fill(1.0);
    t.backward(sum(max_pool2d(t.param(p), ImageShape{2, 2, 1}, 2, 2)));
    BOOST_TEST(p.grad(0, 0) == 1.0);
    BOOST_TEST(p.grad(0, 1) + p.grad(0, 2) + p.grad(0, 3) == 0.0);
    BOOST_CHECK_THROW(max_pool2d(t.constant(rnd(1, 4, 1)), ImageShape{2, 2, 1}, 3, 1), std::invalid_argument);
    BOOST_CHECK_THROW(avg_pool2d(t.constant(rnd(1, 5, 1)), ImageShape{2, 2, 1}, 2, 2), std::invalid_argument);
    BOOST_CHECK_THROW(flatten(t.constant(rnd(1, 5, 1)), ImageShape{2, 2, 1}), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(image_ops_float32_match_float64) {
    // A small CNN (conv + ReLU, max pool, conv, average pool, flatten, dense) in both precisions:
    // loss and every gradient agree to float32 accuracy.
    const ImageShape in{8, 10, 2};
    const M x = rnd(4, in.size(), 330), w1 = rnd(4, 9 * 2, 331, 0.4), b1 = rnd(1, 4, 332, 0.1),
            w2 = rnd(3, 9 * 4, 333, 0.3), b2 = rnd(1, 3, 334, 0.1), wd = rnd(2, 2 * 3 * 3, 335, 0.5),
            bd = rnd(1, 2, 336);
    auto run = [&](auto tag) {
        using T = decltype(tag);
        auto cast = [](const M& m) {
            Mat<T> o(m.shape());
            for (std::size_t i = 0; i < m.size(); ++i) o.data()[i] = T(m.data()[i]);
            return o;
        };
        std::vector<Param<T>> ps;
        for (const M* m : {&x, &w1, &b1, &w2, &b2, &wd, &bd}) {
            ps.emplace_back("p", m->shape()[0], m->shape()[1]);
            ps.back().value = cast(*m);
        }
        Tape<T> t;
        std::vector<Var<T>> v;
        for (auto& p : ps) v.push_back(t.param(p));
        const ImageShape c1 = conv2d_shape(in, 4, 3, 1, 1);       // 8 x 10 x 4
        auto h = conv2d(v[0], in, v[1], v[2], 3, 1, 1, true);
        const ImageShape p1 = pool2d_shape(c1, 2, 2);             // 4 x 5 x 4
        h = max_pool2d(h, c1, 2, 2);
        const ImageShape c2 = conv2d_shape(p1, 3, 3, 1, 0);       // 2 x 3 x 3
        h = conv2d(h, p1, v[3], v[4], 3, 1, 0, false);
        const ImageShape p2 = pool2d_shape(c2, 1, 1);
        h = avg_pool2d(h, c2, 1, 1);
        (void)p2;
        h = affine(flatten(h, c2), v[5], v[6]);
        auto loss = mean(square(h));
        t.backward(loss);
        std::vector<double> out{double(loss.item())};
        for (auto& p : ps)
            for (T g : p.grad) out.push_back(double(g));
        return out;
    };
    const auto d = run(double{});
    const auto f = run(float{});
    BOOST_TEST(rel(d[0], f[0]) < 1e-5);
    double gmax = 0;
    for (std::size_t i = 1; i < d.size(); ++i) gmax = std::max(gmax, std::abs(d[i]));
    for (std::size_t i = 1; i < d.size(); ++i) BOOST_TEST(std::abs(d[i] - f[i]) < 1e-4 * gmax);
}
BOOST_AUTO_TEST_CASE(float32_matches_float64) {
    // A composite touching every kernel, in both precisions: values and gradients agree to
    // float32 accuracy.
    const M a = rnd(6, 5, 100), b = rnd(6, 5, 101), w = rnd(3, 5, 102, 0.5), r = rnd(1, 3, 103);
    static const std::vector<int> labels = {0, 1, 2, 3, 4, 5};
    auto run = [&](auto tag) {
        using T = decltype(tag);
        auto cast = [](const M& m) {
            Mat<T> o(m.shape());
            for (std::size_t i = 0; i < m.size(); ++i) o.data()[i] = T(m.data()[i]);
            return o;
        };
        Param<T> pa("a", 6, 5), pb("b", 6, 5), pw("w", 3, 5), pr("r", 1, 3);
        pa.value = cast(a);
        pb.value = cast(b);
        pw.value = cast(w);
        pr.value = cast(r);
        Tape<T> t;
        auto va = t.param(pa), vb = t.param(pb), vw = t.param(pw), vr = t.param(pr);
        auto h1 = add(matmul(tanh(va), vw, false, true), vr);
        auto h2 = mul(matmul(softplus(vb), vw, false, true), sigmoid(vr));
        auto zn1 = l2_normalize_rows(relu(h1)), zn2 = l2_normalize_rows(exp(scale(h2, T(0.3))));
        auto lg = matmul(scale(zn1, T(10)), zn2, false, true);
        auto loss = add(symmetric_cross_entropy(lg, labels),
                        add(mean(logsumexp_rows(lg)), mean(log(add_scalar(square(h1), T(1))))));
        t.backward(loss);
        std::vector<double> out{double(loss.item())};
        for (auto* p : {&pa, &pb, &pw, &pr})
            for (T g : p->grad) out.push_back(double(g));
        return out;
    };
    const auto d = run(double{});
    const auto f = run(float{});
    BOOST_TEST(rel(d[0], f[0]) < 1e-5);
    double gmax = 0;
    for (std::size_t i = 1; i < d.size(); ++i) gmax = std::max(gmax, std::abs(d[i]));
    for (std::size_t i = 1; i < d.size(); ++i) BOOST_TEST(std::abs(d[i] - f[i]) < 1e-4 * gmax);
}

BOOST_AUTO_TEST_CASE(tape_accumulates_and_reuses_storage) {
    // y = x * x + 3 x: the node x is used twice, dy/dx = 2x + 3 accumulates both paths.
    Param<double> x("x", 2, 3);
    x.value = rnd(2, 3, 110);
    Tape<double> t;
    std::size_t allocs_after_first = 0;
    for (int step = 0; step < 4; ++step) {
        t.reset();
        x.zero_grad();
        auto v = t.param(x);
        auto h = add(mul(v, v), scale(v, 3.0));
        auto y = sum(h);
        t.backward(y);
        for (std::size_t i = 0; i < 6; ++i) BOOST_TEST(x.grad.data()[i] == 2 * x.value.data()[i] + 3, boost::test_tools::tolerance(1e-14));
        // The intermediate h has d y / d h = 1 everywhere.
        for (std::size_t i = 0; i < 6; ++i) BOOST_TEST(h.grad()->data()[i] == 1.0);
        if (step == 0) allocs_after_first = t.buffer_allocations();
        BOOST_TEST(t.buffer_allocations() == allocs_after_first);
        BOOST_TEST(t.size() == 5u);  // param, mul, scale, add, sum
    }
    // Gradients accumulate across backward calls until zeroed.
    t.reset();
    x.zero_grad();
    t.backward(sum(t.param(x)));
    t.reset();
    t.backward(sum(t.param(x)));
    for (double g : x.grad) BOOST_TEST(g == 2.0);
    // A new shape counts as a (re)allocation.
    const std::size_t before = t.buffer_allocations();
    t.reset();
    Param<double> z("z", 4, 4);
    t.backward(sum(square(t.param(z))));
    BOOST_TEST(t.buffer_allocations() > before);
}

BOOST_AUTO_TEST_CASE(gradients_of_unreached_and_later_nodes_are_zero) {
    // Storage is reused, and gradients are written lazily: a node the loss does not depend on,
    // or one created after it, must read as zero, never as last step's value.
    Param<double> x("x", 2, 2);
    x.value = rnd(2, 2, 120);
    Tape<double> t;
    for (int step = 0; step < 2; ++step) {
        t.reset();
        x.zero_grad();
        auto v = t.param(x);
        auto side = exp(v);             // not used by the loss in step 1
        auto used = step == 0 ? sum(side) : sum(square(v));
        auto later = scale(v, 2.0);     // created after the loss
        t.backward(used);
        if (step == 1) {
            for (double g : *side.grad()) BOOST_TEST(g == 0.0);
            for (double g : *later.grad()) BOOST_TEST(g == 0.0);
            for (std::size_t i = 0; i < 4; ++i) BOOST_TEST(x.grad.data()[i] == 2 * x.value.data()[i], boost::test_tools::tolerance(1e-14));
        }
    }
}

BOOST_AUTO_TEST_CASE(backward_from_a_seed_splits_a_computation_over_two_tapes) {
    // loss = sum(tanh(x W^T + b) * P) on one tape, against the same split in two: tape A makes
    // h = tanh(x W^T + b); tape B takes a copy of h as a leaf and makes the loss; A's
    // backward_from(h, dloss/dh) must give the one-tape gradients of W, b and x (the same
    // arithmetic: equal to rounding). The trainer runs its two encoders this way.
    const M x = rnd(6, 5, 81), P = rnd(6, 4, 82);
    Param<double> W("W", 4, 5), b("b", 1, 4), X("x", 6, 5);
    W.value = rnd(4, 5, 83);
    b.value = rnd(1, 4, 84);
    X.value = x;
    Tape<double> one;
    one.backward(sum(mul(tanh(affine(one.param(X), one.param(W), one.param(b))), one.constant(P))));
    const M gW = W.grad, gb = b.grad, gx = X.grad;
    for (auto* p : {&W, &b, &X}) p->zero_grad();
    Tape<double> ta, tb;
    const Var<double> h = tanh(affine(ta.param(X), ta.param(W), ta.param(b)));
    Param<double> H("h", 6, 4);
    H.value = h.value();
    tb.backward(sum(mul(tb.param(H), tb.constant(P))));
    ta.backward_from(h, H.grad);
    for (std::size_t i = 0; i < gW.size(); ++i) BOOST_TEST(std::abs(W.grad.data()[i] - gW.data()[i]) <= 1e-14);
    for (std::size_t i = 0; i < gb.size(); ++i) BOOST_TEST(std::abs(b.grad.data()[i] - gb.data()[i]) <= 1e-14);
    for (std::size_t i = 0; i < gx.size(); ++i) BOOST_TEST(std::abs(X.grad.data()[i] - gx.data()[i]) <= 1e-14);
    BOOST_CHECK_THROW(ta.backward_from(h, M({2, 2})), std::invalid_argument);
    BOOST_CHECK_THROW(tb.backward_from(h, H.grad), std::logic_error);  // a node of another tape
}

BOOST_AUTO_TEST_CASE(errors_are_reported) {
    Tape<double> t, u;
    M x = rnd(2, 2, 1);
    BOOST_CHECK_THROW(t.backward(t.constant(x)), std::logic_error);
    BOOST_CHECK_THROW(add(t.constant(x), u.constant(x)), std::logic_error);
    BOOST_CHECK_THROW(t.constant(x).item(), std::logic_error);
}

BOOST_AUTO_TEST_CASE(gemm_beta_zero_ignores_garbage) {
    // The backward writes first gradients with beta = 0 into unzeroed storage: BLAS must not
    // read C then (NaN * 0 would poison it).
    const M a = rnd(3, 4, 130), b = rnd(4, 2, 131);
    M c({3, 2});
    c.fill(std::numeric_limits<double>::quiet_NaN());
    blas::gemm(a, false, b, false, c, 1.0, 0.0);
    for (double v : c) BOOST_TEST(std::isfinite(v));
    BOOST_TEST(c(1, 1) == a(1, 0) * b(0, 1) + a(1, 1) * b(1, 1) + a(1, 2) * b(2, 1) + a(1, 3) * b(3, 1),
               boost::test_tools::tolerance(1e-13));
}

BOOST_AUTO_TEST_CASE(blas_preferred_coretype_decision_table) {
    blas::CpuFeatures avx512;
    avx512.avx512f = avx512.avx512bw = avx512.avx512vl = avx512.avx512dq = true;
    avx512.avx2 = avx512.fma = true;
    blas::CpuFeatures avx2;
    avx2.avx2 = avx2.fma = true;
    const blas::CpuFeatures none;
    // Fallback kernel, AVX-512 CPU -> SkylakeX; AVX2 only -> Haswell.
    BOOST_TEST(blas::preferred_coretype("Prescott", nullptr, avx512).value_or("") == "SkylakeX");
    BOOST_TEST(blas::preferred_coretype("Prescott", "", avx512).value_or("") == "SkylakeX");
    BOOST_TEST(blas::preferred_coretype("Prescott", nullptr, avx2).value_or("") == "Haswell");
    BOOST_TEST(blas::preferred_coretype("Core2", nullptr, avx2).value_or("") == "Haswell");
    // The environment already chose: nothing.
    BOOST_TEST(!blas::preferred_coretype("Prescott", "Haswell", avx512).has_value());
    // A recognised core stays.
    BOOST_TEST(!blas::preferred_coretype("Cooperlake", nullptr, avx512).has_value());
    BOOST_TEST(!blas::preferred_coretype("Haswell", nullptr, avx512).has_value());
    BOOST_TEST(!blas::preferred_coretype("Zen", nullptr, avx2).has_value());
    // Nothing better than the fallback: nothing.
    BOOST_TEST(!blas::preferred_coretype("Prescott", nullptr, none).has_value());
    BOOST_TEST(blas::is_fallback_core("Prescott"));
    BOOST_TEST(!blas::is_fallback_core("SkylakeX"));
    BOOST_TEST(!blas::core_name().empty());
}

BOOST_AUTO_TEST_SUITE_END()
