// One training run and its evaluation (sim/run/run.hpp).
#include "sim/run/run.hpp"
#include "sim/run/evaluate.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>
#include <numeric>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "autodiff/ops.hpp"
#include "autodiff/blas.hpp"
#include "autodiff/random.hpp"
#include "models/encoder.hpp"
#include "models/losses.hpp"
#include "models/registry.hpp"
#include "models/trainer.hpp"
#include "sim/data/samples.hpp"
#include "sim/run/analytic.hpp"
#include "sim/run/probe.hpp"
#include "sim/run/probe_nonlinear.hpp"
#include "sim/run/real.hpp"
#include "sim/run/stop.hpp"
#include "sim/run/training.hpp"
#include "theory/closed_forms.hpp"
#include "theory/objective.hpp"

namespace sim {

namespace {

template <class T>
ad::Mat<T> convert(const Mat& a) {
    ad::Mat<T> out(a.shape());
    for (std::size_t i = 0; i < a.size(); ++i) out.data()[i] = static_cast<T>(a.data()[i]);
    return out;
}
template <class T>
Mat to_double(const ad::Mat<T>& a) {
    Mat out(a.shape());
    for (std::size_t i = 0; i < a.size(); ++i) out.data()[i] = static_cast<double>(a.data()[i]);
    return out;
}

struct Problem {
    const Config* cfg;
    DataModel dm;
    std::shared_ptr<const Samples> smp;  // shared with the other cells of the same data (shared_samples)
    bool linear_data = true;
    const models::AlignmentLossEntry* loss = nullptr;  // objective.alignment's registry entry
    std::string task;
    int task_index = -1;
    std::size_t p = 0;
    bool frozen2 = false;       // z2 is a frozen encoder's output (regression alignment)
    Mat W2;                     // linear data + regression: theory::target_encoder
    bool have_moments = false;
    theory::Moments mo;
};

// Latent blocks and targets of a split as one matrix of columns: targets (4), then s, u1, u2.
Mat probe_columns(const Split& s) {
    const std::size_t n = s.size();
    const std::size_t q = s.y.shape()[1] + s.s.shape()[1] + s.u1.shape()[1] + s.u2.shape()[1];
    Mat out({n, q});
    for (std::size_t r = 0; r < n; ++r) {
        std::size_t c = 0;
        for (const Mat* m : {&s.y, &s.s, &s.u1, &s.u2})
            for (std::size_t j = 0; j < m->shape()[1]; ++j) out(r, c++) = (*m)(r, j);
    }
    return out;
}

// Per target and block (a block: the mean over its coordinates) from the R^2 of each column of
// probe_columns.
std::map<std::string, double> by_name(const std::vector<double>& r2, const Split& tr) {
    std::map<std::string, double> out;
    std::size_t c = 0;
    for (int t = 0; t < theory::kNumTargets; ++t) out[theory::kTargetNames[t]] = r2[c++];
    const std::size_t sizes[3] = {tr.s.shape()[1], tr.u1.shape()[1], tr.u2.shape()[1]};
    for (int b = 0; b < 3; ++b) {
        double acc = 0;
        for (std::size_t j = 0; j < sizes[b]; ++j) acc += r2[c++];
        out[theory::kBlockNames[b]] = acc / static_cast<double>(sizes[b]);
    }
    return out;
}

// learned_r2 from ridge probes of z (train, test) on every target and block.
std::map<std::string, double> probe_all(const Mat& ztr, const Mat& zte, const Split& tr, const Split& te) {
    return by_name(ridge_probe(ztr, probe_columns(tr), zte, probe_columns(te)).r2, tr);
}

// The same with the nonlinear probe (kernel ridge on random Fourier features, seeded).
std::map<std::string, double> probe_all_nonlinear(const Mat& ztr, const Mat& zte, const Split& tr, const Split& te,
                                                  std::uint64_t seed) {
    NonlinearProbeOptions o;
    o.seed = seed;
    return by_name(nonlinear_probe(ztr, probe_columns(tr), zte, probe_columns(te), o).r2, tr);
}

// The certificate of a run: on when its data are linear, its encoders linear and its
// objective has a closed-form optimum; then the moments of the training set (centred for the
// losses of batch covariances) and the optimum's value.
struct Certificate {
    bool on = false;
    std::string reason;  // why not, when off
    theory::ObjectiveSpec spec;
    theory::Moments mo;
    double optimum = std::numeric_limits<double>::quiet_NaN();
    std::string method;  // vicreg, barlow_twins: how the optimum was obtained
};

Mat column_means(const Mat& X) {
    const std::size_t n = X.shape()[0], d = X.shape()[1];
    Mat m({d, std::size_t(1)}, 0.0);
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < d; ++j) m(j, 0) += X(i, j);
    m /= static_cast<double>(n);
    return m;
}

Certificate certificate_of(const Problem& pb, const Config& cfg) {
    Certificate c;
    c.spec.form = pb.loss->closed_form;
    c.spec.loss = pb.loss->name;
    c.spec.loss_title = pb.loss->title;
    c.spec.task = pb.task_index;
    c.spec.lambda = cfg.f("objective.lambda");
    c.spec.cca_penalty = cfg.f("objective.cca_penalty");
    c.spec.spectral_centering = cfg.s("objective.spectral_centering");
    c.spec.p = static_cast<int>(pb.p);
    c.spec.W2 = pb.W2;
    c.spec.second_moment = second_moment_loss_of(cfg);
    if (!pb.linear_data)
        c.reason = "data.kind " + cfg.s("data.kind") + ": the closed forms are for the linear model only";
    else if (!models::encoder(cfg.s("model.encoder")).linear)
        c.reason = "model.encoder " + cfg.s("model.encoder") +
                   ": the training objective over network weights has no closed-form optimum (the optimum over all encoders is "
                   "a reference, not the objective's minimum over this network)";
    else
        c.reason = theory::no_closed_form_reason(c.spec);
    if (!c.reason.empty()) return c;
    try {
        c.mo = theory::sample_moments(pb.smp->train.x1, pb.smp->train.x2, pb.smp->train.y, theory::objective_is_centred(c.spec));
        if (c.spec.form == theory::ClosedForm::vicreg) {  // its invariance term is uncentred, its variances unbiased
            c.spec.second_moment.n = static_cast<double>(pb.smp->train.x1.shape()[0]);
            c.spec.second_moment.mean1 = column_means(pb.smp->train.x1);
            c.spec.second_moment.mean2 = column_means(pb.smp->train.x2);
        }
        const theory::ObjectiveOptimum oo = theory::objective_optimum(c.mo, c.spec);
        c.optimum = oo.value;
        c.method = oo.method;
        c.on = std::isfinite(c.optimum);
        if (!c.on) c.reason = "the optimum is not finite";
    } catch (const std::exception& e) {
        c.reason = std::string("the optimum could not be computed: ") + e.what();
    }
    return c;
}

template <class T>
RunResult train_and_evaluate(const Problem& pb, const RunOptions& opt) {
    const Config& cfg = *pb.cfg;
    const auto t0 = std::chrono::steady_clock::now();
    RunResult res;
    const auto train_seed = static_cast<std::uint64_t>(cfg.i("train.seed"));
    const std::size_t n = pb.smp->train.size();
    const std::size_t B = static_cast<std::size_t>(cfg.i("train.batch"));
    const long steps = static_cast<long>(cfg.i("train.steps"));

    // --- the trainer (models/trainer.hpp): encoders, frozen targets, task head, minibatches
    models::TrainerSpec<T> ts = trainer_spec<T>(cfg);
    ts.frozen_targets = pb.frozen2;
    ts.task = pb.task_index >= 0;
    const bool has_align = pb.loss->has_term();
    if (ts.task && has_align) ts.warmup_steps = std::lround(cfg.f("train.warmup") * static_cast<double>(steps));

    // --- data in the training precision
    const ad::Mat<T> X1 = convert<T>(pb.smp->train.x1), X2 = convert<T>(pb.smp->train.x2);
    ad::Mat<T> Y;  // task column
    if (ts.task) {
        Y = ad::Mat<T>({n, std::size_t(1)});
        for (std::size_t r = 0; r < n; ++r) Y(r, 0) = static_cast<T>(pb.smp->train.y(r, static_cast<std::size_t>(pb.task_index)));
    }
    // frozen targets z2 = W2 x2 (linear data) or the output of a frozen random encoder (nonlinear
    // data), drawn from the seed the trainer would use for a second encoder
    ad::Mat<T> Z2frozen;
    Mat z2_train_frozen, z2_test_frozen;
    std::unique_ptr<models::Encoder<T>> frozen_f2;
    if (pb.frozen2) {
        if (pb.linear_data) {
            z2_train_frozen = Mat({n, pb.p});
            z2_test_frozen = Mat({pb.smp->test.size(), pb.p});
            ad::blas::gemm(pb.smp->train.x2, false, pb.W2, true, z2_train_frozen);
            ad::blas::gemm(pb.smp->test.x2, false, pb.W2, true, z2_test_frozen);
        } else {
            ad::Rng rinit2(ad::derive_seed(train_seed, "init_f2"));
            frozen_f2 = models::make_encoder<T>(ts.enc2, rinit2);
            z2_train_frozen = encode(*frozen_f2, X2);
            z2_test_frozen = encode(*frozen_f2, pb.smp->test.x2);
        }
        Z2frozen = convert<T>(z2_train_frozen);
    }
    models::TrainData<T> td;
    td.x1 = &X1;
    td.x2 = &X2;
    if (pb.frozen2) td.z2 = &Z2frozen;
    if (ts.task) td.y = &Y;
    std::unique_ptr<models::Trainer<T>> trainer;
    try {
        trainer = std::make_unique<models::Trainer<T>>(ts, td);
    } catch (const std::invalid_argument& e) {
        throw ConfigError(e.what());
    }
    models::Encoder<T>* f1 = &trainer->encoder1();
    models::Encoder<T>* f2 = trainer->encoder2();

    // --- the optimality certificate: the objective from the moments of the training set, at
    // the learned parameters and at its optimum (theory/objective.hpp)
    const Certificate cert = certificate_of(pb, cfg);
    res.tolerance = cfg.f("train.tolerance");
    res.objective_reason = cert.reason;
    if (cert.on) res.objective_optimum = cert.optimum;
    res.objective_method = cert.method;
    auto objective_now = [&]() -> double {
        if (!cert.on) return std::numeric_limits<double>::quiet_NaN();
        theory::ObjectiveParams x;
        x.W1 = to_double(*f1->linear_weight());
        x.W2 = pb.frozen2 ? pb.W2 : to_double(*f2->linear_weight());
        if (ts.task) x.v = to_double(trainer->head().value);
        return theory::objective_value(cert.mo, cert.spec, x);
    };
    auto checkpoint = [&](long step, long evals, double loss) {
        const double obj = objective_now();
        res.history.push_back({step, evals, loss, obj, theory::relative_gap(obj, cert.optimum)});
    };
    CheckpointClock clock(steps);
    const models::FitReport fit = trainer->fit(steps, [&](long step, double L) {
        throw_if_stopped();  // SIGINT / SIGTERM or a stopping sweep: abandon the run (sim/run/stop.hpp)
        double mean = 0;
        if (clock.tick(step, L, mean)) checkpoint(step + 1, 0, mean);
        if (opt.progress && (step + 1) % std::max<long>(1, steps / 10) == 0)
            std::fprintf(stderr, "step %ld/%ld  loss %.6g\n", step + 1, steps, L);
    });
    res.status = fit.status;
    res.reason = fit.reason;
    res.steps = fit.steps;
    res.final_loss = fit.final_loss;
    if (cert.on && res.status == "ok") {
        const double tol = res.tolerance;
        res.objective_learned = objective_now();
        res.objective_gap = theory::relative_gap(res.objective_learned, cert.optimum);
        const long budget = cfg.i("train.polish");
        // polishing: full-batch L-BFGS until a tenth of the tolerance (docs/usage.md)
        if (!(res.objective_gap <= tol) && budget > 0 && std::isfinite(res.objective_gap)) {
            models::PolishOptions po;
            po.max_evals = budget;
            po.rebalance = ts.task && pb.frozen2;  // the trade-off: the head's symmetry in closed form
            po.done = [&] {
                throw_if_stopped();  // a signal stops polishing too
                return theory::relative_gap(objective_now(), cert.optimum) <= tol / 10;
            };
            po.progress = [&](long evals, double loss) { checkpoint(res.steps, evals, loss); };
            const models::PolishReport pr = trainer->polish(po);
            res.polish_evals = pr.evals;
            // VICReg: L-BFGS creeps along the variance hinge's kink, where its optimum sits; the
            // last stretch holds the coordinates next to the kink on it (theory/second_moment.hpp)
            if (pb.loss->closed_form == theory::ClosedForm::vicreg && !(theory::relative_gap(objective_now(), cert.optimum) <= tol / 10)) {
                const theory::SecondMomentLocal loc = theory::second_moment_local(
                    cert.mo, cert.spec.second_moment, to_double(*f1->linear_weight()), to_double(*f2->linear_weight()));
                f1->params()[0]->value = convert<T>(loc.W1);
                f2->params()[0]->value = convert<T>(loc.W2);
                res.polish_evals += 1;
            }
            if (res.history.empty() || res.history.back().evals != pr.evals) checkpoint(res.steps, pr.evals, pr.final_loss);
            res.objective_learned = objective_now();
            res.objective_gap = theory::relative_gap(res.objective_learned, cert.optimum);
            if (opt.progress)
                std::fprintf(stderr, "polish: %ld full-batch evaluations, objective gap %.3g\n", pr.evals, res.objective_gap);
        }
        if (!(res.objective_gap <= tol)) {
            char buf[200];
            std::snprintf(buf, sizeof buf, "objective gap %.3g > train.tolerance %.3g after %ld steps and %ld full-batch evaluations",
                          res.objective_gap, tol, res.steps, res.polish_evals);
            res.status = "not_converged";
            res.reason = buf;
        }
    }
    if (opt.weights && res.status != "diverged") {
        auto put = [&](const std::string& name, const Mat& W) {
            opt.weights->push_back({name, {W.shape()[0], W.shape()[1]}, std::vector<double>(W.begin(), W.end())});
        };
        auto put_all = [&](models::Encoder<T>& f, const std::string& prefix, const std::string& linear_name) {
            if (const ad::Mat<T>* w = f.linear_weight()) return put(linear_name, to_double(*w));
            for (ad::Param<T>* q : f.params()) put(prefix + "." + q->name, to_double(q->value));
        };
        put_all(*f1, "encoder1", "W1");
        if (pb.frozen2 && pb.linear_data) put("W2", pb.W2);
        else if (f2) put_all(*f2, "encoder2", "W2");
        else if (frozen_f2) put_all(*frozen_f2, "encoder2", "W2");
    }
    // --- evaluation on the test set
    AnalyticOptimum an;
    try {
        if (pb.linear_data) an = analytic_optimum(cfg, pb.dm.linear, pb.mo, pb.W2);
    } catch (const std::exception& e) {  // a closed form that fails must not lose the learned result
        an = AnalyticOptimum{};
        an.kind = std::string("unavailable: ") + e.what();
    }
    res.analytic_r2 = an.r2;
    res.analytic_kind = an.kind;
    const bool nl_probe = nonlinear_probe_on(cfg);
    if (nl_probe) res.analytic_r2_nonlinear = an.r2_nonlinear;
    auto nan_all = [&]() {
        const double q = std::numeric_limits<double>::quiet_NaN();
        for (int t = 0; t < theory::kNumTargets; ++t) res.learned_r2[theory::kTargetNames[t]] = {q, q};
        for (const char* b : theory::kBlockNames) res.learned_r2[b] = {q, q};
        if (nl_probe) res.learned_r2_nonlinear = res.learned_r2;
        res.cka = res.alignment_loss = q;
    };
    if (res.status == "diverged") {
        nan_all();
    } else {
        const Mat z1_tr = encode(*f1, X1), z1_te = encode(*f1, pb.smp->test.x1);
        Mat z2_tr, z2_te;
        if (pb.frozen2) {
            z2_tr = z2_train_frozen;
            z2_te = z2_test_frozen;
        } else {
            z2_tr = encode(*f2, X2);
            z2_te = encode(*f2, pb.smp->test.x2);
        }
        if (!all_finite(z1_tr) || !all_finite(z1_te) || !all_finite(z2_tr) || !all_finite(z2_te)) {
            res.status = "diverged";
            res.reason = "representation is not finite after training";
            nan_all();
        } else {
            const auto l1 = probe_all(z1_tr, z1_te, pb.smp->train, pb.smp->test);
            const auto l2 = probe_all(z2_tr, z2_te, pb.smp->train, pb.smp->test);
            for (const auto& [k, v] : l1) res.learned_r2[k] = {v, l2.at(k)};
            if (nl_probe) {
                const std::uint64_t ps = ad::derive_seed(train_seed, "nonlinear_probe");
                const auto n1 = probe_all_nonlinear(z1_tr, z1_te, pb.smp->train, pb.smp->test, ps);
                const auto n2 = probe_all_nonlinear(z2_tr, z2_te, pb.smp->train, pb.smp->test, ps);
                for (const auto& [k, v] : n1) res.learned_r2_nonlinear[k] = {v, n2.at(k)};
            }
            res.cka = linear_cka(z1_te, z2_te);
            // alignment loss on the test set: mean over consecutive batches of train.batch rows
            if (has_align) res.alignment_loss = test_alignment_loss<T>(trainer->alignment().current_settings(), z1_te, z2_te, B);
            if (trainer->alignment().settings().name == "siglip") {
                const auto cur = trainer->alignment().current_settings();
                res.siglip_temperature = static_cast<double>(cur.siglip_temperature);
                res.siglip_bias = static_cast<double>(cur.siglip_bias);
            }
            // subspace distance: linear encoders on linear data, to the analytic optimum
            const ad::Mat<T>* w1 = f1->linear_weight();
            const ad::Mat<T>* w2 = f2 ? f2->linear_weight() : nullptr;
            if (w1 && pb.linear_data && (pb.frozen2 || w2)) try {
                const Mat W1 = to_double(*w1), W2 = pb.frozen2 ? pb.W2 : to_double(*w2);
                res.learned_population_r2 = population_r2(pb.dm.linear, pb.mo, W1, W2);
            } catch (const std::exception&) {
                res.learned_population_r2.clear();  // optional diagnostic: never fails a run
            }
            if (w1 && pb.linear_data) try {
                const Mat Wcca = theory::aligned_encoder(pb.mo, static_cast<int>(pb.p), "cca", Mat());
                res.principal_angles_to_cca = theory::principal_angles(to_double(*w1), Wcca);
            } catch (const std::exception&) {
                res.principal_angles_to_cca.clear();  // optional diagnostic: never fails a run
            }
            if (w1 && !an.kind.empty() && an.W1.size() > 0) {
                const auto ang = theory::principal_angles(to_double(*w1), an.W1);
                if (!ang.empty()) res.subspace_distance = *std::max_element(ang.begin(), ang.end());
            }
        }
    }
    res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return res;
}

}  // namespace

nlohmann::json probe_representations(const Config& cfg, const Mat& z1_tr, const Mat& z2_tr, const Split& tr,
                                     const Mat& z1_te, const Mat& z2_te, const Split& te) {
    const bool two = z2_tr.size() > 0 || z2_te.size() > 0;
    auto check = [&](const char* name, const Mat& z, const Split& s, const Mat& like) {
        if (z.shape()[0] != s.size())
            throw ConfigError(std::string(name) + " has " + std::to_string(z.shape()[0]) + " rows, the latents " +
                              std::to_string(s.size()));
        if (z.shape()[1] == 0 || z.shape()[1] != like.shape()[1])
            throw ConfigError(std::string(name) + ": train and test rows must have the same number of columns (at least 1)");
        if (!all_finite(z)) throw ConfigError(std::string(name) + " has a value that is not finite");
    };
    check("z1", z1_tr, tr, z1_te);
    check("z1", z1_te, te, z1_tr);
    if (two) {
        check("z2", z2_tr, tr, z2_te);
        check("z2", z2_te, te, z2_tr);
    }
    if (tr.size() < 10 || te.size() < 2) throw ConfigError("too few samples to probe: at least 10 train and 2 test rows");
    const std::uint64_t ps = ad::derive_seed(static_cast<std::uint64_t>(cfg.i("train.seed")), "nonlinear_probe");
    auto table = [&](const std::map<std::string, double>& a, const std::map<std::string, double>* b) {
        nlohmann::json t = nlohmann::json::object();
        for (const auto& [k, v] : a) {
            t[k]["z1"] = v;
            if (b) t[k]["z2"] = b->at(k);
        }
        return t;
    };
    nlohmann::json j;
    const auto l1 = probe_all(z1_tr, z1_te, tr, te);
    const auto n1 = probe_all_nonlinear(z1_tr, z1_te, tr, te, ps);
    if (two) {
        const auto l2 = probe_all(z2_tr, z2_te, tr, te);
        const auto n2 = probe_all_nonlinear(z2_tr, z2_te, tr, te, ps);
        j["r2"] = table(l1, &l2);
        j["r2_nonlinear"] = table(n1, &n2);
        j["cka"] = linear_cka(z1_te, z2_te);
    } else {
        j["r2"] = table(l1, nullptr);
        j["r2_nonlinear"] = table(n1, nullptr);
    }
    return j;
}

RunResult run(const Config& cfg, const RunOptions& opt) {
    cfg.validate();
    if (cfg.s("data.kind") == "fashion_mnist") return run_fashion(cfg, opt);
    Problem pb;
    pb.cfg = &cfg;
    pb.dm = make_data_model(cfg);
    pb.linear_data = pb.dm.kind == "linear";
    pb.loss = &models::alignment_loss(cfg.s("objective.alignment"));
    pb.task = cfg.s("objective.task");
    pb.task_index = pb.task == "none" ? -1 : theory::target_index(pb.task);
    pb.p = static_cast<std::size_t>(cfg.i("model.dim"));
    pb.frozen2 = pb.loss->frozen_target;
    if (pb.linear_data) {
        pb.mo = theory::moments(pb.dm.linear);
        pb.have_moments = true;
        if (pb.frozen2)
            pb.W2 = target_encoder_of(cfg, pb.mo);
    }
    pb.smp = shared_samples(cfg, pb.dm);
    throw_if_stopped();
    if (training_dtype(cfg) == "float32") return train_and_evaluate<float>(pb, opt);
    return train_and_evaluate<double>(pb, opt);
}

nlohmann::json RunResult::to_json() const {
    nlohmann::json j;
    j["status"] = status;
    if (!reason.empty()) j["reason"] = reason;
    j["steps"] = steps;
    j["seconds"] = seconds;
    j["final_loss"] = final_loss;
    j["alignment_loss"] = alignment_loss;
    auto table = [](const std::map<std::string, R2Pair>& m) {
        nlohmann::json t = nlohmann::json::object();
        for (const auto& [k, v] : m) t[k] = {{"z1", v.z1}, {"z2", v.z2}};
        return t;
    };
    j["learned"] = {{"r2", table(learned_r2)}};
    if (!learned_accuracy.empty()) {
        j["learned"]["accuracy"] = table(learned_accuracy);
        if (!learned_accuracy_knn.empty()) j["learned"]["accuracy_knn"] = table(learned_accuracy_knn);
        if (!baseline_accuracy.empty()) {
            j["baseline"] = {{"accuracy", baseline_accuracy}, {"supervised_model", supervised_model}};
        }
    }
    if (!learned_population_r2.empty()) j["learned"]["population_r2"] = table(learned_population_r2);
    if (!learned_r2_nonlinear.empty()) j["learned"]["r2_nonlinear"] = table(learned_r2_nonlinear);
    j["analytic"] = {{"r2", table(analytic_r2)}, {"kind", analytic_kind}};
    if (!analytic_r2_nonlinear.empty()) j["analytic"]["r2_nonlinear"] = table(analytic_r2_nonlinear);
    j["subspace_distance"] = subspace_distance;
    if (!principal_angles_to_cca.empty()) j["learned"]["principal_angles_to_cca"] = principal_angles_to_cca;
    if (std::isfinite(siglip_temperature))
        j["learned"]["siglip"] = {{"temperature", siglip_temperature}, {"bias", siglip_bias}};
    j["cka"] = cka;
    // the optimality certificate (null where there is none; optimum_reason says why)
    auto num_or_null = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); };
    nlohmann::json o = {{"learned", num_or_null(objective_learned)},
                        {"optimum", num_or_null(objective_optimum)},
                        {"gap", num_or_null(objective_gap)},
                        {"tolerance", tolerance},
                        {"polish_evals", polish_evals}};
    if (!objective_reason.empty()) o["optimum_reason"] = objective_reason;
    if (!objective_method.empty()) o["optimum_method"] = objective_method;
    j["objective"] = o;
    nlohmann::json h = nlohmann::json::array();
    for (const Checkpoint& c : history)
        h.push_back({{"step", c.step}, {"evals", c.evals}, {"loss", num_or_null(c.loss)}, {"objective", num_or_null(c.objective)},
                     {"gap", num_or_null(c.gap)}});
    j["history"] = h;
    return j;
}

bool nonlinear_probe_on(const Config& cfg) {
    if (cfg.s("data.kind") == "fashion_mnist") return false;  // class targets: accuracy, not R^2
    const std::string& v = cfg.s("eval.nonlinear_probe");
    if (v == "auto") return !models::encoder(cfg.s("model.encoder")).linear || cfg.s("data.kind") != "linear";
    return v == "on";
}

std::vector<RowKey> result_row_keys(const Config& cfg) {
    static const char* const names[7] = {"y_shared", "y1", "y2", "y_mix", "s", "u1", "u2"};
    std::vector<RowKey> keys;
    if (cfg.s("data.kind") == "fashion_mnist") {  // accuracy of the logistic probe (sim/run/real.hpp)
        for (int i = 0; i < 4; ++i)
            for (const char* rep : {"z1", "z2"}) keys.push_back({"target", names[i], rep, "linear", "accuracy"});
        if (cfg.b("eval.baselines"))
            for (int i = 0; i < 4; ++i)
                for (const auto& rep : baseline_reps()) keys.push_back({"target", names[i], rep, "linear", "accuracy"});
        return keys;
    }
    std::vector<std::string> probes{"linear"};
    if (nonlinear_probe_on(cfg)) probes.push_back("nonlinear");
    for (const auto& probe : probes)
        for (int i = 0; i < 7; ++i)
            for (const char* rep : {"z1", "z2"}) keys.push_back({i < 4 ? "target" : "block", names[i], rep, probe, "r2"});
    return keys;
}

RowValues row_values(const RunResult& r, const RowKey& k) {
    RowValues v;
    v.learned = std::numeric_limits<double>::quiet_NaN();
    if (k.metric == "accuracy") {
        if (k.rep == "z1" || k.rep == "z2") {
            const auto& m = k.probe == "knn" ? r.learned_accuracy_knn : r.learned_accuracy;
            const auto it = m.find(k.name);
            if (it != m.end()) v.learned = k.rep == "z1" ? it->second.z1 : it->second.z2;
        } else {
            const auto it = r.baseline_accuracy.find(k.name);
            if (it != r.baseline_accuracy.end()) {
                const auto jt = it->second.find(k.rep);
                if (jt != it->second.end()) v.learned = jt->second;
            }
        }
        return v;
    }
    const bool z1 = k.rep == "z1";
    auto pick = [&](const std::map<std::string, R2Pair>& m) -> std::optional<double> {
        const auto it = m.find(k.name);
        if (it == m.end()) return std::nullopt;
        return z1 ? it->second.z1 : it->second.z2;
    };
    const bool linear = k.probe == "linear";
    if (auto l = pick(linear ? r.learned_r2 : r.learned_r2_nonlinear)) v.learned = *l;
    if (linear) v.learned_population = pick(r.learned_population_r2);
    v.analytic = pick(linear ? r.analytic_r2 : r.analytic_r2_nonlinear);
    return v;
}

}  // namespace sim
