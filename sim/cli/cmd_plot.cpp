// alignsim plot DIR [--out FIGDIR]: the figures of a sweep's results with gnuplot.
#include <cstdio>

#include "sim/cli/commands.hpp"
#include "sim/plot/plot.hpp"

namespace sim {

int cmd_plot(const PlotArgs& a) {
    const std::string out = a.out_dir.empty() ? a.dir + "/figures" : a.out_dir;
    const PlotReport r = make_figures(a.dir, out);
    for (const auto& n : r.notes) std::fprintf(stderr, "plot: %s\n", n.c_str());
    for (const auto& f : r.drawn) {
        if (r.images) std::printf("%s/%s.svg\n%s/%s.png\n", out.c_str(), f.c_str(), out.c_str(), f.c_str());
        else std::printf("%s/%s.gp\n", out.c_str(), f.c_str());
    }
    return 0;
}

}  // namespace sim
