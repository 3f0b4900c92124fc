// Figure `tradeoff`: task + lambda x alignment, what z1 keeps of the task target as lambda grows,
// and the Pareto front of regression alignment.
// Selects: ok cells on linear data with a task, an alignment and lambda > 0, at two or more values
//   of objective.lambda (per alignment objective; other keys held fixed).
// Writes: tradeoff.dat, per objective: lambda, learned R^2 mean, sd, n, the analytic optimum,
//   the test alignment loss mean and sd; then the dense analytic curve of regression alignment
//   (lambda, R^2, alignment loss) from theory::tradeoff_curve; tradeoff.gp / .svg / .png.
// Covers: objective.lambda, and objective.alignment when it varies here.
// Reading: learned regression runs follow the closed-form curve from the oracle to the aligned
//   representation; other objectives show where they give the specific information up.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "sim/plot/figure.hpp"
#include "autodiff/random.hpp"
#include "theory/closed_forms.hpp"
#include "theory/model.hpp"

namespace sim::figures {

namespace {

// The learned points, per objective: lambda mean sd n analytic align_mean align_sd. Returns the
// most seeds of a point.
int learned_blocks(const Data& d, const std::vector<std::size_t>& ids, const std::vector<double>& lams,
                   const std::vector<std::string>& objs, const std::string& task, std::ostringstream& data) {
    int seeds = 0;
    for (std::size_t oi = 0; oi < objs.size(); ++oi) {
        data << (oi ? "\n\n" : "") << "# objective " << objs[oi]
             << "\n# lambda learned_mean learned_sd n analytic alignment_loss_mean alignment_loss_sd\n";
        for (double lam : lams) {
            std::vector<double> l, a, al;
            for (auto id : ids)
                if (d.cfg(id).s("objective.alignment") == objs[oi] && d.cfg(id).f("objective.lambda") == lam) {
                    l.push_back(d.L(id, task));
                    a.push_back(d.akind[id] == "tradeoff" ? d.A(id, task) : std::nan(""));
                    al.push_back(d.align_loss[id]);
                }
            if (l.empty()) continue;
            const Stats sl = stats(l), sa = stats(a), sal = stats(al);
            seeds = std::max(seeds, sl.n);
            data << num(lam) << " " << num(sl.mean) << " " << num(sl.sd) << " " << sl.n << " " << num(sa.mean) << " "
                 << num(sal.mean) << " " << num(sal.sd) << "\n";
        }
    }
    return seeds;
}

// The analytic curve of regression alignment (spec section 5), dense in lambda, for the first
// regression cell; false (and a note) when it cannot be computed.
bool dense_curve(const Data& d, const std::vector<std::size_t>& ids, const std::vector<double>& lams,
                 const std::string& task, std::ostringstream& data, std::vector<std::string>& notes) {
    try {
        const Config* c = nullptr;
        for (auto id : ids)
            if (d.cfg(id).s("objective.alignment") == "regression") {
                c = &d.cfg(id);
                break;
            }
        const theory::Model m = theory::make_model(data_spec(*c));
        const theory::Moments mo = theory::moments(m);
        const int p = static_cast<int>(c->i("model.dim"));
        const theory::Mat W2 = theory::target_encoder(
            mo, p, c->s("objective.target_encoder"),
            ad::derive_seed(static_cast<std::uint64_t>(c->i("data.seed")), "target_encoder"));
        const auto curve = theory::tradeoff_curve(mo, W2, theory::target_index(task), lams.front() / 10,
                                                  lams.back() * 10, 60);
        data << "\n\n# analytic trade-off of regression alignment\n# lambda r2 alignment_loss\n";
        for (const auto& pt : curve) data << num(pt.lambda) << " " << num(pt.r2) << " " << num(pt.alignment_loss) << "\n";
        return true;
    } catch (const std::exception& e) {
        notes.push_back(std::string("tradeoff: no analytic curve (") + e.what() + ")");
        return false;
    }
}

// The gnuplot panels: R^2 versus lambda, and with the dense curve the Pareto front.
void tradeoff_body(const std::string& title, const std::string& task, const std::vector<std::string>& objs,
                   std::size_t reg_index, bool dense, std::ostringstream& body) {
    const std::size_t dense_index = objs.size();
    const std::size_t panels = dense ? 2 : 1;
    body << "  set multiplot layout 1," << panels << " title " << lab(title + "@SEEDS@") << " font \",13\"\n"
         << "  set title " << lab("R^2(" + task + " | z1) versus λ") << "\n  set logscale x\n  set format x \"10^{%L}\"\n"
         << "  set xlabel \"λ (weight of the alignment loss)\"\n  set ylabel " << lab("R^2(" + task + " | z1)")
         << "\n  set yrange [-0.02:1.0]\n  set key bottom left\n  plot ";
    std::string sep;
    if (dense) {
        body << "\"tradeoff.dat\" index " << dense_index
             << " using 1:2 with lines lw 2 lc rgb \"#ff7f0e\" title \"analytic (regression)\"";
        sep = ", ";
    }
    for (std::size_t oi = 0; oi < objs.size(); ++oi) {
        body << sep << "\"tradeoff.dat\" index " << oi << " using 1:2:3 with yerrorbars pt 7 ps 0.8 lc rgb "
             << lab(color_of(objs[oi])) << " title " << lab("learned, " + objs[oi]);
        sep = ", ";
    }
    body << "\n";
    if (dense)
        body << "  unset logscale x\n  set format x \"%g\"\n  set title \"Pareto front (regression alignment)\"\n"
             << "  set xlabel \"alignment loss E‖z1 − W2 x2‖^2\"\n  set key bottom right\n"
             << "  plot \"tradeoff.dat\" index " << dense_index
             << " using 3:2 with lines lw 2 lc rgb \"#ff7f0e\" title \"analytic front\", "
             << "\"tradeoff.dat\" index " << reg_index
             << " using 6:2:7:3 with xyerrorbars pt 7 ps 0.8 lc rgb \"#ff7f0e\" title \"learned (test set)\"\n";
    body << "  unset multiplot\n";
}

}  // namespace

bool draw_tradeoff(const Data& d, Fig& f, std::string& why, std::vector<std::string>& notes) {
    const auto selects = [](const Config& c) {
        return c.s("data.kind") == "linear" && c.s("objective.task") != "none" && c.s("objective.alignment") != "none" &&
               c.f("objective.lambda") > 0;
    };
    auto ids = where(d, all_ok(d), selects);
    std::string note;
    ids = hold_fixed(d, ids, {"objective.lambda", "objective.alignment"}, note);
    const std::size_t left_out = ids.empty() ? 0 : not_converged_like(d, selects, ids.front(), {"objective.lambda", "objective.alignment"});
    const auto lams = distinct(d, ids, "objective.lambda");
    if (lams.size() < 2) {
        why = "no cells with a task on linear data at two or more positive values of objective.lambda";
        return false;
    }
    const auto objs = distinct_s(d, ids, "objective.alignment");
    const std::string task = d.cfg(ids.front()).s("objective.task");
    f.name = "tradeoff";
    f.covers = {"objective.lambda"};
    if (objs.size() >= 2) f.covers.push_back("objective.alignment");
    f.title = "Task " + task + " + λ × alignment: what z1 keeps of " + task;
    std::ostringstream data, body;
    const int seeds = learned_blocks(d, ids, lams, objs, task, data);
    const auto reg = std::find(objs.begin(), objs.end(), "regression");
    const bool dense = reg != objs.end() && dense_curve(d, ids, lams, task, data, notes);
    std::tie(f.w, f.h) = size_for(dense ? 2 : 1);
    tradeoff_body(f.title, task, objs, static_cast<std::size_t>(reg - objs.begin()), dense, body);
    finish(f, body, note, ", learned mean ± sd over " + std::to_string(seeds) + " seeds" + not_converged_suffix(left_out));
    note_not_converged(notes, "tradeoff", left_out);
    f.data = data.str();
    return true;
}

}  // namespace sim::figures
