// alignsim train [CONFIG] [--set key=value]... [--json]
#include <cmath>
#include <cstdio>
#include <iostream>
#include <thread>

#include <nlohmann/json.hpp>

#include "sim/cli/commands.hpp"
#include "sim/io/meta.hpp"
#include "sim/run/estimate.hpp"
#include "sim/run/run.hpp"
#include "sim/run/stop.hpp"

namespace sim {

namespace {

std::string num(double v, const char* fmt = "%8.4f") {
    if (!std::isfinite(v)) return "     n/a";
    char b[64];
    std::snprintf(b, sizeof b, fmt, v);
    return b;
}

}  // namespace

int cmd_train(const ConfigArgs& a) {
    const Config cfg = load_config(a);
    if (!cfg.grid().empty() || !cfg.grid_seeds().empty())
        throw ConfigError("'" + printable(a.config_path, 100) + "' has a [grid] (a sweep file): train runs one config; run the grid with alignsim sweep " +
                          printable(a.config_path, 100) + " --out DIR, or drop the [grid] table");
    check_fits_in_memory(cfg, "train");  // before any work: refused, not killed half-way
    install_stop_handlers();  // SIGINT / SIGTERM end the run at its next step (exit 130 / 143)
    RunOptions opt;
    opt.progress = !a.json;
    // A run alone: the real-data model (800-pixel inputs) uses every core, its two encoders on
    // two threads and BLAS threads for the evaluation (RunOptions::threads). Sweep cells stay
    // single-threaded (their parallelism is across cells); the small synthetic models would only
    // lose to the threads' overhead.
    if (cfg.s("data.kind") == "fashion_mnist")
        opt.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    const RunResult r = run(cfg, opt);
    if (a.json) {
        nlohmann::json j = r.to_json();
        j["config"] = cfg.to_json();
        j["meta"] = run_metadata();
        std::cout << j.dump(2) << "\n";
        return 0;
    }
    std::printf("status        %s%s%s\n", r.status.c_str(), r.reason.empty() ? "" : ": ", r.reason.c_str());
    std::printf("steps         %ld\n", r.steps);
    std::printf("seconds       %.3f\n", r.seconds);
    std::printf("final loss    %s\n", num(r.final_loss, "%.6g").c_str());
    if (std::isfinite(r.objective_optimum))
        std::printf("objective     %s  (optimum %s on the training set, gap %s, tolerance %g%s)\n",
                    num(r.objective_learned, "%.6g").c_str(), num(r.objective_optimum, "%.6g").c_str(),
                    num(r.objective_gap, "%.3g").c_str(), r.tolerance,
                    r.polish_evals ? (", " + std::to_string(r.polish_evals) + " full-batch evaluations").c_str() : "");
    else
        std::printf("objective     no certificate: %s\n", r.objective_reason.c_str());
    std::printf("test align.   %s  (%s)\n", num(r.alignment_loss, "%.6g").c_str(), cfg.s("objective.alignment").c_str());
    std::printf("CKA(z1, z2)   %s\n", num(r.cka).c_str());
    if (r.subspace_distance >= 0)
        std::printf("subspace dist %s rad (largest principal angle to the analytic optimum)\n", num(r.subspace_distance).c_str());
    if (!r.learned_accuracy.empty()) {
        std::printf("\naccuracy of the logistic probe on the test set (chance 0.1)\n%-10s %9s %9s", "", "learned z1", "z2");
        const bool base = !r.baseline_accuracy.empty();
        if (base) std::printf(" %9s %9s %13s", "raw x1", "raw x2", "supervised x1");
        std::printf("\n");
        for (const char* k : {"y_shared", "y1", "y2", "y_mix"}) {
            const auto it = r.learned_accuracy.find(k);
            if (it == r.learned_accuracy.end()) continue;
            std::printf("%-10s %10s %9s", k, num(it->second.z1).c_str(), num(it->second.z2).c_str());
            if (base) {
                const auto& b = r.baseline_accuracy.at(k);
                std::printf(" %9s %9s %13s", num(b.at("x1")).c_str(), num(b.at("x2")).c_str(), num(b.at("x1_supervised")).c_str());
            }
            std::printf("\n");
        }
        if (base) std::printf("supervised x1: %s\n", r.supervised_model.c_str());
        return 0;
    }
    std::printf("\nR^2 of a ridge probe on the test set");
    if (!r.analytic_r2.empty()) std::printf(" (analytic: %s optimum)", r.analytic_kind.c_str());
    std::printf("\n%-10s %9s %9s", "", "learned z1", "z2");
    if (!r.analytic_r2.empty()) std::printf(" %10s %9s", "theory z1", "z2");
    std::printf("\n");
    for (const char* k : {"y_shared", "y1", "y2", "y_mix", "s", "u1", "u2"}) {
        auto it = r.learned_r2.find(k);
        if (it == r.learned_r2.end()) continue;
        std::printf("%-10s %10s %9s", k, num(it->second.z1).c_str(), num(it->second.z2).c_str());
        auto at = r.analytic_r2.find(k);
        if (at != r.analytic_r2.end()) std::printf(" %10s %9s", num(at->second.z1).c_str(), num(at->second.z2).c_str());
        std::printf("\n");
    }
    return 0;
}

}  // namespace sim
