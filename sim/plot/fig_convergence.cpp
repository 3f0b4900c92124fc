// Figure `convergence`: the objective gap against the training step, for the slowest cells.
// Selects: cells with a history (history.csv) and an optimality certificate (a finite gap: linear
//   data, linear encoders, an objective with a closed form), any status; the kSlowest that took
//   longest to stay within their train.tolerance (those that never did first, by their final gap).
// Writes: convergence.dat, per cell: x (step, then step + full-batch evaluations in the polishing
//   phase), step, evals, gap (relative, clamped at 1e-12 for the log scale), objective, loss;
//   convergence.gp / .svg / .png, the tolerance as a dashed line.
// Covers: no key (its axes are the step and the gap).
// Reading: every line ends below the tolerance for a grid whose cells all ended ok; a line that
//   ends above it is a not_converged cell, and a drop after the last step is the polishing phase.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "sim/plot/figure.hpp"

namespace sim::figures {

namespace {

constexpr std::size_t kSlowest = 8;

double x_of(const HistoryPoint& p) { return static_cast<double>(p.step + p.evals); }

// "cell 12: lambda=0.03, alignment=regression, seed 1": the cell's grid point, keys without
// their section, numbers as results.csv writes them.
std::string label_of(const Data& d, std::size_t id) {
    const Cell& c = d.cells[id];
    std::string l = "cell " + std::to_string(id) + ":";
    bool first = true;
    for (const auto& kv : c.point) {
        if (kv.first == "train.seed") continue;
        const auto dot = kv.first.find('.');
        l += std::string(first ? " " : ", ") + (dot == std::string::npos ? kv.first : kv.first.substr(dot + 1)) + "=" +
             text_of(c.config, kv.first);
        first = false;
    }
    return l + (first ? " " : ", ") + "seed " + std::to_string(c.seed);
}

}  // namespace

bool draw_convergence(const Data& d, Fig& f, std::string& why, std::vector<std::string>& notes) {
    if (!d.have_history) {
        why = "no history.csv (results of an alignsim before the optimality certificate)";
        return false;
    }
    // per certified cell: when it last was above its tolerance (its time to converge)
    struct Cand {
        std::size_t id;
        bool converged;  // the last checkpoint is within the tolerance
        double settle;   // x after which every checkpoint is within the tolerance
        double last_gap;
    };
    std::vector<Cand> cands;
    for (std::size_t id = 0; id < d.cells.size(); ++id) {
        const auto& h = d.history[id];
        if (!d.present[id] || h.empty() || !std::isfinite(h.back().gap)) continue;
        const double tol = d.cfg(id).f("train.tolerance");
        Cand c{id, h.back().gap <= tol, 0.0, h.back().gap};
        for (const auto& p : h)
            if (!(p.gap <= tol)) c.settle = x_of(p);
        cands.push_back(c);
    }
    if (cands.empty()) {
        why = "no cells with an optimality certificate (linear data, linear encoders, an objective with a closed form)";
        return false;
    }
    std::stable_sort(cands.begin(), cands.end(), [](const Cand& a, const Cand& b) {
        if (a.converged != b.converged) return !a.converged;
        if (!a.converged) return a.last_gap > b.last_gap;
        return a.settle > b.settle;
    });
    const std::size_t shown = std::min(kSlowest, cands.size());
    std::size_t never = 0;
    for (const auto& c : cands) never += !c.converged;
    double tol_min = HUGE_VAL, tol_max = 0;
    for (const auto& c : cands) {
        tol_min = std::min(tol_min, d.cfg(c.id).f("train.tolerance"));
        tol_max = std::max(tol_max, d.cfg(c.id).f("train.tolerance"));
    }
    std::ostringstream data, body;
    for (std::size_t k = 0; k < shown; ++k) {
        const std::size_t id = cands[k].id;
        data << (k ? "\n\n" : "") << "# cell " << id << ": " << d.cells[id].describe(d.spec)
             << "\n# x step evals gap objective loss\n";
        for (const auto& p : d.history[id])
            data << num(x_of(p)) << " " << p.step << " " << p.evals << " " << num(std::max(p.gap, 1e-12)) << " "
                 << num(p.objective) << " " << num(p.loss) << "\n";
    }
    char buf[240];
    std::snprintf(buf, sizeof buf, "Objective gap during training: the %zu slowest of %zu cells with a certificate", shown,
                  cands.size());
    f.name = "convergence";
    f.title = buf;
    f.w = 760;
    f.h = 600;
    if (never)
        notes.push_back("convergence: " + std::to_string(never) + " of " + std::to_string(cands.size()) +
                        " cells with a certificate ended above their train.tolerance (not_converged)");
    std::string line2 = std::to_string(never) + " not converged; dashed: train.tolerance";
    if (tol_min == tol_max) line2 += " " + num(tol_min);
    body << "  set title " << lab(f.title + "@SEEDS@") << "\n"
         << "  set xlabel \"step (then + full-batch evaluations of the polishing phase)\"\n"
         << "  set ylabel \"relative gap to the optimum (training set)\"\n"
         << "  set logscale y\n  set format y \"10^{%L}\"\n  set key below left Left reverse font \",9\" maxrows 4\n"
         << "  plot ";
    for (std::size_t k = 0; k < shown; ++k) {
        const std::size_t id = cands[k].id;
        std::string label = label_of(d, id);
        if (label.size() > 90) label = label.substr(0, 87) + "...";
        body << (k ? ", " : "") << "\"convergence.dat\" index " << k << " using 1:4 with linespoints pt 7 ps 0.4 lw 1.5 title "
             << lab(label);
    }
    body << ", " << num(tol_max) << " with lines dt 2 lw 1.5 lc rgb \"black\" title \"tolerance\"\n";
    f.data = data.str();
    finish(f, body, "", ", " + line2);
    return true;
}

}  // namespace sim::figures
