// Closed-form evaluation of given linear encoders (sim/run/evaluate.hpp).
#include "sim/run/evaluate.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "models/registry.hpp"
#include "sim/run/analytic.hpp"
#include "theory/closed_forms.hpp"
#include "theory/objective.hpp"

namespace sim {

namespace {

using theory::Mat;
using nlohmann::json;

void require_linear(const Config& cfg, const char* what) {
    if (cfg.s("data.kind") != "linear")
        throw ConfigError(std::string(what) + ": data.kind = " + cfg.s("data.kind") +
                          " has no closed forms (they are for data.kind = linear); evaluate its encoders on samples instead");
}

theory::Model model_of(const Config& cfg) {
    try {
        return theory::make_model(data_spec(cfg));
    } catch (const std::invalid_argument& e) {
        throw ConfigError(e.what());
    }
}

std::string shape_text(const Mat& W) { return std::to_string(W.shape()[0]) + " x " + std::to_string(W.shape()[1]); }

void check_encoder(const char* name, const Mat& W, std::size_t p, std::size_t d, const char* dkey) {
    if (W.dimension() != 2 || W.shape()[0] != p || W.shape()[1] != d)
        throw ConfigError(std::string(name) + " must be p x " + dkey + " = " + std::to_string(p) + " x " + std::to_string(d) +
                          " (p = model.dim), got " + (W.dimension() == 2 ? shape_text(W) : "an array of " + std::to_string(W.dimension()) + " dimensions"));
    for (double x : W)
        if (!std::isfinite(x)) throw ConfigError(std::string(name) + " has a value that is not finite");
}

void check_bias(const char* name, const std::vector<double>& b, std::size_t p) {
    if (b.empty()) return;
    if (b.size() != p)
        throw ConfigError(std::string(name) + " must have p = model.dim = " + std::to_string(p) + " entries, got " +
                          std::to_string(b.size()));
    for (double x : b)
        if (!std::isfinite(x)) throw ConfigError(std::string(name) + " has a value that is not finite");
}

// The moments of (x1, 1) and (x2, 1): an encoder with bias b is the linear map [W | b] of them,
// so the uncentred objectives count the offsets exactly (the population means are zero).
theory::Moments with_constant(const theory::Moments& mo) {
    auto grow = [](const Mat& S) {
        const std::size_t r = S.shape()[0], c = S.shape()[1];
        Mat G = xt::zeros<double>({r + 1, c + 1});
        for (std::size_t i = 0; i < r; ++i)
            for (std::size_t j = 0; j < c; ++j) G(i, j) = S(i, j);
        G(r, c) = 1;
        return G;
    };
    theory::Moments a;
    a.S11 = grow(mo.S11);
    a.S22 = grow(mo.S22);
    a.S12 = grow(mo.S12);
    return a;
}

Mat with_bias(const Mat& W, const std::vector<double>& b) {
    const std::size_t p = W.shape()[0], d = W.shape()[1];
    Mat A = xt::zeros<double>({p, d + 1});
    for (std::size_t i = 0; i < p; ++i) {
        for (std::size_t j = 0; j < d; ++j) A(i, j) = W(i, j);
        A(i, d) = b.empty() ? 0.0 : b[i];
    }
    return A;
}

theory::ObjectiveSpec spec_of(const Config& cfg, const models::AlignmentLossEntry& loss, int task, const Mat& W2target) {
    theory::ObjectiveSpec s;
    s.form = loss.closed_form;
    s.loss = loss.name;
    s.loss_title = loss.title;
    s.task = task;
    s.lambda = cfg.f("objective.lambda");
    s.cca_penalty = cfg.f("objective.cca_penalty");
    s.spectral_centering = cfg.s("objective.spectral_centering");
    s.p = static_cast<int>(cfg.i("model.dim"));
    s.W2 = W2target;
    return s;
}

}  // namespace

json evaluate_linear(const Config& cfg, const LinearEncoders& enc) {
    cfg.validate();
    require_linear(cfg, "evaluate");
    const theory::DataSpec ds = data_spec(cfg);
    const std::size_t p = static_cast<std::size_t>(cfg.i("model.dim"));
    check_encoder("W1", enc.W1, p, static_cast<std::size_t>(ds.d1), "data.d1");
    check_bias("b1", enc.b1, p);
    const bool two = enc.W2.has_value();
    if (two) {
        check_encoder("W2", *enc.W2, p, static_cast<std::size_t>(ds.d2), "data.d2");
        check_bias("b2", enc.b2, p);
    } else if (!enc.b2.empty()) {
        throw ConfigError("b2 is given without W2");
    }
    const theory::Model m = model_of(cfg);
    const theory::Moments mo = theory::moments(m);
    const Mat& W1 = enc.W1;

    json j;
    json r2 = json::object(), info = json::object();
    for (int t = 0; t < theory::kNumTargets; ++t) {
        json e = {{"z1", theory::r2_target(m, mo, 1, W1, t)}};
        if (two) e["z2"] = theory::r2_target(m, mo, 2, *enc.W2, t);
        r2[theory::kTargetNames[t]] = e;
    }
    for (const char* b : theory::kBlockNames) {
        json e = {{"z1", theory::r2_block(m, mo, 1, W1, b)}};
        json i = {{"z1", theory::info_block(m, mo, 1, W1, b)}};
        if (two) {
            e["z2"] = theory::r2_block(m, mo, 2, *enc.W2, b);
            i["z2"] = theory::info_block(m, mo, 2, *enc.W2, b);
        }
        r2[b] = e;
        info[b] = i;
    }
    j["r2"] = r2;
    j["info_nats"] = info;
    const int pi = static_cast<int>(p);
    json ang = {{"z1", theory::principal_angles(W1, theory::aligned_encoder(mo, pi, "cca", Mat()))}};
    if (two) ang["z2"] = theory::principal_angles(*enc.W2, theory::aligned_encoder_2(mo, pi, "cca"));
    j["principal_angles_to_cca"] = ang;

    // each alignment objective as trained, at these encoders, against its optimum over linear
    // encoders without bias (the trained family; data are centred, so b = 0 there)
    const Mat W2t = target_encoder_of(cfg, mo);
    const theory::Moments mc = with_constant(mo);
    json obj = json::object();
    for (const models::AlignmentLossEntry& loss : models::alignment_losses()) {
        // every loss with a closed-form optimum (cca, spectral, regression); without W2 only
        // those whose z2 is the frozen target encoder
        if (loss.closed_form == theory::ClosedForm::none || !loss.has_term()) continue;
        if (!loss.frozen_target && !two) continue;
        const std::string a = loss.name;
        const theory::ObjectiveSpec s = spec_of(cfg, loss, -1, W2t);
        double value = 0;
        if (theory::objective_is_centred(s)) {
            value = theory::objective_value(mo, s, {W1, two ? *enc.W2 : Mat(), Mat()});
        } else {
            theory::ObjectiveSpec sc = s;
            sc.W2 = with_bias(W2t, {});
            const Mat W2b = two ? with_bias(*enc.W2, enc.b2) : Mat();
            value = theory::objective_value(mc, sc, {with_bias(W1, enc.b1), W2b, Mat()});
        }
        const double opt = theory::objective_optimum(mo, s).value;
        obj[a] = {{"value", value}, {"optimum", opt}, {"gap", theory::relative_gap(value, opt)}};
    }
    j["objective"] = obj;
    j["configured_alignment"] = cfg.s("objective.alignment");
    return j;
}

json configured_optimum(const Config& cfg, Mat* W1, Mat* W2) {
    cfg.validate();
    *W1 = Mat();
    *W2 = Mat();
    if (cfg.s("data.kind") != "linear")
        return {{"objective", cfg.s("objective.alignment")},
                {"value", nullptr},
                {"note", "data.kind = " + cfg.s("data.kind") + " has no closed-form optimum (the closed forms are for data.kind = linear)"}};
    const theory::Model m = model_of(cfg);
    const theory::Moments mo = theory::moments(m);
    const std::string a = cfg.s("objective.alignment"), task = cfg.s("objective.task");
    const Mat W2t = target_encoder_of(cfg, mo);
    const models::AlignmentLossEntry& loss = models::alignment_loss(a);
    const theory::ObjectiveSpec s = spec_of(cfg, loss, task == "none" ? -1 : theory::target_index(task), W2t);
    json j;
    j["objective"] = task == "none" ? a : task + " + " + a;
    const std::string why = theory::no_closed_form_reason(s);
    if (why.empty()) {
        const theory::ObjectiveOptimum o = theory::objective_optimum(mo, s);
        *W1 = o.at.W1;
        *W2 = o.at.W2;
        j["value"] = o.value;
        j["attained"] = o.attained;
        return j;
    }
    j["value"] = nullptr;
    if (loss.closed_form == theory::ClosedForm::none && loss.analytic != theory::ClosedForm::no_alignment &&
        loss.analytic != theory::ClosedForm::regression && task == "none") {
        // a loss compared with another's optimum (infonce: the cca one, W_i S_ii W_i^T = I)
        const std::string form = theory::closed_form_name(loss.analytic);
        *W1 = theory::aligned_encoder(mo, s.p, form, Mat());
        *W2 = theory::aligned_encoder_2(mo, s.p, form);
        j["note"] = why + ": the encoders are the " + form + " optimum, which " + a + " is compared with";
    } else {
        j["note"] = why;
    }
    return j;
}

}  // namespace sim
