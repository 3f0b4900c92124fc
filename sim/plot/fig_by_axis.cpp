// Figures `by_<key>`: one per swept key with two or more values that no drawn named figure
// covers (or the one asked for with --x / --only): what z1 (--rep z2, both) keeps of every target
// and block (--targets) against the key's values: R^2, or for real images (data.kind =
// "fashion_mnist") the logistic probe's test accuracy of the targets (they have no blocks).
// Selects: ok cells, grouped by experiment and by every other swept axis; a group is one row of
//   panels (targets | blocks, per representation) and holds cells that differ only in the key
//   and the seed, so nothing but seeds is ever averaged, and R^2 and accuracy never share a panel
//   (a group's cells have one data.kind; by_data.kind leaves the fashion_mnist cells out, with a
//   note). Groups with a single value of the key are left out. Beyond kMaxPanels panels, other
//   axes are held at their most common value, named in the caption (and in a note).
// Writes: by_<key>.dat, per group: (1) the learned block: x (a string key: index and label),
//   then per series <name>.<rep>.mean, .sd, .n (learned_r2 of results.csv over seeds) and
//   .analytic (the analytic_r2 of results.csv), for a string key also .oracle; for a
//   fashion_mnist group, per target <name>.<rep>.mean, .sd, .n (the rows metric = accuracy,
//   probe = linear over seeds) and .baseline (the same probe on the raw pixels: the rows rep = x1,
//   for z2 rep = x2, mean over seeds); (2) for a numeric key on linear data, the analytic curve:
//   x and per series <name>.<rep>.analytic, .oracle, at the points of `alignsim theory --curve
//   KEY=LO:HI:N [--log]` run with the group's config (the comment names the command), between and
//   beyond the grid values; for a numeric key the closed forms do not depend on (train.*, ...),
//   their constant value at both ends. Real images have no closed form: no curve.
//   by_<key>.gp and the images.
// Axis: numeric keys spanning more than a decade (all values > 0) on a log scale; string keys
//   (objective.alignment, ...) categorical. y: R^2, or "accuracy (logistic probe)" with chance
//   (0.1, ten balanced classes) as a thin grey line.
// Covers: its key only.
// Reading: points on the curve mean learning reaches the closed form; the gap between the curve
//   and the dashed oracle (all of x1) is what the representation throws away of what x1 holds.
//   On real images the dashed line is the probe on raw x1 pixels (x2 for z2): points below it are
//   what the representation throws away of what a linear read-out of the pixels gets.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "sim/plot/figure.hpp"
#include "sim/run/analytic.hpp"

namespace sim::figures {

namespace {

constexpr std::size_t kMaxPanels = 20;
constexpr int kCurvePoints = 81;
constexpr double kBeyond = 0.05;  // the curve runs this fraction of the axis beyond the grid values

struct Group {
    std::size_t experiment = 0;
    bool accuracy = false;  // fashion_mnist cells: accuracy rows, no R^2
    std::vector<std::pair<std::string, std::string>> others;  // the other swept keys and their values
    std::vector<std::size_t> ids;
};

bool numeric_key(const std::string& key) {
    const KeySpec* k = find_key(key);
    return k && (k->kind == Kind::Int || k->kind == Kind::Float);
}
bool integer_key(const std::string& key) {
    const KeySpec* k = find_key(key);
    return k && k->kind == Kind::Int;
}

bool is_real(const Config& c) { return c.s("data.kind") == "fashion_mnist"; }

// The ok cells that differ only in `key` and the seed, grouped; only groups with two or more
// values of the key. A group's cells have one data.kind (it is the same for cells that agree on
// every swept key but `key`); by_data.kind leaves the fashion_mnist cells out: their accuracy is
// not on the R^2 axis of the others.
std::vector<Group> group_cells(const Data& d, const std::string& key) {
    std::vector<Group> gs;
    for (auto id : all_ok(d)) {
        const Cell& c = d.cells[id];
        if (key == "data.kind" && is_real(c.config)) continue;
        Group g;
        g.experiment = c.experiment;
        g.accuracy = is_real(c.config);
        for (const auto& kv : c.point)
            if (kv.first != key && kv.first != "train.seed") g.others.emplace_back(kv.first, text_of(c.config, kv.first));
        auto it = std::find_if(gs.begin(), gs.end(),
                               [&](const Group& h) { return h.experiment == g.experiment && h.accuracy == g.accuracy && h.others == g.others; });
        if (it == gs.end()) {
            g.ids.push_back(id);
            gs.push_back(std::move(g));
        } else {
            it->ids.push_back(id);
        }
    }
    gs.erase(std::remove_if(gs.begin(), gs.end(),
                            [&](const Group& g) {
                                std::set<std::string> v;
                                for (auto id : g.ids) v.insert(text_of(d.cfg(id), key));
                                return v.size() < 2;
                            }),
             gs.end());
    return gs;
}

// A gnuplot string of several lines (each escaped as lab() does).
std::string lab_lines(const std::vector<std::string>& lines) {
    std::string o;
    for (const auto& l : lines) {
        const std::string e = lab(l);
        o += (o.empty() ? "" : "\\n") + e.substr(1, e.size() - 2);
    }
    return "\"" + o + "\"";
}

// Splits "a, b, c" into lines of at most width characters, at the commas.
std::vector<std::string> wrap(const std::string& head, const std::vector<std::string>& items, std::size_t width) {
    std::vector<std::string> out;
    std::string line = head;
    for (std::size_t i = 0; i < items.size(); ++i) {
        const std::string piece = items[i] + (i + 1 < items.size() ? "," : "");
        if (line.size() + 1 + piece.size() > width && line != head) {
            out.push_back(line);
            line = "  " + piece;
        } else {
            line += (line.empty() ? "" : " ") + piece;
        }
    }
    if (!line.empty()) out.push_back(line);
    return out;
}

// Splits "a; b; c" into lines of at most width characters, at the semicolons.
std::vector<std::string> wrap_parts(const std::string& text, std::size_t width) {
    std::vector<std::string> out;
    std::string line;
    for (std::size_t pos = 0; pos <= text.size();) {
        std::size_t end = text.find("; ", pos);
        if (end == std::string::npos) end = text.size();
        const std::string piece = text.substr(pos, end - pos) + (end < text.size() ? ";" : "");
        if (!line.empty() && line.size() + 1 + piece.size() > width) {
            out.push_back(line);
            line = piece;
        } else {
            line += (line.empty() ? "" : " ") + piece;
        }
        pos = end + 2;
    }
    if (!line.empty()) out.push_back(line);
    return out;
}

// Whether base with key = x is a valid configuration.
bool valid_at(const Config& base, const std::string& key, double x) {
    try {
        Config c = base;
        if (integer_key(key)) c.set(key, static_cast<std::int64_t>(x));
        else c.set(key, x);
        c.validate();
        return true;
    } catch (const ConfigError&) {
        return false;
    }
}

double value_of(const std::map<std::string, R2Pair>& m, const std::string& name, bool z2) {
    const auto it = m.find(name);
    if (it == m.end()) return std::nan("");
    return z2 ? it->second.z2 : it->second.z1;
}

const std::string kGrey = "#555555";
const std::string kChance = "#999999";  // accuracy at chance: 0.1
// The oracle's line: broad, dashed, the colour half transparent.
std::string oracle_style(const std::string& colour) { return "dt (6,4) lw 5 lc rgb " + lab("#90" + colour.substr(1)); }

struct Series {
    std::string name;
    bool z2;
    std::string id() const { return name + (z2 ? ".z2" : ".z1"); }
};

}  // namespace

std::vector<std::string> by_axis_keys(const Data& d) {
    std::set<std::string> keys;
    for (const auto& e : d.spec.experiments)
        for (const auto& ax : e.config.grid())
            if (ax.key != "train.seed") keys.insert(ax.key);
    std::vector<std::string> out;
    for (const auto& k : keys)
        if (!group_cells(d, k).empty()) out.push_back(k);
    return out;
}

namespace {

bool is_target(const std::string& n) {
    for (int t = 0; t < theory::kNumTargets; ++t)
        if (n == theory::kTargetNames[t]) return true;
    return false;
}

// A column of panels: a representation and its targets or its latent blocks.
struct Column {
    bool z2, blocks;
    std::vector<std::string> names;
};

// A row of panels: one group of cells, its learned block (and curve block) in the .dat.
struct Panel {
    std::string label, remark;
    bool accuracy = false;                                // fashion_mnist: accuracy, the raw-pixel baseline dashed
    std::vector<std::size_t> sis;                         // the series of the learned block, in column order
    std::size_t learned = 0, curve = std::string::npos;  // block indices (curve: npos when none)
    bool analytic = false;                                // an analytic optimum to draw
    std::vector<std::vector<double>> oracle;              // per series, at each point drawn (accuracy: the baseline)
    std::vector<double> ox;                               // those points' x (a string key: the index)
};

// One by_<key> figure in the making: each step below fills a part of it.
struct ByAxis {
    const Data& d;
    const std::string& key;
    const PlotOptions& opt;
    Fig& f;
    std::vector<std::string>& notes;
    std::vector<Group> groups;
    std::string fname, dat;
    // the series and the panel columns: (representation, targets | blocks)
    std::vector<bool> reps;
    std::vector<Column> cols;
    std::vector<Series> series;  // every column's series, in .dat column order
    std::size_t real_left_out = 0;  // by_data.kind: fashion_mnist cells where it is swept (accuracy, never on an R^2 axis)
    std::vector<std::string> held;  // axes held at their most common value
    // what varies between groups (panel titles) and what the figure holds fixed (caption)
    std::vector<std::size_t> ids;
    std::set<std::string> varying;
    bool several_experiments = false;
    std::vector<std::string> fixed;
    // the x axis
    bool numeric = false, logx = false;
    std::vector<std::string> categories;  // string keys: labels in grid order
    double xmin = HUGE_VAL, xmax = -HUGE_VAL, elo = 0, ehi = 0;
    std::set<double> grid_values;
    // data and panels
    std::ostringstream data, body;
    std::size_t index = 0;
    int nmin = 1 << 30, nmax = 0;
    bool any_curve = false, any_oracle = false, any_r2 = false, any_accuracy = false, any_baseline = false;
    double plot_lo = HUGE_VAL, plot_hi = -HUGE_VAL;
    std::vector<Panel> panels;
    std::vector<std::string> caption;

    ByAxis(const Data& d_, const std::string& key_, const PlotOptions& opt_, Fig& f_, std::vector<std::string>& notes_)
        : d(d_), key(key_), opt(opt_), f(f_), notes(notes_) {}

    std::string dim_value(const Group& g, const std::string& dim) const {
        return dim.empty() ? d.spec.experiments[g.experiment].name : text_of(d.cfg(g.ids.front()), dim);
    }
    std::string group_label(const Group& g) const {
        std::string s = several_experiments ? d.spec.experiments[g.experiment].name : "";
        std::string kv;
        for (const auto& [k, v] : g.others)
            if (varying.count(k)) kv += (kv.empty() ? "" : ", ") + k + "=" + v;
        if (!kv.empty()) s += (s.empty() ? "" : ": ") + kv;
        return s;
    }

    // The series and columns the options ask for; real-image groups left out where no target is.
    bool series_and_groups(std::string& why) {
        // --- the series and the panel columns: (representation, targets | blocks)
        const std::vector<std::string> names = opt.targets.empty() ? result_names() : opt.targets;
        if (opt.rep.empty() || opt.rep == "z1" || opt.rep == "both") reps.push_back(false);
        if (opt.rep == "z2" || opt.rep == "both") reps.push_back(true);
        for (bool z2 : reps)
            for (bool blocks : {false, true}) {
                Column c{z2, blocks, {}};
                for (const auto& n : names)
                    if (is_target(n) != blocks) c.names.push_back(n);
                if (c.names.empty()) continue;
                for (const auto& n : c.names) series.push_back({n, z2});
                cols.push_back(std::move(c));
            }
        // real images: accuracy of the targets only (no latent blocks); none chosen, no panel
        const bool any_target = std::any_of(names.begin(), names.end(), is_target);
        if (!any_target && std::any_of(groups.begin(), groups.end(), [](const Group& g) { return g.accuracy; })) {
            groups.erase(std::remove_if(groups.begin(), groups.end(), [](const Group& g) { return g.accuracy; }), groups.end());
            if (groups.empty()) {
                why = "its cells are fashion_mnist ones, read by accuracy of the targets y_shared, y1, y2, y_mix (no latent blocks), "
                      "and --targets names none";
                return false;
            }
            notes.push_back(fname + ": the fashion_mnist cells are left out (accuracy of the targets only, and --targets names none)");
        }
        if (key == "data.kind")
            for (auto id : all_ok(d)) {
                const auto& pt = d.cells[id].point;
                real_left_out += is_real(d.cfg(id)) && std::any_of(pt.begin(), pt.end(), [](const auto& kv) { return kv.first == "data.kind"; });
            }
        if (real_left_out)
            notes.push_back(fname + ": " + std::to_string(real_left_out) + " fashion_mnist " + (real_left_out == 1 ? "cell" : "cells") +
                            " left out (their rows are accuracy, not R^2; plot them by another key)");
        return true;
    }

    // At most kMaxPanels panels: hold other axes (or the experiment) at their most common value.
    void limit_panels() {
        // --- at most kMaxPanels panels: hold other axes (or the experiment) at their most common value
        const std::size_t max_rows = std::max<std::size_t>(1, kMaxPanels / cols.size());
        while (groups.size() > max_rows) {
            std::set<std::string> dims{""};  // "": the experiment
            for (const auto& g : groups)
                for (const auto& kv : g.others) dims.insert(kv.first);
            std::string best_dim;
            std::size_t best_count = 0;
            for (const auto& dim : dims) {
                std::set<std::string> v;
                for (const auto& g : groups) v.insert(dim_value(g, dim));
                if (v.size() > best_count) {
                    best_count = v.size();
                    best_dim = dim;
                }
            }
            if (best_count < 2) break;
            std::map<std::string, std::size_t> cells;
            for (const auto& g : groups) cells[dim_value(g, best_dim)] += g.ids.size();
            std::string keep = cells.begin()->first;
            for (const auto& [v, n] : cells)
                if (n > cells[keep]) keep = v;
            groups.erase(std::remove_if(groups.begin(), groups.end(), [&](const Group& g) { return dim_value(g, best_dim) != keep; }),
                         groups.end());
            held.push_back(best_dim.empty() ? "experiment " + keep : best_dim + "=" + keep);
        }
        if (!held.empty()) {
            std::string h;
            for (const auto& x : held) h += (h.empty() ? "" : ", ") + x;
            notes.push_back(fname + ": more groups of cells than " + std::to_string(kMaxPanels) +
                            " panels hold; drawn at " + h + " (the most common values)");
        }
        // only real images left: no column of latent blocks
        if (std::all_of(groups.begin(), groups.end(), [](const Group& g) { return g.accuracy; }))
            cols.erase(std::remove_if(cols.begin(), cols.end(), [](const Column& c) { return c.blocks; }), cols.end());
    }

    void describe() {
        // --- what varies between groups (panel titles) and what the figure holds fixed (caption)
        for (const auto& g : groups) ids.insert(ids.end(), g.ids.begin(), g.ids.end());
        for (const auto& g : groups) {
            several_experiments |= g.experiment != groups.front().experiment;
            for (const auto& kv : g.others)
                for (const auto& h : groups)
                    if (dim_value(h, kv.first) != kv.second) varying.insert(kv.first);
        }
        for (const auto& k : result_keys(d.spec)) {
            if (k == key || varying.count(k)) continue;
            std::set<std::string> v;
            for (auto id : ids) v.insert(text_of(d.cfg(id), k));
            if (v.size() == 1) fixed.push_back(k + "=" + *v.begin());
        }
    }

    void x_axis() {
        // --- the x axis
        numeric = numeric_key(key);
        for (auto id : ids) {
            if (numeric) {
                xmin = std::min(xmin, d.cfg(id).f(key));
                xmax = std::max(xmax, d.cfg(id).f(key));
            } else {
                const std::string v = text_of(d.cfg(id), key);
                if (std::find(categories.begin(), categories.end(), v) == categories.end()) categories.push_back(v);
            }
        }
        logx = numeric && xmin > 0 && xmax / xmin > 10;
        elo = xmin;  // the curve's range: beyond the grid values
        ehi = xmax;
        if (numeric) {
            if (logx) {
                const double r = std::pow(xmax / xmin, kBeyond);
                elo = xmin / r;
                ehi = xmax * r;
            } else {
                elo = xmin - kBeyond * (xmax - xmin);
                ehi = xmax + kBeyond * (xmax - xmin);
            }
            if (integer_key(key)) {
                elo = std::round(elo);
                ehi = std::round(ehi);
            }
        }
        if (numeric)
            for (auto id : ids) grid_values.insert(d.cfg(id).f(key));
    }

    // The learned block's header; xs: the group's values of key, ordered.
    void learned_header(const Group& g, const std::string& label, Panel& p, std::vector<std::string>& xs) {
        p.label = label;
        p.accuracy = g.accuracy;
        p.oracle.resize(series.size());
        for (std::size_t si = 0; si < series.size(); ++si)
            if (!g.accuracy || is_target(series[si].name)) p.sis.push_back(si);
        any_r2 |= !g.accuracy;
        any_accuracy |= g.accuracy;
        // learned block
        if (numeric) {
            std::set<double> v;
            for (auto id : g.ids) v.insert(d.cfg(id).f(key));
            for (double x : v) xs.push_back(fmt_num(x));
        } else {
            for (const auto& c : categories)
                for (auto id : g.ids)
                    if (text_of(d.cfg(id), key) == c) {
                        xs.push_back(c);
                        break;
                    }
        }
        data << (index ? "\n\n" : "") << "# group: " << (label.empty() ? "all cells" : label) << "\n";
        if (g.accuracy)
            data << "# learned: test accuracy of the logistic probe (results.csv rows metric = accuracy, probe = linear), mean, sd"
                    " and n over seeds; baseline: the same probe on raw x1 pixels (rows rep = x1; for z2 rep = x2), mean over"
                    " seeds; fashion_mnist: no closed form, chance 0.1\n# "
                 << (numeric ? key : "index label");
        else
            data << "# learned: learned_r2 of results.csv, mean, sd and n over seeds; analytic: analytic_r2 of results.csv"
                 << (numeric ? "" : "; oracle: R^2 from all of x1 (x2), closed form") << "\n# "
                 << (numeric ? key : "index label");
        for (auto si : p.sis) {
            const std::string id = series[si].id();
            data << " " << id << ".mean " << id << ".sd " << id << ".n "
                 << (g.accuracy ? id + ".baseline" : id + ".analytic" + (numeric ? "" : " " + id + ".oracle"));
        }
        data << "\n";
    }

    // The learned block's rows: per value of key, each series' mean, sd, n and analytic (oracle).
    void learned_rows(const Group& g, Panel& p, const std::vector<std::string>& xs, bool linear) {
        for (const auto& xv : xs) {
            std::vector<std::size_t> at;
            for (auto id : g.ids)
                if (numeric ? d.cfg(id).f(key) == parse_num(xv) : text_of(d.cfg(id), key) == xv) at.push_back(id);
            ClosedFormPoint cf;
            if (!numeric && linear) try {
                    cf = closed_form_point(d.cfg(at.front()));
                } catch (const std::exception&) {
                }
            const double x = numeric ? parse_num(xv)
                                     : static_cast<double>(std::find(categories.begin(), categories.end(), xv) - categories.begin());
            if (numeric) data << xv;
            else data << static_cast<std::size_t>(x) << " " << q(xv);
            for (auto si : p.sis) {
                const Series& s = series[si];
                std::vector<double> l, a;
                for (auto id : at) {
                    if (g.accuracy) {
                        l.push_back(d.value(id, "accuracy", "linear", s.z2 ? "z2" : "z1", s.name));
                        a.push_back(d.value(id, "accuracy", "linear", s.z2 ? "x2" : "x1", s.name));
                    } else {
                        l.push_back(d.L(id, s.name, s.z2));
                        a.push_back(d.A(id, s.name, s.z2));
                    }
                }
                const Stats sl = stats(l);
                nmin = std::min(nmin, sl.n);
                nmax = std::max(nmax, sl.n);
                data << " " << num(sl.mean) << " " << num(sl.sd) << " " << sl.n << " " << num(stats(a).mean);
                if (g.accuracy) {
                    p.oracle[si].push_back(stats(a).mean);
                    any_baseline |= std::isfinite(stats(a).mean);
                } else if (!numeric) {
                    const double o = value_of(cf.oracle, s.name, s.z2);
                    data << " " << num(o);
                    p.oracle[si].push_back(o);
                }
            }
            if (!numeric || g.accuracy) p.ox.push_back(x);
            data << "\n";
        }
    }

    void curve_block(const Group& g, const Config& base, const std::string& label, Panel& p, bool linear, bool none_kind) {
        // the closed forms along the key
        if (numeric && linear) {
            double lo = valid_at(base, key, elo) ? elo : xmin, hi = valid_at(base, key, ehi) ? ehi : xmax;
            // every value of the grid lies inside
            for (auto id : g.ids) {
                lo = std::min(lo, d.cfg(id).f(key));
                hi = std::max(hi, d.cfg(id).f(key));
            }
            std::ostringstream block;
            std::vector<std::vector<double>> oracle(series.size());
            std::vector<double> ox;
            auto row = [&](double x, const ClosedFormPoint& cf) {
                block << fmt_num(x);
                ox.push_back(x);
                for (std::size_t si = 0; si < series.size(); ++si) {
                    const double o = value_of(cf.oracle, series[si].name, series[si].z2);
                    block << " " << num(value_of(cf.analytic, series[si].name, series[si].z2)) << " " << num(o);
                    oracle[si].push_back(o);
                }
                block << "\n";
            };
            try {
                if (is_curve_key(key)) {
                    CurveSpec c;
                    c.key = key;
                    c.start = lo;
                    c.stop = hi;
                    c.log = logx;
                    c.n = integer_key(key) ? static_cast<int>(std::min<double>(kCurvePoints, hi - lo + 1)) : kCurvePoints;
                    c.n = std::max(c.n, 2);
                    block << "# analytic curve: alignsim theory --curve " << c.text() << (c.log ? " --log" : "")
                          << " with this group's config (e.g. cell " << g.ids.front() << " of manifest.json)\n";
                    const auto cfgs = curve_configs(base, c);
                    block << "# " << key;
                    for (const auto& s : series) block << " " << s.id() << ".analytic " << s.id() << ".oracle";
                    block << "\n";
                    for (const auto& k : cfgs) row(k.f(key), closed_form_point(k));
                } else {
                    const ClosedFormPoint cf = closed_form_point(base);
                    block << "# the closed forms do not depend on " << key << ": their value at both ends\n# " << key;
                    for (const auto& s : series) block << " " << s.id() << ".analytic " << s.id() << ".oracle";
                    block << "\n";
                    for (double x : {lo, hi}) row(x, cf);
                }
                data << "\n\n" << block.str();
                p.curve = index++;
                p.oracle = oracle;
                p.ox = ox;
                plot_lo = std::min(plot_lo, lo);
                plot_hi = std::max(plot_hi, hi);
                any_oracle = true;
                any_curve |= !none_kind;
            } catch (const std::exception& e) {
                notes.push_back(fname + ": no analytic curve for " + (label.empty() ? "the cells" : label) + " (" + e.what() + ")");
            }
        }
    }

    // What the analytic line is, where it is not simply what training reaches.
    std::string remark_of(const Group& g, const Config& base, const Panel& p, bool linear, bool none_kind, bool reached_all,
                          bool reached_any) const {
        std::string remark;
        if (g.accuracy) {
            bool baseline = false;
            for (const auto& o : p.oracle) baseline |= std::any_of(o.begin(), o.end(), [](double v) { return std::isfinite(v); });
            remark = std::string("real images: no closed form") + (baseline ? "" : ", no raw-pixel baseline (eval.baselines = false)");
        } else if (!linear) remark = "no closed form (" + base.s("data.kind") + " data)";
        else if (none_kind) remark = "no alignment optimum (alignment none)";
        else if (!reached_all) {
            if (base.s("objective.task") != "none" && base.s("objective.alignment") != "regression")
                remark = "analytic: the alignment-only optimum (the task moves what training reaches)";
            else
                remark = std::string("analytic: one minimum-norm optimum, not unique ") +
                         (reached_any ? "where model.dim ≠ k_shared" : "here (model.dim ≠ k_shared)");
        }
        return remark;
    }

    void add_panel(const Group& g) {
        const std::string label = group_label(g);
        const Config& base = d.cfg(g.ids.front());
        Panel p;
        std::vector<std::string> xs;
        learned_header(g, label, p, xs);
        bool linear = base.s("data.kind") == "linear";
        bool reached_all = true, reached_any = false, none_kind = true;
        for (auto id : g.ids) {
            const bool r = analytic_is_reached(d, id);
            reached_all &= r;
            reached_any |= r;
            none_kind &= d.akind[id].empty();
        }
        learned_rows(g, p, xs, linear);
        p.learned = index++;
        curve_block(g, base, label, p, linear, none_kind);
        if (!numeric && linear) any_oracle = true;
        if (!numeric && linear && !none_kind) any_curve = true;
        p.remark = remark_of(g, base, p, linear, none_kind, reached_all, reached_any);
        p.analytic = linear && !none_kind;
        panels.push_back(p);
    }

    void pad_range() {
        if (numeric) {  // the curve's range, and never a point on the border
            if (logx) {
                const double r = std::pow(xmax / xmin, 0.03);
                plot_lo = std::min(plot_lo, xmin / r);
                plot_hi = std::max(plot_hi, xmax * r);
            } else {
                plot_lo = std::min(plot_lo, xmin - 0.03 * (xmax - xmin));
                plot_hi = std::max(plot_hi, xmax + 0.03 * (xmax - xmin));
            }
        }
    }

    // The title, the caption (legend, fixed keys, held axes) and the figure's name and keys.
    void caption_and_title() {
        // --- the figure
        const std::string reps_word = reps.size() == 2 ? "z1 and z2 keep" : reps.front() ? "z2 keeps" : "z1 keeps";
        f.name = fname;
        f.title = "What " + reps_word + " versus " + key;
        f.covers = {key};
        const std::string seeds = nmin == nmax ? std::to_string(nmax) : std::to_string(nmin) + "-" + std::to_string(nmax);
        caption = {f.title};
        std::string legend = std::string("points: learned ") +
                             (!any_r2            ? "accuracy (logistic probe, test set)"
                              : any_accuracy     ? "R^2 (probe, test set), on real images accuracy (logistic probe)"
                                                 : "R^2 (probe, test set)") +
                             ", mean ± sd over " + seeds + (nmax == 1 ? " seed" : " seeds");
        bool infonce = false;  // compared with the cca optimum (spec 3)
        for (auto id : ids) infonce |= d.cfg(id).s("objective.alignment") == "infonce" && !d.akind[id].empty();
        if (any_curve)
            legend += std::string("; lines: the analytic optimum") +
                      (numeric ? infonce ? " (curve; for infonce the cca one)" : " (curve)" : infonce ? " (for infonce the cca one)" : "");
        if (any_oracle) legend += reps.size() == 2 ? "; dashed: all of x1 (x2)" : reps.front() ? "; dashed: all of x2" : "; dashed: all of x1";
        if (any_baseline)
            legend += std::string("; dashed") + (any_oracle ? " on real images" : "") + ": " +
                      (reps.size() == 2 ? "raw x1 (x2) pixels (probe)" : reps.front() ? "raw x2 pixels (probe)" : "raw x1 pixels (probe)");
        if (any_accuracy) legend += "; grey: chance (0.1)";
        if (real_left_out)
            legend += "; " + std::to_string(real_left_out) + " fashion_mnist " + (real_left_out == 1 ? "cell" : "cells") +
                      " left out (accuracy, not R^2)";
        {  // not_converged cells of the groups shown: left out (issue 8)
            std::size_t left_out = 0;
            for (std::size_t id = 0; id < d.cells.size(); ++id) {
                if (d.status[id] != "not_converged") continue;
                const Cell& c = d.cells[id];
                std::vector<std::pair<std::string, std::string>> others;
                for (const auto& kv : c.point)
                    if (kv.first != key && kv.first != "train.seed") others.emplace_back(kv.first, text_of(c.config, kv.first));
                for (const auto& g : groups)
                    if (g.experiment == c.experiment && g.others == others) {
                        ++left_out;
                        break;
                    }
            }
            legend += not_converged_suffix(left_out);
            note_not_converged(notes, fname, left_out);
        }
        const std::size_t width = cols.size() >= 2 ? 140 : 90;
        for (const auto& l : wrap_parts(legend, width)) caption.push_back(l);
        for (const auto& l : wrap("fixed:", fixed, width)) caption.push_back(l);
        if (!held.empty()) {
            std::string h;
            for (const auto& x : held) h += (h.empty() ? "" : ", ") + x;
            caption.push_back("held at the most common value: " + h);
        }
        {  // the one-line title of the .dat and .gp: the caption unwrapped
            std::string fx;
            for (const auto& x : fixed) fx += (fx.empty() ? "" : ", ") + x;
            f.title += " (" + legend + (fx.empty() ? "" : "; fixed: " + fx);
            if (!held.empty()) f.title += "; " + caption.back();
            f.title += ")";
        }
    }

    void body_header() {
        const std::size_t ncol = cols.size(), nrow = panels.size();
        f.w = static_cast<int>(std::max<std::size_t>(760, 650 * ncol));
        f.h = static_cast<int>(410 * nrow + 40 + 18 * caption.size());
        body << "  set multiplot layout " << nrow << "," << ncol << " title " << lab_lines(caption) << " font \",13\"\n";
        if (numeric) {
            body << "  set xrange [" << num(plot_lo) << ":" << num(plot_hi) << "]\n";
            if (logx) body << "  set logscale x\n";
            if (grid_values.size() <= 10) {
                body << "  set xtics (";
                std::size_t i = 0;
                for (double x : grid_values) body << (i++ ? ", " : "") << num(x);
                body << ")\n";
            }
        } else {
            body << "  set xrange [-0.5:" << categories.size() - 0.5 << "]\n  set xtics (";
            for (std::size_t i = 0; i < categories.size(); ++i) body << (i ? ", " : "") << lab(categories[i]) << " " << i;
            body << ")\n";
        }
        body << "  set xlabel " << lab(key) << "\n  set yrange [-0.05:1.05]\n  set key outside right top\n";
    }

    // Oracle lines that coincide are drawn once, in grey, and named by a label.
    std::vector<std::vector<std::size_t>> same_oracles(const Panel& p, const std::vector<std::size_t>& sis) const {
        std::vector<std::vector<std::size_t>> same;
        for (auto si : sis) {
            const auto& o = p.oracle[si];
            if (std::none_of(o.begin(), o.end(), [](double v) { return std::isfinite(v); })) continue;
            bool placed = false;
            for (auto& grp : same) {
                const auto& r = p.oracle[grp.front()];
                bool eq = r.size() == o.size();
                for (std::size_t i = 0; eq && i < o.size(); ++i) eq = std::abs(r[i] - o[i]) < 1e-9;
                if (eq) {
                    grp.push_back(si);
                    placed = true;
                    break;
                }
            }
            if (!placed) same.push_back({si});
        }
        return same;
    }

    void oracle_labels(const Panel& p, const std::vector<std::vector<std::size_t>>& same, bool drawn_lines,
                       const std::string& all_of) {
        body << "  unset label\n";
        for (const auto& grp : same) {
            const auto& o = p.oracle[grp.front()];
            if (grp.size() < 2 || !drawn_lines || o.size() != p.ox.size() || o.empty()) continue;
            std::size_t at = 0;
            for (std::size_t i = 0; i < o.size(); ++i)
                if (std::isfinite(o[i]) && (!std::isfinite(o[at]) || std::abs(o[i] - 0.5) < std::abs(o[at] - 0.5))) at = i;
            if (!std::isfinite(o[at])) continue;
            const double lo = o[at > 0 ? at - 1 : at], hi = o[at + 1 < o.size() ? at + 1 : at];
            const double slope = std::isfinite(lo) && std::isfinite(hi) ? hi - lo : 0;
            std::string who;
            for (auto si : grp) who += (who.empty() ? "" : ", ") + series[si].name;
            body << "  set label " << lab(all_of + ": " + who);
            if (std::abs(slope) < 1e-6)
                body << " at graph 0.98, first " << num(o.back()) << " right offset 0," << (o.back() > 0.9 ? "-0.9" : "0.8");
            else
                body << " at first " << num(p.ox[at]) << ", first " << num(o[at]) << (slope < 0 ? " left offset 1,0.8" : " right offset -1,0.8");
            body << " font \",10\" tc rgb " << lab(kGrey) << " front\n";
        }
    }

    // One panel: a group's row, a column's representation and series.
    void panel_plot(const Panel& p, const Column& c) {
        const std::size_t first = numeric ? 2 : 3;  // learned block: the first series' first column
        const std::string rep = c.z2 ? "z2" : "z1";
        const std::string all_of = p.accuracy ? (c.z2 ? "raw x2 pixels (probe)" : "raw x1 pixels (probe)")
                                              : (c.z2 ? "all of x2" : "all of x1");
        std::vector<std::size_t> sis;  // the column's series (those of the panel's learned block)
        for (const auto& n : c.names)
            for (auto si : p.sis)
                if (series[si].name == n && series[si].z2 == c.z2) sis.push_back(si);
        if (sis.empty()) {  // real images have no latent blocks: an empty slot (named in the targets' title)
            body << "  set multiplot next\n";
            return;
        }
        std::vector<std::string> title{(c.blocks ? "latent blocks" : "targets") + std::string(" from ") + rep +
                                       (p.label.empty() ? "" : ", " + p.label)};
        std::string remark = p.remark;
        if (p.accuracy && cols.size() > reps.size()) remark += remark.empty() ? "no latent blocks" : "; no latent blocks";
        if (!remark.empty()) title.push_back(remark);
        // the learned block's columns of a series: mean, sd, n, then analytic (and oracle, for
        // a string key) or, on real images, the baseline
        const std::size_t per = p.accuracy ? 4 : numeric ? 4 : 5;
        auto col_of = [&](std::size_t si) {
            return first + per * static_cast<std::size_t>(std::find(p.sis.begin(), p.sis.end(), si) - p.sis.begin());
        };
        const std::vector<std::vector<std::size_t>> same = same_oracles(p, sis);
        const bool drawn_lines = numeric && !p.accuracy ? p.curve != std::string::npos : true;
        oracle_labels(p, same, drawn_lines, all_of);
        // accuracy: chance (ten balanced classes) as a thin grey line
        if (p.accuracy) body << "  set arrow 1 from graph 0, first 0.1 to graph 1, first 0.1 nohead lw 1 lc rgb " << lab(kChance) << " back\n";
        else body << "  unset arrow 1\n";
        body << "  set title " << lab_lines(title) << "\n  set ylabel "
             << lab(p.accuracy ? "accuracy (logistic probe)"
                    : c.blocks ? "R^2(block | " + rep + "), mean over its coordinates"
                               : "R^2(target | " + rep + ")")
             << "\n  plot ";
        std::string sep;
        // a line of the curve block (numeric key) or the learned block (accuracy: through the
        // grid's values), or short bars in the learned block (string key)
        auto line = [&](std::size_t col, const std::string& style) {
            body << sep << dat << " index ";
            if (numeric) body << (p.accuracy ? p.learned : p.curve) << " using 1:" << col << " with lines ";
            else body << p.learned << " using ($1-0.3):" << col << ":(0.6):(0) with vectors nohead ";
            body << style << " notitle";
            sep = ", ";
        };
        // the oracle (the baseline) first, broad, dashed and translucent, so that an analytic
        // curve on it (a representation keeping all x1 holds) stays visible
        bool single = false;
        if (drawn_lines)
            for (const auto& grp : same) {
                single |= grp.size() == 1;
                line(p.accuracy ? col_of(grp.front()) + 3 : numeric ? 3 + 2 * grp.front() : col_of(grp.front()) + 4,
                     oracle_style(grp.size() == 1 ? color_of(series[grp.front()].name) : kGrey));
            }
        if (drawn_lines && p.analytic)
            for (auto si : sis)
                line(numeric ? 2 + 2 * si : col_of(si) + 3, "lw 2 lc rgb " + lab(color_of(series[si].name)));
        for (std::size_t k = 0; k < sis.size(); ++k) {
            const std::size_t si = sis[k];
            const double off = numeric ? 0.0 : 0.1 * (static_cast<double>(k) - 0.5 * static_cast<double>(sis.size() - 1));
            body << sep << dat << " index " << p.learned << " using "
                 << (numeric ? std::string("1") : "($1+" + num(off) + ")") << ":" << col_of(si) << ":"
                 << col_of(si) + 1 << " with yerrorbars pt 7 ps 0.8 lc rgb " << lab(color_of(series[si].name))
                 << " title " << lab(series[si].name);
            sep = ", ";
        }
        if (drawn_lines && p.analytic) body << sep << "keyentry with lines lw 2 lc rgb \"black\" title \"analytic\"";
        if (drawn_lines && !same.empty())
            body << sep << "keyentry with lines " << oracle_style(single ? "#000000" : kGrey) << " title " << lab(all_of);
        if (p.accuracy) body << sep << "keyentry with lines lw 1 lc rgb " << lab(kChance) << " title \"chance\"";
        body << "\n";
    }
};

}  // namespace

bool draw_by_axis(const Data& d, const std::string& key, const PlotOptions& opt, Fig& f, std::string& why,
                  std::vector<std::string>& notes) {
    ByAxis b(d, key, opt, f, notes);
    b.groups = group_cells(d, key);
    if (b.groups.empty()) {
        why = "no ok cells that differ only in " + key + " (and the seed)";
        return false;
    }
    b.fname = "by_" + key;
    b.dat = q(b.fname + ".dat");
    if (!b.series_and_groups(why)) return false;
    b.limit_panels();
    b.describe();
    b.x_axis();
    for (const auto& g : b.groups) b.add_panel(g);
    b.pad_range();
    b.caption_and_title();
    b.body_header();
    for (const auto& p : b.panels)
        for (const auto& c : b.cols) b.panel_plot(p, c);
    b.body << "  unset multiplot\n";
    f.body = b.body.str();
    f.data = b.data.str();
    return true;
}

}  // namespace sim::figures
