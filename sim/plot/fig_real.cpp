// Figure `real`: real images (data.kind = "fashion_mnist", docs/real_data.md): what z1 keeps of
// y_shared, y1 and y_mix, by the logistic probe's test accuracy, as the weight lambda of the
// alignment grows from 0 (the task alone) to alignment alone; one panel per redundancy.
// Selects: ok fashion_mnist cells with a task and an alignment at two or more values of
//   objective.lambda (other keys held fixed; panels: data.redundancy), and the fashion_mnist
//   cells without a task ("alignment only") that agree with them on every other key, per
//   objective. The alignment-only runs do not depend on rho (no task): in a panel whose rho they
//   were not run at, their y_shared and y1 are drawn, and y_mix where it is one of those (rho = 0:
//   y_mix = y1; rho = 1: y_mix = y_shared).
// Writes: real.dat, per panel: per target (y_shared, y1, y_mix) a block "x mean sd n" of the
//   learned accuracy from z1 (lambda = 0 at x = a tenth of the smallest positive lambda); per
//   target the baselines as two-point blocks "x value" (the probe on raw x1, the supervised model
//   on x1: rows rep = x1 and x1_supervised of results.csv, mean over the cells drawn); per
//   objective and target the alignment-only block "x mean sd n"; real.gp / .svg / .png.
// Covers: objective.lambda, data.redundancy where it varies here, objective.alignment where the
//   alignment-only cells vary it.
// Reading: as lambda grows, z1 loses y1 (what only modality 1 sees) toward chance while y_shared
//   stays near the raw-pixel line; y_mix follows its shared share rho. The dashed lines are what a
//   linear read-out of the raw pixels gets, the dotted ones what a supervised model of the same
//   architecture gets from x1.
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

const std::vector<std::string> kSeries{"y_shared", "y1", "y_mix"};

// What the figure draws: the trade-off cells (ids) and the alignment-only cells like them (solo),
// and the x positions on the log axis: lambda = 0 a decade below the smallest positive lambda,
// the alignment-only runs beyond the largest, one slot per objective.
struct Layout {
    std::vector<std::size_t> ids, solo;
    std::vector<double> lams, rhos;
    std::vector<std::string> objs;
    std::string note;
    double x0 = 0, xmax = 0, xlo = 0, xhi = 0;
    double x_of(double lam) const { return lam > 0 ? lam : x0; }
    double x_solo(std::size_t k) const { return xmax * 10 * std::pow(2.0, double(k)); }
};

bool select(const Data& d, Layout& L, std::string& why) {
    const auto real = where(d, all_ok(d), [](const Config& c) { return c.s("data.kind") == "fashion_mnist"; });
    if (real.empty()) {
        why = "no fashion_mnist cells";
        return false;
    }
    L.ids = where(d, real, [](const Config& c) {
        return c.s("objective.task") != "none" && c.s("objective.alignment") != "none";
    });
    L.ids = hold_fixed(d, L.ids, {"objective.lambda", "data.redundancy"}, L.note);
    L.lams = distinct(d, L.ids, "objective.lambda");
    if (L.lams.size() < 2) {
        why = "no fashion_mnist cells with a task at two or more values of objective.lambda";
        return false;
    }
    const Config& c0 = d.cfg(L.ids.front());
    L.rhos = distinct(d, L.ids, "data.redundancy");
    // alignment-only cells like the trade-off's in everything else
    const std::set<std::string> free{"objective.alignment", "objective.task", "objective.lambda", "data.redundancy"};
    L.solo = where(d, real, [&](const Config& c) {
        return c.s("objective.task") == "none" && c.s("objective.alignment") != "none" && same_except(c, c0, free);
    });
    L.objs = distinct_s(d, L.solo, "objective.alignment");
    std::vector<double> pos;
    for (double l : L.lams)
        if (l > 0) pos.push_back(l);
    if (pos.empty()) {
        why = "no fashion_mnist cells with a positive objective.lambda";
        return false;
    }
    L.x0 = pos.front() / 10;
    L.xmax = pos.back();
    L.xlo = L.lams.front() > 0 ? L.x0 : L.x0 / 2.5;
    L.xhi = L.objs.empty() ? L.xmax * 2.5 : L.x_solo(L.objs.size() - 1) * 2.5;
    return true;
}

// The axes shared by the panels; tics: the lambdas, "0" for the task alone, "align." under the
// alignment-only slots.
void axes(const Layout& L, const std::string& title, std::ostringstream& body) {
    body << "  set multiplot layout " << layout(L.rhos.size()) << " title " << lab(title + "@SEEDS@") << " font \",13\"\n"
         << "  set logscale x\n  set xrange [" << num(L.xlo) << ":" << num(L.xhi) << "]\n  set yrange [0:1]\n"
         << "  set xlabel \"λ (weight of the alignment loss)\"\n  set ylabel \"accuracy from z1 (test)\"\n"
         << "  set arrow 1 from graph 0, first 0.1 to graph 1, first 0.1 nohead lc rgb \"#999999\" dt 3\n"
         << "  set label 1 \"chance\" at graph 0.98, first 0.07 right tc rgb \"#777777\" font \",10\"\n";
    body << "  set xtics (";
    std::string sep;
    for (double l : L.lams) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%g", l);
        body << sep << lab(l > 0 ? std::string(buf) : std::string("0")) << " " << num(L.x_of(l));
        sep = ", ";
    }
    if (!L.objs.empty())
        body << sep << lab("align. only") << " " << num(std::sqrt(L.x_solo(0) * L.x_solo(L.objs.size() - 1)));
    body << ")\n";
    if (!L.objs.empty()) {  // a separator before the alignment-only slots
        body << "  set arrow 2 from first " << num(std::sqrt(L.xmax * L.x_solo(0))) << ", graph 0 to first "
             << num(std::sqrt(L.xmax * L.x_solo(0))) << ", graph 1 nohead lc rgb \"#bbbbbb\" dt 2\n";
    }
}

// The blocks of real.dat one panel (one redundancy) draws, by their index.
struct PanelData {
    std::map<std::string, std::size_t> learned_at, raw_at, sup_at;
    std::map<std::pair<std::string, std::string>, std::size_t> solo_at;
};

struct RealWriter {
    const Data& d;
    const Layout& L;
    std::ostringstream& data;
    std::size_t index = 0;
    int seeds = 0;
    bool missing_solo_mix = false;
    RealWriter(const Data& d_, const Layout& L_, std::ostringstream& data_) : d(d_), L(L_), data(data_) {}

    // learned, per target
    void learned(double rho, const std::vector<std::size_t>& in, PanelData& p) {
        for (const auto& s : kSeries) {
            p.learned_at[s] = index++;
            data << (p.learned_at[s] ? "\n\n" : "") << "# rho=" << num(rho) << " " << s
                 << " from z1\n# x learned_mean learned_sd n (lambda = 0 at x = " << num(L.x0) << ")\n";
            for (double l : L.lams) {
                std::vector<double> v;
                for (auto id : in)
                    if (d.cfg(id).f("objective.lambda") == l) v.push_back(d.value(id, "accuracy", "linear", "z1", s));
                if (v.empty()) continue;
                const Stats st = stats(v);
                seeds = std::max(seeds, st.n);
                data << num(L.x_of(l)) << " " << num(st.mean) << " " << num(st.sd) << " " << st.n << "\n";
            }
        }
    }
    // baselines: the mean over the panel's cells (one value per sample and seed)
    void baselines(double rho, const std::vector<std::size_t>& in, PanelData& p) {
        for (const auto& s : kSeries)
            for (const char* rep : {"x1", "x1_supervised"}) {
                std::vector<double> v;
                for (auto id : in) v.push_back(d.value(id, "accuracy", "linear", rep, s));
                const Stats st = stats(v);
                (std::string(rep) == "x1" ? p.raw_at : p.sup_at)[s] = index++;
                data << "\n\n# rho=" << num(rho) << " " << s << " baseline " << rep << " (mean of " << st.n << " cells)\n# x value\n"
                     << num(L.xlo) << " " << num(st.mean) << "\n" << num(L.xhi) << " " << num(st.mean) << "\n";
            }
    }
    // alignment only, per objective: the cells of this redundancy when there are any
    void solo(double rho, PanelData& p) {
        for (std::size_t k = 0; k < L.objs.size(); ++k)
            for (const auto& s : kSeries) {
                std::vector<std::size_t> cells;
                for (auto id : L.solo)
                    if (d.cfg(id).s("objective.alignment") == L.objs[k]) cells.push_back(id);
                bool same_rho = false;
                for (auto id : cells) same_rho = same_rho || d.cfg(id).f("data.redundancy") == rho;
                if (same_rho) {
                    std::vector<std::size_t> keep;
                    for (auto id : cells)
                        if (d.cfg(id).f("data.redundancy") == rho) keep.push_back(id);
                    cells = keep;
                }
                std::string name = s;  // y_mix of another rho: only where it is y1 or y_shared
                if (!same_rho && s == "y_mix") {
                    if (rho == 0) name = "y1";
                    else if (rho == 1) name = "y_shared";
                    else {
                        missing_solo_mix = true;
                        continue;
                    }
                }
                std::vector<double> v;
                for (auto id : cells) v.push_back(d.value(id, "accuracy", "linear", "z1", name));
                const Stats st = stats(v);
                if (st.n == 0) continue;
                p.solo_at[{L.objs[k], s}] = index++;
                data << "\n\n# rho=" << num(rho) << " alignment only, " << L.objs[k] << ", " << s
                     << (name != s ? " (= " + name + " at this rho)" : std::string()) << "\n# x mean sd n\n"
                     << num(L.x_solo(k)) << " " << num(st.mean) << " " << num(st.sd) << " " << st.n << "\n";
            }
    }
};

void panel_body(const Layout& L, double rho, bool first, const PanelData& p, std::ostringstream& body) {
    std::string title = "ρ = " + num(rho);
    if (rho == 0) title += "  (y_mix = y1)";
    else if (rho == 1) title += "  (y_mix = y_shared)";
    body << "  set title " << lab(title) << "\n"
         << (first ? "  set key bottom left font \",10\" spacing 1.0\n" : "  unset key\n") << "  plot ";
    std::string sep;
    for (const auto& s : kSeries) {
        body << sep << "\"real.dat\" index " << p.learned_at.at(s) << " using 1:2:3 with yerrorlines pt 7 ps 0.8 lw 1.8 lc rgb "
             << lab(color_of(s)) << " title " << lab(s + " from z1");
        sep = ", ";
        body << sep << "\"real.dat\" index " << p.raw_at.at(s) << " using 1:2 with lines dt 2 lw 1.3 lc rgb "
             << lab(color_of(s)) << " notitle";
        body << sep << "\"real.dat\" index " << p.sup_at.at(s) << " using 1:2 with lines dt 3 lw 1.8 lc rgb "
             << lab(color_of(s)) << " notitle";
    }
    body << sep << "NaN with lines dt 2 lw 1.3 lc rgb \"#555555\" title \"probe on raw x1\"";
    body << sep << "NaN with lines dt 3 lw 1.8 lc rgb \"#555555\" title \"supervised on x1\"";
    static const int kPoints[] = {5, 9, 13, 11, 7, 3};
    for (std::size_t k = 0; k < L.objs.size(); ++k) {
        const int pt = kPoints[k % 6];
        for (const auto& s : kSeries) {
            const auto it = p.solo_at.find({L.objs[k], s});
            if (it == p.solo_at.end()) continue;
            body << sep << "\"real.dat\" index " << it->second << " using 1:2:3 with yerrorbars pt " << pt
                 << " ps 1.1 lc rgb " << lab(color_of(s)) << " notitle";
        }
        body << sep << "NaN with points pt " << pt << " ps 1.1 lc rgb \"#555555\" title " << lab("alignment only: " + L.objs[k]);
    }
    body << "\n";
}

}  // namespace

bool draw_real(const Data& d, Fig& f, std::string& why, std::vector<std::string>& notes) {
    Layout L;
    if (!select(d, L, why)) return false;
    const Config& c0 = d.cfg(L.ids.front());
    f.name = "real";
    f.covers = {"objective.lambda"};
    if (L.rhos.size() >= 2) f.covers.push_back("data.redundancy");
    if (L.objs.size() >= 2) f.covers.push_back("objective.alignment");
    f.title = "Real images (Fashion-MNIST, optical | radar): task " + c0.s("objective.task") + " + λ × " +
              c0.s("objective.alignment") + ", logistic-probe accuracy from z1";
    std::tie(f.w, f.h) = size_for(L.rhos.size());
    std::ostringstream data, body;
    axes(L, f.title, body);
    RealWriter w(d, L, data);
    for (std::size_t pi = 0; pi < L.rhos.size(); ++pi) {
        const double rho = L.rhos[pi];
        std::vector<std::size_t> in;
        for (auto id : L.ids)
            if (d.cfg(id).f("data.redundancy") == rho) in.push_back(id);
        PanelData p;
        w.learned(rho, in, p);
        w.baselines(rho, in, p);
        w.solo(rho, p);
        panel_body(L, rho, pi == 0, p, body);
    }
    body << "  unset multiplot\n";
    if (w.missing_solo_mix)
        notes.push_back("real: the alignment-only runs have no y_mix at a redundancy they were not run at (other than 0 and 1)");
    finish(f, body, L.note, ", mean ± sd over " + std::to_string(w.seeds) + " seeds");
    f.data = data.str();
    return true;
}

}  // namespace sim::figures
