// Figures of a results directory with gnuplot: each figure is a data file (<name>.dat), a gnuplot
// script (<name>.gp, which draws the images, <name>.svg and <name>.png by default, when run in the
// figure directory) and the images. The named figures (figure_names()) are skipped with a note
// when the sweep did not vary their axes; then every swept key with two or more values that no
// drawn named figure covers gets a figure by_<key> (sim/plot/fig_by_axis.cpp).
#pragma once
#include <string>
#include <vector>

namespace sim {

struct PlotReport {
    std::vector<std::string> drawn;  // figure names
    std::vector<std::string> notes;  // one line per skipped figure or caveat
    bool images = true;              // false: gnuplot was not found, only .dat and .gp written
};

// What `alignsim plot` draws. Empty strings and lists mean "the default".
struct PlotOptions {
    bool run_gnuplot = true;           // false: only the .dat and .gp files
    std::vector<std::string> formats;  // images: svg, png, pdf (default svg, png)
    std::string only;                  // one figure by name: a named figure or by_<key>
    std::string x;                     // only the by_<key> figure of this key
    std::vector<std::string> targets;  // by_<key> series: targets and blocks (default all)
    std::string rep;                   // by_<key> representations: z1 (default), z2 or both
};

// Reads DIR/manifest.json and DIR/results.csv, writes figures into fig_dir (created). Throws
// ConfigError (before writing anything) for options that do not fit the directory, naming what
// is available, and std::runtime_error for unreadable results or a failing gnuplot.
PlotReport make_figures(const std::string& dir, const std::string& fig_dir, const PlotOptions& opt);
PlotReport make_figures(const std::string& dir, const std::string& fig_dir, bool run_gnuplot = true);

// The named figures, in order: redundancy, tradeoff, learned_vs_analytic, nonlinear, capacity.
const std::vector<std::string>& figure_names();
// The image formats gnuplot can write (cairo terminals but svg): svg, png, pdf.
const std::vector<std::string>& image_formats();

}  // namespace sim
