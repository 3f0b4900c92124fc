// `alignsim theory [CONFIG] [--set key=value]... [--json]`: every closed form of the configured
// linear-Gaussian model (../shared/spec/theory.md; derivations in docs/theory.md).
#include <cmath>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "sim/cli/commands.hpp"
#include "sim/io/meta.hpp"
#include "sim/run/analytic.hpp"

namespace sim {

namespace {

using nlohmann::json;

const char* const kBlocks[] = {"s", "u1", "u2"};

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

// The readable table of a theory report.
void print_table(const Config& cfg, const json& j) {
    const theory::DataSpec spec = data_spec(cfg);
    const int p = static_cast<int>(cfg.i("model.dim"));
    const std::string te_kind = cfg.s("objective.target_encoder");
    const json& r2 = j["r2"];
    const json& info = j["info_nats"];
    const json& by = j["by_objective"];
    const bool agree = j["objectives_agree"].get<bool>();
    const char* const objs[] = {"cca", "spectral", "regression"};
    std::ostringstream o;
    o << "alignsim theory: linear-Gaussian model, " << spec.mixing << " mixing, d1=" << spec.d1 << " d2=" << spec.d2
      << " k_shared=" << spec.k_shared << " k1=" << spec.k1 << " k2=" << spec.k2 << ", p=" << p
      << ", redundancy=" << spec.redundancy << "\n\n";
    o << "canonical correlations:";
    for (const auto& x : j["canonical_correlations"]) o << " " << fmt(x.get<double>());
    o << "\nI(x1; x2) = " << fmt(j["mutual_information_x1_x2"].get<double>()) << " nats\n";
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
    o << "\noptimal alignment losses: cca " << fmt(by["cca"]["optimal_loss"].get<double>()) << ", spectral "
      << fmt(by["spectral"]["optimal_loss"].get<double>()) << ", regression (target encoder " << te_kind << ") "
      << fmt(by["regression"]["optimal_loss"].get<double>()) << "\n";
    if (!agree) {
        o << "\nper objective (R^2 from x1):\n" << pad("", 12);
        for (const char* name : objs) o << lpad(name, 14);
        o << "\n";
        for (int t = 0; t < theory::kNumTargets; ++t) {
            o << pad(theory::kTargetNames[t], 12);
            for (const char* name : objs) o << lpad(fmt(by[name]["r2_x1"][theory::kTargetNames[t]].get<double>()), 14);
            o << "\n";
        }
    }
    o << "\ntrade-off: task (y_mix) + lambda x regression alignment to the " << te_kind << " target encoder\n";
    o << lpad("lambda", 12) << lpad("R^2(y_mix|z1)", 16) << lpad("alignment", 14) << lpad("task loss", 14) << "\n";
    for (const auto& pt : j["tradeoff"])
        o << lpad(fmt(pt["lambda"].get<double>(), 4), 12) << lpad(fmt(pt["r2_y_mix"].get<double>()), 16)
          << lpad(fmt(pt["alignment_loss"].get<double>()), 14) << lpad(fmt(pt["task_loss"].get<double>()), 14)
          << (pt["attained"].get<bool>() ? "" : "  (infimum, not attained)") << "\n";
    for (const auto& w : j["warnings"]) o << "\nnote: " << w.get<std::string>() << "\n";
    std::cout << o.str();
}

}  // namespace

int cmd_theory(const ConfigArgs& a) {
    const Config cfg = load_config(a);
    json j = theory_report(cfg);
    j["config"] = cfg.to_json();
    j["meta"] = run_metadata();

    if (a.json) {
        std::cout << j.dump(2) << "\n";
        return 0;
    }
    print_table(cfg, j);
    return 0;
}


}  // namespace sim
