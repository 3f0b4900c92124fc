// Samplers against the population moments, the nonlinear map's invertibility, the .npy export
// round trip (our reader and numpy's), and the probe / CKA read-outs on known answers.
// Budget: test_data + test_train < 5 minutes on 2 cores; this suite takes a few seconds.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "autodiff/blas.hpp"
#include "sim/data/samples.hpp"
#include "sim/data/export.hpp"
#include "sim/io/npy.hpp"
#include "sim/run/probe.hpp"
#include "sim/run/probe_nonlinear.hpp"
#include "theory/model.hpp"

using sim::Mat;

namespace {

// Sample cross-moment E[a b^T] of two column-centred-in-population samples (rows): a^T b / n.
Mat cross(const Mat& a, const Mat& b) {
    Mat c({a.shape()[1], b.shape()[1]});
    ad::blas::gemm(a, true, b, false, c, 1.0 / static_cast<double>(a.shape()[0]), 0.0);
    return c;
}

Mat hstack(const Mat& a, const Mat& b, const Mat& c) {
    const std::size_t n = a.shape()[0];
    Mat out({n, a.shape()[1] + b.shape()[1] + c.shape()[1]});
    for (std::size_t r = 0; r < n; ++r) {
        std::size_t j = 0;
        for (const Mat* m : {&a, &b, &c})
            for (std::size_t k = 0; k < m->shape()[1]; ++k) out(r, j++) = (*m)(r, k);
    }
    return out;
}

// Every entry of the sample cross-moment of (a, b) within z standard errors of the population
// value P, with var(a_i b_j) = S_aa(i,i) S_bb(j,j) + P(i,j)^2 for jointly Gaussian zero-mean data.
void check_moment(const Mat& sample, const Mat& P, const Mat& Saa_diag, const Mat& Sbb_diag, std::size_t n,
                  const std::string& what, double z = 5.0) {
    BOOST_REQUIRE_EQUAL(sample.shape()[0], P.shape()[0]);
    BOOST_REQUIRE_EQUAL(sample.shape()[1], P.shape()[1]);
    double worst = 0;
    for (std::size_t i = 0; i < P.shape()[0]; ++i)
        for (std::size_t j = 0; j < P.shape()[1]; ++j) {
            const double se = std::sqrt((Saa_diag(i, 0) * Sbb_diag(j, 0) + P(i, j) * P(i, j)) / static_cast<double>(n));
            worst = std::max(worst, std::abs(sample(i, j) - P(i, j)) / se);
        }
    BOOST_TEST(worst < z, what << ": worst deviation " << worst << " standard errors");
}

Mat diag_of(const Mat& S) {
    Mat d({S.shape()[0], std::size_t(1)});
    for (std::size_t i = 0; i < S.shape()[0]; ++i) d(i, 0) = S(i, i);
    return d;
}

sim::Config small_config(const std::string& mixing) {
    sim::Config c;
    c.set("data.mixing", mixing);
    c.set("data.d1", std::int64_t(8));
    c.set("data.d2", std::int64_t(6));
    c.set("data.k_shared", std::int64_t(2));
    c.set("data.k1", std::int64_t(3));
    c.set("data.k2", std::int64_t(1));
    c.set("data.a1", 1.3);
    c.set("data.b2", 0.7);
    c.set("data.noise2", 0.3);
    c.set("data.target_noise", 0.2);
    c.set("data.redundancy", 0.3);
    c.set("data.seed", std::int64_t(11));
    c.validate();
    return c;
}

}  // namespace

BOOST_AUTO_TEST_CASE(linear_sampler_matches_population_moments) {
    for (const std::string mixing : {"orthogonal", "gaussian"}) {
        const sim::Config cfg = small_config(mixing);
        const sim::DataModel dm = sim::make_data_model(cfg);
        const theory::Moments mo = theory::moments(dm.linear);
        ad::Rng rng(1234);
        const std::size_t n = 200000;
        const sim::Split s = sim::draw(dm, n, rng);
        const Mat v = hstack(s.s, s.u1, s.u2);
        const Mat d1 = diag_of(mo.S11), d2 = diag_of(mo.S22), dy = diag_of(mo.Syy);
        const Mat dv = Mat({v.shape()[1], std::size_t(1)}, 1.0);
        check_moment(cross(s.x1, s.x1), mo.S11, d1, d1, n, mixing + " S11");
        check_moment(cross(s.x2, s.x2), mo.S22, d2, d2, n, mixing + " S22");
        check_moment(cross(s.x1, s.x2), mo.S12, d1, d2, n, mixing + " S12");
        check_moment(cross(s.x1, v), mo.S1v, d1, dv, n, mixing + " S1v");
        check_moment(cross(s.x2, v), mo.S2v, d2, dv, n, mixing + " S2v");
        check_moment(cross(s.x1, s.y), mo.S1y, d1, dy, n, mixing + " S1y");
        check_moment(cross(s.x2, s.y), mo.S2y, d2, dy, n, mixing + " S2y");
        check_moment(cross(s.y, s.y), mo.Syy, dy, dy, n, mixing + " Syy");
        // the mean is zero
        for (const Mat* m : {&s.x1, &s.x2, &s.y}) {
            for (std::size_t j = 0; j < m->shape()[1]; ++j) {
                double mu = 0;
                for (std::size_t r = 0; r < n; ++r) mu += (*m)(r, j);
                mu /= static_cast<double>(n);
                BOOST_TEST(std::abs(mu) < 6.0 / std::sqrt(static_cast<double>(n)) * 2.0);
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(samples_are_reproducible_and_streams_independent) {
    sim::Config cfg = small_config("orthogonal");
    cfg.set("data.n_train", std::int64_t(500));
    cfg.set("data.n_test", std::int64_t(200));
    const sim::DataModel dm = sim::make_data_model(cfg);
    const sim::Samples a = sim::make_samples(cfg, dm), b = sim::make_samples(cfg, dm);
    BOOST_TEST(a.train.x1 == b.train.x1);
    BOOST_TEST(a.test.y == b.test.y);
    BOOST_TEST(a.train.size() == 500u);
    BOOST_TEST(a.test.size() == 200u);
    // the test set does not depend on the size of the training set
    sim::Config c2 = cfg;
    c2.set("data.n_train", std::int64_t(800));
    const sim::Samples c = sim::make_samples(c2, dm);
    BOOST_TEST(c.test.x2 == a.test.x2);
    // another train.seed (derived sample seed) or an explicit sample seed gives other samples
    sim::Config c3 = cfg;
    c3.set("train.seed", std::int64_t(5));
    BOOST_TEST(!(sim::make_samples(c3, dm).train.x1 == a.train.x1));
    sim::Config c4 = cfg;
    c4.set("data.sample_seed", std::int64_t(77));
    BOOST_TEST(sim::sample_seed(c4) == 77u);
    sim::Config c5 = c3;
    c5.set("data.sample_seed", std::int64_t(77));
    BOOST_TEST(sim::make_samples(c4, dm).train.x1 == sim::make_samples(c5, dm).train.x1);
}

BOOST_AUTO_TEST_CASE(nonlinear_map_is_invertible_and_nonlinear) {
    sim::Config cfg = small_config("orthogonal");
    cfg.set("data.kind", std::string("nonlinear"));
    cfg.set("data.depth", std::int64_t(3));
    cfg.set("data.slope", 0.3);
    cfg.set("data.noise1", 1e-12);
    cfg.set("data.noise2", 1e-12);
    cfg.validate();
    const sim::DataModel dm = sim::make_data_model(cfg);
    BOOST_REQUIRE_EQUAL(dm.h1.size(), 3u);
    BOOST_REQUIRE_EQUAL(dm.h2.size(), 3u);
    for (const Mat& W : dm.h1) {  // orthogonal layers: perfectly conditioned
        Mat I({W.shape()[0], W.shape()[0]});
        ad::blas::gemm(W, false, W, true, I);
        for (std::size_t i = 0; i < I.shape()[0]; ++i)
            for (std::size_t j = 0; j < I.shape()[1]; ++j) BOOST_TEST(std::abs(I(i, j) - (i == j ? 1.0 : 0.0)) < 1e-12);
    }
    ad::Rng rng(3);
    const sim::Split s = sim::draw(dm, 2000, rng);
    // invert h1 layer by layer: x <- W^T (leaky^{-1}(x)) / gain, and compare with A1 s + B1 u1
    const double g = std::sqrt(2.0 / (1.0 + dm.slope * dm.slope));
    Mat x = s.x1;
    for (std::size_t l = dm.h1.size(); l-- > 0;) {
        for (std::size_t i = 0; i < x.size(); ++i) {
            double& e = x.data()[i];
            if (e < 0) e /= dm.slope;
        }
        Mat t(x.shape());
        ad::blas::gemm(x, false, dm.h1[l], false, t, 1.0 / g, 0.0);  // rows: x W (= (W^T x)^T)
        x = t;
    }
    Mat lin(x.shape());
    ad::blas::gemm(s.s, false, dm.linear.A1, true, lin);
    ad::blas::gemm(s.u1, false, dm.linear.B1, true, lin, 1.0, 1.0);
    double err = 0, neg = 0;
    for (std::size_t i = 0; i < x.size(); ++i) err = std::max(err, std::abs(x.data()[i] - lin.data()[i]));
    BOOST_TEST(err < 1e-8);
    // and the map is not linear: x1 has coordinates with a clearly non-zero mean (the leaky
    // ReLU's), which a linear map of centred Gaussians never has
    for (std::size_t j = 0; j < s.x1.shape()[1]; ++j) {
        double mu = 0;
        for (std::size_t r = 0; r < s.size(); ++r) mu += s.x1(r, j);
        neg = std::max(neg, std::abs(mu / static_cast<double>(s.size())));
    }
    BOOST_TEST(neg > 0.1);
}

namespace {

// numpy (Debian's python3-numpy, when it is there) loads every file of the export in dir with the
// dtype and shape its manifest lists, finds train_y_mix.npy equal to train_y.npy's last column,
// then runs `more` (Python, with d the directory, m the manifest, x = train_x1, y = train_y).
void numpy_reads_export(const std::filesystem::path& dir, const std::string& more) {
    if (std::system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") != 0) {
        BOOST_TEST_MESSAGE("numpy not available: numpy check skipped");
        return;
    }
    const std::filesystem::path script = dir / "check.py";
    std::ofstream(script) << "import json, os, sys, numpy as np\n"
                             "d = sys.argv[1]\n"
                             "m = json.load(open(os.path.join(d, 'manifest.json')))\n"
                             "for f in m['files']:\n"
                             "    a = np.load(os.path.join(d, f['file']))\n"
                             "    assert a.dtype == np.dtype(f['dtype']) and list(a.shape) == f['shape'], f\n"
                             "x = np.load(os.path.join(d, 'train_x1.npy'))\n"
                             "y = np.load(os.path.join(d, 'train_y.npy'))\n"
                             "assert np.array_equal(np.load(os.path.join(d, 'train_y_mix.npy')), y[:, 3])\n"
                          << more;
    const std::string cmd = "/usr/bin/python3 " + script.string() + " " + dir.string();
    BOOST_TEST(std::system(cmd.c_str()) == 0);
}

}  // namespace

BOOST_AUTO_TEST_CASE(export_round_trip) {
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() / ("alignsim_test_export_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    sim::Config cfg = small_config("gaussian");
    cfg.set("data.n_train", std::int64_t(300));
    cfg.set("data.n_test", std::int64_t(120));
    cfg.set("data.kind", std::string("nonlinear"));
    cfg.validate();
    const nlohmann::json man = sim::export_samples(cfg, dir.string());
    BOOST_TEST(fs::exists(dir / "manifest.json"));
    const nlohmann::json disk = nlohmann::json::parse(std::ifstream(dir / "manifest.json"));
    BOOST_TEST(disk["config"]["data.d1"].get<int>() == 8);
    BOOST_TEST(disk["config"]["data.kind"].get<std::string>() == "nonlinear");
    std::set<std::string> names;
    for (const auto& f : disk["files"]) {
        const std::string name = f["file"];
        names.insert(name);
        const sim::NpyArray a = sim::read_npy((dir / name).string());
        std::vector<std::size_t> shape = f["shape"].get<std::vector<std::size_t>>();
        BOOST_TEST(a.shape == shape, name);
        BOOST_TEST((a.descr == "<f8" && f["dtype"] == "float64"), name);
        BOOST_TEST(!f["meaning"].get<std::string>().empty());
    }
    for (const char* must : {"train_x1.npy", "train_x2.npy", "train_s.npy", "train_u1.npy", "train_u2.npy",
                             "train_y.npy", "test_x1.npy", "test_y_shared.npy", "test_y_mix.npy", "A1.npy", "B1.npy",
                             "A2.npy", "B2.npy", "G.npy", "c_s.npy", "noise.npy", "h1_layer0.npy"})
        BOOST_TEST(names.count(must) == 1u, must);
    // contents equal what the sampler draws, bit for bit
    const sim::DataModel dm = sim::make_data_model(cfg);
    const sim::Samples smp = sim::make_samples(cfg, dm);
    const sim::NpyArray x1 = sim::read_npy((dir / "train_x1.npy").string());
    BOOST_REQUIRE_EQUAL(x1.data.size(), smp.train.x1.size());
    BOOST_TEST(std::equal(x1.data.begin(), x1.data.end(), smp.train.x1.data()));
    const sim::NpyArray y1 = sim::read_npy((dir / "test_y1.npy").string());
    for (std::size_t r = 0; r < smp.test.size(); ++r) BOOST_TEST(y1.data[r] == smp.test.y(r, 1));
    const sim::NpyArray B1 = sim::read_npy((dir / "B1.npy").string());
    BOOST_TEST(std::equal(B1.data.begin(), B1.data.end(), dm.linear.B1.data()));
    const sim::NpyArray noise = sim::read_npy((dir / "noise.npy").string());
    BOOST_TEST(noise.shape == std::vector<std::size_t>{3});
    BOOST_TEST(noise.data[2] == 0.2);

    // numpy reads every file with the shape the manifest lists (when Debian's python3-numpy is there)
    numpy_reads_export(dir, "assert all(f['dtype'] == 'float64' for f in m['files'])\n"
                            "assert x.shape == (300, 8) and y.shape == (300, 4)\n");
    fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(export_of_fashion_mnist_scenes) {
    // data.kind = "fashion_mnist": x1, x2 as float32 ('<f4'), the targets as int64 ('<i8'), under
    // the linear export's names, equal bit for bit to the scenes a run trains on; numpy reads them
    // with those dtypes.
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() / ("alignsim_test_export_real_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    sim::Config cfg;
    cfg.set("data.kind", std::string("fashion_mnist"));
    cfg.set("data.n_train", std::int64_t(300));
    cfg.set("data.n_test", std::int64_t(120));
    cfg.set("data.redundancy", 0.3);
    cfg.set("train.batch", std::int64_t(100));
    cfg.validate();
    const nlohmann::json man = sim::export_samples(cfg, dir.string());
    std::set<std::string> names;
    for (const auto& f : man["files"]) {
        const std::string name = f["file"];
        names.insert(name);
        const sim::NpyArray a = sim::read_npy((dir / name).string());
        BOOST_TEST(a.shape == f["shape"].get<std::vector<std::size_t>>(), name);
        BOOST_TEST(a.descr == (f["dtype"] == "float32" ? "<f4" : "<i8"), name);
    }
    for (const char* must : {"train_x1.npy", "train_x2.npy", "train_y.npy", "train_y_shared.npy", "train_y1.npy",
                             "train_y2.npy", "train_y_mix.npy", "test_x1.npy", "test_x2.npy", "test_y.npy",
                             "test_y_mix.npy", "train_garments.npy", "test_mix_coin.npy"})
        BOOST_TEST(names.count(must) == 1u, must);
    BOOST_TEST(man["classes"].size() == 10u);
    const sim::FashionSample smp = sim::fashion_sample(cfg);
    const sim::NpyArray x2 = sim::read_npy((dir / "train_x2.npy").string());
    BOOST_REQUIRE_EQUAL(x2.data.size(), smp.scenes->train.x2.size());
    bool same = true;
    for (std::size_t i = 0; i < x2.data.size(); ++i) same = same && float(x2.data[i]) == smp.scenes->train.x2.data()[i];
    BOOST_TEST(same);
    const sim::NpyArray y = sim::read_npy((dir / "test_y.npy").string());
    for (std::size_t r = 0; r < 120; ++r)
        for (std::size_t t = 0; t < 4; ++t) BOOST_TEST(y.data[r * 4 + t] == smp.y_test[t][r]);
    numpy_reads_export(dir, "assert x.shape == (300, 800) and x.dtype == np.float32 and y.dtype == np.int64\n"
                            "assert y.min() >= 0 and y.max() <= 9\n");
    fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(npy_reader_rejects_garbage) {
    namespace fs = std::filesystem;
    const fs::path p = fs::temp_directory_path() / ("alignsim_bad_" + std::to_string(::getpid()) + ".npy");
    std::ofstream(p) << "not an npy file";
    BOOST_CHECK_THROW(sim::read_npy(p.string()), std::runtime_error);
    BOOST_CHECK_THROW(sim::read_npy((p.string() + ".missing")), std::runtime_error);
    fs::remove(p);
}

BOOST_AUTO_TEST_CASE(ridge_probe_recovers_known_r2) {
    // y = w.z + noise with Var(w.z) = 1 and noise variance 1/3: R^2 = 0.75; an independent
    // column has R^2 about 0
    ad::Rng rng(9);
    const std::size_t ntr = 20000, nte = 20000, p = 5;
    auto make = [&](std::size_t n, Mat& Z, Mat& Y) {
        Z = Mat({n, p});
        ad::fill_normal(Z, rng);
        Y = Mat({n, std::size_t(2)});
        for (std::size_t r = 0; r < n; ++r) {
            double t = 0;
            for (std::size_t j = 0; j < p; ++j) t += Z(r, j) / std::sqrt(double(p));
            Y(r, 0) = 3.0 + t + std::sqrt(1.0 / 3.0) * ad::normal(rng);
            Y(r, 1) = ad::normal(rng);
        }
    };
    Mat Ztr, Ytr, Zte, Yte;
    make(ntr, Ztr, Ytr);
    make(nte, Zte, Yte);
    const sim::ProbeResult pr = sim::ridge_probe(Ztr, Ytr, Zte, Yte);
    BOOST_TEST(std::abs(pr.r2[0] - 0.75) < 0.01);
    BOOST_TEST(std::abs(pr.r2[1]) < 0.01);
    // a collapsed (constant) representation explains nothing and does not crash
    const Mat C0({ntr, p}, 1.0), C1({nte, p}, 1.0);
    const sim::ProbeResult pc = sim::ridge_probe(C0, Ytr, C1, Yte);
    BOOST_TEST(std::abs(pc.r2[0]) < 0.01);
}

BOOST_AUTO_TEST_CASE(linear_cka_properties) {
    ad::Rng rng(4);
    Mat A({5000, 3}), B({5000, 3});
    ad::fill_normal(A, rng);
    ad::fill_normal(B, rng);
    // invariant to an orthogonal map and isotropic scaling: CKA(A, 2 A Q) = 1
    const double c = std::cos(0.7), s = std::sin(0.7);
    Mat Q({3, 3}, 0.0);
    Q(0, 0) = c; Q(0, 1) = -s; Q(1, 0) = s; Q(1, 1) = c; Q(2, 2) = 1;
    Mat AQ({5000, 3});
    ad::blas::gemm(A, false, Q, false, AQ, 2.0, 0.0);
    BOOST_TEST(std::abs(sim::linear_cka(A, AQ) - 1.0) < 1e-12);
    BOOST_TEST(sim::linear_cka(A, B) < 0.01);  // independent: about 0
}

namespace {

// n rows of s ~ N(0, I_2) with targets [s1, s2, y] (y = 0.6 s1 - 0.8 s2 + noise of variance 1/4,
// R^2 = 0.8 from s) and the representation z = M t(s) of a nonlinear invertible t applied to
// each coordinate (the cube: Corr(x, x^3)^2 = 9/15 = 0.6) mixed by an invertible M.
void nonlinear_of_s(std::size_t n, ad::Rng& rng, Mat& Z, Mat& Y, bool cube) {
    Z = Mat({n, std::size_t(2)});
    Y = Mat({n, std::size_t(3)});
    for (std::size_t r = 0; r < n; ++r) {
        const double s1 = ad::normal(rng), s2 = ad::normal(rng);
        const double t1 = cube ? s1 * s1 * s1 : s1, t2 = cube ? s2 * s2 * s2 : s2;
        Z(r, 0) = 1.0 * t1 + 0.5 * t2;
        Z(r, 1) = -0.3 * t1 + 2.0 * t2;
        Y(r, 0) = s1;
        Y(r, 1) = s2;
        Y(r, 2) = 0.6 * s1 - 0.8 * s2 + 0.5 * ad::normal(rng);
    }
}

}  // namespace

BOOST_AUTO_TEST_CASE(nonlinear_probe_reads_an_invertible_nonlinear_map_of_s) {
    ad::Rng rng(21);
    Mat Ztr, Ytr, Zte, Yte;
    nonlinear_of_s(10000, rng, Ztr, Ytr, true);
    nonlinear_of_s(10000, rng, Zte, Yte, true);
    const sim::ProbeResult lin = sim::ridge_probe(Ztr, Ytr, Zte, Yte);
    const sim::NonlinearProbeResult nl = sim::nonlinear_probe(Ztr, Ytr, Zte, Yte);
    BOOST_REQUIRE_EQUAL(nl.r2.size(), 3u);
    for (std::size_t c = 0; c < 2; ++c) {
        BOOST_TEST(nl.r2[c] >= 0.95, "s" << c + 1 << ": nonlinear R^2 " << nl.r2[c]);
        BOOST_TEST(lin.r2[c] < 0.8, "s" << c + 1 << ": linear R^2 " << lin.r2[c]);
        BOOST_TEST(std::isfinite(nl.lambda[c]), "the kernel part was used");
    }
    // y's R^2 from s is 0.8: the nonlinear probe reaches it (up to the finite-feature error), the
    // linear one does not
    BOOST_TEST(std::abs(nl.r2[2] - 0.8) < 0.02, nl.r2[2]);
    BOOST_TEST(lin.r2[2] < 0.7, lin.r2[2]);
}

BOOST_AUTO_TEST_CASE(nonlinear_probe_agrees_with_ridge_on_a_linear_representation) {
    // z = M s (linear): the best predictor is linear, and the nonlinear probe finds no more
    // than the ridge probe (same numbers within the validation noise)
    ad::Rng rng(22);
    Mat Ztr, Ytr, Zte, Yte;
    nonlinear_of_s(10000, rng, Ztr, Ytr, false);
    nonlinear_of_s(10000, rng, Zte, Yte, false);
    // plus an independent column (R^2 = 0) and a noisy one
    auto widen = [&](Mat& Y) {
        Mat W({Y.shape()[0], std::size_t(5)});
        for (std::size_t r = 0; r < Y.shape()[0]; ++r) {
            for (std::size_t c = 0; c < 3; ++c) W(r, c) = Y(r, c);
            W(r, 3) = ad::normal(rng);
            W(r, 4) = Y(r, 0) + 2.0 * ad::normal(rng);  // R^2 = 1/5
        }
        Y = W;
    };
    widen(Ytr);
    widen(Yte);
    const sim::ProbeResult lin = sim::ridge_probe(Ztr, Ytr, Zte, Yte);
    const sim::NonlinearProbeResult nl = sim::nonlinear_probe(Ztr, Ytr, Zte, Yte);
    const double expect[5] = {1.0, 1.0, 0.8, 0.0, 0.2};
    for (std::size_t c = 0; c < 5; ++c) {
        BOOST_TEST(std::abs(nl.r2[c] - lin.r2[c]) < 0.01, "column " << c << ": nonlinear " << nl.r2[c] << " ridge " << lin.r2[c]);
        BOOST_TEST(std::abs(nl.r2[c] - expect[c]) < 0.02, "column " << c << ": " << nl.r2[c]);
    }
}

BOOST_AUTO_TEST_CASE(nonlinear_probe_is_deterministic_invariant_and_robust) {
    ad::Rng rng(23);
    Mat Ztr, Ytr, Zte, Yte;
    nonlinear_of_s(4000, rng, Ztr, Ytr, true);
    nonlinear_of_s(2000, rng, Zte, Yte, true);
    const sim::NonlinearProbeResult a = sim::nonlinear_probe(Ztr, Ytr, Zte, Yte);
    const sim::NonlinearProbeResult b = sim::nonlinear_probe(Ztr, Ytr, Zte, Yte);
    BOOST_TEST(a.r2 == b.r2);  // same seed, same numbers
    sim::NonlinearProbeOptions other;
    other.seed = 5;
    const sim::NonlinearProbeResult c = sim::nonlinear_probe(Ztr, Ytr, Zte, Yte, other);
    BOOST_TEST(c.r2 != a.r2);  // the seed draws the features ...
    for (std::size_t j = 0; j < 3; ++j) BOOST_TEST(std::abs(c.r2[j] - a.r2[j]) < 0.02);  // ... not the answer
    // invariant to a scale and a shift of z (the whitening absorbs them), to rounding
    Mat Str = Ztr, Ste = Zte;
    for (Mat* m : {&Str, &Ste})
        for (std::size_t r = 0; r < m->shape()[0]; ++r) {
            (*m)(r, 0) = 3.0 * (*m)(r, 0) - 7.0;
            (*m)(r, 1) = 3.0 * (*m)(r, 1) + 2.0;
        }
    const sim::NonlinearProbeResult s = sim::nonlinear_probe(Str, Ytr, Ste, Yte);
    for (std::size_t j = 0; j < 3; ++j) BOOST_TEST(std::abs(s.r2[j] - a.r2[j]) < 1e-8);
    // a redundant copy of a column adds nothing (rank 2 of 3) and breaks nothing
    auto dup = [](const Mat& z) {
        Mat d({z.shape()[0], std::size_t(3)});
        for (std::size_t r = 0; r < z.shape()[0]; ++r) {
            d(r, 0) = z(r, 0);
            d(r, 1) = z(r, 1);
            d(r, 2) = 2.0 * z(r, 0) - z(r, 1);
        }
        return d;
    };
    const sim::NonlinearProbeResult d = sim::nonlinear_probe(dup(Ztr), Ytr, dup(Zte), Yte);
    for (std::size_t j = 0; j < 2; ++j) {
        BOOST_TEST(a.r2[j] >= 0.95, j << ": " << a.r2[j]);
        BOOST_TEST(d.r2[j] >= 0.95, j << ": " << d.r2[j]);
    }
    // a constant representation explains nothing
    const sim::NonlinearProbeResult k = sim::nonlinear_probe(Mat({4000, 2}, 1.5), Ytr, Mat({2000, 2}, 1.5), Yte);
    for (std::size_t j = 0; j < 3; ++j) BOOST_TEST(std::abs(k.r2[j]) < 0.01);
    // bad input
    BOOST_CHECK_THROW(sim::nonlinear_probe(Ztr, Yte, Zte, Yte), std::invalid_argument);
    BOOST_CHECK_THROW(sim::nonlinear_probe(Ztr, Ytr, Mat({10, 3}, 0.0), Mat({10, 3}, 0.0)), std::invalid_argument);
    Mat bad = Zte;
    bad(3, 1) = std::nan("");
    BOOST_CHECK_THROW(sim::nonlinear_probe(Ztr, Ytr, bad, Yte), std::invalid_argument);
    sim::NonlinearProbeOptions none;
    none.features = 0;
    BOOST_CHECK_THROW(sim::nonlinear_probe(Ztr, Ytr, Zte, Yte, none), std::invalid_argument);
    BOOST_CHECK_THROW(sim::nonlinear_probe(Mat({5, 2}, 0.0), Mat({5, 3}, 0.0), Zte, Yte), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(nonlinear_probe_at_sweep_size_reads_nothing_from_independent_columns) {
    // one sweep cell's read-out: n_train 10000, p = 8, 10 columns (4 targets and the 3 blocks'
    // 6 latents), all independent of z; the time is printed (a speed target belongs in a benchmark)
    ad::Rng rng(24);
    const std::size_t n = 10000, nt = 10000, p = 8, k = 10;
    Mat Ztr({n, p}), Zte({nt, p}), Ytr({n, k}), Yte({nt, k});
    for (Mat* m : {&Ztr, &Zte, &Ytr, &Yte}) ad::fill_normal(*m, rng);
    const auto t0 = std::chrono::steady_clock::now();
    const sim::NonlinearProbeResult r = sim::nonlinear_probe(Ztr, Ytr, Zte, Yte);
    const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    BOOST_TEST_MESSAGE("nonlinear_probe, n = 10000, p = 8, 10 columns: " << sec << " s");
    // independent columns: what the validation choice can overfit stays small
    for (double x : r.r2) BOOST_TEST(std::abs(x) < 0.02);
}
