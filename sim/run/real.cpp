// data.kind = "fashion_mnist": one run on real images and its baselines (sim/run/real.hpp).
#include "sim/run/real.hpp"

#include <tbb/task_arena.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <future>
#include <limits>
#include <memory>
#include <mutex>
#include <stdexcept>

#include "autodiff/blas.hpp"
#include "autodiff/random.hpp"
#include "models/encoder.hpp"
#include "models/losses.hpp"
#include "models/trainer.hpp"
#include "sim/run/probe.hpp"
#include "sim/run/probe_knn.hpp"
#include "sim/run/probe_logistic.hpp"
#include "sim/run/stop.hpp"
#include "sim/run/training.hpp"
#include "theory/spec.hpp"

namespace sim {

namespace {

constexpr std::size_t kClasses = kFashionClasses;
const double kNaN = std::numeric_limits<double>::quiet_NaN();

// The training matrices in the training precision: float32 is the scenes' own storage (no copy);
// float64 (train.dtype = float64) converts.
template <class T>
const ad::Mat<T>& in_precision(const ad::Mat<float>& x, ad::Mat<T>& store) {
    if constexpr (std::is_same<T, float>::value) {
        (void)store;
        return x;
    } else {
        store.resize(x.shape());
        for (std::size_t i = 0; i < x.size(); ++i) store.data()[i] = static_cast<T>(x.data()[i]);
        return store;
    }
}

// The logistic probe's test accuracy of every target from z (train rows, test rows).
std::vector<double> probe_accuracy(const Mat& ztr, const Mat& zte, const std::vector<std::vector<int>>& ytr,
                                   const std::vector<std::vector<int>>& yte) {
    return logistic_probe(ztr, ytr, zte, yte, kClasses).accuracy;
}

// --- the supervised baseline: f1 + the classification head on one target, x1 alone
template <class T>
double supervised_accuracy(const Config& cfg, const FashionSample& s, int target) {
    models::TrainerSpec<T> ts = trainer_spec<T>(cfg);
    ts.alignment.name = "none";
    ts.frozen_targets = true;  // no second modality, no encoder f2
    ts.task = true;
    ts.task_classes = kClasses;
    ad::Mat<T> store;
    const ad::Mat<T>& X1 = in_precision<T>(s.scenes->train.x1, store);
    models::TrainData<T> td;
    td.x1 = &X1;
    td.labels = &s.y_train[static_cast<std::size_t>(target)];
    models::Trainer<T> tr(ts, td);
    const models::FitReport fit = tr.fit(static_cast<long>(cfg.i("train.steps")), [](long, double) { throw_if_stopped(); });
    if (fit.status != "ok") return kNaN;
    const Mat ztr = encode(tr.encoder1(), s.scenes->train.x1), zte = encode(tr.encoder1(), s.scenes->test.x1);
    if (!all_finite(ztr) || !all_finite(zte)) return kNaN;
    return probe_accuracy(ztr, zte, {s.y_train[static_cast<std::size_t>(target)]},
                          {s.y_test[static_cast<std::size_t>(target)]})[0];
}

// --- the baseline cache: one future per (baseline, sample, labels); see real.hpp
struct BaselineCache {
    std::mutex mu;
    std::map<std::string, std::shared_future<double>> acc;
    std::size_t computed = 0;  // accuracies computed, not taken from acc
};
BaselineCache& baseline_cache() {
    static BaselineCache c;
    return c;
}

// FNV-1a of a target's labels, train then test: targets with the same labels (y_mix at rho = 0
// is y1, at rho = 1 y_shared) share their baselines.
std::string label_hash(const std::vector<int>& a, const std::vector<int>& b) {
    std::uint64_t h = 1469598103934665603ull;
    for (const auto* v : {&a, &b}) {
        for (int x : *v) {
            h ^= static_cast<std::uint64_t>(x) + 1;
            h *= 1099511628211ull;
        }
        h ^= 0xff;
        h *= 1099511628211ull;
    }
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return buf;
}

// Every key the supervised baseline's training reads (trainer_spec in sim/run/training.hpp, less
// the alignment it turns off, and train.steps): a key missing here would hand one config's
// baseline to another.
std::string training_key(const Config& cfg) {
    std::string k;
    for (const char* key : {"model.encoder", "model.hidden", "model.dim", "model.activation", "model.cnn_channels",
                            "model.cnn_kernels", "model.cnn_strides", "model.cnn_pooling", "train.optimizer",
                            "train.lr", "train.steps", "train.batch", "train.weight_decay", "train.momentum",
                            "train.clip", "train.schedule", "train.seed"})
        k += std::string("|") + key + "=" + value_to_string(cfg.get(key));
    return k + "|dtype=" + training_dtype(cfg);
}

// A unit of baseline work: the targets it covers (their cache keys) and how to compute the
// accuracies of a subset of them.
struct Unit {
    std::string rep;
    std::vector<int> targets;  // distinct label sets only
    std::vector<std::string> keys;
    std::function<std::vector<double>(const std::vector<int>&)> compute;
};

}  // namespace

std::string supervised_description(const Config& cfg) {
    const std::string enc = cfg.s("model.encoder");
    std::string arch = enc == "mlp" ? "MLP " + std::to_string(input_dim(cfg, 1))
                       : enc == "cnn" ? "CNN " + std::to_string(kFashionMnistHeight) + " x " + std::to_string(kFashionMnistWidth)
                                      : "linear " + std::to_string(input_dim(cfg, 1));
    if (enc == "mlp")
        for (auto w : cfg.ilist("model.hidden")) arch += " -> " + std::to_string(w);
    if (enc == "cnn") {
        const auto& ch = cfg.ilist("model.cnn_channels");
        for (std::size_t l = 0; l < ch.size(); ++l)
            arch += " -> conv " + std::to_string(cfg.ilist("model.cnn_kernels")[l]) + "x" +
                    std::to_string(cfg.ilist("model.cnn_kernels")[l]) + "/" + std::to_string(cfg.ilist("model.cnn_strides")[l]) +
                    " x " + std::to_string(ch[l]) + (cfg.s("model.cnn_pooling") == "none" ? "" : " + " + cfg.s("model.cnn_pooling") + " pool");
    }
    arch += " -> " + std::to_string(cfg.i("model.dim"));
    return "per target, the encoder f1 (" + arch + ") with a linear " + std::to_string(kClasses) +
           "-class head trained on x1 alone with cross-entropy on that target (no alignment; " + cfg.s("train.optimizer") +
           ", " + std::to_string(cfg.i("train.steps")) + " steps of " + std::to_string(cfg.i("train.batch")) +
           "), its representation read by the same logistic probe";
}

std::map<std::string, std::map<std::string, double>> fashion_baselines(const Config& cfg, const FashionSample& s,
                                                                        const RunOptions& opt) {
    // distinct label sets among the four targets
    std::vector<std::string> hash(theory::kNumTargets);
    std::vector<int> first(theory::kNumTargets);  // the first target with the same labels
    std::vector<int> distinct;
    for (int t = 0; t < theory::kNumTargets; ++t) {
        hash[t] = label_hash(s.y_train[t], s.y_test[t]);
        first[t] = t;
        for (int u = 0; u < t; ++u)
            if (hash[u] == hash[t]) {
                first[t] = first[u];
                break;
            }
        if (first[t] == t) distinct.push_back(t);
    }
    const bool f64 = training_dtype(cfg) == "float64";
    std::vector<Unit> units;
    for (int m = 1; m <= 2; ++m) {
        Unit u;
        u.rep = m == 1 ? "x1" : "x2";
        u.targets = distinct;
        for (int t : distinct) u.keys.push_back("raw|" + u.rep + "|" + s.key + "|" + hash[t]);
        u.compute = [&s, m](const std::vector<int>& ts) {
            std::vector<std::vector<int>> ytr, yte;
            for (int t : ts) {
                ytr.push_back(s.y_train[static_cast<std::size_t>(t)]);
                yte.push_back(s.y_test[static_cast<std::size_t>(t)]);
            }
            const FashionSplit &tr = s.scenes->train, &te = s.scenes->test;
            return logistic_probe(m == 1 ? tr.x1 : tr.x2, ytr, m == 1 ? te.x1 : te.x2, yte, kClasses).accuracy;
        };
        units.push_back(std::move(u));
    }
    for (int t : distinct) {  // one training per target
        Unit u;
        u.rep = "x1_supervised";
        u.targets = {t};
        u.keys = {"sup|" + s.key + training_key(cfg) + "|" + hash[t]};
        u.compute = [&cfg, &s, f64](const std::vector<int>& ts) {
            return std::vector<double>{f64 ? supervised_accuracy<double>(cfg, s, ts[0])
                                           : supervised_accuracy<float>(cfg, s, ts[0])};
        };
        units.push_back(std::move(u));
    }

    BaselineCache& c = baseline_cache();
    // Claim and compute what nobody has started, unit by unit; then wait for the rest.
    for (Unit& u : units) {
        std::vector<int> mine;
        std::vector<std::promise<double>> proms;
        std::vector<std::string> claimed;
        {
            std::lock_guard<std::mutex> lk(c.mu);
            for (std::size_t i = 0; i < u.keys.size(); ++i)
                if (!c.acc.count(u.keys[i])) {
                    proms.emplace_back();
                    c.acc.emplace(u.keys[i], proms.back().get_future().share());
                    mine.push_back(u.targets[i]);
                    claimed.push_back(u.keys[i]);
                }
        }
        if (mine.empty()) continue;
        if (opt.progress) {
            std::string what;
            for (int t : mine) what += std::string(what.empty() ? "" : ", ") + theory::kTargetNames[t];
            std::fprintf(stderr, "baseline %s: %s\n", u.rep.c_str(), what.c_str());
        }
        try {
            std::vector<double> acc;
            tbb::this_task_arena::isolate([&] { acc = u.compute(mine); });
            for (std::size_t i = 0; i < proms.size(); ++i) proms[i].set_value(acc[i]);
            std::lock_guard<std::mutex> lk(c.mu);
            c.computed += proms.size();
        } catch (...) {
            {
                std::lock_guard<std::mutex> lk(c.mu);
                for (const auto& k : claimed) c.acc.erase(k);  // the next run tries again
            }
            for (auto& p : proms) p.set_exception(std::current_exception());
            throw;
        }
    }
    std::map<std::string, std::map<std::string, double>> out;
    for (const Unit& u : units) {
        std::vector<std::shared_future<double>> futs;
        {
            std::lock_guard<std::mutex> lk(c.mu);
            for (const auto& k : u.keys) futs.push_back(c.acc.at(k));
        }
        for (std::size_t i = 0; i < u.keys.size(); ++i) {
            const double a = futs[i].get();
            for (int t = 0; t < theory::kNumTargets; ++t)
                if (first[t] == u.targets[i]) out[theory::kTargetNames[t]][u.rep] = a;
        }
    }
    return out;
}

std::size_t fashion_baselines_computed() {
    BaselineCache& c = baseline_cache();
    std::lock_guard<std::mutex> lk(c.mu);
    return c.computed;
}

namespace {

template <class T>
RunResult train_and_evaluate(const Config& cfg, const FashionSample& s, const RunOptions& opt,
                             std::chrono::steady_clock::time_point t0) {
    RunResult res;
    models::TrainerSpec<T> ts = trainer_spec<T>(cfg);
    ts.threads = opt.threads;
    const std::string task = cfg.s("objective.task");
    const int task_index = task == "none" ? -1 : theory::target_index(task);
    ts.task = task_index >= 0;
    ts.task_classes = ts.task ? kClasses : 0;
    const bool has_align = ts.alignment.name != "none";
    const long steps = static_cast<long>(cfg.i("train.steps"));

    ad::Mat<T> store1, store2;
    const ad::Mat<T>& X1 = in_precision<T>(s.scenes->train.x1, store1);
    const ad::Mat<T>& X2 = in_precision<T>(s.scenes->train.x2, store2);
    // regression alignment: the targets are a frozen random encoder's output (as for nonlinear
    // data), drawn from the seed the trainer would use for a second encoder
    ad::Mat<T> Z2frozen;
    Mat z2_train_frozen, z2_test_frozen;
    if (ts.frozen_targets) {
        ad::Rng rinit2(ad::derive_seed(ts.seed, "init_f2"));
        auto f2 = models::make_encoder<T>(ts.enc2, rinit2);
        z2_train_frozen = encode(*f2, s.scenes->train.x2);
        z2_test_frozen = encode(*f2, s.scenes->test.x2);
        Z2frozen.resize(z2_train_frozen.shape());
        for (std::size_t i = 0; i < Z2frozen.size(); ++i) Z2frozen.data()[i] = static_cast<T>(z2_train_frozen.data()[i]);
    }
    models::TrainData<T> td;
    td.x1 = &X1;
    if (!ts.frozen_targets) td.x2 = &X2;
    if (ts.frozen_targets) td.z2 = &Z2frozen;
    if (ts.task) td.labels = &s.y_train[static_cast<std::size_t>(task_index)];
    std::unique_ptr<models::Trainer<T>> trainer;
    try {
        trainer = std::make_unique<models::Trainer<T>>(ts, td);
    } catch (const std::invalid_argument& e) {
        throw ConfigError(e.what());
    }
    // alone (opt.threads > 1): the encoders on two threads with single-threaded BLAS, or, when
    // the trainer cannot split (one encoder), BLAS threads; BLAS threads again for the evaluation
    if (opt.threads > 1) ad::blas::set_threads(trainer->blas_threads(opt.threads));
    // no closed form on real images: no certificate, the history holds the training loss
    res.tolerance = cfg.f("train.tolerance");
    res.objective_reason = "data.kind fashion_mnist: real images have no closed-form optimum";
    CheckpointClock clock(steps);
    const models::FitReport fit = trainer->fit(steps, [&](long step, double L) {
        throw_if_stopped();  // SIGINT / SIGTERM or a stopping sweep: abandon the run (sim/run/stop.hpp)
        double mean = 0;
        if (clock.tick(step, L, mean)) res.history.push_back({step + 1, 0, mean, kNaN, kNaN});
        if (opt.progress && (step + 1) % std::max<long>(1, steps / 10) == 0)
            std::fprintf(stderr, "step %ld/%ld  loss %.6g\n", step + 1, steps, L);
    });
    if (opt.threads > 1) ad::blas::set_threads(opt.threads);
    res.status = fit.status;
    res.reason = fit.reason;
    res.steps = fit.steps;
    res.final_loss = fit.final_loss;

    auto nan_all = [&]() {
        for (int t = 0; t < theory::kNumTargets; ++t) {
            res.learned_accuracy[theory::kTargetNames[t]] = {kNaN, kNaN};
            res.learned_accuracy_knn[theory::kTargetNames[t]] = {kNaN, kNaN};
        }
        res.cka = res.alignment_loss = kNaN;
    };
    if (res.status == "diverged") {
        nan_all();
    } else {
        models::Encoder<T>* f1 = &trainer->encoder1();
        models::Encoder<T>* f2 = trainer->encoder2();
        const Mat z1_tr = encode(*f1, s.scenes->train.x1), z1_te = encode(*f1, s.scenes->test.x1);
        const Mat z2_tr = ts.frozen_targets ? z2_train_frozen : encode(*f2, s.scenes->train.x2);
        const Mat z2_te = ts.frozen_targets ? z2_test_frozen : encode(*f2, s.scenes->test.x2);
        if (!all_finite(z1_tr) || !all_finite(z1_te) || !all_finite(z2_tr) || !all_finite(z2_te)) {
            res.status = "diverged";
            res.reason = "representation is not finite after training";
            nan_all();
        } else {
            const auto a1 = probe_accuracy(z1_tr, z1_te, s.y_train, s.y_test);
            const auto a2 = probe_accuracy(z2_tr, z2_te, s.y_train, s.y_test);
            for (int t = 0; t < theory::kNumTargets; ++t) res.learned_accuracy[theory::kTargetNames[t]] = {a1[t], a2[t]};
            // the kNN probe (sim/run/probe_knn.hpp): what is there but not linearly readable
            const auto k1 = knn_probe(z1_tr, s.y_train, z1_te, s.y_test, kClasses);
            const auto k2 = knn_probe(z2_tr, s.y_train, z2_te, s.y_test, kClasses);
            for (int t = 0; t < theory::kNumTargets; ++t) res.learned_accuracy_knn[theory::kTargetNames[t]] = {k1[t], k2[t]};
            res.cka = linear_cka(z1_te, z2_te);
            // alignment loss on the test set: mean over consecutive batches
            if (has_align) res.alignment_loss = test_alignment_loss<T>(trainer->alignment().current_settings(), z1_te, z2_te, ts.batch);
        }
    }
    if (cfg.b("eval.baselines")) {
        res.baseline_accuracy = fashion_baselines(cfg, s, opt);
        res.supervised_model = supervised_description(cfg);
    }
    res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return res;
}

}  // namespace

RunResult run_fashion(const Config& cfg, const RunOptions& opt) {
    const auto t0 = std::chrono::steady_clock::now();
    const ad::blas::ScopedThreads threads(opt.threads);  // a run alone: BLAS threads, one again after
    const FashionSample s = fashion_sample(cfg);
    if (training_dtype(cfg) == "float64") return train_and_evaluate<double>(cfg, s, opt, t0);
    return train_and_evaluate<float>(cfg, s, opt, t0);
}

}  // namespace sim
