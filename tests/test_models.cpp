// Encoders and losses: every loss and both encoders through the gradient-check harness, loss
// values against direct formulas, float32 against float64, seeded initialisation, and the
// trainer's step (models/trainer.hpp, every loss) allocating nothing after warm-up.
// Budget: a few seconds.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <new>
#include <thread>

#include "autodiff/gradcheck.hpp"
#include "autodiff/ops.hpp"
#include "autodiff/optim.hpp"
#include "autodiff/random.hpp"
#include "models/trainer.hpp"
#include "models/encoder.hpp"
#include "models/losses.hpp"
#include "models/registry.hpp"

// ---- A counting global allocator (only counts while armed) --------------------------------
namespace {
std::atomic<bool> g_count_allocs{false};
std::atomic<long> g_allocs{0};
}  // namespace
void* operator new(std::size_t n) {
    if (g_count_allocs.load(std::memory_order_relaxed)) g_allocs.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void* operator new(std::size_t n, std::align_val_t al) {
    if (g_count_allocs.load(std::memory_order_relaxed)) g_allocs.fetch_add(1, std::memory_order_relaxed);
    const std::size_t a = static_cast<std::size_t>(al);
    if (void* p = std::aligned_alloc(a, (n + a - 1) / a * a)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t n, std::align_val_t al) { return operator new(n, al); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

using namespace ad;
using M = Mat<double>;
using Vars = std::vector<Var<double>>;

namespace {

M rnd(std::size_t r, std::size_t c, std::uint64_t seed, double sd = 1.0) {
    M m({r, c});
    Rng rng(seed);
    fill_normal(m, rng, 0.0, sd);
    return m;
}
void check(const std::string& what, const GradcheckFn& f, const std::vector<M>& in,
           GradcheckOptions opt = {}) {
    const GradcheckReport rep = gradcheck(f, in, opt);
    BOOST_TEST(rep.ok, what << ": " << rep.detail << " (max rel err " << rep.max_rel_err << ")");
}
double rel(double a, double b) { return std::abs(a - b) / std::max(1e-300, std::max(std::abs(a), std::abs(b))); }

double dot_rows(const M& a, std::size_t i, const M& b, std::size_t j) {
    double s = 0;
    for (std::size_t k = 0; k < a.shape()[1]; ++k) s += a(i, k) * b(j, k);
    return s;
}

// Direct formulas, in plain loops.
double infonce_direct(const M& z1, const M& z2, double tau, bool cosine) {
    const std::size_t n = z1.shape()[0];
    M a = z1, b = z2;
    if (cosine)
        for (std::size_t i = 0; i < n; ++i) {
            const double na = std::sqrt(dot_rows(z1, i, z1, i)), nb = std::sqrt(dot_rows(z2, i, z2, i));
            for (std::size_t k = 0; k < z1.shape()[1]; ++k) {
                a(i, k) /= na;
                b(i, k) /= nb;
            }
        }
    double loss = 0;
    for (std::size_t i = 0; i < n; ++i) {
        double zr = 0, zc = 0;
        for (std::size_t j = 0; j < n; ++j) {
            zr += std::exp(dot_rows(a, i, b, j) / tau);
            zc += std::exp(dot_rows(a, j, b, i) / tau);
        }
        const double pos = dot_rows(a, i, b, i) / tau;
        loss += (std::log(zr) - pos) + (std::log(zc) - pos);
    }
    return loss / (2.0 * n);
}

}  // namespace

// Every alignment loss of the registry with a term, and spectral with batch centring too
// ("spectral/batch"): the tests below cover a new entry without being edited.
static std::vector<std::string> loss_variants() {
    std::vector<std::string> out;
    for (const auto& e : models::alignment_losses()) {
        if (!e.has_term()) continue;
        out.push_back(e.name);
        if (e.centring == models::Centring::by_option) out.push_back(std::string(e.name) + "/batch");
    }
    return out;
}
template <class T>
typename models::AlignmentLoss<T>::Settings settings_of(const std::string& variant) {
    typename models::AlignmentLoss<T>::Settings s;
    const auto slash = variant.find('/');
    s.name = variant.substr(0, slash);
    if (slash != std::string::npos) s.spectral_centering = variant.substr(slash + 1);
    return s;
}

BOOST_AUTO_TEST_SUITE(models_suite)

BOOST_AUTO_TEST_CASE(registry_centring_is_shift_invariance) {
    // An entry says it is centred exactly when its loss ignores a shift of either code (a
    // function of the batch covariances); the loss resolved from a name is that entry's.
    const std::size_t n = 12, p = 3;
    const M z1 = rnd(n, p, 40), z2 = rnd(n, p, 41);
    M s1 = z1, s2 = z2;
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < p; ++j) s1(i, j) += 0.7 + 0.3 * double(j), s2(i, j) -= 1.1;
    for (const std::string& name : loss_variants()) {
        models::AlignmentLoss<double> loss(settings_of<double>(name));
        BOOST_TEST(std::string(loss.entry().name) == name.substr(0, name.find('/')));
        Tape<double> t;
        const double base = loss(t.constant(z1), t.constant(z2)).item();
        const double shifted = loss(t.constant(s1), t.constant(s2)).item();
        BOOST_TEST(loss.centred() == loss.entry().centred(loss.settings().spectral_centering), name);
        BOOST_TEST((std::abs(shifted - base) < 1e-10 * (1 + std::abs(base))) == loss.centred(), name << ": " << base << " vs " << shifted);
    }
    // the names are unique and each has a colour
    const auto names = models::alignment_loss_names();
    for (std::size_t i = 0; i < names.size(); ++i) {
        BOOST_TEST(std::count(names.begin(), names.end(), names[i]) == 1);
        BOOST_TEST(std::string(models::alignment_loss(names[i]).style.colour).size() == 7u);
    }
}

BOOST_AUTO_TEST_CASE(every_loss_through_gradcheck) {
    static std::vector<int> ar = {0, 1, 2, 3, 4, 5};
    const M z1 = rnd(6, 3, 1), z2 = rnd(6, 3, 2);
    for (bool cosine : {true, false})
        for (double tau : {0.1, 0.7}) {
            check("infonce cosine=" + std::to_string(cosine) + " tau=" + std::to_string(tau),
                  [=](Tape<double>&, const Vars& v) { return models::infonce(v[0], v[1], tau, cosine, ar); },
                  {z1, z2});
        }
    check("regression", [](Tape<double>&, const Vars& v) { return models::regression_alignment(v[0], v[1]); }, {z1, z2});
    check("cca", [](Tape<double>&, const Vars& v) { return models::cca_alignment(v[0], v[1], 0.7); }, {z1, z2});
    check("spectral", [](Tape<double>&, const Vars& v) { return models::spectral_contrastive(v[0], v[1]); }, {z1, z2});
    check("spectral centred", [](Tape<double>&, const Vars& v) { return models::spectral_contrastive_centered(v[0], v[1]); },
          {z1, z2});
    check("mse", [](Tape<double>&, const Vars& v) { return models::mse(v[0], v[1]); }, {rnd(6, 1, 3), rnd(6, 1, 4)});
    for (const std::string& name : loss_variants()) {
        auto loss = std::make_shared<models::AlignmentLoss<double>>(settings_of<double>(name));
        check(std::string("AlignmentLoss ") + name, [loss](Tape<double>&, const Vars& v) { return (*loss)(v[0], v[1]); }, {z1, z2});
    }
}

BOOST_AUTO_TEST_CASE(centred_losses_through_gradcheck_on_awkward_inputs) {
    // The batch-centred losses (cca's whitening, spectral "batch") on inputs that stress the
    // centring: a constant column (centred to exactly zero), a large common offset, a batch of
    // two (centred rows are opposite), p = 1, and identical rows (everything centres to zero).
    M offset = rnd(6, 3, 5);
    for (std::size_t i = 0; i < 6; ++i) offset(i, 1) += 50.0;
    M constant_col = rnd(6, 3, 6);
    for (std::size_t i = 0; i < 6; ++i) constant_col(i, 2) = 1.5;
    M same_rows({6, 3});
    for (std::size_t i = 0; i < 6; ++i)
        for (std::size_t k = 0; k < 3; ++k) same_rows(i, k) = 0.3 * double(k) - 0.2;
    const M other = rnd(6, 3, 7);
    struct In {
        const char* what;
        M a, b;
    };
    const std::vector<In> inputs{
        {"constant column", constant_col, other}, {"offset 50", offset, rnd(6, 3, 8)},
        {"batch of two", rnd(2, 3, 9), rnd(2, 3, 10)}, {"p = 1", rnd(5, 1, 11), rnd(5, 1, 12)},
        {"identical rows", same_rows, other},     {"both constant", same_rows, same_rows},
    };
    GradcheckOptions tight;
    GradcheckOptions loose;  // the offset of 50 costs digits in the central differences
    loose.rtol = 1e-4;
    loose.atol = 1e-5;
    for (const auto& in : inputs) {
        const GradcheckOptions& o = std::string(in.what) == "offset 50" ? loose : tight;
        check(std::string("cca ") + in.what, [](Tape<double>&, const Vars& v) { return models::cca_alignment(v[0], v[1], 0.7); },
              {in.a, in.b}, o);
        check(std::string("spectral centred ") + in.what,
              [](Tape<double>&, const Vars& v) { return models::spectral_contrastive_centered(v[0], v[1]); }, {in.a, in.b}, o);
        check(std::string("spectral ") + in.what,
              [](Tape<double>&, const Vars& v) { return models::spectral_contrastive(v[0], v[1]); }, {in.a, in.b}, o);
    }
}

BOOST_AUTO_TEST_CASE(centred_losses_ignore_a_common_shift) {
    // cca and the centred spectral loss see only the batch covariances: a shift c added to both
    // codes leaves them unchanged; the uncentred spectral loss does not ignore it. A bias can
    // therefore no longer satisfy the whitening with a constant coordinate. cca (alignment term
    // centred too, issue 8) ignores a different shift of each code as well; regression does not.
    const M z1 = rnd(9, 3, 60), z2 = rnd(9, 3, 61);
    M s1 = z1, s2 = z2;
    for (std::size_t i = 0; i < 9; ++i)
        for (std::size_t k = 0; k < 3; ++k) {
            s1(i, k) += 0.7 * double(k + 1);
            s2(i, k) += 0.7 * double(k + 1);
        }
    Tape<double> t;
    auto a = t.constant(z1), b = t.constant(z2), sa = t.constant(s1), sb = t.constant(s2);
    BOOST_TEST(rel(models::cca_alignment(a, b, 0.9).item(), models::cca_alignment(sa, sb, 0.9).item()) < 1e-12);
    BOOST_TEST(rel(models::spectral_contrastive_centered(a, b).item(), models::spectral_contrastive_centered(sa, sb).item()) <
               1e-12);
    BOOST_TEST(rel(models::spectral_contrastive(a, b).item(), models::spectral_contrastive(sa, sb).item()) > 1e-3);
    {
        M o2 = z2;
        for (std::size_t i = 0; i < 9; ++i)
            for (std::size_t k = 0; k < 3; ++k) o2(i, k) -= 1.3 + 0.4 * double(k);
        auto ob = t.constant(o2);
        BOOST_TEST(rel(models::cca_alignment(a, b, 0.9).item(), models::cca_alignment(sa, ob, 0.9).item()) < 1e-12);
        BOOST_TEST(rel(models::regression_alignment(a, b).item(), models::regression_alignment(sa, ob).item()) > 1e-3);
    }
    // The failure mode of the uncentred whitening: z = (1, w) with w whitened and centred has
    // second moment I but covariance diag(0, 1); identical codes, so alignment costs nothing.
    M cz({4, 2});
    const double w[4] = {1, -1, 1, -1};
    for (std::size_t i = 0; i < 4; ++i) {
        cz(i, 0) = 1.0;
        cz(i, 1) = w[i];
    }
    auto c = t.constant(cz);
    BOOST_TEST(std::abs(models::cca_alignment(c, c, 1.0).item() - 2.0) < 1e-13);  // (0 - 1)^2 per side
    // For centred inputs the centred spectral loss is the uncentred one of the same codes.
    M c1 = z1, c2 = z2;
    for (M* m : {&c1, &c2})
        for (std::size_t k = 0; k < 3; ++k) {
            double mu = 0;
            for (std::size_t i = 0; i < 9; ++i) mu += (*m)(i, k);
            for (std::size_t i = 0; i < 9; ++i) (*m)(i, k) -= mu / 9;
        }
    BOOST_TEST(rel(models::spectral_contrastive_centered(a, b).item(),
                   models::spectral_contrastive(t.constant(c1), t.constant(c2)).item()) < 1e-12);
}

BOOST_AUTO_TEST_CASE(loss_values_against_direct_formulas) {
    const std::size_t n = 7, p = 3;
    const M z1 = rnd(n, p, 10), z2 = rnd(n, p, 11), y1 = rnd(n, 1, 12), y2 = rnd(n, 1, 13);
    static std::vector<int> ar = {0, 1, 2, 3, 4, 5, 6};
    Tape<double> t;
    auto a = t.constant(z1), b = t.constant(z2);
    for (bool cosine : {true, false})
        for (double tau : {0.1, 1.0})
            BOOST_TEST(rel(models::infonce(a, b, tau, cosine, ar).item(), infonce_direct(z1, z2, tau, cosine)) < 1e-12);
    // regression: mean_i ||z1_i - z2_i||^2
    double reg = 0;
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t k = 0; k < p; ++k) reg += (z1(i, k) - z2(i, k)) * (z1(i, k) - z2(i, k));
    reg /= n;
    BOOST_TEST(rel(models::regression_alignment(a, b).item(), reg) < 1e-13);
    // cca: mean ||(z1 - mean z1) - (z2 - mean z2)||^2 + penalty (||C1 - I||^2 + ||C2 - I||^2),
    // C = (z - mean)^T (z - mean) / n
    double creg = 0;
    for (std::size_t k = 0; k < p; ++k) {
        double m1 = 0, m2 = 0;
        for (std::size_t i = 0; i < n; ++i) m1 += z1(i, k) / n, m2 += z2(i, k) / n;
        for (std::size_t i = 0; i < n; ++i) creg += (z1(i, k) - m1 - z2(i, k) + m2) * (z1(i, k) - m1 - z2(i, k) + m2) / n;
    }
    auto gap = [&](const M& z) {
        std::vector<double> mu(p, 0.0);
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t k = 0; k < p; ++k) mu[k] += z(i, k) / n;
        double g = 0;
        for (std::size_t k = 0; k < p; ++k)
            for (std::size_t l = 0; l < p; ++l) {
                double c = 0;
                for (std::size_t i = 0; i < n; ++i) c += (z(i, k) - mu[k]) * (z(i, l) - mu[l]);
                c = c / n - (k == l ? 1.0 : 0.0);
                g += c * c;
            }
        return g;
    };
    BOOST_TEST(rel(models::cca_alignment(a, b, 0.3).item(), creg + 0.3 * (gap(z1) + gap(z2))) < 1e-12);
    // spectral: -2 mean_i z1_i.z2_i + mean_{i != j} (z1_i.z2_j)^2
    double pos = 0, neg = 0;
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < n; ++j) {
            const double d = dot_rows(z1, i, z2, j);
            if (i == j) pos += d;
            else neg += d * d;
        }
    BOOST_TEST(rel(models::spectral_contrastive(a, b).item(), -2 * pos / n + neg / (n * (n - 1.0))) < 1e-12);
    // centred spectral: the same sums over the batch-centred codes
    {
        M c1 = z1, c2 = z2;
        for (M* m : {&c1, &c2})
            for (std::size_t k = 0; k < p; ++k) {
                double mu = 0;
                for (std::size_t i = 0; i < n; ++i) mu += (*m)(i, k) / n;
                for (std::size_t i = 0; i < n; ++i) (*m)(i, k) -= mu;
            }
        double cp = 0, cn = 0;
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t j = 0; j < n; ++j) {
                const double d = dot_rows(c1, i, c2, j);
                if (i == j) cp += d;
                else cn += d * d;
            }
        BOOST_TEST(rel(models::spectral_contrastive_centered(a, b).item(), -2 * cp / n + cn / (n * (n - 1.0))) < 1e-12);
        models::AlignmentLoss<double>::Settings ss;
        ss.name = "spectral";
        ss.spectral_centering = "batch";
        models::AlignmentLoss<double> centred(ss);
        BOOST_TEST(rel(centred(a, b).item(), -2 * cp / n + cn / (n * (n - 1.0))) < 1e-12);
        ss.spectral_centering = "none";
        models::AlignmentLoss<double> plain(ss);
        BOOST_TEST(rel(plain(a, b).item(), -2 * pos / n + neg / (n * (n - 1.0))) < 1e-12);
    }
    double m = 0;
    for (std::size_t i = 0; i < n; ++i) m += (y1(i, 0) - y2(i, 0)) * (y1(i, 0) - y2(i, 0));
    BOOST_TEST(rel(models::mse(t.constant(y1), t.constant(y2)).item(), m / n) < 1e-13);
    // At the optimum of alignment, aligned identical whitened codes: regression 0, cca 0.
    M w({4, 2}, 0.0);
    w(0, 0) = w(1, 1) = std::sqrt(2.0);
    w(2, 0) = w(3, 1) = -std::sqrt(2.0);  // columns orthogonal, z^T z / 4 = I
    auto wv = t.constant(w);
    BOOST_TEST(std::abs(models::cca_alignment(wv, wv, 1.0).item()) < 1e-13);
    BOOST_CHECK_THROW(models::regression_alignment(a, t.constant(y1)), std::invalid_argument);
    BOOST_CHECK_THROW(models::infonce(a, b, 0.0, true, ar), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(infonce_matches_the_two_cross_entropies) {
    // The fused loss against the literal definition built from basic ops, with gradients.
    static std::vector<int> ar = {0, 1, 2, 3, 4};
    Param<double> a1("a", 5, 3), b1("b", 5, 3), a2("a", 5, 3), b2("b", 5, 3);
    a1.value = a2.value = rnd(5, 3, 20);
    b1.value = b2.value = rnd(5, 3, 21);
    Tape<double> t;
    auto fused = models::infonce(t.param(a1), t.param(b1), 0.1, true, ar);
    auto logits = scale(matmul(l2_normalize_rows(t.param(a2)), l2_normalize_rows(t.param(b2)), false, true), 10.0);
    auto literal = scale(add(cross_entropy(logits, ar), cross_entropy(transpose(logits), ar)), 0.5);
    BOOST_TEST(rel(fused.item(), literal.item()) < 1e-12);
    t.backward(add(fused, literal));
    for (std::size_t i = 0; i < 15; ++i) {
        BOOST_TEST(std::abs(a1.grad.data()[i] - a2.grad.data()[i]) < 1e-12);
        BOOST_TEST(std::abs(b1.grad.data()[i] - b2.grad.data()[i]) < 1e-12);
    }
}

BOOST_AUTO_TEST_CASE(losses_float32_match_float64) {
    const std::size_t n = 16, p = 4;
    const M z1 = rnd(n, p, 30), z2 = rnd(n, p, 31);
    for (const std::string& name : loss_variants()) {
        auto run = [&](auto tag) {
            using T = decltype(tag);
            Mat<T> a({n, p}), b({n, p});
            for (std::size_t i = 0; i < z1.size(); ++i) {
                a.data()[i] = T(z1.data()[i]);
                b.data()[i] = T(z2.data()[i]);
            }
            models::AlignmentLoss<T> loss(settings_of<T>(name));
            Tape<T> t;
            return double(loss(t.constant(a), t.constant(b)).item());
        };
        BOOST_TEST(rel(run(double{}), run(float{})) < 2e-5, name);
    }
}

BOOST_AUTO_TEST_CASE(alignment_loss_none_and_errors) {
    models::AlignmentLoss<double>::Settings s;
    s.name = "none";
    models::AlignmentLoss<double> none(s);
    Tape<double> t;
    Param<double> z("z", 4, 2);
    auto l = none(t.param(z), t.param(z));
    BOOST_TEST(l.item() == 0.0);
    BOOST_TEST(l.rows() == 1u);
    BOOST_TEST(l.cols() == 1u);
    BOOST_TEST(!l.requires_grad());
    // names are resolved once, when the loss is made
    s.name = "nope";
    BOOST_CHECK_THROW(models::AlignmentLoss<double>{s}, std::invalid_argument);
    BOOST_CHECK(models::find_alignment_loss("nope") == nullptr);
    s.name = "spectral";
    s.spectral_centering = "mean";
    BOOST_CHECK_THROW(models::AlignmentLoss<double>{s}, std::invalid_argument);
    BOOST_CHECK_THROW(models::spectral_contrastive_centered(t.param(z), t.constant(M({4, 3}, 0.0))),
                      std::invalid_argument);
    BOOST_CHECK_THROW(models::spectral_contrastive_centered(t.constant(M({1, 2}, 0.0)), t.constant(M({1, 2}, 0.0))),
                      std::invalid_argument);
}

// ---- VICReg, Barlow Twins, SigLIP -----------------------------------------------------------

namespace {

// Column means, centred copy, and covariance with a divisor, in plain loops.
M centred(const M& z) {
    M c = z;
    const std::size_t n = z.shape()[0];
    for (std::size_t k = 0; k < z.shape()[1]; ++k) {
        double mu = 0;
        for (std::size_t i = 0; i < n; ++i) mu += z(i, k) / double(n);
        for (std::size_t i = 0; i < n; ++i) c(i, k) -= mu;
    }
    return c;
}
double col_dot(const M& a, std::size_t i, const M& b, std::size_t j) {
    double s = 0;
    for (std::size_t r = 0; r < a.shape()[0]; ++r) s += a(r, i) * b(r, j);
    return s;
}

double vicreg_direct(const M& z1, const M& z2, double inv, double var, double cov, double gamma) {
    const std::size_t n = z1.shape()[0], p = z1.shape()[1];
    double mse = 0;
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t k = 0; k < p; ++k) mse += (z1(i, k) - z2(i, k)) * (z1(i, k) - z2(i, k)) / double(n * p);
    double hinge = 0, off = 0;
    for (const M* z : {&z1, &z2}) {
        const M c = centred(*z);
        for (std::size_t k = 0; k < p; ++k) {
            const double sd = std::sqrt(col_dot(c, k, c, k) / double(n - 1) + 1e-4);
            hinge += std::max(0.0, gamma - sd) / double(p) / 2;
            for (std::size_t l = 0; l < p; ++l)
                if (l != k) off += std::pow(col_dot(c, k, c, l) / double(n - 1), 2) / double(p);
        }
    }
    return inv * mse + var * hinge + cov * off;
}

double barlow_direct(const M& z1, const M& z2, double w) {
    const std::size_t p = z1.shape()[1];
    const M c1 = centred(z1), c2 = centred(z2);
    double loss = 0;
    for (std::size_t i = 0; i < p; ++i)
        for (std::size_t j = 0; j < p; ++j) {
            const double r = col_dot(c1, i, c2, j) / std::sqrt(col_dot(c1, i, c1, i) * col_dot(c2, j, c2, j));
            loss += i == j ? (1 - r) * (1 - r) : w * r * r;
        }
    return loss;
}

double siglip_direct(const M& z1, const M& z2, double t, double b) {
    const std::size_t n = z1.shape()[0];
    double loss = 0;
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < n; ++j) {
            const double c = dot_rows(z1, i, z2, j) / std::sqrt(dot_rows(z1, i, z1, i) * dot_rows(z2, j, z2, j));
            const double logit = t * c + b, s = i == j ? 1.0 : -1.0;
            loss -= std::log(1 / (1 + std::exp(-s * logit)));
        }
    return loss / double(n);
}

M signs_of(std::size_t n) {
    M s({n, n}, -1.0);
    for (std::size_t i = 0; i < n; ++i) s(i, i) = 1.0;
    return s;
}

M scalar(double v) { return M({1, 1}, v); }

}  // namespace

BOOST_AUTO_TEST_CASE(new_losses_through_gradcheck) {
    // On ordinary inputs and on awkward ones: a large common offset, a batch of two, p = 1, a
    // constant column (VICReg: its hinge at sqrt(1e-4)), identical rows; gamma on both sides of
    // the codes' scale so that the hinge is active and inactive; SigLIP's t and b as inputs too.
    M offset = rnd(6, 3, 105);
    for (std::size_t i = 0; i < 6; ++i) offset(i, 1) += 50.0;
    M constant_col = rnd(6, 3, 106);
    for (std::size_t i = 0; i < 6; ++i) constant_col(i, 2) = 1.5;
    M same_rows({6, 3});
    for (std::size_t i = 0; i < 6; ++i)
        for (std::size_t k = 0; k < 3; ++k) same_rows(i, k) = 0.3 * double(k) - 0.2;
    struct In {
        std::string what;
        M a, b;
        bool barlow;  // defined for Barlow Twins (no constant coordinate)
    };
    const std::vector<In> inputs{
        {"ordinary", rnd(6, 3, 101), rnd(6, 3, 102), true},        {"scaled", rnd(7, 4, 103, 3.0), rnd(7, 4, 104, 0.2), true},
        {"offset 50", offset, rnd(6, 3, 107), true},               {"batch of two", rnd(2, 3, 108), rnd(2, 3, 109), true},
        {"p = 1", rnd(5, 1, 110), rnd(5, 1, 111), true},           {"constant column", constant_col, rnd(6, 3, 112), false},
        {"identical rows", same_rows, rnd(6, 3, 113), false},
    };
    GradcheckOptions loose;  // the offset of 50 costs digits in the central differences
    loose.rtol = 1e-4;
    loose.atol = 1e-5;
    for (const auto& in : inputs) {
        const GradcheckOptions o = in.what == "offset 50" ? loose : GradcheckOptions{};
        for (double gamma : {0.3, 1.0, 4.0})
            check("vicreg gamma " + std::to_string(gamma) + " " + in.what,
                  [gamma](Tape<double>&, const Vars& v) { return models::vicreg(v[0], v[1], 25.0, 25.0, 1.0, gamma); },
                  {in.a, in.b}, o);
        if (in.barlow)
            for (double w : {5e-3, 0.7})
                check("barlow_twins " + std::to_string(w) + " " + in.what,
                      [w](Tape<double>&, const Vars& v) { return models::barlow_twins(v[0], v[1], w); }, {in.a, in.b}, o);
        if (in.what == "identical rows") continue;  // a zero row has no direction (cosine)
        const std::size_t n = in.a.shape()[0];
        auto signs = std::make_shared<M>(signs_of(n));
        for (double logt : {std::log(10.0), 0.0})
            for (double b : {-10.0, 1.5})
                check("siglip " + in.what,
                      [signs](Tape<double>&, const Vars& v) { return models::siglip(v[0], v[1], v[2], v[3], *signs); },
                      {in.a, in.b, scalar(logt), scalar(b)}, o);
    }
    // through AlignmentLoss
    const M z1 = rnd(6, 3, 120), z2 = rnd(6, 3, 121);
    for (const char* name : {"vicreg", "barlow_twins"}) {
        models::AlignmentLoss<double>::Settings s;
        s.name = name;
        auto loss = std::make_shared<models::AlignmentLoss<double>>(s);
        check(std::string("AlignmentLoss ") + name, [loss](Tape<double>&, const Vars& v) { return (*loss)(v[0], v[1]); }, {z1, z2});
    }
}

BOOST_AUTO_TEST_CASE(new_losses_against_direct_formulas) {
    const std::size_t n = 9, p = 3;
    const M z1 = rnd(n, p, 130), z2 = rnd(n, p, 131, 0.5);
    Tape<double> t;
    auto a = t.constant(z1), b = t.constant(z2);
    for (double gamma : {0.2, 1.0, 3.0})
        BOOST_TEST(rel(models::vicreg(a, b, 25.0, 25.0, 1.0, gamma).item(), vicreg_direct(z1, z2, 25, 25, 1, gamma)) < 1e-12);
    BOOST_TEST(rel(models::vicreg(a, b, 2.0, 0.5, 7.0, 1.0).item(), vicreg_direct(z1, z2, 2, 0.5, 7, 1)) < 1e-12);
    for (double w : {0.0, 5e-3, 1.0})
        BOOST_TEST(rel(models::barlow_twins(a, b, w).item(), barlow_direct(z1, z2, w)) < 1e-12);
    const M signs = signs_of(n);
    for (double tt : {1.0, 10.0})
        for (double bb : {-10.0, 0.5}) {
            const M lt = scalar(std::log(tt)), bm = scalar(bb);
            BOOST_TEST(rel(models::siglip(a, b, t.constant(lt), t.constant(bm), signs).item(), siglip_direct(z1, z2, tt, bb)) < 1e-12);
        }
    // Barlow Twins is invariant to the scale and shift of each code coordinate; VICReg is not
    M s1 = z1;
    for (std::size_t i = 0; i < n; ++i) {
        s1(i, 0) = 3.0 * s1(i, 0) + 2.0;
        s1(i, 2) *= 0.1;
    }
    BOOST_TEST(rel(models::barlow_twins(t.constant(s1), b, 0.3).item(), models::barlow_twins(a, b, 0.3).item()) < 1e-12);
    BOOST_TEST(rel(models::vicreg(t.constant(s1), b, 25.0, 25.0, 1.0, 1.0).item(), models::vicreg(a, b, 25.0, 25.0, 1.0, 1.0).item()) > 1e-3);
    // identical whitened codes: Barlow Twins 0; VICReg 0 when gamma is below their scale
    M w({4, 2}, 0.0);
    w(0, 0) = w(1, 1) = 2.0;
    w(2, 0) = w(3, 1) = -2.0;
    auto wv = t.constant(w);
    BOOST_TEST(std::abs(models::barlow_twins(wv, wv, 0.5).item()) < 1e-13);
    BOOST_TEST(std::abs(models::vicreg(wv, wv, 25.0, 25.0, 1.0, 1.0).item()) < 1e-13);
    // the AlignmentLoss defaults are the official ones, and SigLIP's t, b are its parameters
    models::AlignmentLoss<double>::Settings s;
    s.name = "vicreg";
    BOOST_TEST(rel(models::AlignmentLoss<double>(s)(a, b).item(), vicreg_direct(z1, z2, 25, 25, 1, 1)) < 1e-12);
    s.name = "barlow_twins";
    BOOST_TEST(rel(models::AlignmentLoss<double>(s)(a, b).item(), barlow_direct(z1, z2, 5e-3)) < 1e-12);
    s.name = "siglip";
    models::AlignmentLoss<double> sig(s);
    BOOST_TEST(rel(sig(a, b).item(), siglip_direct(z1, z2, 10, -10)) < 1e-12);
    BOOST_TEST(sig.params().size() == 2u);
    BOOST_TEST(models::AlignmentLoss<double>(models::AlignmentLoss<double>::Settings{}).params().empty());
    sig.params()[0]->value(0, 0) = std::log(3.0);
    sig.params()[1]->value(0, 0) = 0.25;
    t.reset();
    a = t.constant(z1);
    b = t.constant(z2);
    BOOST_TEST(rel(sig(a, b).item(), siglip_direct(z1, z2, 3, 0.25)) < 1e-12);
    models::AlignmentLoss<double> again(sig.current_settings());
    BOOST_TEST(rel(again(a, b).item(), siglip_direct(z1, z2, 3, 0.25)) < 1e-12);
    // errors: one line each
    BOOST_CHECK_THROW(models::vicreg(t.constant(M({1, 2}, 0.0)), t.constant(M({1, 2}, 0.0)), 1.0, 1.0, 1.0, 1.0),
                      std::invalid_argument);
    BOOST_CHECK_THROW(models::barlow_twins(a, t.constant(M({n, 2}, 0.0)), 0.1), std::invalid_argument);
    BOOST_CHECK_THROW(models::siglip(a, b, t.constant(scalar(0)), t.constant(scalar(0)), signs_of(n - 1)), std::invalid_argument);
    s.siglip_temperature = 0;
    BOOST_CHECK_THROW(models::AlignmentLoss<double>{s}, std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(new_losses_float32_match_float64) {
    // values and gradients of the three losses in float32 against float64
    const std::size_t n = 16, p = 4;
    const M z1 = rnd(n, p, 140), z2 = rnd(n, p, 141);
    for (const char* name : {"vicreg", "barlow_twins", "siglip"}) {
        auto run = [&](auto tag, std::vector<double>& grad) {
            using T = decltype(tag);
            Param<T> a("a", n, p), b("b", n, p);
            for (std::size_t i = 0; i < z1.size(); ++i) {
                a.value.data()[i] = T(z1.data()[i]);
                b.value.data()[i] = T(z2.data()[i]);
            }
            typename models::AlignmentLoss<T>::Settings s;
            s.name = name;
            models::AlignmentLoss<T> loss(s);
            Tape<T> t;
            auto L = loss(t.param(a), t.param(b));
            t.backward(L);
            grad.clear();
            for (std::size_t i = 0; i < a.grad.size(); ++i) grad.push_back(double(a.grad.data()[i]));
            for (std::size_t i = 0; i < b.grad.size(); ++i) grad.push_back(double(b.grad.data()[i]));
            for (auto* q : loss.params()) grad.push_back(double(q->grad(0, 0)));
            return double(L.item());
        };
        std::vector<double> g64, g32;
        const double v64 = run(double{}, g64), v32 = run(float{}, g32);
        BOOST_TEST(rel(v64, v32) < 2e-5, name);
        double gmax = 0, err = 0;
        for (std::size_t i = 0; i < g64.size(); ++i) {
            gmax = std::max(gmax, std::abs(g64[i]));
            err = std::max(err, std::abs(g64[i] - g32[i]));
        }
        BOOST_TEST(err <= 1e-4 * gmax, name << ": float32 gradient off by " << err << " (largest " << gmax << ")");
    }
}

BOOST_AUTO_TEST_CASE(siglip_trains_its_temperature_and_bias) {
    // The trainer holds SigLIP's t and b among its parameters: the optimiser moves them, and a
    // full-batch L-BFGS polish (which sees the same parameter list) lowers the loss further.
    const std::size_t n = 64, d = 5, p = 2;
    const M x1 = rnd(n, d, 150), x2n = rnd(n, d, 151, 0.3);
    M x2 = x2n;
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t k = 0; k < d; ++k) x2(i, k) += x1(i, k);
    for (int threads : {1, 2}) {
        models::TrainerSpec<double> ts;
        ts.enc1.in_dim = ts.enc2.in_dim = d;
        ts.enc1.out_dim = ts.enc2.out_dim = p;
        ts.alignment.name = "siglip";
        ts.batch = 16;
        ts.lr = 0.05;
        ts.threads = threads;
        models::TrainData<double> td;
        td.x1 = &x1;
        td.x2 = &x2;
        models::Trainer<double> tr(ts, td);
        BOOST_TEST(tr.params().size() == 4u);  // W1, W2, log t, b
        const double logt0 = std::log(10.0);
        const double before = tr.full_loss_value();
        const models::FitReport rep = tr.fit(200);
        BOOST_TEST(rep.status == "ok");
        const auto cur = tr.alignment().current_settings();
        BOOST_TEST(std::abs(std::log(cur.siglip_temperature) - logt0) > 1e-3);
        BOOST_TEST(std::abs(cur.siglip_bias + 10.0) > 1e-3);
        const double after = tr.full_loss_value();
        BOOST_TEST(after < before);
        models::PolishOptions po;
        po.max_evals = 50;
        const models::PolishReport pr = tr.polish(po);
        BOOST_TEST(pr.final_loss <= after);
    }
}

BOOST_AUTO_TEST_CASE(both_encoders_through_gradcheck) {
    // The input gradient through the harness, and every parameter against central differences
    // of the same scalar (the harness only perturbs its own leaves).
    const M x = rnd(5, 4, 40);
    const M proj = rnd(5, 3, 41);
    for (const char* kind : {"linear", "mlp"})
        for (const char* act : {"relu", "leaky_relu", "tanh", "sigmoid", "softplus"}) {
            if (std::string(kind) == "linear" && std::string(act) != "relu") continue;
            models::EncoderSpec spec;
            spec.kind = kind;
            spec.in_dim = 4;
            spec.out_dim = 3;
            spec.hidden = {6, 5};
            spec.activation = act;
            Rng rng(42);
            std::shared_ptr<models::Encoder<double>> enc = models::make_encoder<double>(spec, rng);
            const std::string tag = std::string(kind) + "/" + act;
            check(tag + " dX", [enc](Tape<double>& t, const Vars& v) { return enc->forward(t, v[0]); }, {x});
            Tape<double> t;
            auto loss_of = [&]() {
                t.reset();
                return sum(mul(enc->forward(t, t.constant(x)), t.constant(proj)));
            };
            for (auto* p : enc->params()) p->zero_grad();
            t.backward(loss_of());
            for (auto* p : enc->params()) {
                for (std::size_t i = 0; i < p->value.size(); ++i) {
                    const double w0 = p->value.data()[i], h = 1e-6;
                    p->value.data()[i] = w0 + h;
                    const double fp = loss_of().item();
                    p->value.data()[i] = w0 - h;
                    const double fm = loss_of().item();
                    p->value.data()[i] = w0;
                    const double num = (fp - fm) / (2 * h), ana = p->grad.data()[i];
                    BOOST_TEST(std::abs(num - ana) <= 1e-7 + 1e-5 * std::max(std::abs(num), std::abs(ana)),
                               tag << " " << p->name << "[" << i << "]: analytic " << ana << " numeric " << num);
                }
            }
        }
}

BOOST_AUTO_TEST_CASE(trainer_step_gradient_with_a_classification_head) {
    // The trainer's loss task + lambda * alignment with the classification head (the real-data
    // model): one full-batch SGD step of rate 1 moves every parameter by minus its gradient,
    // which must match central differences of the loss the step reports (full batch: the loss
    // does not depend on the order the rows are drawn in). MLP encoders on both sides, InfoNCE.
    const std::size_t n = 8;
    models::TrainerSpec<double> ts;
    ts.enc1.kind = ts.enc2.kind = "mlp";
    ts.enc1.in_dim = 5;
    ts.enc2.in_dim = 4;
    ts.enc1.out_dim = ts.enc2.out_dim = 3;
    ts.enc1.hidden = {4};
    ts.enc2.hidden = {3};
    ts.enc1.activation = ts.enc2.activation = "tanh";  // smooth: central differences are exact to O(h^2)
    ts.alignment.name = "infonce";
    ts.alignment.temperature = 0.5;
    ts.task = true;
    ts.task_classes = 3;
    ts.lambda = 0.7;
    ts.optimizer = "sgd";
    ts.momentum = 0;
    ts.lr = 1;
    ts.batch = n;
    const M x1 = rnd(n, 5, 61), x2 = rnd(n, 4, 62);
    std::vector<int> labels{0, 1, 2, 2, 1, 0, 1, 2};
    models::TrainData<double> td;
    td.x1 = &x1;
    td.x2 = &x2;
    td.labels = &labels;
    models::Trainer<double> tr(ts, td);
    const auto& ps = tr.params();
    BOOST_TEST(ps.size() == 10u);  // 4 + 4 encoder tensors, the head and its bias
    BOOST_TEST(tr.head().value.shape()[0] == 3u);
    BOOST_TEST(tr.head().value.shape()[1] == 3u);
    std::vector<M> theta0;
    for (auto* p : ps) theta0.push_back(p->value);
    tr.step();
    std::vector<M> grad;
    for (std::size_t k = 0; k < ps.size(); ++k) grad.push_back(theta0[k] - ps[k]->value);
    tr.optimizer().set_lr(0.0);  // from here step() only evaluates
    auto loss_at = [&](std::size_t k, std::size_t i, double h) {
        for (std::size_t q = 0; q < ps.size(); ++q) ps[q]->value = theta0[q];
        ps[k]->value.data()[i] += h;
        return double(tr.step());
    };
    for (std::size_t k = 0; k < ps.size(); ++k)
        for (std::size_t i = 0; i < ps[k]->value.size(); ++i) {
            const double h = 1e-5;
            const double num = (loss_at(k, i, h) - loss_at(k, i, -h)) / (2 * h), ana = grad[k].data()[i];
            BOOST_TEST(std::abs(num - ana) <= 1e-7 + 1e-5 * std::abs(num),
                       ps[k]->name << "[" << i << "]: step " << ana << ", central differences " << num);
        }
    // Labels out of range, or missing, are refused.
    labels[3] = 3;
    BOOST_CHECK_THROW(models::Trainer<double>(ts, td), std::invalid_argument);
    td.labels = nullptr;
    BOOST_CHECK_THROW(models::Trainer<double>(ts, td), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(two_threads_give_the_numbers_of_one) {
    // TrainerSpec::threads = 2 runs the encoders on two tapes and two threads, joined at the
    // loss: every loss and every parameter after 25 steps (several epochs, Adam, clipping) equals
    // the one-thread run's bit for bit, for each loss, with and without a classification head.
    for (const char* loss : {"infonce", "cca", "spectral"})
        for (bool head : {false, true}) {
            models::TrainerSpec<float> ts;
            ts.enc1.kind = ts.enc2.kind = "mlp";
            ts.enc1.in_dim = 12;
            ts.enc2.in_dim = 9;
            ts.enc1.out_dim = ts.enc2.out_dim = 4;
            ts.enc1.hidden = {16};
            ts.enc2.hidden = {10, 6};
            ts.alignment.name = loss;
            ts.task = head;
            ts.task_classes = head ? 3 : 0;
            ts.lambda = 0.7f;
            ts.lr = 1e-2f;
            ts.clip = 5.0f;
            ts.batch = 32;
            const std::size_t n = 80;
            Rng rng(5);
            Mat<float> x1({n, std::size_t(12)}), x2({n, std::size_t(9)});
            fill_normal(x1, rng);
            fill_normal(x2, rng);
            std::vector<int> labels(n);
            for (std::size_t i = 0; i < n; ++i) labels[i] = static_cast<int>(i % 3);
            models::TrainData<float> td;
            td.x1 = &x1;
            td.x2 = &x2;
            if (head) td.labels = &labels;
            models::Trainer<float> one(ts, td);
            ts.threads = 2;
            models::Trainer<float> two(ts, td);
            BOOST_TEST(!one.concurrent());
            BOOST_TEST(two.concurrent());
            bool same = true;
            for (int k = 0; k < 25; ++k) same = same && one.step() == two.step();
            for (std::size_t q = 0; q < one.params().size(); ++q) {
                const auto& a = one.params()[q]->value;
                const auto& b = two.params()[q]->value;
                for (std::size_t i = 0; i < a.size(); ++i) same = same && a.data()[i] == b.data()[i];
            }
            BOOST_TEST(same, loss << (head ? " + head" : ""));
        }
}

BOOST_AUTO_TEST_CASE(encoder_shapes_and_structure) {
    models::EncoderSpec spec;
    spec.kind = "linear";
    spec.in_dim = 5;
    spec.out_dim = 2;
    Rng rng(1);
    auto lin = models::make_encoder<double>(spec, rng);
    BOOST_TEST(lin->params().size() == 1u);
    BOOST_REQUIRE(lin->linear_weight() != nullptr);
    const M& W = *lin->linear_weight();
    BOOST_TEST(W.shape()[0] == 2u);
    BOOST_TEST(W.shape()[1] == 5u);
    // Z = X W^T, exactly.
    const M x = rnd(3, 5, 2);
    Tape<double> t;
    const M& z = lin->forward(t, t.constant(x)).value();
    for (std::size_t i = 0; i < 3; ++i)
        for (std::size_t k = 0; k < 2; ++k) BOOST_TEST(z(i, k) == dot_rows(x, i, W, k), boost::test_tools::tolerance(1e-13));
    spec.kind = "mlp";
    spec.hidden = {7, 6};
    auto mlp = models::make_encoder<double>(spec, rng);
    BOOST_TEST(mlp->params().size() == 6u);
    BOOST_TEST(mlp->linear_weight() == nullptr);
    BOOST_TEST(mlp->forward(t, t.constant(x)).cols() == 2u);
    BOOST_CHECK_THROW(mlp->forward(t, t.constant(rnd(3, 4, 3))), std::invalid_argument);
    spec.activation = "gelu";
    BOOST_CHECK_THROW(models::make_encoder<double>(spec, rng), std::invalid_argument);
    spec.activation = "relu";
    spec.kind = "resnet";
    BOOST_CHECK_THROW(models::make_encoder<double>(spec, rng), std::invalid_argument);
    // every registry entry builds its encoder, and says rightly whether it is a linear map z = W x
    // (a map with a bias or a nonlinearity fails additivity: f(x + y) = f(x) + f(y))
    const M y = rnd(3, 5, 4);
    for (const auto& e : models::encoders()) {
        spec.kind = e.name;
        auto enc = models::make_encoder<double>(spec, rng);
        Tape<double> t2;
        const M fx = enc->forward(t2, t2.constant(x)).value();
        const M fy = enc->forward(t2, t2.constant(y)).value();
        const M fxy = enc->forward(t2, t2.constant(M(x + y))).value();
        double worst = 0;
        for (std::size_t i = 0; i < fx.size(); ++i)
            worst = std::max(worst, std::abs(fxy.data()[i] - fx.data()[i] - fy.data()[i]));
        BOOST_TEST((worst < 1e-12) == e.linear, e.name << ": " << worst);
        BOOST_TEST((enc->linear_weight() != nullptr) == e.linear, e.name);
    }
}

BOOST_AUTO_TEST_CASE(initialisation_is_seeded_and_thread_independent) {
    models::EncoderSpec spec;
    spec.kind = "mlp";
    spec.in_dim = 16;
    spec.out_dim = 4;
    spec.hidden = {32};
    auto weights = [&](std::uint64_t seed) {
        Rng rng(derive_seed(seed, "init"));
        auto enc = models::make_encoder<double>(spec, rng);
        std::vector<double> w;
        for (auto* p : enc->params()) w.insert(w.end(), p->value.begin(), p->value.end());
        return w;
    };
    const auto a = weights(5), b = weights(5), c = weights(6);
    BOOST_TEST(a == b);
    BOOST_TEST(a != c);
    // Drawn in other threads, concurrently: the same numbers.
    std::vector<double> t1, t2;
    std::thread th1([&] { t1 = weights(5); }), th2([&] { t2 = weights(5); });
    th1.join();
    th2.join();
    BOOST_TEST(t1 == a);
    BOOST_TEST(t2 == a);
    // He scale for relu layers: the sample variance of the first layer is close to 2 / fan_in.
    Rng rng(9);
    M w({400, 100});
    he_normal(w, rng);
    double s2 = 0;
    for (double v : w) s2 += v * v;
    BOOST_TEST(s2 / w.size() == 2.0 / 100, boost::test_tools::tolerance(0.03));
    xavier_uniform(w, rng);
    double mx = 0;
    for (double v : w) mx = std::max(mx, std::abs(v));
    BOOST_TEST(mx <= std::sqrt(6.0 / 500));
    BOOST_TEST(mx > 0.95 * std::sqrt(6.0 / 500));
}

// One Trainer (the loop `train`, `sweep` and `bench` run) on random data: after two warm-up
// steps, five more steps allocate nothing, and the loss goes down.
template <class T>
void zero_allocation_steps(models::TrainerSpec<T> ts, const char* what) {
    BOOST_TEST_CONTEXT(what) {
        const std::size_t n = 96;  // three batches of 32: the steps cross an epoch (a reshuffle)
        Rng rng(3);
        Mat<T> x1({n, ts.enc1.in_dim}), x2({n, ts.enc2.in_dim}), z2({n, ts.enc1.out_dim}), y({n, std::size_t(1)});
        fill_normal(x1, rng);
        fill_normal(x2, rng);
        fill_normal(z2, rng);
        fill_normal(y, rng);
        std::vector<int> labels(n);
        for (std::size_t i = 0; i < n; ++i) labels[i] = x1(i, 0) > 0 ? 1 + int(i % 2) : 0;  // 3 classes
        models::TrainData<T> td;
        td.x1 = &x1;
        td.x2 = &x2;
        if (ts.frozen_targets) td.z2 = &z2;
        if (ts.task) td.y = &y;
        if (ts.task_classes) td.labels = &labels;
        ts.batch = 32;
        models::Trainer<T> train(ts, td);
        const Tape<T>& tape = train.tape();
        const T first = train.step();
        train.step();  // warm-up: the tape and every buffer take their shapes
        const std::size_t buffers = tape.buffer_allocations();
        T last = 0;
        g_allocs = 0;
        g_count_allocs = true;
        for (int k = 0; k < 5; ++k) last = train.step();
        g_count_allocs = false;
        BOOST_TEST(g_allocs.load() == 0);
        BOOST_TEST(tape.buffer_allocations() == buffers);
        BOOST_TEST(train.diverged().empty());
        BOOST_TEST(last < first);  // and it trains
    }
}

template <class T>
void zero_allocation_step() {
    models::TrainerSpec<T> ts;
    ts.enc1.kind = ts.enc2.kind = "mlp";
    ts.enc1.in_dim = 12;
    ts.enc2.in_dim = 9;
    ts.enc1.out_dim = ts.enc2.out_dim = 4;
    ts.enc1.hidden = {16, 16};
    ts.enc2.hidden = {10};
    ts.lr = T(1e-2);
    ts.clip = T(100);  // with clipping
    for (const char* loss : {"infonce", "cca", "spectral", "vicreg", "barlow_twins", "siglip"}) {
        ts.alignment.name = loss;
        zero_allocation_steps(ts, loss);
    }
    // regression to frozen targets plus a task head, linear encoder
    models::TrainerSpec<T> tr;
    tr.enc1.kind = "linear";
    tr.enc1.in_dim = 12;
    tr.enc1.out_dim = 4;
    tr.alignment.name = "regression";
    tr.frozen_targets = true;
    tr.task = true;
    tr.lambda = T(0.5);
    tr.lr = T(1e-2);
    zero_allocation_steps(tr, "regression + task");
    // InfoNCE plus a classification head (the real-data model of data.kind = fashion_mnist),
    // on one thread and with the encoders on two
    ts.alignment.name = "infonce";
    ts.task = true;
    ts.task_classes = 3;
    ts.lambda = T(0.5);
    zero_allocation_steps(ts, "infonce + classification head");
    ts.threads = 2;
    zero_allocation_steps(ts, "infonce + classification head, two threads");
    // convolutional encoders (conv + ReLU, max or average pooling, flatten, dense): one channel
    // on one side, two on the other, strides 1 and 2
    models::TrainerSpec<T> cs = ts;
    cs.enc1 = models::EncoderSpec{};
    cs.enc1.kind = "cnn";
    cs.enc1.image_height = 6, cs.enc1.image_width = 8, cs.enc1.image_channels = 1;
    cs.enc1.in_dim = 48;
    cs.enc1.out_dim = 4;
    cs.enc1.cnn_channels = {4, 6};
    cs.enc1.cnn_kernels = {3, 3};
    cs.enc1.cnn_strides = {1, 2};
    cs.enc2 = cs.enc1;
    cs.enc2.image_height = 5, cs.enc2.image_width = 6, cs.enc2.image_channels = 2;
    cs.enc2.in_dim = 60;
    cs.enc2.pooling = "avg";
    for (int threads : {1, 2}) {
        cs.threads = threads;
        zero_allocation_steps(cs, threads == 1 ? "cnn encoders + classification head" : "cnn encoders, two threads");
    }
}

BOOST_AUTO_TEST_CASE(training_step_allocates_nothing_after_warmup) {
    // The counter works, and sees the engine's tensors: xtensor's storage comes from the global
    // operator new (if it ever used another allocator, this check would fail, not the step's).
    g_allocs = 0;
    g_count_allocs = true;
    auto* probe = new std::vector<int>(10);
    g_count_allocs = false;
    delete probe;
    BOOST_TEST(g_allocs.load() >= 1);
    g_allocs = 0;
    g_count_allocs = true;
    {
        Mat<double> m({8, 8});
        m.resize({16, 8});
    }
    g_count_allocs = false;
    BOOST_TEST(g_allocs.load() >= 2);
    zero_allocation_step<double>();
    zero_allocation_step<float>();
}

double max_abs_diff(const M& a, const M& b) {
    double m = 0;
    for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(a.data()[i] - b.data()[i]));
    return m;
}

// Solves the small system A x = b (A symmetric positive definite, row-major k x k) by Gaussian
// elimination: the tests' own normal equations.
std::vector<double> solve_small(std::vector<double> A, std::vector<double> b) {
    const std::size_t k = b.size();
    for (std::size_t c = 0; c < k; ++c)
        for (std::size_t r = c + 1; r < k; ++r) {
            const double f = A[r * k + c] / A[c * k + c];
            for (std::size_t j = c; j < k; ++j) A[r * k + j] -= f * A[c * k + j];
            b[r] -= f * b[c];
        }
    std::vector<double> x(k);
    for (std::size_t r = k; r-- > 0;) {
        double v = b[r];
        for (std::size_t j = r + 1; j < k; ++j) v -= A[r * k + j] * x[j];
        x[r] = v / A[r * k + r];
    }
    return x;
}

BOOST_AUTO_TEST_CASE(trainer_schedule_warmup_full_loss_and_polish) {
    const std::size_t n = 200, d = 6, p = 2;
    const M x1 = rnd(n, d, 70), x2 = rnd(n, d, 71);
    M z2({n, p}), y({n, std::size_t(1)});
    for (std::size_t i = 0; i < n; ++i) {  // targets and task correlated with x1, plus noise
        z2(i, 0) = x1(i, 0) + 0.5 * x1(i, 1) + 0.3 * x2(i, 0);
        z2(i, 1) = x1(i, 2) - 0.4 * x1(i, 3) + 0.3 * x2(i, 1);
        y(i, 0) = x1(i, 0) - x1(i, 4) + 0.2 * x2(i, 2);
    }
    models::TrainerSpec<double> ts;
    ts.enc1.kind = "linear";
    ts.enc1.in_dim = d;
    ts.enc1.out_dim = p;
    ts.alignment.name = "regression";
    ts.frozen_targets = true;
    ts.batch = 40;
    ts.lr = 0.01;
    models::TrainData<double> td;
    td.x1 = &x1;
    td.z2 = &z2;

    // 1. the schedule: hold 70% of the steps, then linearly to 1% at the last step
    ts.schedule = "hold_decay";
    {
        models::Trainer<double> t(ts, td);
        BOOST_TEST(t.lr_at(0, 101) == 0.01);
        BOOST_TEST(t.lr_at(70, 101) == 0.01);
        BOOST_TEST(std::abs(t.lr_at(85, 101) - 0.01 * (1 - 0.99 * 0.5)) < 1e-15);
        BOOST_TEST(std::abs(t.lr_at(100, 101) - 1e-4) < 1e-15);
        BOOST_TEST(t.lr_at(0, 1) == 0.01);
        t.fit(11);
        BOOST_TEST(std::abs(t.optimizer().lr() - 1e-4) < 1e-15);  // fit() set each step's rate
        models::TrainerSpec<double> c = ts;
        c.schedule = "constant";
        models::Trainer<double> tc(c, td);
        BOOST_TEST(tc.lr_at(100, 101) == 0.01);
        c.schedule = "cosine";
        BOOST_CHECK_THROW(models::Trainer<double>(c, td), std::invalid_argument);
    }

    // 2. the loss on the whole set is a batch of every row: the first step's loss at batch n
    {
        models::TrainerSpec<double> all = ts;
        all.batch = n;
        models::Trainer<double> t(all, td);
        const double before = t.full_loss_value();
        BOOST_TEST(std::abs(before - t.step()) < 1e-12 * (1 + std::abs(before)));
    }

    // 3. polishing reaches the least-squares encoder W1 = Z2^T X1 (X1^T X1)^{-1}
    {
        models::Trainer<double> t(ts, td);
        t.fit(5);
        int calls = 0;
        models::PolishOptions po;
        po.done = [&] { return ++calls < 0; };  // never: until the loss stops decreasing
        const models::PolishReport r = t.polish(po);
        BOOST_TEST(r.final_loss < r.initial_loss);
        BOOST_TEST(r.evals <= 1000);
        BOOST_TEST(calls > 0);
        std::vector<double> A(d * d, 0.0), b(d);
        for (std::size_t k = 0; k < p; ++k) {
            for (std::size_t j = 0; j < d; ++j) {
                b[j] = 0;
                for (std::size_t i = 0; i < n; ++i) b[j] += x1(i, j) * z2(i, k);
                for (std::size_t l = 0; l < d && k == 0; ++l)
                    for (std::size_t i = 0; i < n; ++i) A[j * d + l] += x1(i, j) * x1(i, l);
            }
            const std::vector<double> w = solve_small(A, b);
            for (std::size_t j = 0; j < d; ++j)
                BOOST_TEST(std::abs((*t.encoder1().linear_weight())(k, j) - w[j]) < 1e-6, "row " << k << " col " << j);
        }
        // the budget and done()
        models::Trainer<double> t2(ts, td);
        po.max_evals = 4;
        BOOST_TEST(t2.polish(po).evals <= 4);
        po.max_evals = 1000;
        calls = 0;
        po.done = [&] { return ++calls == 2; };
        const models::PolishReport r2 = t2.polish(po);
        BOOST_TEST(r2.done);
        BOOST_TEST(calls == 2);
        // rebalancing needs a task
        po.rebalance = true;
        BOOST_CHECK_THROW(t2.polish(po), std::invalid_argument);
    }

    // 4. a task with a warm-up: the head stays out of the first steps, then is the least-squares
    // head of y on z1; polishing with rebalancing lowers the loss to a stationary point
    {
        models::TrainerSpec<double> tt = ts;
        tt.task = true;
        tt.lambda = 0.5;
        tt.warmup_steps = 3;
        td.y = &y;
        models::Trainer<double> t(tt, td);
        const M head0 = t.head().value, w0 = *t.encoder1().linear_weight();
        for (int k = 0; k < 3; ++k) t.step();
        BOOST_TEST(max_abs_diff(t.head().value, head0) == 0.0);  // not trained during the warm-up
        BOOST_TEST(max_abs_diff(*t.encoder1().linear_weight(), w0) > 0.0);
        models::Trainer<double> f(tt, td);
        f.fit(3);  // a fit as long as its warm-up ends with the head solved
        const M& W = *f.encoder1().linear_weight();
        std::vector<double> A(p * p, 0.0), b(p, 0.0);
        for (std::size_t i = 0; i < n; ++i) {
            double z[2];
            for (std::size_t k = 0; k < p; ++k) {
                z[k] = 0;
                for (std::size_t j = 0; j < d; ++j) z[k] += W(k, j) * x1(i, j);
            }
            for (std::size_t k = 0; k < p; ++k) {
                b[k] += z[k] * y(i, 0);
                for (std::size_t l = 0; l < p; ++l) A[k * p + l] += z[k] * z[l];
            }
        }
        const std::vector<double> v = solve_small(A, b);
        for (std::size_t k = 0; k < p; ++k) BOOST_TEST(std::abs(f.head().value(k, 0) - v[k]) < 1e-10);
        models::PolishOptions po;
        po.rebalance = true;
        const models::PolishReport r = f.polish(po);
        BOOST_TEST(r.rebalances >= 1);
        BOOST_TEST(r.final_loss < r.initial_loss);
        // stationary: the full-batch gradient vanishes
        Tape<double> tape;
        for (auto* q : f.params()) q->zero_grad();
        tape.backward(f.full_loss(tape));
        double g2 = 0;
        for (auto* q : f.params())
            for (std::size_t i = 0; i < q->grad.size(); ++i) g2 += q->grad.data()[i] * q->grad.data()[i];
        BOOST_TEST(std::sqrt(g2) < 1e-6, "gradient norm " << std::sqrt(g2));
    }
}

BOOST_AUTO_TEST_SUITE_END()
