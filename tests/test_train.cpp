// Learned against analytic: encoders trained from samples keep what the closed forms say they
// keep. Budget: test_data + test_train < 5 minutes on 2 cores (this suite: about a minute).
// Sizes: d1 = d2 = 8, ks = k1 = k2 = 2, p = 2, 40000 training and 20000 test samples, so the
// empirical optimum is within about 0.01 of the population one (overfitting ~ sqrt(d / n)),
// and the 0.03 tolerances are properties, not luck (checked on seeds 0-5 when written).
// ALIGNSIM_TEST_SCALE (test_scale.hpp) runs fewer seeds of each check in the sanitizer build.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/run/run.hpp"
#include "test_scale.hpp"

namespace {

sim::Config linear_config(const std::string& alignment, long seed) {
    sim::Config c;
    c.set("data.kind", std::string("linear"));
    c.set("data.mixing", std::string("orthogonal"));
    c.set("data.d1", std::int64_t(8));
    c.set("data.d2", std::int64_t(8));
    c.set("data.k_shared", std::int64_t(2));
    c.set("data.k1", std::int64_t(2));
    c.set("data.k2", std::int64_t(2));
    c.set("data.n_train", std::int64_t(40000));
    c.set("data.n_test", std::int64_t(20000));
    c.set("model.dim", std::int64_t(2));  // p = k_shared
    c.set("model.encoder", std::string("linear"));
    c.set("objective.alignment", alignment);
    c.set("train.seed", std::int64_t(seed));
    c.set("train.batch", std::int64_t(512));
    if (alignment == "infonce") {
        c.set("train.lr", 0.001);
        c.set("train.steps", std::int64_t(8000));
    } else {
        c.set("train.lr", 0.003);
        c.set("train.steps", std::int64_t(3000));
    }
    c.validate();
    return c;
}

sim::Config nonlinear_config(long seed) {
    sim::Config c;
    c.set("data.kind", std::string("nonlinear"));
    c.set("data.n_train", std::int64_t(20000));
    c.set("data.n_test", std::int64_t(10000));
    c.set("model.encoder", std::string("mlp"));
    c.set("model.hidden", std::vector<std::int64_t>{32, 32});
    c.set("model.dim", std::int64_t(4));
    c.set("objective.alignment", std::string("infonce"));
    c.set("train.steps", std::int64_t(2000));
    c.set("train.batch", std::int64_t(256));
    c.set("train.lr", 0.003);
    c.set("train.seed", std::int64_t(seed));
    c.validate();
    return c;
}

const char* const kKeys[] = {"y_shared", "y1", "y2", "y_mix", "s", "u1", "u2"};

// Everything of a result except the wall-clock time.
std::string fingerprint(const sim::RunResult& r) {
    nlohmann::json j = r.to_json();
    j.erase("seconds");
    return j.dump();
}

}  // namespace

BOOST_AUTO_TEST_CASE(learned_matches_analytic_for_every_alignment) {
    // g(t) = t^2 / (t^2 + sigma^2) with a1 = 1, sigma1 = 0.5 (the defaults): the spec's table
    const double g = 1.0 / 1.25, rho = 0.5;
    for (const std::string alignment : {"regression", "cca", "spectral", "infonce"}) {
        for (long seed : testing_scale::seeds({0L, 1L})) {
            const sim::RunResult r = sim::run(linear_config(alignment, seed));
            const std::string tag = alignment + " seed " + std::to_string(seed);
            BOOST_TEST_REQUIRE(r.status == "ok", tag << ": " << r.reason);
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
            BOOST_TEST(std::isfinite(r.alignment_loss), tag);
            // CKA is invariant to rotations, not to the invertible maps that spectral's optimum
            // leaves free (only W1^T W2 is determined), so only the others are pinned down
            BOOST_TEST((r.cka >= 0.0 && r.cka <= 1.0 + 1e-12), tag);
            if (alignment != "spectral") BOOST_TEST(r.cka > 0.3, tag << ": " << r.cka);
            // cca: z1, z2 whitened with canonical correlations rho_k, so CKA = mean rho_k^2
            // (rho_c = a1 a2 / sqrt((a1^2 + s1^2)(a2^2 + s2^2)) = 0.8 with the defaults)
            if (alignment == "cca") BOOST_TEST(std::abs(r.cka - 0.64) < 0.03, tag << ": " << r.cka);
            BOOST_TEST(r.steps == (alignment == "infonce" ? 8000 : 3000));
        }
    }
}

BOOST_AUTO_TEST_CASE(above_k_shared_the_learned_span_contains_the_analytic_subspace) {
    // p = k_shared + 1: the minimum-norm optimum spans only the k_shared canonical directions, so
    // the principal angles are taken over those; the learned span must contain them (all of s
    // kept), whatever the indifferent direction carries.
    const double g = 1.0 / 1.25;
    for (const std::string alignment : {"cca", "regression"}) {
        sim::Config c = linear_config(alignment, 0);
        c.set("model.dim", std::int64_t(3));
        c.validate();
        const sim::RunResult r = sim::run(c);
        BOOST_TEST_REQUIRE(r.status == "ok", alignment << ": " << r.reason);
        BOOST_TEST(r.subspace_distance >= 0.0, alignment);
        BOOST_TEST(r.subspace_distance < 0.15, alignment << ": " << r.subspace_distance);
        BOOST_TEST(std::abs(r.analytic_r2.at("s").z1 - g) < 1e-9, alignment);
        BOOST_TEST(std::abs(r.learned_r2.at("s").z1 - g) < 0.03, alignment << ": " << r.learned_r2.at("s").z1);
        BOOST_TEST(std::abs(r.learned_r2.at("y_shared").z1 - g) < 0.03, alignment);
    }
}

BOOST_AUTO_TEST_CASE(tradeoff_follows_the_analytic_curve) {
  for (long seed : testing_scale::seeds({0L, 1L})) {
    std::vector<double> learned, analytic;
    for (double lambda : {0.1, 1.0, 10.0}) {
        sim::Config c = linear_config("regression", seed);
        c.set("objective.task", std::string("y_mix"));
        c.set("objective.lambda", lambda);
        c.validate();
        const sim::RunResult r = sim::run(c);
        BOOST_TEST_REQUIRE(r.status == "ok", r.reason);
        BOOST_TEST(r.analytic_kind == "tradeoff");
        const double L = r.learned_r2.at("y_mix").z1, A = r.analytic_r2.at("y_mix").z1;
        BOOST_TEST(std::abs(L - A) < 0.03, "lambda " << lambda << ": learned " << L << " analytic " << A);
        BOOST_TEST(std::abs(r.learned_r2.at("u1").z1 - r.analytic_r2.at("u1").z1) < 0.03, "lambda " << lambda);
        learned.push_back(L);
        analytic.push_back(A);
    }
    // the curve is not flat: alignment strength costs modality-specific prediction
    BOOST_TEST(analytic[0] > analytic[1] + 0.05);
    BOOST_TEST(analytic[1] > analytic[2] + 0.05);
    BOOST_TEST(learned[0] > learned[1] + 0.03);
    BOOST_TEST(learned[1] > learned[2] + 0.03);
    // the oracle and the aligned ends: rho g(a1) + (1 - rho) g(b1) = 0.8 and rho g(a1) = 0.4
    BOOST_TEST(analytic[0] < 0.8 + 1e-9);
    BOOST_TEST(analytic[2] > 0.4 - 1e-9);
  }
}

BOOST_AUTO_TEST_CASE(gaussian_mixing_learned_matches_the_general_formula) {
    // shared and specific directions overlap: the closed forms give the exact leak
    for (const std::string alignment : {"regression", "cca"}) {
        for (long seed : testing_scale::seeds({0L, 1L})) {
            sim::Config c = linear_config(alignment, seed);
            c.set("data.mixing", std::string("gaussian"));
            c.set("data.seed", std::int64_t(seed));
            c.validate();
            const sim::RunResult r = sim::run(c);
            const std::string tag = alignment + " seed " + std::to_string(seed);
            BOOST_TEST_REQUIRE(r.status == "ok", tag << ": " << r.reason);
            for (const char* k : kKeys) {
                BOOST_TEST(std::abs(r.learned_r2.at(k).z1 - r.analytic_r2.at(k).z1) < 0.03, tag << " " << k);
                BOOST_TEST(std::abs(r.learned_r2.at(k).z2 - r.analytic_r2.at(k).z2) < 0.03, tag << " " << k);
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(nonlinear_infonce_keeps_shared_and_drops_specific) {
    for (long seed : testing_scale::seeds({0L, 1L, 2L})) {
        const std::string tag = "seed " + std::to_string(seed);
        // alignment only: s kept, u1 dropped
        const sim::RunResult a = sim::run(nonlinear_config(seed));
        BOOST_TEST_REQUIRE(a.status == "ok", tag << ": " << a.reason);
        BOOST_TEST(a.analytic_r2.empty());
        BOOST_TEST(a.subspace_distance == -1.0);
        BOOST_TEST(a.learned_r2.at("s").z1 > a.learned_r2.at("u1").z1 + 0.3,
                   tag << ": s " << a.learned_r2.at("s").z1 << " u1 " << a.learned_r2.at("u1").z1);
        BOOST_TEST(a.learned_r2.at("y_shared").z1 > a.learned_r2.at("y1").z1 + 0.3, tag);
        // a y1 task: strong alignment still drops u1, weak alignment brings it back
        sim::Config strong = nonlinear_config(seed), weak = nonlinear_config(seed);
        strong.set("objective.task", std::string("y1"));
        strong.set("objective.lambda", 100.0);
        weak.set("objective.task", std::string("y1"));
        weak.set("objective.lambda", 0.01);
        const sim::RunResult rs = sim::run(strong), rw = sim::run(weak);
        BOOST_TEST_REQUIRE(rs.status == "ok", rs.reason);
        BOOST_TEST_REQUIRE(rw.status == "ok", rw.reason);
        BOOST_TEST(rw.learned_r2.at("u1").z1 > rs.learned_r2.at("u1").z1 + 0.15,
                   tag << ": u1 weak " << rw.learned_r2.at("u1").z1 << " strong " << rs.learned_r2.at("u1").z1);
        BOOST_TEST(rw.learned_r2.at("y1").z1 > rs.learned_r2.at("y1").z1 + 0.3, tag);
        BOOST_TEST(rs.learned_r2.at("s").z1 > rs.learned_r2.at("u1").z1 + 0.3, tag);
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
    sim::Config c = linear_config("cca", 2);
    c.set("data.n_train", std::int64_t(10000));
    c.set("data.n_test", std::int64_t(5000));
    c.set("train.steps", std::int64_t(1000));
    const sim::RunResult d = sim::run(c);
    c.set("train.dtype", std::string("float32"));
    const sim::RunResult f = sim::run(c);
    BOOST_TEST_REQUIRE(d.status == "ok");
    BOOST_TEST_REQUIRE(f.status == "ok");
    for (const char* k : kKeys) BOOST_TEST(std::abs(d.learned_r2.at(k).z1 - f.learned_r2.at(k).z1) < 1e-3, k);
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
