// The closed forms of one configuration (sim/run/analytic.hpp).
#include "sim/run/analytic.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "autodiff/random.hpp"
#include "models/registry.hpp"
#include "sim/io/csv.hpp"
#include "theory/mehler.hpp"

namespace sim {

namespace {

using theory::Mat;
using nlohmann::json;

theory::Model model_of(const Config& cfg) {
    try {
        return theory::make_model(data_spec(cfg));
    } catch (const std::invalid_argument& e) {
        throw ConfigError(e.what());
    }
}

json r2_table(const std::map<std::string, R2Pair>& m) {
    json t = json::object();
    for (const auto& [k, v] : m) t[k] = {{"z1", v.z1}, {"z2", v.z2}};
    return t;
}

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

}  // namespace

Mat target_encoder_of(const Config& cfg, const theory::Moments& mo) {
    return theory::target_encoder(mo, static_cast<int>(cfg.i("model.dim")), cfg.s("objective.target_encoder"),
                                  ad::derive_seed(static_cast<std::uint64_t>(cfg.i("data.seed")), "target_encoder"));
}

theory::SecondMomentLoss second_moment_loss_of(const Config& cfg) {
    theory::SecondMomentLoss l;
    const std::string a = cfg.s("objective.alignment");
    l.name = a == "barlow_twins" ? a : "vicreg";
    l.invariance = cfg.f("objective.vicreg_invariance");
    l.variance = cfg.f("objective.vicreg_variance");
    l.covariance = cfg.f("objective.vicreg_covariance");
    l.gamma = cfg.f("objective.vicreg_gamma");
    l.offdiag = cfg.f("objective.barlow_offdiag");
    return l;
}

std::map<std::string, R2Pair> population_r2(const theory::Model& m, const theory::Moments& mo, const Mat& W1,
                                            const Mat& W2) {
    std::map<std::string, R2Pair> r2;
    for (int t = 0; t < theory::kNumTargets; ++t)
        r2[theory::kTargetNames[t]] = {theory::r2_target(m, mo, 1, W1, t), theory::r2_target(m, mo, 2, W2, t)};
    for (const char* b : theory::kBlockNames) r2[b] = {theory::r2_block(m, mo, 1, W1, b), theory::r2_block(m, mo, 2, W2, b)};
    return r2;
}

AnalyticOptimum analytic_optimum(const Config& cfg, const theory::Model& m, const theory::Moments& mo,
                                 const Mat& W2target) {
    AnalyticOptimum a;
    const models::AlignmentLossEntry& loss = models::alignment_loss(cfg.s("objective.alignment"));
    if (cfg.s("data.kind") != "linear" || loss.analytic == theory::ClosedForm::no_alignment) return a;
    const int p = static_cast<int>(cfg.i("model.dim"));
    const std::string task = cfg.s("objective.task");
    const bool mlp = cfg.s("model.encoder") == "mlp";
    if (loss.analytic == theory::ClosedForm::regression) {
        // The optimum over all encoders is linear too (E[W2 x2 | x1], and with a task a pointwise
        // quadratic in f(x1) whose coefficients are linear in x1): one closed form for both.
        a.W2 = W2target;
        if (task != "none") {
            a.kind = "tradeoff";
            a.W1 = theory::tradeoff_optimum(mo, W2target, theory::target_index(task), cfg.f("objective.lambda")).W1;
        } else {
            a.kind = "aligned";
            a.W1 = theory::aligned_encoder(mo, p, "regression", W2target);
        }
    } else if (mlp && task == "none" &&
               (loss.closed_form == theory::ClosedForm::cca || loss.closed_form == theory::ClosedForm::spectral)) {
        // MLP encoders: the optimum over all encoders (Mehler's expansion, theory/mehler.hpp),
        // of the centred codes when the loss centres them (cca's whitening; spectral as configured).
        const std::string centering = loss.centred(cfg.s("objective.spectral_centering")) ? "batch" : "none";
        const theory::UnconstrainedOptimum u = theory::unconstrained_optimum(m, mo, p, centering);
        // With a tie among degree-1 functions, which variates are kept depends on the optimum
        // reached: the R^2 of single targets is then not a prediction.
        a.kind = u.determined ? "unconstrained" : "unconstrained_tie";
        for (const auto& [name, v] : u.z1.linear) a.r2[name] = {v, u.z2.linear.at(name)};
        for (const auto& [name, v] : u.z1.nonlinear) a.r2_nonlinear[name] = {v, u.z2.nonlinear.at(name)};
        return a;
    } else if (loss.analytic == theory::ClosedForm::vicreg || loss.analytic == theory::ClosedForm::barlow_twins) {
        // the population optimum over linear encoders, numerical in moment space
        // (theory/second_moment.hpp); with a task the alignment-only optimum, labelled "aligned"
        theory::SecondMomentLoss l = second_moment_loss_of(cfg);
        l.name = theory::closed_form_name(loss.analytic);
        const theory::SecondMomentOptimum o = theory::second_moment_optimum(mo, p, l);
        a.kind = "aligned";
        a.W1 = o.W1;
        a.W2 = o.W2;
    } else {
        // The loss's population optimum (cca, spectral; infonce and siglip are compared with the
        // cca optimum, their registry entries' analytic form). With a task added there is no
        // closed form: the alignment-only optimum is reported, labelled "aligned".
        const std::string obj = theory::closed_form_name(loss.analytic);
        a.kind = "aligned";
        a.W1 = theory::aligned_encoder(mo, p, obj, Mat());
        a.W2 = theory::aligned_encoder_2(mo, p, obj);
    }
    a.r2 = population_r2(m, mo, a.W1, a.W2);
    a.r2_nonlinear = a.r2;  // z = W x is Gaussian: E[y | z] is linear, no probe reads more
    return a;
}

ClosedFormPoint closed_form_point(const Config& cfg) {
    ClosedFormPoint pt;
    if (cfg.s("data.kind") != "linear") return pt;
    const theory::Model m = model_of(cfg);
    const theory::Moments mo = theory::moments(m);
    const Mat W2t = models::alignment_loss(cfg.s("objective.alignment")).frozen_target ? target_encoder_of(cfg, mo) : Mat();
    const AnalyticOptimum a = analytic_optimum(cfg, m, mo, W2t);
    pt.kind = a.kind;
    pt.analytic = a.r2;
    pt.oracle = population_r2(m, mo, Mat(), Mat());
    return pt;
}

void require_closed_forms(const Config& cfg) {
    if (cfg.s("data.kind") == "fashion_mnist")
        throw ConfigError("alignsim theory: data.kind = fashion_mnist (real images) has no closed forms; docs/real_data.md "
                          "gives the best possible score of each target, and `alignsim train` measures them");
}

json theory_report(const Config& cfg) {
    const theory::DataSpec spec = data_spec(cfg);
    const int p = static_cast<int>(cfg.i("model.dim"));
    const std::string te_kind = cfg.s("objective.target_encoder");
    json warnings = json::array();
    if (cfg.s("data.kind") != "linear")
        warnings.push_back("data.kind = " + cfg.s("data.kind") +
                           " has no closed form: these are the values of its linear part (spec section 1)");

    const theory::Model m = model_of(cfg);
    const theory::Moments mo = theory::moments(m);
    const std::vector<double> rho = theory::canonical_correlations(mo);

    // the aligned representations (minimum-norm optima) and the target encoder: the same seed as
    // training and plotting, so analytic and learned curves share W2
    const Mat W2t = target_encoder_of(cfg, mo);
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

    struct Rep {
        std::string name;  // oracle_x1, aligned_x1, ...
        int modality;
        Mat W;  // empty: oracle
    };
    const Mat post1 = theory::shared_posterior_encoder(m, mo, 1);
    const Mat post2 = theory::shared_posterior_encoder(m, mo, 2);
    const std::vector<Rep> reps = {{"oracle_x1", 1, Mat()},         {"aligned_x1", 1, W1_cca},
                                   {"oracle_x2", 2, Mat()},         {"aligned_x2", 2, W2_cca},
                                   {"shared_posterior_x1", 1, post1}, {"shared_posterior_x2", 2, post2}};

    json j;
    j["canonical_correlations"] = rho;
    j["mutual_information_x1_x2"] = theory::mutual_information_x1_x2(mo);
    json r2 = json::object(), info = json::object(), r2b = json::object();
    for (int t = 0; t < theory::kNumTargets; ++t)
        for (const auto& rep : reps) r2[theory::kTargetNames[t]][rep.name] = theory::r2_target(m, mo, rep.modality, rep.W, t);
    for (const auto& rep : reps)
        for (const char* b : theory::kBlockNames) {
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
        for (const char* b : theory::kBlockNames) o["info_nats_x1"][b] = theory::info_block(m, mo, 1, *W, b);
        o["principal_angles_to_cca"] = theory::principal_angles(*W, W1_cca);
        by[name] = o;
    }
    by["cca"]["optimal_loss"] = theory::cca_constrained_loss(mo, p);
    by["spectral"]["optimal_loss"] = theory::spectral_optimum_loss(mo, p);
    by["regression"]["optimal_loss"] = theory::alignment_loss(mo, "regression", W1_reg, W2t);
    by["regression"]["target_encoder"] = te_kind;
    // VICReg and Barlow Twins: the population optimum over linear encoders, numerical in moment
    // space (theory/second_moment.hpp), with what it keeps of every target and block
    for (const char* name : {"vicreg", "barlow_twins"}) {
        theory::SecondMomentLoss l = second_moment_loss_of(cfg);
        l.name = name;
        const theory::SecondMomentOptimum so = theory::second_moment_optimum(mo, p, l);
        json o;
        o["optimal_loss"] = so.value;
        o["canonical_loss"] = so.canonical_value;
        o["canonical_is_optimal"] = so.canonical;
        o["method"] = so.method;
        o["restarts"] = so.starts;
        o["restarts_agreeing"] = so.agreeing;
        o["restart_values"] = so.values;
        const std::map<std::string, R2Pair> r2o = population_r2(m, mo, so.W1, so.W2);
        for (const auto& [k, v] : r2o) {
            const bool target = k != "s" && k != "u1" && k != "u2";
            o[target ? "r2" : "r2_blocks"][k] = {{"z1", v.z1}, {"z2", v.z2}};
        }
        for (int t = 0; t < theory::kNumTargets; ++t) o["r2_x1"][theory::kTargetNames[t]] = r2o.at(theory::kTargetNames[t]).z1;
        for (const char* b : theory::kBlockNames) {
            o["info_nats_x1"][b] = theory::info_block(m, mo, 1, so.W1, b);
            o["info_nats_x2"][b] = theory::info_block(m, mo, 2, so.W2, b);
        }
        o["principal_angles_to_cca"] = theory::principal_angles(so.W1, W1_cca);
        by[name] = o;
    }
    // InfoNCE and SigLIP are not functions of second moments at a finite batch: the reference
    // is the CCA subspace (docs/theory.md, section 10)
    for (const char* name : {"infonce", "siglip"})
        by[name] = {{"reference_subspace", "cca"},
                    {"optimal_loss", nullptr},
                    {"note", "not a second-moment loss: no optimum from moments; learned runs report learned.principal_angles_to_cca"}};
    j["by_objective"] = by;

    // what a training run with this config should reach: `alignsim train --json`'s "analytic"
    const AnalyticOptimum an = analytic_optimum(cfg, m, mo, W2t);
    j["analytic"] = {{"kind", an.kind}, {"r2", r2_table(an.r2)}};

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
    j["model"] = {{"p", p}, {"k_shared", m.ks()}, {"mixing", spec.mixing}};
    j["warnings"] = warnings;
    return j;
}

// --- curves

const std::vector<std::string>& curve_keys() {
    static const std::vector<std::string> k{
        "data.d1",      "data.d2",    "data.k_shared", "data.k1",         "data.k2",          "data.a1",
        "data.a2",      "data.b1",    "data.b2",       "data.noise1",     "data.noise2",      "data.redundancy",
        "data.target_noise", "data.seed", "model.dim", "objective.lambda"};
    return k;
}
bool is_curve_key(const std::string& key) {
    const auto& k = curve_keys();
    return std::find(k.begin(), k.end(), key) != k.end();
}

std::string CurveSpec::text() const {
    return key + "=" + fmt_num(start) + ":" + fmt_num(stop) + ":" + std::to_string(n);
}

CurveSpec parse_curve(const std::string& arg, bool log) {
    auto list = [] {
        std::string s;
        for (const auto& k : curve_keys()) s += (s.empty() ? "" : ", ") + k;
        return s;
    };
    const auto eq = arg.find('=');
    if (eq == std::string::npos || eq == 0)
        throw ConfigError("--curve needs KEY=START:STOP:N (e.g. data.noise1=0.1:2:50), got '" + arg + "'");
    CurveSpec c;
    c.key = arg.substr(0, eq);
    c.log = log;
    if (!find_key(c.key)) throw ConfigError("--curve: unknown config key '" + c.key + "'; curves run along " + list());
    if (!is_curve_key(c.key))
        throw ConfigError("--curve: the closed forms do not depend on '" + c.key + "'; curves run along " + list());
    const std::string range = arg.substr(eq + 1);
    std::vector<std::string> parts;
    for (std::size_t at = 0;;) {
        const auto colon = range.find(':', at);
        parts.push_back(range.substr(at, colon == std::string::npos ? std::string::npos : colon - at));
        if (colon == std::string::npos) break;
        at = colon + 1;
    }
    const std::string what = "--curve " + arg + ": ";
    if (parts.size() != 3) throw ConfigError(what + "expected START:STOP:N after '" + c.key + "='");
    auto number = [&](const std::string& s, const char* name) {
        char* end = nullptr;
        errno = 0;
        const double v = std::strtod(s.c_str(), &end);
        if (s.empty() || *end != '\0' || errno == ERANGE || !std::isfinite(v))
            throw ConfigError(what + name + " must be a finite number, got '" + s + "'");
        return v;
    };
    c.start = number(parts[0], "START");
    c.stop = number(parts[1], "STOP");
    {
        char* end = nullptr;
        errno = 0;
        const long n = std::strtol(parts[2].c_str(), &end, 10);
        if (parts[2].empty() || *end != '\0' || errno == ERANGE || n < 2 || n > 10000)
            throw ConfigError(what + "N must be an integer from 2 to 10000, got '" + parts[2] + "'");
        c.n = static_cast<int>(n);
    }
    if (!(c.start < c.stop)) throw ConfigError(what + "START must be below STOP");
    if (log && c.start <= 0) throw ConfigError(what + "--log needs START > 0");
    return c;
}

std::vector<double> curve_values(const CurveSpec& c) {
    std::vector<double> v;
    const bool integer = find_key(c.key) && find_key(c.key)->kind == Kind::Int;
    for (int i = 0; i < c.n; ++i) {
        const double t = static_cast<double>(i) / static_cast<double>(c.n - 1);
        double x = c.log ? std::pow(10.0, std::log10(c.start) + t * (std::log10(c.stop) - std::log10(c.start)))
                         : c.start + t * (c.stop - c.start);
        if (i == 0) x = c.start;
        if (i == c.n - 1) x = c.stop;
        if (integer) x = std::round(x);
        if (v.empty() || x != v.back()) v.push_back(x);
    }
    return v;
}

std::vector<Config> curve_configs(const Config& base, const CurveSpec& c) {
    const KeySpec* ks = find_key(c.key);
    if (!ks) throw ConfigError("--curve: unknown config key '" + c.key + "'");
    std::vector<Config> out;
    for (double x : curve_values(c)) {
        Config k = base;
        try {
            if (ks->kind == Kind::Int) k.set(c.key, static_cast<std::int64_t>(x));
            else k.set(c.key, x);
            k.validate();
        } catch (const ConfigError& e) {
            throw ConfigError("--curve " + c.text() + ": at " + c.key + " = " + fmt_num(x) + ": " + e.what());
        }
        out.push_back(std::move(k));
    }
    return out;
}

}  // namespace sim
