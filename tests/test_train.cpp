// Learned against analytic: encoders trained from samples keep what the closed forms say they
// keep, on every one of 8 seeds (a learned result must not depend on one trajectory, nor on the
// BLAS kernel). Budget: test_data + test_train < 5 minutes on 2 cores (this suite: about two
// minutes of CPU, most of it the MLP cases at the end).
// Linear encoders: d1 = d2 = 8, ks = k1 = k2 = 2, p = 2, 20000 training and 20000 test samples,
// 1000 steps. Every run with a closed-form objective carries its optimality certificate (it ends
// within train.tolerance of the optimum on its training set: the steps, then full-batch
// polishing where they stop short), so the comparison with the analytic side only meets
// sampling error: the training set's (the sample optimum is not the population one) and the
// probe's test set, each about 0.01 here; the 0.03 tolerances hold with a margin of two
// (largest gap over seeds 0-7 when written: 0.015).
// ALIGNSIM_TEST_SCALE (test_scale.hpp) runs fewer seeds of each check in the sanitizer build.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/registry.hpp"
#include "sim/data/samples.hpp"
#include "sim/run/analytic.hpp"
#include "sim/run/run.hpp"
#include "test_scale.hpp"
#include "theory/closed_forms.hpp"
#include "theory/mehler.hpp"
#include "theory/objective.hpp"

namespace {

constexpr long kSeeds = 8;

sim::Config linear_config(const std::string& alignment, long seed) {
    sim::Config c;
    c.set("data.kind", std::string("linear"));
    c.set("data.mixing", std::string("orthogonal"));
    c.set("data.d1", std::int64_t(8));
    c.set("data.d2", std::int64_t(8));
    c.set("data.k_shared", std::int64_t(2));
    c.set("data.k1", std::int64_t(2));
    c.set("data.k2", std::int64_t(2));
    c.set("data.n_train", std::int64_t(20000));
    c.set("data.n_test", std::int64_t(20000));
    c.set("model.dim", std::int64_t(2));  // p = k_shared
    c.set("model.encoder", std::string("linear"));
    c.set("objective.alignment", alignment);
    c.set("train.seed", std::int64_t(seed));
    c.set("train.batch", std::int64_t(256));
    if (alignment == "infonce") {  // no certificate: enough steps at a small rate (subspace within 0.13 over seeds 0-7)
        c.set("train.lr", 0.003);
        c.set("train.steps", std::int64_t(2000));
    } else {
        c.set("train.lr", 0.01);
        c.set("train.steps", std::int64_t(1000));
    }
    c.validate();
    return c;
}

// A run with a closed-form objective ended ok within its tolerance of the optimum.
void check_certificate(const sim::RunResult& r, const std::string& tag) {
    BOOST_TEST(std::isfinite(r.objective_optimum), tag << ": " << r.objective_reason);
    BOOST_TEST(r.objective_gap <= r.tolerance, tag << ": gap " << r.objective_gap);
    BOOST_TEST(r.objective_gap > -1e-9, tag << ": gap " << r.objective_gap);  // the optimum is a minimum
}

sim::Config nonlinear_config(long seed) {
    sim::Config c;
    c.set("data.kind", std::string("nonlinear"));
    c.set("data.n_train", std::int64_t(10000));
    c.set("data.n_test", std::int64_t(5000));
    c.set("model.encoder", std::string("mlp"));
    c.set("model.hidden", std::vector<std::int64_t>{32, 32});
    c.set("model.dim", std::int64_t(4));
    c.set("objective.alignment", std::string("infonce"));
    c.set("train.steps", std::int64_t(2000));
    c.set("train.batch", std::int64_t(256));
    c.set("train.lr", 0.003);
    c.set("train.seed", std::int64_t(seed));
    c.set("eval.nonlinear_probe", std::string("off"));  // the tests read the linear probe
    c.validate();
    return c;
}

const char* const kKeys[] = {"y_shared", "y1", "y2", "y_mix", "s", "u1", "u2"};

// MLP encoders (one hidden layer of 32 ReLUs) on the linear model of linear_config, with 40000
// training and 20000 test samples. Settings measured over seeds 0-7 (README of issue 13's
// report): lr 0.001 keeps the Adam noise in the directions the loss ignores small (at 0.003 a
// y_mix gap of 0.024 appeared through a u1 leak of R^2 0.001); batches of 512, but 256 for the
// spectral and InfoNCE losses. (No certificate: the optimum over network weights has no closed
// form; the comparison is with the optimum over all encoders.)
sim::Config mlp_config(const std::string& alignment, long seed, int p) {
    sim::Config c = linear_config(alignment, seed);
    c.set("data.n_train", std::int64_t(40000));
    c.set("data.n_test", std::int64_t(20000));
    c.set("model.encoder", std::string("mlp"));
    c.set("model.hidden", std::vector<std::int64_t>{32});
    c.set("model.dim", std::int64_t(p));
    c.set("train.steps", std::int64_t(3000));
    c.set("train.lr", 0.001);
    c.set("train.batch", std::int64_t(512));
    if (alignment == "spectral" || alignment == "infonce") c.set("train.batch", std::int64_t(256));
    if (alignment == "infonce") c.set("train.lr", 0.003);
    c.validate();
    return c;
}

// The largest |learned - expected| per setting, printed with --log_level=message (the margins).
struct Worst {
    std::map<std::string, double> gap;
    void see(const std::string& setting, double d) { gap[setting] = std::max(gap[setting], d); }
    ~Worst() {
        for (const auto& [k, v] : gap) BOOST_TEST_MESSAGE("largest gap, " << k << ": " << v);
    }
};

// The smallest margin per property, printed with --log_level=message.
struct Least {
    std::map<std::string, double> margin;
    void see(const std::string& what, double m) {
        auto it = margin.find(what);
        if (it == margin.end() || m < it->second) margin[what] = m;
    }
    ~Least() {
        for (const auto& [k, v] : margin) BOOST_TEST_MESSAGE("smallest margin, " << k << ": " << v);
    }
};
// The nonlinear probe's R^2 of an MLP run against `theory` (what any probe reads at the optimum),
// per kind of read-out:
//  - independent of the encoder's input (z1: u2, y2; z2: u1, y1): the theory says 0 and the probe
//    must read less than 0.01 from the trained code: it makes up no information of its own;
//  - specific to the input's modality (z1: u1, y1, y_mix; z2: u2, y2): at least theory - 0.03 and
//    at most theory + leak;
//  - shared (s, y_shared, y_mix of z2): within 0.03.
void check_nonlinear_probe(const sim::RunResult& r, const std::map<std::string, sim::R2Pair>& theory, double leak,
                           const std::string& tag, const std::string& setting, Worst& worst) {
    BOOST_TEST_REQUIRE(r.learned_r2_nonlinear.size() == 7u, tag);
    for (const char* k : kKeys) {
        const std::string name = k;
        const auto& L = r.learned_r2_nonlinear.at(name);
        const auto& T = theory.at(name);
        for (const bool z2 : {false, true}) {
            const double l = z2 ? L.z2 : L.z1, t = z2 ? T.z2 : T.z1;
            const std::string what = tag + " " + name + (z2 ? " z2" : " z1") + ", nonlinear probe: learned " +
                                     std::to_string(l) + ", theory " + std::to_string(t);
            const bool none = z2 ? (name == "u1" || name == "y1") : (name == "u2" || name == "y2");
            const bool own = z2 ? (name == "u2" || name == "y2") : (name == "u1" || name == "y1" || name == "y_mix");
            if (none) {
                BOOST_TEST(std::abs(t) < 1e-12, what);
                BOOST_TEST(l < 0.01, what);
                worst.see(setting + ", nonlinear probe, independent of the input", l);
            } else if (own) {
                BOOST_TEST(l > t - 0.03, what);
                BOOST_TEST(l < t + leak, what);
                worst.see(setting + ", nonlinear probe, specific (learned - theory)", l - t);
            } else {
                BOOST_TEST(std::abs(l - t) < 0.03, what);
                worst.see(setting + ", nonlinear probe, shared", std::abs(l - t));
            }
        }
    }
}

// The closed form for unconstrained encoders of a config's model (theory/mehler.hpp).
theory::UnconstrainedOptimum unconstrained_of(const sim::Config& c, const std::string& centering) {
    const sim::DataModel dm = sim::make_data_model(c);
    return theory::unconstrained_optimum(dm.linear, theory::moments(dm.linear), static_cast<int>(c.i("model.dim")), centering);
}

// Everything of a result except the wall-clock time.
std::string fingerprint(const sim::RunResult& r) {
    nlohmann::json j = r.to_json();
    j.erase("seconds");
    return j.dump();
}

// The parameter sets of the VICReg / Barlow Twins checks, each with an optimum whose R^2 is
// determined: the defaults (canonical correlations tied at 0.8, p = k_shared, the whole shared
// subspace kept: the canonical candidate is optimal); Gaussian mixing with distinct
// correlations and p = 1 (the top canonical pair); stronger shared and noisier modality-1
// signals (correlations tied at 0.69), p = k_shared. (Where the optimum is a set along which
// the loss is flat within the tolerance, as Barlow Twins' copies of a variate with its small
// off-diagonal weight, single runs' R^2 are not determined: docs/theory.md, section 10.)
sim::Config second_moment_config(const std::string& alignment, int set, long seed) {
    sim::Config c = linear_config(alignment, seed);  // 20000 training and test samples
    c.set("train.steps", std::int64_t(600));
    if (set == 1) {
        c.set("data.mixing", std::string("gaussian"));
        c.set("data.seed", std::int64_t(3));
        c.set("model.dim", std::int64_t(1));
    } else if (set == 2) {
        c.set("data.a1", 1.5);
        c.set("data.noise1", 1.0);
    }
    c.validate();
    return c;
}

}  // namespace

BOOST_AUTO_TEST_CASE(vicreg_and_barlow_twins_reach_their_population_optimum) {
    // Learned linear runs end within train.tolerance of the optimum of their loss on their
    // training set (theory/second_moment.hpp, numerical in moment space), and what they keep of
    // every target and block agrees within 0.02 with the population optimum's R^2.
    Worst worst;
    for (const std::string alignment : {"vicreg", "barlow_twins"})
        for (int set : {0, 1, 2})
            for (long seed : testing_scale::first_seeds(kSeeds)) {
                const sim::Config cfg = second_moment_config(alignment, set, seed);
                const sim::RunResult r = sim::run(cfg);
                const std::string tag = alignment + " set " + std::to_string(set) + " seed " + std::to_string(seed);
                BOOST_TEST_REQUIRE(r.status == "ok", tag << ": " << r.reason);
                check_certificate(r, tag);
                BOOST_TEST(!r.objective_method.empty(), tag);
                BOOST_TEST_REQUIRE(r.analytic_r2.size() == 7u, tag);
                BOOST_TEST(r.analytic_kind == "aligned", tag);
                // the exact R^2 of the learned encoders within 0.02 of the optimum's; the probe's
                // reading of them on the test set within 0.03 (its own sampling error added)
                BOOST_TEST_REQUIRE(r.learned_population_r2.size() == 7u, tag);
                for (const char* k : kKeys) {
                    const auto& P = r.learned_population_r2.at(k);
                    const auto& L = r.learned_r2.at(k);
                    const auto& A = r.analytic_r2.at(k);
                    BOOST_TEST(std::abs(P.z1 - A.z1) < 0.02, tag << " " << k << " z1: learned " << P.z1 << " analytic " << A.z1);
                    BOOST_TEST(std::abs(P.z2 - A.z2) < 0.02, tag << " " << k << " z2: learned " << P.z2 << " analytic " << A.z2);
                    BOOST_TEST(std::abs(L.z1 - A.z1) < 0.03, tag << " " << k << " z1 probe: " << L.z1 << " analytic " << A.z1);
                    BOOST_TEST(std::abs(L.z2 - A.z2) < 0.03, tag << " " << k << " z2 probe: " << L.z2 << " analytic " << A.z2);
                    worst.see(alignment + " set " + std::to_string(set), std::max(std::abs(P.z1 - A.z1), std::abs(P.z2 - A.z2)));
                    worst.see(alignment + " set " + std::to_string(set) + ", probe",
                              std::max(std::abs(L.z1 - A.z1), std::abs(L.z2 - A.z2)));
                }
                BOOST_TEST(r.principal_angles_to_cca.size() >= 1u, tag);
            }
}

BOOST_AUTO_TEST_CASE(learned_matches_analytic_for_every_alignment) {
    // g(t) = t^2 / (t^2 + sigma^2) with a1 = 1, sigma1 = 0.5 (the defaults): the spec's table
    const double g = 1.0 / 1.25, rho = 0.5;
    Worst worst;
    // (spectral/batch: the centred spectral loss, the same optimum for encoders without a bias)
    for (const std::string variant : {"regression", "cca", "spectral", "spectral/batch", "infonce"}) {
        const std::string alignment = variant == "spectral/batch" ? "spectral" : variant;
        for (long seed : testing_scale::first_seeds(kSeeds)) {
            sim::Config cfg = linear_config(alignment, seed);
            if (variant == "spectral/batch") cfg.set("objective.spectral_centering", std::string("batch"));
            const sim::RunResult r = sim::run(cfg);
            const std::string tag = variant + " seed " + std::to_string(seed);
            BOOST_TEST_REQUIRE(r.status == "ok", tag << ": " << r.reason);
            if (alignment != "infonce") check_certificate(r, tag);
            BOOST_TEST_REQUIRE(r.analytic_r2.size() == 7u, tag);
            // the analytic side is the spec's orthogonal-mixing table
            BOOST_TEST(std::abs(r.analytic_r2.at("y_shared").z1 - g) < 1e-9, tag);
            BOOST_TEST(std::abs(r.analytic_r2.at("y1").z1) < 1e-9, tag);
            BOOST_TEST(std::abs(r.analytic_r2.at("y_mix").z1 - rho * g) < 1e-9, tag);
            for (const char* k : kKeys) {
                const auto& L = r.learned_r2.at(k);
                const auto& A = r.analytic_r2.at(k);
                BOOST_TEST(std::abs(L.z1 - A.z1) < 0.03, tag << " " << k << " z1: learned " << L.z1 << " analytic " << A.z1);
                BOOST_TEST(std::abs(L.z2 - A.z2) < 0.03, tag << " " << k << " z2: learned " << L.z2 << " analytic " << A.z2);
                worst.see(variant, std::max(std::abs(L.z1 - A.z1), std::abs(L.z2 - A.z2)));
            }
            // the probe agrees with the exact R^2 of the learned encoders (closed forms applied to
            // the learned W1, W2): it measures the representation, not its own noise
            BOOST_TEST_REQUIRE(r.learned_population_r2.size() == 7u, tag);
            for (const char* k : kKeys) {
                BOOST_TEST(std::abs(r.learned_r2.at(k).z1 - r.learned_population_r2.at(k).z1) < 0.02, tag << " " << k);
                BOOST_TEST(std::abs(r.learned_r2.at(k).z2 - r.learned_population_r2.at(k).z2) < 0.02, tag << " " << k);
            }
            // modality-specific information is gone, as the theory says
            BOOST_TEST(std::abs(r.learned_r2.at("y1").z1) < 0.01, tag);
            BOOST_TEST(std::abs(r.learned_r2.at("u1").z1) < 0.01, tag);
            // and the learned subspace is the analytic one (infonce: close to the cca one)
            BOOST_TEST(r.subspace_distance >= 0.0, tag);
            BOOST_TEST(r.subspace_distance < (alignment == "infonce" ? 0.2 : 0.1), tag << ": " << r.subspace_distance);
            worst.see(variant + " subspace distance", r.subspace_distance);
            BOOST_TEST(std::isfinite(r.alignment_loss), tag);
            // CKA is invariant to rotations, not to the invertible maps that spectral's optimum
            // leaves free (only W1^T W2 is determined), so only the others are pinned down
            BOOST_TEST((r.cka >= 0.0 && r.cka <= 1.0 + 1e-12), tag);
            if (alignment != "spectral") BOOST_TEST(r.cka > 0.3, tag << ": " << r.cka);
            // cca: z1, z2 whitened with canonical correlations rho_k, so CKA = mean rho_k^2
            // (rho_c = a1 a2 / sqrt((a1^2 + s1^2)(a2^2 + s2^2)) = 0.8 with the defaults)
            if (alignment == "cca") BOOST_TEST(std::abs(r.cka - 0.64) < 0.03, tag << ": " << r.cka);
            BOOST_TEST(r.steps == (alignment == "infonce" ? 2000 : 1000));
        }
    }
}

BOOST_AUTO_TEST_CASE(above_k_shared_the_learned_span_contains_the_analytic_subspace) {
    // p = k_shared + 1: the minimum-norm optimum spans only the k_shared canonical directions, so
    // the principal angles are taken over those; the learned span must contain them (all of s
    // kept), whatever the indifferent direction carries.
    const double g = 1.0 / 1.25;
    Worst worst;
    for (const std::string alignment : {"cca", "regression"}) {
        for (long seed : testing_scale::first_seeds(kSeeds)) {
            sim::Config c = linear_config(alignment, seed);
            c.set("model.dim", std::int64_t(3));
            c.validate();
            const sim::RunResult r = sim::run(c);
            const std::string tag = alignment + " seed " + std::to_string(seed);
            BOOST_TEST_REQUIRE(r.status == "ok", tag << ": " << r.reason);
            check_certificate(r, tag);
            BOOST_TEST(r.subspace_distance >= 0.0, tag);
            BOOST_TEST(r.subspace_distance < 0.15, tag << ": " << r.subspace_distance);
            BOOST_TEST(std::abs(r.analytic_r2.at("s").z1 - g) < 1e-9, tag);
            BOOST_TEST(std::abs(r.learned_r2.at("s").z1 - g) < 0.03, tag << ": " << r.learned_r2.at("s").z1);
            BOOST_TEST(std::abs(r.learned_r2.at("y_shared").z1 - g) < 0.03, tag);
            worst.see(alignment + " p=3 subspace distance", r.subspace_distance);
            worst.see(alignment + " p=3 s", std::abs(r.learned_r2.at("s").z1 - g));
        }
    }
}

BOOST_AUTO_TEST_CASE(tradeoff_follows_the_analytic_curve) {
    // task y_mix + lambda * regression alignment: the learned R^2 follows the closed-form curve
    // on every seed. (Issue 8: with the Haswell kernel, seed 1 at lambda = 1 used to stall at an
    // attractor at infinity, R^2 0.78 against 0.71; the warm-up, the least-squares head and the
    // rebalancing polish of the trainer reach the optimum on every kernel.)
    Worst worst;
    for (long seed : testing_scale::first_seeds(kSeeds)) {
        std::vector<double> learned, analytic;
        for (double lambda : {0.1, 1.0, 10.0}) {
            sim::Config c = linear_config("regression", seed);
            c.set("objective.task", std::string("y_mix"));
            c.set("objective.lambda", lambda);
            c.validate();
            const sim::RunResult r = sim::run(c);
            const std::string tag = "seed " + std::to_string(seed) + " lambda " + std::to_string(lambda);
            BOOST_TEST_REQUIRE(r.status == "ok", tag << ": " << r.reason);
            check_certificate(r, tag);
            BOOST_TEST(r.analytic_kind == "tradeoff");
            const double L = r.learned_r2.at("y_mix").z1, A = r.analytic_r2.at("y_mix").z1;
            BOOST_TEST(std::abs(L - A) < 0.03, tag << ": learned " << L << " analytic " << A);
            BOOST_TEST(std::abs(r.learned_r2.at("u1").z1 - r.analytic_r2.at("u1").z1) < 0.03, tag);
            worst.see("tradeoff y_mix", std::abs(L - A));
            learned.push_back(L);
            analytic.push_back(A);
        }
        // the curve is not flat: alignment strength costs modality-specific prediction
        BOOST_TEST(analytic[0] > analytic[1] + 0.05);
        BOOST_TEST(analytic[1] > analytic[2] + 0.05);
        BOOST_TEST(learned[0] > learned[1] + 0.03, "seed " << seed);
        BOOST_TEST(learned[1] > learned[2] + 0.03, "seed " << seed);
        // the oracle and the aligned ends: rho g(a1) + (1 - rho) g(b1) = 0.8 and rho g(a1) = 0.4
        BOOST_TEST(analytic[0] < 0.8 + 1e-9);
        BOOST_TEST(analytic[2] > 0.4 - 1e-9);
    }
}

BOOST_AUTO_TEST_CASE(gaussian_mixing_learned_matches_the_general_formula) {
    // shared and specific directions overlap: the closed forms give the exact leak (two models)
    Worst worst;
    for (const std::string alignment : {"regression", "cca"}) {
        for (long seed : testing_scale::first_seeds(kSeeds)) {
            sim::Config c = linear_config(alignment, seed);
            c.set("data.mixing", std::string("gaussian"));
            c.set("data.seed", std::int64_t(seed % 2));
            c.validate();
            const sim::RunResult r = sim::run(c);
            const std::string tag = alignment + " seed " + std::to_string(seed);
            BOOST_TEST_REQUIRE(r.status == "ok", tag << ": " << r.reason);
            check_certificate(r, tag);
            for (const char* k : kKeys) {
                BOOST_TEST(std::abs(r.learned_r2.at(k).z1 - r.analytic_r2.at(k).z1) < 0.03, tag << " " << k);
                BOOST_TEST(std::abs(r.learned_r2.at(k).z2 - r.analytic_r2.at(k).z2) < 0.03, tag << " " << k);
                worst.see("gaussian " + alignment, std::max(std::abs(r.learned_r2.at(k).z1 - r.analytic_r2.at(k).z1),
                                                            std::abs(r.learned_r2.at(k).z2 - r.analytic_r2.at(k).z2)));
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(the_certificate_of_a_run) {
    // 1. its optimum is the closed form on the very training set the run drew, with the moments
    // the loss needs (centred for cca and the centred spectral loss), and its gap is relative
    for (const std::string variant : {"regression", "cca", "spectral", "spectral/batch", "tradeoff", "task alone"}) {
        const std::string alignment = variant == "tradeoff" ? "regression" : variant == "task alone" ? "none"
                                      : variant == "spectral/batch" ? "spectral" : variant;
        sim::Config c = linear_config(alignment, 3);
        c.set("data.n_train", std::int64_t(4000));
        c.set("data.n_test", std::int64_t(1000));
        c.set("train.steps", std::int64_t(300));
        if (variant == "spectral/batch") c.set("objective.spectral_centering", std::string("batch"));
        if (variant == "tradeoff" || variant == "task alone") c.set("objective.task", std::string("y_mix"));
        c.validate();
        const sim::RunResult r = sim::run(c);
        BOOST_TEST_REQUIRE(r.status == "ok", variant << ": " << r.reason);
        check_certificate(r, variant);
        BOOST_TEST(r.objective_reason.empty(), variant);
        const sim::DataModel dm = sim::make_data_model(c);
        const sim::Samples smp = sim::make_samples(c, dm);
        theory::ObjectiveSpec spec;
        const models::AlignmentLossEntry& loss = models::alignment_loss(alignment);
        spec.form = loss.closed_form, spec.loss = loss.name, spec.loss_title = loss.title;
        spec.task = c.s("objective.task") == "none" ? -1 : theory::target_index(c.s("objective.task"));
        spec.lambda = c.f("objective.lambda");
        spec.cca_penalty = c.f("objective.cca_penalty");
        spec.spectral_centering = c.s("objective.spectral_centering");
        spec.p = 2;
        if (alignment == "regression") spec.W2 = sim::target_encoder_of(c, theory::moments(dm.linear));
        const theory::Moments mo = theory::sample_moments(smp.train.x1, smp.train.x2, smp.train.y, theory::objective_is_centred(spec));
        BOOST_TEST(r.objective_optimum == theory::objective_optimum(mo, spec).value, variant);
        BOOST_TEST(r.objective_gap == theory::relative_gap(r.objective_learned, r.objective_optimum), variant);
        // the history: at least 20 checkpoints in training order, the last one the result
        BOOST_TEST_REQUIRE(r.history.size() >= 20u, variant);
        for (std::size_t i = 1; i < r.history.size(); ++i)
            BOOST_TEST(r.history[i].step + r.history[i].evals > r.history[i - 1].step + r.history[i - 1].evals, variant);
        BOOST_TEST(r.history.back().gap == r.objective_gap, variant);
        BOOST_TEST(r.history.back().objective == r.objective_learned, variant);
        BOOST_TEST(r.history.front().gap > r.history.back().gap, variant);  // it went down
        const nlohmann::json j = r.to_json();
        BOOST_TEST(j["objective"]["gap"].get<double>() == r.objective_gap);
        BOOST_TEST(j["history"].size() == r.history.size());
    }
    // 2. no closed form: infonce, MLP encoders, nonlinear data; the optimum is null with a reason
    {
        sim::Config c = linear_config("infonce", 0);
        c.set("data.n_train", std::int64_t(1000));
        c.set("data.n_test", std::int64_t(500));
        c.set("train.steps", std::int64_t(40));
        sim::Config m = c, nl = c;
        m.set("model.encoder", std::string("mlp"));
        m.set("model.hidden", std::vector<std::int64_t>{8});
        m.set("objective.alignment", std::string("cca"));
        nl.set("data.kind", std::string("nonlinear"));
        nl.set("objective.alignment", std::string("regression"));
        for (const auto& [cfg, says] : std::vector<std::pair<sim::Config, std::string>>{{c, "InfoNCE"}, {m, "model.encoder mlp"}, {nl, "data.kind nonlinear"}}) {
            const sim::RunResult r = sim::run(cfg);
            BOOST_TEST(r.status == "ok", says << ": " << r.reason);
            BOOST_TEST(std::isnan(r.objective_optimum), says);
            BOOST_TEST(std::isnan(r.objective_gap), says);
            BOOST_TEST(r.objective_reason.find(says) != std::string::npos, r.objective_reason);
            BOOST_TEST(r.history.size() >= 20u, says);
            BOOST_TEST(std::isnan(r.history.back().gap), says);
            const nlohmann::json j = r.to_json();
            BOOST_TEST(j["objective"]["optimum"].is_null(), says);
            BOOST_TEST(j["objective"]["gap"].is_null(), says);
            BOOST_TEST(j["objective"]["optimum_reason"].get<std::string>() == r.objective_reason);
        }
    }
}

BOOST_AUTO_TEST_CASE(too_few_steps_end_not_converged) {
    // The certificate can fail: 5 steps without polishing leave every objective far from its
    // optimum, and the run says so, with the gap; polishing (the default) then closes the gap.
    for (const std::string variant : {"regression", "cca", "spectral", "tradeoff"}) {
        for (long seed : testing_scale::first_seeds(kSeeds)) {
            sim::Config c = linear_config(variant == "tradeoff" ? "regression" : variant, seed);
            c.set("data.n_train", std::int64_t(2000));
            c.set("data.n_test", std::int64_t(500));
            c.set("train.steps", std::int64_t(5));
            if (variant == "tradeoff") c.set("objective.task", std::string("y_mix"));
            c.set("train.polish", std::int64_t(0));
            c.validate();
            const std::string tag = variant + " seed " + std::to_string(seed);
            const sim::RunResult r = sim::run(c);
            BOOST_TEST(r.status == "not_converged", tag);
            BOOST_TEST(r.objective_gap > r.tolerance, tag);
            BOOST_TEST(r.reason.find("objective gap") != std::string::npos, r.reason);
            BOOST_TEST(r.reason.find("train.tolerance") != std::string::npos, r.reason);
            BOOST_TEST(r.polish_evals == 0);
            BOOST_TEST(std::isfinite(r.learned_r2.at("s").z1), tag);  // evaluated all the same
            BOOST_TEST(r.to_json()["status"] == "not_converged");
            c.set("train.polish", std::int64_t(1000));
            const sim::RunResult p = sim::run(c);
            BOOST_TEST(p.status == "ok", tag << ": " << p.reason);
            BOOST_TEST(p.polish_evals > 0, tag);
            BOOST_TEST(p.objective_gap <= p.tolerance / 10, tag << ": " << p.objective_gap);  // polished to a tenth
            BOOST_TEST(p.history.back().evals == p.polish_evals, tag);
            // a looser tolerance accepts what a tighter one refuses
            c.set("train.polish", std::int64_t(0));
            c.set("train.tolerance", std::min(1.0, r.objective_gap * 1.01));
            if (r.objective_gap < 1.0) BOOST_TEST(sim::run(c).status == "ok", tag);
        }
    }
}

BOOST_AUTO_TEST_CASE(nonlinear_infonce_keeps_shared_and_drops_specific) {
    // No closed form here: properties, on every seed. Thresholds about two thirds of the
    // smallest margins measured over seeds 0-7 (0.38, 0.33, 0.22, 0.41, 0.39).
    Least least;
    for (long seed : testing_scale::first_seeds(kSeeds)) {
        const std::string tag = "seed " + std::to_string(seed);
        // alignment only: s kept, u1 dropped
        const sim::RunResult a = sim::run(nonlinear_config(seed));
        BOOST_TEST_REQUIRE(a.status == "ok", tag << ": " << a.reason);
        BOOST_TEST(a.analytic_r2.empty());
        BOOST_TEST(a.subspace_distance == -1.0);
        BOOST_TEST(std::isnan(a.objective_gap));
        BOOST_TEST(a.learned_r2.at("s").z1 > a.learned_r2.at("u1").z1 + 0.25,
                   tag << ": s " << a.learned_r2.at("s").z1 << " u1 " << a.learned_r2.at("u1").z1);
        BOOST_TEST(a.learned_r2.at("y_shared").z1 > a.learned_r2.at("y1").z1 + 0.2, tag);
        // a y1 task: strong alignment still drops u1, weak alignment brings it back
        sim::Config strong = nonlinear_config(seed), weak = nonlinear_config(seed);
        strong.set("objective.task", std::string("y1"));
        strong.set("objective.lambda", 100.0);
        weak.set("objective.task", std::string("y1"));
        weak.set("objective.lambda", 0.01);
        const sim::RunResult rs = sim::run(strong), rw = sim::run(weak);
        BOOST_TEST_REQUIRE(rs.status == "ok", rs.reason);
        BOOST_TEST_REQUIRE(rw.status == "ok", rw.reason);
        BOOST_TEST(rw.learned_r2.at("u1").z1 > rs.learned_r2.at("u1").z1 + 0.1,
                   tag << ": u1 weak " << rw.learned_r2.at("u1").z1 << " strong " << rs.learned_r2.at("u1").z1);
        BOOST_TEST(rw.learned_r2.at("y1").z1 > rs.learned_r2.at("y1").z1 + 0.25, tag);
        BOOST_TEST(rs.learned_r2.at("s").z1 > rs.learned_r2.at("u1").z1 + 0.25, tag);
        least.see("s - u1, alignment only", a.learned_r2.at("s").z1 - a.learned_r2.at("u1").z1);
        least.see("y_shared - y1, alignment only", a.learned_r2.at("y_shared").z1 - a.learned_r2.at("y1").z1);
        least.see("u1 weak - strong", rw.learned_r2.at("u1").z1 - rs.learned_r2.at("u1").z1);
        least.see("y1 weak - strong", rw.learned_r2.at("y1").z1 - rs.learned_r2.at("y1").z1);
        least.see("s - u1, strong", rs.learned_r2.at("s").z1 - rs.learned_r2.at("u1").z1);
    }
}

BOOST_AUTO_TEST_CASE(same_config_same_numbers_on_any_thread) {
    std::vector<sim::Config> cfgs;
    {
        sim::Config c = linear_config("cca", 3);
        c.set("data.n_train", std::int64_t(3000));
        c.set("data.n_test", std::int64_t(1000));
        c.set("train.steps", std::int64_t(300));
        cfgs.push_back(c);
        sim::Config n = nonlinear_config(4);
        n.set("data.n_train", std::int64_t(3000));
        n.set("data.n_test", std::int64_t(1000));
        n.set("train.steps", std::int64_t(200));
        n.set("objective.task", std::string("y_mix"));
        cfgs.push_back(n);
        sim::Config f = c;
        f.set("train.dtype", std::string("float32"));
        f.set("objective.alignment", std::string("infonce"));
        cfgs.push_back(f);
    }
    for (const auto& c : cfgs) {
        const std::string here = fingerprint(sim::run(c));
        std::string t1, t2;
        std::thread a([&] { t1 = fingerprint(sim::run(c)); });
        std::thread b([&] { t2 = fingerprint(sim::run(c)); });
        a.join();
        b.join();
        BOOST_TEST(here == t1);
        BOOST_TEST(here == t2);
    }
    // and another training seed gives other numbers (the check above is not vacuous)
    sim::Config other = cfgs[0];
    other.set("train.seed", std::int64_t(4));
    BOOST_TEST(fingerprint(sim::run(other)) != fingerprint(sim::run(cfgs[0])));
}

BOOST_AUTO_TEST_CASE(divergence_is_a_status_not_a_crash) {
    sim::Config c = linear_config("regression", 0);
    c.set("data.n_train", std::int64_t(500));
    c.set("data.n_test", std::int64_t(100));
    c.set("train.batch", std::int64_t(64));
    c.set("train.optimizer", std::string("sgd"));
    c.set("train.lr", 1e6);
    c.set("train.steps", std::int64_t(100));
    c.validate();
    sim::RunResult r;
    BOOST_CHECK_NO_THROW(r = sim::run(c));
    BOOST_TEST(r.status == "diverged");
    BOOST_TEST(!r.reason.empty());
    BOOST_TEST(r.steps < 100);
    BOOST_TEST(std::isnan(r.learned_r2.at("y_shared").z1));
    const nlohmann::json j = r.to_json();
    BOOST_TEST(j["status"] == "diverged");
    BOOST_TEST(j.contains("reason"));
    // infonce with a huge learning rate, too (whatever happens, a status comes back)
    c.set("objective.alignment", std::string("infonce"));
    c.set("objective.similarity", std::string("dot"));
    c.set("train.lr", 1e8);
    BOOST_CHECK_NO_THROW(r = sim::run(c));
    BOOST_TEST((r.status == "ok" || r.status == "diverged"));
}

BOOST_AUTO_TEST_CASE(float32_training_agrees_with_float64) {
    // the same trajectory in both precisions, polishing included (largest difference over seeds
    // 0-7 when written: 6e-7)
    for (long seed : testing_scale::first_seeds(kSeeds)) {
        sim::Config c = linear_config("cca", seed);
        c.set("data.n_train", std::int64_t(5000));
        c.set("data.n_test", std::int64_t(2000));
        c.set("train.steps", std::int64_t(500));
        const sim::RunResult d = sim::run(c);
        c.set("train.dtype", std::string("float32"));
        const sim::RunResult f = sim::run(c);
        const std::string tag = "seed " + std::to_string(seed);
        BOOST_TEST_REQUIRE(d.status == "ok", tag << ": " << d.reason);
        BOOST_TEST_REQUIRE(f.status == "ok", tag << ": " << f.reason);
        check_certificate(f, tag + " float32");
        for (const char* k : kKeys) BOOST_TEST(std::abs(d.learned_r2.at(k).z1 - f.learned_r2.at(k).z1) < 1e-3, tag << " " << k);
    }
}

BOOST_AUTO_TEST_CASE(regression_on_nonlinear_data_uses_a_frozen_random_target) {
    sim::Config c = nonlinear_config(0);
    c.set("objective.alignment", std::string("regression"));
    c.set("data.n_train", std::int64_t(3000));
    c.set("data.n_test", std::int64_t(1000));
    c.set("train.steps", std::int64_t(300));
    const sim::RunResult r = sim::run(c);
    BOOST_TEST(r.status == "ok");
    BOOST_TEST(r.analytic_r2.empty());
    BOOST_TEST(std::isfinite(r.learned_r2.at("s").z2));
}

// ---- MLP encoders against the closed forms for unconstrained encoders (docs/theory.md, section 8)

BOOST_AUTO_TEST_CASE(mlp_encoders_reach_the_linear_optimum) {
    // On the linear model no nonlinear function does better than the linear optimum at p = ks
    // for regression, cca (centred whitening) and the centred spectral loss: MLP encoders reach
    // the analytic R^2 of every target and block within 0.03, on every seed. InfoNCE with cosine
    // similarity only sees z / |z|, a sphere of dimension p - 1: it needs p = ks + 1 (measured:
    // at p = ks it keeps about half of s), and has no closed form.
    Worst worst;
    for (long seed : testing_scale::first_seeds(8)) {
        for (const std::string alignment : {"regression", "cca", "spectral", "infonce"}) {
            const int p = alignment == "infonce" ? 3 : 2;
            sim::Config c = mlp_config(alignment, seed, p);
            if (alignment == "spectral") c.set("objective.spectral_centering", std::string("batch"));
            const sim::RunResult r = sim::run(c);
            const std::string tag = alignment + " seed " + std::to_string(seed);
            BOOST_TEST_REQUIRE(r.status == "ok", tag << ": " << r.reason);
            BOOST_TEST_REQUIRE(r.analytic_r2.size() == 7u, tag);
            BOOST_TEST(r.subspace_distance == -1.0, tag);  // no weight matrix to compare
            // the theory for unconstrained encoders agrees with the linear analytic side here
            if (alignment == "cca" || alignment == "spectral") {
                const auto u = unconstrained_of(c, "batch");
                BOOST_TEST(u.determined, tag);
                for (const char* k : kKeys) {
                    BOOST_TEST(std::abs(u.z1.linear.at(k) - r.analytic_r2.at(k).z1) < 1e-9, tag << " " << k);
                    BOOST_TEST(std::abs(u.z2.nonlinear.at(k) - r.analytic_r2.at(k).z2) < 1e-9, tag << " " << k);
                }
            }
            for (const char* k : kKeys) {
                const auto& L = r.learned_r2.at(k);
                const auto& A = r.analytic_r2.at(k);
                BOOST_TEST(std::abs(L.z1 - A.z1) < 0.03, tag << " " << k << " z1: learned " << L.z1 << " analytic " << A.z1);
                BOOST_TEST(std::abs(L.z2 - A.z2) < 0.03, tag << " " << k << " z2: learned " << L.z2 << " analytic " << A.z2);
                worst.see(alignment + " p=" + std::to_string(p), std::max(std::abs(L.z1 - A.z1), std::abs(L.z2 - A.z2)));
            }
            // The nonlinear probe (on by default for MLP encoders) against what any probe reads at
            // the optimum: here, with no spare dimension, what a linear probe reads (measured over
            // these seeds: within 0.018). InfoNCE with cosine similarity is not covered by the theory
            // and its specific read-outs are not bounded: the nonlinear probe reads 0.015-0.22 of u1
            // and 0.01-0.21 of y1 from z1 (means 0.09, 0.08) where the linear one reads at most
            // 0.02, presumably through |z|, which the loss does not see (docs/theory.md section 8).
            check_nonlinear_probe(r, r.analytic_r2_nonlinear, alignment == "infonce" ? HUGE_VAL : 0.03, tag,
                                  alignment + " p=" + std::to_string(p), worst);
        }
    }
}

BOOST_AUTO_TEST_CASE(mlp_encoders_spend_spare_dimensions_on_shared_functions) {
    // p = ks + 1: the spare dimension goes to a degree-2 function of the shared canonical
    // variates (rho_c^2 = 0.64 > 0), not to u1 (0). So every R^2 stays the linear optimum's, u1
    // stays out, and the centred spectral loss goes below anything a linear encoder reaches:
    // -(2 rho^2 + rho^4) = -1.69 against -2 rho^2 = -1.28 (rho = 0.8).
    Worst worst;
    for (long seed : testing_scale::first_seeds(8)) {
        for (const std::string alignment : {"cca", "spectral"}) {
            sim::Config c = mlp_config(alignment, seed, 3);
            if (alignment == "spectral") c.set("objective.spectral_centering", std::string("batch"));
            const sim::RunResult r = sim::run(c);
            const std::string tag = alignment + " p=3 seed " + std::to_string(seed);
            BOOST_TEST_REQUIRE(r.status == "ok", tag << ": " << r.reason);
            const auto u = unconstrained_of(c, "batch");
            BOOST_TEST_REQUIRE(u.kept.size() == 3u);
            BOOST_TEST(u.kept[2].degree() == 2, tag);
            for (const char* k : kKeys) {
                BOOST_TEST(std::abs(r.learned_r2.at(k).z1 - u.z1.linear.at(k)) < 0.03,
                           tag << " " << k << " z1: learned " << r.learned_r2.at(k).z1 << " theory " << u.z1.linear.at(k));
                BOOST_TEST(std::abs(r.learned_r2.at(k).z2 - u.z2.linear.at(k)) < 0.03,
                           tag << " " << k << " z2: learned " << r.learned_r2.at(k).z2 << " theory " << u.z2.linear.at(k));
                worst.see(alignment + " p=3", std::max(std::abs(r.learned_r2.at(k).z1 - u.z1.linear.at(k)),
                                                       std::abs(r.learned_r2.at(k).z2 - u.z2.linear.at(k))));
            }
            // The nonlinear probe. The theory says it reads what the linear one does; it does on
            // the shared side and reads nothing of what the code cannot depend on. What it reads of
            // u1 and y1 from z1 (and of y_mix, which holds y1) is not the theory's 0: the trained
            // spare dimension depends slightly and nonlinearly on u1's directions (measured over
            // these seeds: up to 0.046 above the theory for cca and 0.077 for spectral, while the
            // linear probe reads at most 0.002; docs/theory.md section 8). Bounded at 0.1 here, so
            // that a larger leak fails.
            std::map<std::string, sim::R2Pair> theory_nl;
            for (const char* k : kKeys) theory_nl[k] = {u.z1.nonlinear.at(k), u.z2.nonlinear.at(k)};
            check_nonlinear_probe(r, theory_nl, 0.1, tag, alignment + " p=3", worst);
            if (alignment == "spectral") {
                const sim::DataModel dm = sim::make_data_model(c);
                const double linear_best = theory::spectral_optimum_loss(theory::moments(dm.linear), 3);
                // the test-set loss: near the unconstrained optimum, far below the linear one
                BOOST_TEST(std::abs(r.alignment_loss - u.spectral_loss) < 0.1, tag << ": " << r.alignment_loss << " vs " << u.spectral_loss);
                BOOST_TEST(r.alignment_loss < linear_best - 0.25, tag << ": " << r.alignment_loss << " vs linear " << linear_best);
                worst.see("spectral p=3 test loss", std::abs(r.alignment_loss - u.spectral_loss));
            }
        }
    }
}

// R^2 of a target or block from z1 at the optimum of the same objective over linear encoders.
double linear_optimum_r2(sim::Config c, const std::string& name) {
    c.set("model.encoder", std::string("linear"));
    return sim::closed_form_point(c).analytic.at(name).z1;
}

BOOST_AUTO_TEST_CASE(mlp_encoders_follow_the_unconstrained_theory_where_it_differs) {
    Worst worst;
    for (long seed : testing_scale::first_seeds(8)) {
        const std::string tag = "seed " + std::to_string(seed);
        // 1. HaoChen et al.'s uncentred spectral loss at p = ks: the constant takes a dimension,
        // one canonical variate is left: R^2(s) = g / 2 = 0.4 (a block value, determined though
        // the variate kept is not), u1 nothing, loss -(1 + rho^2) = -1.64 below the linear -1.28
        {
            sim::Config c = mlp_config("spectral", seed, 2);
            const sim::RunResult r = sim::run(c);
            BOOST_TEST_REQUIRE(r.status == "ok", tag << ": " << r.reason);
            const auto u = unconstrained_of(c, "none");
            BOOST_TEST(u.kept[0].name() == "1");
            BOOST_TEST(std::abs(u.z1.nonlinear.at("s") - 0.4) < 1e-9);
            for (const char* k : {"s", "u1", "u2"}) {
                BOOST_TEST(std::abs(r.learned_r2.at(k).z1 - u.z1.linear.at(k)) < 0.03,
                           "uncentred " << tag << " " << k << " z1: learned " << r.learned_r2.at(k).z1 << " theory " << u.z1.linear.at(k));
                BOOST_TEST(std::abs(r.learned_r2.at(k).z2 - u.z2.linear.at(k)) < 0.03,
                           "uncentred " << tag << " " << k << " z2: learned " << r.learned_r2.at(k).z2 << " theory " << u.z2.linear.at(k));
                worst.see("spectral uncentred p=2 (blocks)", std::max(std::abs(r.learned_r2.at(k).z1 - u.z1.linear.at(k)),
                                                                      std::abs(r.learned_r2.at(k).z2 - u.z2.linear.at(k))));
            }
            BOOST_TEST(std::abs(r.alignment_loss - u.spectral_loss) < 0.05, "uncentred " << tag << ": " << r.alignment_loss);
            worst.see("spectral uncentred p=2 test loss", std::abs(r.alignment_loss - u.spectral_loss));
            // the run's analytic side is this optimum, and the linear one (what a linear encoder keeps) is far above
            BOOST_TEST(r.analytic_kind.rfind("unconstrained", 0) == 0, tag << ": " << r.analytic_kind);
            BOOST_TEST(std::abs(r.analytic_r2.at("s").z1 - u.z1.linear.at("s")) < 1e-12);
            BOOST_TEST(r.learned_r2.at("s").z1 < linear_optimum_r2(c, "s") - 0.3, "uncentred " << tag);
        }
        // 2. Unequal canonical correlations, rho = (0.778, 0.494), rho1^2 = 0.606 > rho2: at
        // p = ks = 2 an unconstrained encoder keeps h2(xi1) instead of xi2, and so keeps less of
        // s (0.426) than the linear optimum (0.61). Centred cca, gaussian mixing, d = 6.
        {
            sim::Config c = mlp_config("cca", seed, 2);
            c.set("data.mixing", std::string("gaussian"));
            c.set("data.d1", std::int64_t(6));
            c.set("data.d2", std::int64_t(6));
            c.set("data.seed", std::int64_t(0));
            c.set("train.lr", 0.003);  // at 0.001 two seeds of eight were still on their way to h2(xi1) after 3000 steps
            c.validate();
            const auto u = unconstrained_of(c, "batch");
            BOOST_TEST_REQUIRE(u.kept[1].name() == "h2(xi1)");
            const sim::RunResult r = sim::run(c);
            BOOST_TEST_REQUIRE(r.status == "ok", tag << ": " << r.reason);
            BOOST_TEST(linear_optimum_r2(c, "s") > u.z1.linear.at("s") + 0.15);  // the linear optimum keeps more
            BOOST_TEST(r.analytic_kind == "unconstrained");  // and the run compares with the unconstrained one
            for (const char* k : kKeys) BOOST_TEST(std::abs(r.analytic_r2.at(k).z1 - u.z1.linear.at(k)) < 1e-12);
            for (const char* k : kKeys) {
                BOOST_TEST(std::abs(r.learned_r2.at(k).z1 - u.z1.linear.at(k)) < 0.03,
                           "gaussian " << tag << " " << k << " z1: learned " << r.learned_r2.at(k).z1 << " theory " << u.z1.linear.at(k));
                BOOST_TEST(std::abs(r.learned_r2.at(k).z2 - u.z2.linear.at(k)) < 0.03,
                           "gaussian " << tag << " " << k << " z2: learned " << r.learned_r2.at(k).z2 << " theory " << u.z2.linear.at(k));
                worst.see("cca gaussian rho1^2 > rho2 p=2", std::max(std::abs(r.learned_r2.at(k).z1 - u.z1.linear.at(k)),
                                                                     std::abs(r.learned_r2.at(k).z2 - u.z2.linear.at(k))));
            }
        }
    }
}
