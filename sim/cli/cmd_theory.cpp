// `alignsim theory [CONFIG] [--set key=value]... [--json]`: every closed form of the configured
// linear-Gaussian model (../shared/spec/theory.md; derivations in docs/theory.md).
#include <cmath>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "autodiff/random.hpp"
#include "sim/cli/commands.hpp"
#include "sim/io/meta.hpp"
#include "theory/closed_forms.hpp"

namespace sim {

namespace {

using theory::Mat;
using nlohmann::json;

const char* const kBlocks[] = {"s", "u1", "u2"};

struct Rep {
    std::string name;  // oracle_x1, aligned_x1, ...
    int modality;
    Mat W;  // empty: oracle
};

// Aligned encoders of modality 1 agree when their row spaces coincide.
bool same_subspace(const Mat& A, const Mat& B) {
    const auto ang = theory::principal_angles(A, B);
    const auto angr = theory::principal_angles(B, A);
    if (ang.size() != angr.size()) return false;
    for (double x : ang)
        if (x > 1e-8) return false;
    // equal ranks: the number of angles equals both ranks
    const auto self_a = theory::principal_angles(A, A), self_b = theory::principal_angles(B, B);
    return self_a.size() == self_b.size() && self_a.size() == ang.size();
}

std::string fmt(double x, int prec = 4) {
    if (!std::isfinite(x)) return x > 0 ? "inf" : "nan";
    std::ostringstream os;
    os.setf(std::ios::fixed);
    os.precision(prec);
    os << (std::abs(x) < 0.5 * std::pow(10.0, -prec) ? 0.0 : x);
    return os.str();
}

std::string pad(const std::string& s, std::size_t w) { return s.size() >= w ? s : s + std::string(w - s.size(), ' '); }
std::string lpad(const std::string& s, std::size_t w) { return s.size() >= w ? s : std::string(w - s.size(), ' ') + s; }

}  // namespace

int cmd_theory(const ConfigArgs& a) {
    const Config cfg = load_config(a);
    const theory::DataSpec spec = data_spec(cfg);
    const int p = static_cast<int>(cfg.i("model.dim"));
    const std::string te_kind = cfg.s("objective.target_encoder");
    json warnings = json::array();
    if (cfg.s("data.kind") != "linear")
        warnings.push_back("data.kind = " + cfg.s("data.kind") +
                           " has no closed form: these are the values of its linear part (spec section 1)");

    theory::Model m;
    try {
        m = theory::make_model(spec);
    } catch (const std::invalid_argument& e) {
        throw ConfigError(e.what());
    }
    const theory::Moments mo = theory::moments(m);

    const std::vector<double> rho = theory::canonical_correlations(mo);
    const double mi = theory::mutual_information_x1_x2(mo);
    const int ks = m.ks();

    // the aligned representations (minimum-norm optima) and the target encoder
    // the same seed as training (sim/run/run.cpp) and plotting, so analytic and learned curves share W2
    const Mat W2t = theory::target_encoder(mo, p, te_kind, ad::derive_seed(spec.seed, "target_encoder"));
    const Mat W1_cca = theory::aligned_encoder(mo, p, "cca", Mat());
    const Mat W2_cca = theory::aligned_encoder_2(mo, p, "cca");
    const Mat W1_spec = theory::aligned_encoder(mo, p, "spectral", Mat());
    const Mat W1_reg = theory::aligned_encoder(mo, p, "regression", W2t);
    const bool agree = same_subspace(W1_cca, W1_spec) && same_subspace(W1_cca, W1_reg);
    const int r = static_cast<int>(rho.size());
    if (p < r && rho[p - 1] - rho[p] < 1e-9)
        warnings.push_back("canonical correlations tie at p = model.dim: the top-p canonical subspace is not unique, "
                           "so the aligned values of individual targets depend on an arbitrary choice within it");
    if (!agree)
        warnings.push_back("p < k_shared: the regression optimum (target encoder '" + te_kind +
                           "') keeps a different p-dimensional part of the shared posterior than cca/spectral; see by_objective");

    const Mat post1 = theory::shared_posterior_encoder(m, mo, 1);
    const Mat post2 = theory::shared_posterior_encoder(m, mo, 2);
    const std::vector<Rep> reps = {{"oracle_x1", 1, Mat()},         {"aligned_x1", 1, W1_cca},
                                   {"oracle_x2", 2, Mat()},         {"aligned_x2", 2, W2_cca},
                                   {"shared_posterior_x1", 1, post1}, {"shared_posterior_x2", 2, post2}};

    json j;
    j["canonical_correlations"] = rho;
    j["mutual_information_x1_x2"] = mi;
    json r2 = json::object(), info = json::object(), r2b = json::object();
    for (int t = 0; t < theory::kNumTargets; ++t)
        for (const auto& rep : reps) r2[theory::kTargetNames[t]][rep.name] = theory::r2_target(m, mo, rep.modality, rep.W, t);
    for (const auto& rep : reps)
        for (const char* b : kBlocks) {
            info[rep.name][b] = theory::info_block(m, mo, rep.modality, rep.W, b);
            r2b[rep.name][b] = theory::r2_block(m, mo, rep.modality, rep.W, b);
        }
    j["r2"] = r2;
    j["info_nats"] = info;
    j["r2_blocks"] = r2b;
    j["aligned_objective"] = agree ? "cca, spectral, regression (identical representations)" : "cca";
    j["objectives_agree"] = agree;

    json by = json::object();
    const std::pair<const char*, const Mat*> objs[] = {{"cca", &W1_cca}, {"spectral", &W1_spec}, {"regression", &W1_reg}};
    for (const auto& [name, W] : objs) {
        json o;
        for (int t = 0; t < theory::kNumTargets; ++t) o["r2_x1"][theory::kTargetNames[t]] = theory::r2_target(m, mo, 1, *W, t);
        for (const char* b : kBlocks) o["info_nats_x1"][b] = theory::info_block(m, mo, 1, *W, b);
        o["principal_angles_to_cca"] = theory::principal_angles(*W, W1_cca);
        by[name] = o;
    }
    by["cca"]["optimal_loss"] = theory::cca_constrained_loss(mo, p);
    by["spectral"]["optimal_loss"] = theory::spectral_optimum_loss(mo, p);
    by["regression"]["optimal_loss"] = theory::alignment_loss(mo, "regression", W1_reg, W2t);
    by["regression"]["target_encoder"] = te_kind;
    j["by_objective"] = by;

    const int ty = theory::target_index("y_mix");
    const auto curve = theory::tradeoff_curve(mo, W2t, ty, cfg.f("theory.lambda_min"), cfg.f("theory.lambda_max"),
                                              static_cast<int>(cfg.i("theory.lambda_points")));
    json tr = json::array();
    for (const auto& pt : curve) {
        const double nv = [&] { double s = 0; for (double x : pt.v) s += x * x; return s; }();
        tr.push_back({{"lambda", pt.lambda},
                      {"r2_y_mix", pt.r2},
                      {"alignment_loss", pt.alignment_loss},
                      {"task_loss", pt.task_loss},
                      {"oracle_weight", nv / (pt.lambda + nv)},
                      {"attained", pt.attained}});
    }
    j["tradeoff"] = tr;
    j["tradeoff_target"] = "y_mix";
    j["tradeoff_target_encoder"] = te_kind;
    j["model"] = {{"p", p}, {"k_shared", ks}, {"mixing", spec.mixing}};
    j["warnings"] = warnings;
    j["config"] = cfg.to_json();
    j["meta"] = run_metadata();

    if (a.json) {
        std::cout << j.dump(2) << "\n";
        return 0;
    }

    // ---- readable table
    std::ostringstream o;
    o << "alignsim theory: linear-Gaussian model, " << spec.mixing << " mixing, d1=" << spec.d1 << " d2=" << spec.d2
      << " k_shared=" << spec.k_shared << " k1=" << spec.k1 << " k2=" << spec.k2 << ", p=" << p
      << ", redundancy=" << spec.redundancy << "\n\n";
    o << "canonical correlations:";
    for (double x : rho) o << " " << fmt(x);
    o << "\nI(x1; x2) = " << fmt(mi) << " nats\n";
    o << "aligned representation: minimum-norm optimum of " << j["aligned_objective"].get<std::string>() << "\n\n";
    const std::vector<std::string> cols = {"oracle_x1", "aligned_x1", "oracle_x2", "aligned_x2", "shared_posterior_x1"};
    o << pad("R^2", 12);
    for (const auto& c : cols) o << lpad(c, 21);
    o << "\n";
    for (int t = 0; t < theory::kNumTargets; ++t) {
        o << pad(theory::kTargetNames[t], 12);
        for (const auto& c : cols) o << lpad(fmt(r2[theory::kTargetNames[t]][c].get<double>()), 21);
        o << "\n";
    }
    o << "\n" << pad("I (nats)", 12);
    for (const auto& c : cols) o << lpad(c, 21);
    o << "\n";
    for (const char* b : kBlocks) {
        o << pad(b, 12);
        for (const auto& c : cols) o << lpad(fmt(info[c][b].get<double>()), 21);
        o << "\n";
    }
    o << "\noptimal alignment losses: cca " << fmt(theory::cca_constrained_loss(mo, p)) << ", spectral "
      << fmt(theory::spectral_optimum_loss(mo, p)) << ", regression (target encoder " << te_kind << ") "
      << fmt(by["regression"]["optimal_loss"].get<double>()) << "\n";
    if (!agree) {
        o << "\nper objective (R^2 from x1):\n" << pad("", 12);
        for (const auto& [name, W] : objs) o << lpad(name, 14);
        o << "\n";
        for (int t = 0; t < theory::kNumTargets; ++t) {
            o << pad(theory::kTargetNames[t], 12);
            for (const auto& [name, W] : objs) o << lpad(fmt(by[name]["r2_x1"][theory::kTargetNames[t]].get<double>()), 14);
            o << "\n";
        }
    }
    o << "\ntrade-off: task (y_mix) + lambda x regression alignment to the " << te_kind << " target encoder\n";
    o << lpad("lambda", 12) << lpad("R^2(y_mix|z1)", 16) << lpad("alignment", 14) << lpad("task loss", 14) << "\n";
    for (const auto& pt : curve)
        o << lpad(fmt(pt.lambda, 4), 12) << lpad(fmt(pt.r2), 16) << lpad(fmt(pt.alignment_loss), 14)
          << lpad(fmt(pt.task_loss), 14) << (pt.attained ? "" : "  (infimum, not attained)") << "\n";
    for (const auto& w : warnings) o << "\nnote: " << w.get<std::string>() << "\n";
    std::cout << o.str();
    return 0;
}

}  // namespace sim
