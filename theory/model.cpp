#include "theory/model.hpp"

#include <cmath>
#include <stdexcept>

#include <xtensor/xview.hpp>

#include "autodiff/random.hpp"
#include "theory/linalg.hpp"

namespace theory {

int target_index(const std::string& name) {
    for (int t = 0; t < kNumTargets; ++t)
        if (name == kTargetNames[t]) return t;
    throw std::invalid_argument("unknown target '" + name + "' (expected y_shared, y1, y2 or y_mix)");
}

namespace {

void check_spec(const DataSpec& s) {
    auto bad = [](const std::string& m) { throw std::invalid_argument("theory::make_model: " + m); };
    if (s.d1 < 1 || s.d2 < 1) bad("dimensions must be positive");
    if (s.k_shared < 1 || s.k1 < 1 || s.k2 < 1) bad("latent block sizes must be positive");
    if (!(s.a1 >= 0 && s.a2 >= 0 && s.b1 >= 0 && s.b2 >= 0)) bad("strengths must be non-negative");
    if (!(s.noise1 > 0 && s.noise2 > 0)) bad("noise levels must be positive");
    if (!(s.redundancy >= 0 && s.redundancy <= 1)) bad("redundancy must be in [0, 1]");
    if (!(s.target_noise >= 0)) bad("target noise must be non-negative");
    if (s.mixing == "orthogonal") {
        if (s.d1 < s.k_shared + s.k1) bad("orthogonal mixing needs d1 >= k_shared + k1");
        if (s.d2 < s.k_shared + s.k2) bad("orthogonal mixing needs d2 >= k_shared + k2");
    } else if (s.mixing != "gaussian") {
        bad("mixing must be orthogonal or gaussian, got '" + s.mixing + "'");
    }
}

// Mixing of one modality: (A, B), d x ks and d x k.
void draw_mixing(const DataSpec& s, int d, int k, double a, double b, ad::Rng& rng, Mat& A, Mat& B) {
    const std::size_t ks = static_cast<std::size_t>(s.k_shared), kk = static_cast<std::size_t>(k);
    const std::size_t dd = static_cast<std::size_t>(d);
    if (s.mixing == "orthogonal") {
        Mat Gm({dd, ks + kk});
        ad::fill_normal(Gm, rng);
        Mat Q, R;
        la::qr_thin(Gm, Q, R);
        A = a * la::cols(Q, 0, ks);
        B = b * la::cols(Q, ks, ks + kk);
    } else {
        A = Mat({dd, ks});
        B = Mat({dd, kk});
        ad::fill_normal(A, rng, 0.0, a / std::sqrt(double(d)));
        ad::fill_normal(B, rng, 0.0, b / std::sqrt(double(d)));
    }
}

Mat unit_vector(std::size_t n, ad::Rng& rng) {
    Mat c({n, 1});
    double nrm = 0;
    do {
        ad::fill_normal(c, rng);
        nrm = std::sqrt(la::frob2(c));
    } while (nrm < 1e-12);
    c /= nrm;
    return c;
}

}  // namespace

Model make_model(const DataSpec& spec) {
    check_spec(spec);
    Model m;
    m.spec = spec;
    // one stream per purpose, so changing a block size of one modality leaves the other's draws
    ad::Rng r1(ad::derive_seed(spec.seed, "theory.mixing1"));
    ad::Rng r2(ad::derive_seed(spec.seed, "theory.mixing2"));
    ad::Rng rl(ad::derive_seed(spec.seed, "theory.loadings"));
    draw_mixing(spec, spec.d1, spec.k1, spec.a1, spec.b1, r1, m.A1, m.B1);
    draw_mixing(spec, spec.d2, spec.k2, spec.a2, spec.b2, r2, m.A2, m.B2);
    const std::size_t ks = spec.k_shared, k1 = spec.k1, k2 = spec.k2;
    m.c_s = unit_vector(ks, rl);
    m.c_1 = unit_vector(k1, rl);
    m.c_2 = unit_vector(k2, rl);
    m.G = la::zeros(kNumTargets, ks + k1 + k2);
    const double rs = std::sqrt(spec.redundancy), r1s = std::sqrt(1.0 - spec.redundancy);
    for (std::size_t j = 0; j < ks; ++j) {
        m.G(0, j) = m.c_s(j, 0);
        m.G(3, j) = rs * m.c_s(j, 0);
    }
    for (std::size_t j = 0; j < k1; ++j) {
        m.G(1, ks + j) = m.c_1(j, 0);
        m.G(3, ks + j) = r1s * m.c_1(j, 0);
    }
    for (std::size_t j = 0; j < k2; ++j) m.G(2, ks + k1 + j) = m.c_2(j, 0);
    return m;
}

Moments moments(const Model& m) {
    Moments mo;
    const std::size_t d1 = m.spec.d1, d2 = m.spec.d2;
    const std::size_t ks = m.ks(), k1 = m.k1(), k2 = m.k2();
    mo.S11 = la::mm(m.A1, m.A1, false, true) + la::mm(m.B1, m.B1, false, true) +
             m.spec.noise1 * m.spec.noise1 * la::eye(d1);
    mo.S22 = la::mm(m.A2, m.A2, false, true) + la::mm(m.B2, m.B2, false, true) +
             m.spec.noise2 * m.spec.noise2 * la::eye(d2);
    mo.S12 = la::mm(m.A1, m.A2, false, true);
    mo.S1v = la::zeros(d1, ks + k1 + k2);
    xt::view(mo.S1v, xt::all(), xt::range(0, ks)) = m.A1;
    xt::view(mo.S1v, xt::all(), xt::range(ks, ks + k1)) = m.B1;
    mo.S2v = la::zeros(d2, ks + k1 + k2);
    xt::view(mo.S2v, xt::all(), xt::range(0, ks)) = m.A2;
    xt::view(mo.S2v, xt::all(), xt::range(ks + k1, ks + k1 + k2)) = m.B2;
    mo.S1y = la::mm(mo.S1v, m.G, false, true);
    mo.S2y = la::mm(mo.S2v, m.G, false, true);
    mo.Syy = la::mm(m.G, m.G, false, true) + m.spec.target_noise * m.spec.target_noise * la::eye(kNumTargets);
    return mo;
}

}  // namespace theory
