// Figures of a results directory with gnuplot: each figure is a data file (<name>.dat), a gnuplot
// script (<name>.gp, which draws <name>.svg and <name>.png when run in the figure directory) and
// the two images. Figures whose axes a sweep did not vary are skipped with a note.
#pragma once
#include <string>
#include <vector>

namespace sim {

struct PlotReport {
    std::vector<std::string> drawn;  // figure names
    std::vector<std::string> notes;  // one line per skipped figure or caveat
    bool images = true;              // false: gnuplot was not found, only .dat and .gp written
};

// Reads DIR/manifest.json and DIR/results.csv, writes figures into fig_dir (created). When
// run_gnuplot is false only the .dat and .gp files are written. Throws std::runtime_error.
PlotReport make_figures(const std::string& dir, const std::string& fig_dir, bool run_gnuplot = true);

// The figure names, in order: redundancy, tradeoff, learned_vs_analytic, nonlinear, capacity.
const std::vector<std::string>& figure_names();

}  // namespace sim
