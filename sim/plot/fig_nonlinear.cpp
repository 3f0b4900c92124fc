// Figure `nonlinear`: what MLP encoders on nonlinear data keep of s, u1, y_shared, y1 and y_mix as
// lambda (panels: redundancy) or redundancy varies, read by both probes.
// Selects: ok cells with data.kind = "nonlinear" at two or more values of objective.lambda or
//   data.redundancy (other keys held fixed).
// Writes: nonlinear.dat, per panel and series: x, then the linear probe's R^2 mean, sd, n, then
//   the nonlinear probe's mean, sd, n ("?" and 0 where the cells were not read by it);
//   nonlinear.gp / .svg / .png. Drawn: the nonlinear probe solid with filled points, the linear
//   (ridge) probe dashed with open points; one colour per target or block.
// Covers: objective.lambda and data.redundancy, where they vary here.
// Reading: no closed form; raising lambda should remove u1, y1 and the non-redundant part of y_mix
//   while s and y_shared stay, for a probe that can read nonlinear functions as well as for the
//   ridge probe.
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

namespace {

// The x axis (objective.lambda, else data.redundancy) and the panels (data.redundancy beside
// lambda), from what varies once the other keys are held fixed; xkey empty when neither varies.
void choose_axes(const Data& d, const std::vector<std::size_t>& ids, std::string& xkey, std::string& pkey) {
    std::string n1;
    auto t = hold_fixed(d, ids, {"objective.lambda", "data.redundancy"}, n1);
    const bool lam = distinct(d, t, "objective.lambda").size() >= 2, red = distinct(d, t, "data.redundancy").size() >= 2;
    if (lam) {
        xkey = "objective.lambda";
        if (red) pkey = "data.redundancy";
    } else if (red) xkey = "data.redundancy";
}

// One panel's plot command: its series' blocks start at index `first`.
void panel_plot(const std::string& pkey, double pv, const std::string& xkey, bool logx, const std::vector<std::string>& series,
                std::size_t first, bool any_nl, std::ostringstream& body) {
    body << "  set title " << lab(pkey.empty() ? std::string("R^2 of probes on z1") : pkey + " = " + num(pv)) << "\n"
         << (logx ? "  set logscale x\n  set format x \"10^{%L}\"\n" : "") << "  set xlabel " << lab(xkey == "objective.lambda" ? "λ (weight of the alignment loss)" : "redundancy ρ")
         << "\n  set ylabel \"R^2(· | z1)\"\n  set yrange [-0.02:1.0]\n  set key top right maxrows 4 width -1\n  plot ";
    // the nonlinear probe solid, filled; the linear probe dashed, open (alone: solid, filled)
    for (std::size_t si = 0; si < series.size(); ++si) {
        const std::string col = lab(color_of(series[si]));
        const int filled = si < 2 ? 5 : 7, open = si < 2 ? 4 : 6;
        const std::string at = "\"nonlinear.dat\" index " + std::to_string(first + si);
        body << (si ? ", " : "");
        if (any_nl)
            body << at << " using 1:5:6 with yerrorlines pt " << filled << " ps 0.8 lw 1.5 lc rgb " << col << " notitle, "
                 << at << " using 1:2:3 with yerrorlines dt 2 pt " << open << " ps 0.8 lw 1.2 lc rgb " << col << " notitle";
        else
            body << at << " using 1:2:3 with yerrorlines pt " << filled << " ps 0.8 lw 1.5 lc rgb " << col << " notitle";
    }
    for (const auto& s : series) body << ", keyentry with lines lw 2 lc rgb " << lab(color_of(s)) << " title " << lab(s);
    if (any_nl)
        body << ", keyentry with linespoints pt 7 ps 0.8 lw 1.5 lc rgb \"black\" title \"nonlinear probe\""
             << ", keyentry with linespoints dt 2 pt 6 ps 0.8 lw 1.2 lc rgb \"black\" title \"linear probe\"";
    body << "\n";
}

}  // namespace

bool draw_nonlinear(const Data& d, Fig& f, std::string& why, std::vector<std::string>& /*notes*/) {
    auto ids = where(d, all_ok(d), [](const Config& c) { return c.s("data.kind") == "nonlinear"; });
    if (ids.empty()) {
        why = "no nonlinear cells";
        return false;
    }
    std::string xkey, pkey;
    choose_axes(d, ids, xkey, pkey);
    if (xkey.empty()) {
        why = "nonlinear cells vary neither objective.lambda nor data.redundancy";
        return false;
    }
    std::string note;
    std::set<std::string> free{xkey};
    if (!pkey.empty()) free.insert(pkey);
    ids = hold_fixed(d, ids, free, note);
    const auto xs = distinct(d, ids, xkey);
    std::vector<double> ps = pkey.empty() ? std::vector<double>{NAN} : distinct(d, ids, pkey);
    const bool logx = xkey == "objective.lambda" && xs.front() > 0;
    const std::vector<std::string> series{"s", "u1", "y_shared", "y1", "y_mix"};
    const Config& c0 = d.cfg(ids.front());
    f.name = "nonlinear";
    f.covers = {xkey};
    if (!pkey.empty()) f.covers.push_back(pkey);
    f.title = "Nonlinear data, " + c0.s("model.encoder") + " encoders, " + c0.s("objective.alignment") +
              (c0.s("objective.task") != "none" ? " + task " + c0.s("objective.task") : std::string());
    std::tie(f.w, f.h) = size_for(ps.size());
    std::ostringstream data, body;
    body << "  set multiplot layout " << layout(ps.size()) << " title " << lab(f.title + "@SEEDS@") << " font \",13\"\n";
    std::size_t index = 0;
    int seeds = 0;
    bool any_nl = false;
    for (auto id : ids)
        for (const auto& s : series) any_nl |= std::isfinite(d.LN(id, s));
    for (double pv : ps) {
        const std::size_t first = index;
        for (const auto& s : series) {
            data << (index ? "\n\n" : "") << "# " << (pkey.empty() ? "" : pkey + "=" + num(pv) + " ") << s << "\n# "
                 << xkey << " learned_mean learned_sd n nonlinear_mean nonlinear_sd nonlinear_n\n";
            for (double x : xs) {
                std::vector<double> l, ln;
                for (auto id : ids)
                    if (d.cfg(id).f(xkey) == x && (pkey.empty() || d.cfg(id).f(pkey) == pv)) {
                        l.push_back(d.L(id, s));
                        ln.push_back(d.LN(id, s));
                    }
                if (l.empty()) continue;
                const Stats st = stats(l), sn = stats(ln);
                seeds = std::max(seeds, st.n);
                data << num(x) << " " << num(st.mean) << " " << num(st.sd) << " " << st.n << " " << num(sn.mean) << " "
                     << num(sn.sd) << " " << sn.n << "\n";
            }
            ++index;
        }
        panel_plot(pkey, pv, xkey, logx, series, first, any_nl, body);
    }
    body << "  unset multiplot\n";
    finish(f, body, note, ", mean ± sd over " + std::to_string(seeds) + " seeds");
    f.data = data.str();
    return true;
}

}  // namespace sim::figures
