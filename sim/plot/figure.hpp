// The toolkit of `alignsim plot`'s figures: the results of a sweep directory cell by cell, the
// selections and statistics figures make of them, and the shared gnuplot style (style.cpp). Each
// figure is one file fig_<name>.cpp with one function, listed in sim/plot/meson.build.
#pragma once
#include <array>
#include <map>
#include <cmath>
#include <cstddef>
#include <functional>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "sim/plot/plot.hpp"
#include "sim/sweep/grid.hpp"
#include "sim/sweep/results.hpp"

namespace sim::figures {

// --- the results of a directory (results_view.cpp)
// The slot of (target or block, representation) among the R^2 rows of one probe: each of
// result_names() from z1, then from z2.
int slot_of(const std::string& name, bool z2);

// One checkpoint of a cell's training history (history.csv; sim/run/run.hpp, Checkpoint).
struct HistoryPoint {
    long step = 0, evals = 0;
    double loss = 0, objective = 0, gap = 0;
};

// One entry per cell of the grid its manifest defines, filled from results.csv (and history.csv
// when the directory has one).
struct Data {
    SweepSpec spec;
    std::vector<Cell> cells;
    std::vector<std::string> keys;  // result keys
    std::vector<char> present, ok;
    std::vector<std::vector<double>> learned, analytic;        // R^2, linear probe, by slot_of (NaN: not read)
    std::vector<std::vector<double>> learned_nl, analytic_nl;  // R^2, nonlinear probe
    // every row by "metric/probe/rep/name" -> (learned, analytic), for rows the arrays do not hold
    std::vector<std::map<std::string, std::pair<double, double>>> rows;
    std::vector<double> align_loss;
    std::vector<std::string> akind;
    std::vector<std::string> status;          // "ok", "not_converged", "diverged" ("" when absent)
    std::vector<double> gap;                  // objective_gap (NaN: no certificate, or older results)
    std::vector<std::vector<HistoryPoint>> history;  // empty without history.csv
    bool have_history = false;
    std::size_t not_ok = 0;         // present cells whose status is not ok (left out of every figure)
    std::size_t not_converged = 0;  // of which not_converged: the gap to the optimum exceeded train.tolerance
    std::vector<std::string> notes;  // what reading left out (a line cut short by a crash), one line each

    const Config& cfg(std::size_t id) const { return cells[id].config; }
    double L(std::size_t id, const std::string& name, bool z2 = false) const { return learned[id][slot_of(name, z2)]; }
    double A(std::size_t id, const std::string& name, bool z2 = false) const { return analytic[id][slot_of(name, z2)]; }
    double LN(std::size_t id, const std::string& name, bool z2 = false) const { return learned_nl[id][slot_of(name, z2)]; }
    double AN(std::size_t id, const std::string& name, bool z2 = false) const { return analytic_nl[id][slot_of(name, z2)]; }
    // Any row (NaN when the cell has none such): e.g. value(id, "accuracy", "linear", "z1", "y1").
    double value(std::size_t id, const std::string& metric, const std::string& probe, const std::string& rep,
                 const std::string& name, bool analytic_value = false) const;
};

// Reads DIR/manifest.json, DIR/results.csv and DIR/history.csv (when there), every column by
// name (results_schema, history_schema: a column an older version did not write reads as
// absent). Throws ConfigError, one line naming the file, line, column and cause, for anything
// malformed; a last line cut short (a sweep killed or still running) is left out, with a note.
Data load(const std::string& dir);

// --- selections
std::vector<std::size_t> all_ok(const Data& d);  // the cells that ended "ok"
// The not_converged cells a figure would show had they converged: those whose config satisfies
// pred and agrees with the cell `like` (one it shows) on every key outside `free` and the seed.
std::size_t not_converged_like(const Data& d, const std::function<bool(const Config&)>& pred, std::size_t like,
                               const std::set<std::string>& free);
// "; 3 cells not converged, left out" for a figure's title suffix ("" for none), and the same
// as a note on stderr ("NAME: 3 not_converged cells left out (...)").
std::string not_converged_suffix(std::size_t n);
void note_not_converged(std::vector<std::string>& notes, const std::string& figure, std::size_t n);
template <class F>
std::vector<std::size_t> where(const Data& d, const std::vector<std::size_t>& ids, F pred) {
    std::vector<std::size_t> out;
    for (auto id : ids)
        if (pred(d.cfg(id))) out.push_back(id);
    return out;
}
std::string text_of(const Config& c, const std::string& key);  // a key's value as results.csv writes it
// Whether two cells' configs agree on every key but those in `free` and the seed.
bool same_except(const Config& a, const Config& b, const std::set<std::string>& free);
// Cells where every key outside `free` has one value: where a key varies, the most common value
// is kept and named in the note (eval.nonlinear_probe excepted: it changes rows, not learning).
std::vector<std::size_t> hold_fixed(const Data& d, std::vector<std::size_t> ids, const std::set<std::string>& free,
                                    std::string& note);
// Distinct values of a numeric key over cells, ascending; of a string key, in order of appearance.
std::vector<double> distinct(const Data& d, const std::vector<std::size_t>& ids, const std::string& key);
std::vector<std::string> distinct_s(const Data& d, const std::vector<std::size_t>& ids, const std::string& key);

// --- statistics
struct Stats {
    double mean = std::nan(""), sd = std::nan("");
    int n = 0;
};
Stats stats(const std::vector<double>& v);  // over the finite values
std::string num(double x);                  // a number for a .dat file; "?" (missing) if not finite
// R^2 of a target from all of x1: what any representation of x1 could keep (closed form).
double oracle_r2(const Config& c, const std::string& target);
// Whether a cell's analytic optimum is what its training must reach: the trade-off optimum, or
// the alignment-only optimum of a run without a task where it is unique (regression alignment,
// or model.dim = data.k_shared). Elsewhere it is a reference, not a prediction.
bool analytic_is_reached(const Data& d, std::size_t id);

// --- one figure and the shared style (style.cpp)
struct Fig {
    std::string name, title;
    int w = 640, h = 460;
    std::string data;  // <name>.dat
    std::string body;  // gnuplot commands drawing the figure
    // The swept keys this figure shows along its x axis, panels or series: a drawn figure
    // covering a key replaces its by_<key> figure (fig_by_axis.cpp).
    std::vector<std::string> covers;
};
// The second line of a figure's title: the values held fixed (note) and the number of seeds
// (suffix, ", ..."); replaces @SEEDS@ in the body.
void finish(Fig& f, std::ostringstream& body, const std::string& note, const std::string& suffix);
std::string color_of(const std::string& what);  // one colour per objective, target and block
std::string layout(std::size_t n);              // multiplot layout of n panels
std::pair<int, int> size_for(std::size_t n);    // figure size for n panels
std::string q(const std::string& s);            // a gnuplot double-quoted string (file names)
std::string lab(const std::string& s);          // a label for enhanced text ('_' stays an underscore)

// Writes <name>.dat and <name>.gp (terminals, fonts and defaults shared by every figure) and runs
// gnuplot on it, for the image formats given (image_formats(); default svg and png).
class Writer {
public:
    Writer(std::string dir, std::string src, bool run, std::vector<std::string> formats = {"svg", "png"})
        : dir_(std::move(dir)), src_(std::move(src)), run_(run), formats_(std::move(formats)) {}
    void write(const Fig& f, PlotReport& rep);  // throws std::runtime_error when gnuplot fails

private:
    int gnuplot(const std::string& script);
    std::string dir_, src_;
    bool run_, missing_ = false;
    std::vector<std::string> formats_;
};

// A figure: fills f and returns true, or returns false and says why it does not apply.
using DrawFn = bool (*)(const Data& d, Fig& f, std::string& why, std::vector<std::string>& notes);

// --- the per-axis family, by_<key> (fig_by_axis.cpp)
// The swept keys a by_<key> figure can be drawn for: grid axes (any experiment) that take two or
// more values among ok cells that agree on every other axis; in key order.
std::vector<std::string> by_axis_keys(const Data& d);
// The figure by_<key>: R^2 of the chosen targets and blocks (opt.targets, opt.rep) against the
// key's values, learned mean +- sd over seeds, the closed form as a curve, the oracle dashed; for
// fashion_mnist cells the logistic probe's accuracy of the targets, the raw-pixel probe dashed.
bool draw_by_axis(const Data& d, const std::string& key, const PlotOptions& opt, Fig& f, std::string& why,
                  std::vector<std::string>& notes);

}  // namespace sim::figures
