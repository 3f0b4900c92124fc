// Figure `capacity`: what z1 keeps of s and u1 as model.dim crosses k_shared, with and without
// weight decay, one panel per alignment objective.
// Selects: ok cells on linear data with an alignment and no task, at two or more values of
//   model.dim (per objective and train.weight_decay; other keys held fixed).
// Writes: capacity.dat, per objective and weight decay: dim, s mean, sd, u1 mean, sd, n; then the
//   analytic (minimum-norm optimum) s and u1 per dim; capacity.gp / .svg / .png.
// Covers: model.dim, and train.weight_decay and objective.alignment when they vary here.
// Reading: below k_shared even shared information is lost; at k_shared all of s and none of u1;
//   above it the directions alignment is indifferent to may carry some u1.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "sim/plot/figure.hpp"

namespace sim::figures {

bool draw_capacity(const Data& d, Fig& f, std::string& why, std::vector<std::string>& notes) {
    const auto selects = [](const Config& c) {
        return c.s("data.kind") == "linear" && c.s("objective.task") == "none" && c.s("objective.alignment") != "none";
    };
    auto ids = where(d, all_ok(d), selects);
    std::string note;
    ids = hold_fixed(d, ids, {"model.dim", "train.weight_decay", "objective.alignment"}, note);
    const std::size_t left_out = ids.empty() ? 0 : not_converged_like(d, selects, ids.front(), {"model.dim", "train.weight_decay", "objective.alignment"});
    const auto dims = distinct(d, ids, "model.dim");
    if (dims.size() < 2) {
        why = "no alignment-only cells on linear data at two or more values of model.dim";
        return false;
    }
    const auto objs = distinct_s(d, ids, "objective.alignment");
    const auto wds = distinct(d, ids, "train.weight_decay");
    const double ks = d.cfg(ids.front()).f("data.k_shared");
    f.name = "capacity";
    f.covers = {"model.dim"};
    if (wds.size() >= 2) f.covers.push_back("train.weight_decay");
    if (objs.size() >= 2) f.covers.push_back("objective.alignment");
    f.title = "Capacity: what z1 keeps of s and u1 as model.dim crosses k_shared = " + num(ks);
    std::tie(f.w, f.h) = size_for(objs.size());
    std::ostringstream data, body;
    body << "  set multiplot layout " << layout(objs.size()) << " title " << lab(f.title + "@SEEDS@") << " font \",13\"\n";
    std::size_t index = 0;
    int seeds = 0;
    for (const auto& o : objs) {
        // per weight decay: dim s_mean s_sd u1_mean u1_sd; then the analytic s, u1
        std::vector<std::size_t> idx;
        for (double wd : wds) {
            data << (index ? "\n\n" : "") << "# " << o << " weight_decay=" << num(wd) << "\n# dim s_mean s_sd u1_mean u1_sd n\n";
            for (double p : dims) {
                std::vector<double> s, u;
                for (auto id : ids)
                    if (d.cfg(id).s("objective.alignment") == o && d.cfg(id).f("train.weight_decay") == wd &&
                        d.cfg(id).f("model.dim") == p) {
                        s.push_back(d.L(id, "s"));
                        u.push_back(d.L(id, "u1"));
                    }
                if (s.empty()) continue;
                const Stats ss = stats(s), su = stats(u);
                seeds = std::max(seeds, ss.n);
                data << num(p) << " " << num(ss.mean) << " " << num(ss.sd) << " " << num(su.mean) << " " << num(su.sd)
                     << " " << ss.n << "\n";
            }
            idx.push_back(index++);
        }
        data << "\n\n# " << o << " analytic (minimum-norm optimum)\n# dim s u1\n";
        for (double p : dims) {
            std::vector<double> s, u;
            for (auto id : ids)
                if (d.cfg(id).s("objective.alignment") == o && d.cfg(id).f("model.dim") == p) {
                    s.push_back(d.A(id, "s"));
                    u.push_back(d.A(id, "u1"));
                }
            data << num(p) << " " << num(stats(s).mean) << " " << num(stats(u).mean) << "\n";
        }
        const std::size_t an = index++;
        body << "  set title " << lab(o) << "\n  set xlabel \"model.dim (p)\"\n  set ylabel \"R^2(block | z1), mean over the block\"\n"
             << "  set xrange [" << num(dims.front() - 0.3) << ":" << num(dims.back() + 0.3) << "]\n  set yrange [-0.02:1.0]\n"
             << "  set xtics 1\n  unset arrow\n  set arrow from " << num(ks) << ", graph 0 to " << num(ks)
             << ", graph 1 nohead dt 3 lc rgb \"gray\"\n  set key below maxrows 2 width -2\n  plot ";
        body << "\"capacity.dat\" index " << an << " using 1:2 with lines lw 2 lc rgb \"#2ca02c\" title \"s, analytic\", "
             << "\"capacity.dat\" index " << an << " using 1:3 with lines lw 2 lc rgb \"#d62728\" title \"u1, analytic\"";
        for (std::size_t wi = 0; wi < wds.size(); ++wi) {
            const std::string what = wds[wi] == 0 ? "no weight decay" : "weight decay " + num(wds[wi]);
            const int pt = wi == 0 ? 7 : 4;
            body << ", \"capacity.dat\" index " << idx[wi] << " using ($1-0.08+0.16*" << wi
                 << "):2:3 with yerrorbars pt " << pt << " ps 0.9 lc rgb \"#2ca02c\" title " << lab("s, " + what)
                 << ", \"capacity.dat\" index " << idx[wi] << " using ($1-0.08+0.16*" << wi
                 << "):4:5 with yerrorbars pt " << pt << " ps 0.9 lc rgb \"#d62728\" title " << lab("u1, " + what);
        }
        body << "\n";
    }
    body << "  unset multiplot\n";
    finish(f, body, note, ", learned mean ± sd over " + std::to_string(seeds) + " seeds" + not_converged_suffix(left_out));
    note_not_converged(notes, "capacity", left_out);
    f.data = data.str();
    return true;
}

}  // namespace sim::figures
