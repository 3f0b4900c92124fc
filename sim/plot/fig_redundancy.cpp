// Figure `redundancy`: information about y_mix kept by z1 versus the redundancy rho, one panel
// per alignment objective.
// Selects: ok cells on linear data with an alignment and no task, at two or more values of
//   data.redundancy (other keys held at their most common value, named in the title).
// Writes: redundancy.dat, per objective: rho, learned R^2(y_mix | z1) mean, sd, n, the analytic
//   optimum, the oracle (all of x1), learned y_shared and y1; redundancy.gp / .svg / .png.
// Covers: data.redundancy, and objective.alignment when it varies here.
// Reading: every alignment objective keeps rho * g(a1) of y_mix while x1 itself holds the oracle at
//   every rho: what alignment throws away grows as redundancy falls.
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

bool draw_redundancy(const Data& d, Fig& f, std::string& why, std::vector<std::string>& /*notes*/) {
    auto ids = where(d, all_ok(d), [](const Config& c) {
        return c.s("data.kind") == "linear" && c.s("objective.task") == "none" && c.s("objective.alignment") != "none";
    });
    std::string note;
    ids = hold_fixed(d, ids, {"data.redundancy", "objective.alignment"}, note);
    const auto rhos = distinct(d, ids, "data.redundancy");
    if (rhos.size() < 2) {
        why = "no alignment-only cells on linear data at two or more values of data.redundancy";
        return false;
    }
    const auto objs = distinct_s(d, ids, "objective.alignment");
    f.name = "redundancy";
    f.covers = {"data.redundancy"};
    if (objs.size() >= 2) f.covers.push_back("objective.alignment");
    f.title = "Information about y_mix kept by z1 versus redundancy, per objective";
    std::tie(f.w, f.h) = size_for(objs.size());
    std::ostringstream data, body;
    body << "  set multiplot layout " << layout(objs.size()) << " title " << lab(f.title + "@SEEDS@") << " font \",13\"\n";
    int seeds = 0;
    for (std::size_t pi = 0; pi < objs.size(); ++pi) {
        data << (pi ? "\n\n" : "") << "# objective " << objs[pi]
             << "\n# rho learned_mean learned_sd n analytic oracle learned_y_shared learned_y1\n";
        bool has_an = false;
        for (double rho : rhos) {
            std::vector<double> l, a, ls, l1;
            const Config* any = nullptr;
            for (auto id : ids)
                if (d.cfg(id).s("objective.alignment") == objs[pi] && d.cfg(id).f("data.redundancy") == rho) {
                    l.push_back(d.L(id, "y_mix"));
                    a.push_back(d.A(id, "y_mix"));
                    ls.push_back(d.L(id, "y_shared"));
                    l1.push_back(d.L(id, "y1"));
                    any = &d.cfg(id);
                }
            if (!any) continue;
            const Stats sl = stats(l), sa = stats(a);
            seeds = std::max(seeds, sl.n);
            has_an |= sa.n > 0;
            data << num(rho) << " " << num(sl.mean) << " " << num(sl.sd) << " " << sl.n << " " << num(sa.mean) << " "
                 << num(oracle_r2(*any, "y_mix")) << " " << num(stats(ls).mean) << " " << num(stats(l1).mean) << "\n";
        }
        const std::string col = color_of(objs[pi]);
        body << "  set title " << lab(objs[pi] + (objs[pi] == "infonce" ? " (analytic: the cca optimum)" : "")) << "\n"
             << "  set xlabel \"redundancy ρ\"\n  set ylabel \"R^2(y\\\\_mix | z1)\"\n"
             << "  set xrange [-0.05:1.05]\n  set yrange [-0.02:1.0]\n  set key top left\n"
             << "  plot \"redundancy.dat\" index " << pi
             << " using 1:6 with lines dt 2 lw 1.5 lc rgb \"black\" title \"all of x1 (oracle)\"";
        if (has_an)
            body << ", '' index " << pi << " using 1:5 with lines lw 2 lc rgb " << lab(col) << " title \"analytic optimum\"";
        body << ", '' index " << pi << " using 1:2:3 with yerrorbars pt 7 ps 0.8 lc rgb " << lab(col)
             << " title \"learned\"\n";
    }
    body << "  unset multiplot\n";
    finish(f, body, note, ", learned mean ± sd over " + std::to_string(seeds) + " seeds");
    f.data = data.str();
    return true;
}

}  // namespace sim::figures
