// Figure `learned_vs_analytic`: learned R^2 against the analytic R^2 of the same cell, for every
// target and block, z1 and z2.
// Selects: ok cells on linear data whose analytic optimum is what training must reach (the
//   trade-off, regression alignment, or cca/spectral/infonce at model.dim = k_shared); the
//   others are counted in a note.
// Writes: learned_vs_analytic.dat, per target or block: analytic, learned, rep, cell;
//   learned_vs_analytic.gp / .svg / .png, the mean and max |difference| in the title.
// Covers: no key (its axes are R^2 values).
// Reading: points on the diagonal mean learning reaches the closed form.
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

bool draw_learned_vs_analytic(const Data& d, Fig& f, std::string& why, std::vector<std::string>& notes) {
    std::vector<std::size_t> ids;
    std::size_t left_out = 0;
    for (auto id : all_ok(d)) {
        if (d.cfg(id).s("data.kind") != "linear" || d.akind[id].empty()) continue;
        if (analytic_is_reached(d, id)) ids.push_back(id);
        else ++left_out;
    }
    if (ids.empty()) {
        why = "no cells with an analytic prediction";
        return false;
    }
    if (left_out)
        notes.push_back("learned_vs_analytic: " + std::to_string(left_out) +
                        " cells left out, where the analytic optimum is not what training must reach "
                        "(a task with non-regression alignment, or model.dim != data.k_shared where the optimum is not unique)");
    std::ostringstream data, body;
    double dev = 0, maxdev = 0;
    std::size_t n = 0;
    for (std::size_t ni = 0; ni < result_names().size(); ++ni) {
        const std::string& name = result_names()[ni];
        data << (ni ? "\n\n" : "") << "# " << name << "\n# analytic learned rep cell\n";
        for (auto id : ids)
            for (bool z2 : {false, true}) {
                const double a = d.A(id, name, z2), l = d.L(id, name, z2);
                if (!std::isfinite(a) || !std::isfinite(l)) continue;
                data << num(a) << " " << num(l) << " " << (z2 ? "z2" : "z1") << " " << id << "\n";
                dev += std::abs(l - a);
                maxdev = std::max(maxdev, std::abs(l - a));
                ++n;
            }
    }
    char buf[200];
    std::snprintf(buf, sizeof buf, "Learned versus analytic R^2, %zu cells, z1 and z2 (mean |difference| %.3f, max %.3f)",
                  ids.size(), n ? dev / static_cast<double>(n) : 0.0, maxdev);
    f.name = "learned_vs_analytic";
    f.title = buf;
    f.w = 680;
    f.h = 600;
    body << "  set title " << lab(f.title + "@SEEDS@") << "\n  set xlabel \"analytic R^2\"\n  set ylabel \"learned R^2 (probe on the test set)\"\n"
         << "  set xrange [-0.05:1.0]\n  set yrange [-0.05:1.0]\n  set size square\n  set key top left\n"
         << "  plot x with lines dt 2 lc rgb \"black\" title \"learned = analytic\"";
    for (std::size_t ni = 0; ni < result_names().size(); ++ni)
        body << ", \"learned_vs_analytic.dat\" index " << ni << " using 1:2 with points pt " << (ni < 4 ? 7 : 5)
             << " ps 0.7 lc rgb " << lab(color_of(result_names()[ni])) << " title " << lab(result_names()[ni]);
    body << "\n";
    f.data = data.str();
    finish(f, body, "", "");
    return true;
}

}  // namespace sim::figures
