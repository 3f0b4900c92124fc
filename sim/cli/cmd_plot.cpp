// alignsim plot DIR [--out FIGDIR] [--only NAME] [--x KEY] [--targets LIST] [--rep z1|z2|both]
// [--format LIST]: the figures of a sweep's results with gnuplot.
#include <cstdio>

#include "sim/cli/commands.hpp"
#include "sim/plot/plot.hpp"

namespace sim {

int cmd_plot(const PlotArgs& a) {
    const std::string out = a.out_dir.empty() ? a.dir + "/figures" : a.out_dir;
    PlotOptions o;
    o.formats = a.formats;
    o.only = a.only;
    o.x = a.x;
    o.targets = a.targets;
    o.rep = a.rep;
    const PlotReport r = make_figures(a.dir, out, o);
    const std::vector<std::string> formats = a.formats.empty() ? std::vector<std::string>{"svg", "png"} : a.formats;
    for (const auto& n : r.notes) std::fprintf(stderr, "plot: %s\n", n.c_str());
    for (const auto& f : r.drawn) {
        if (r.images)
            for (const auto& fmt : formats) std::printf("%s/%s.%s\n", out.c_str(), f.c_str(), fmt.c_str());
        else std::printf("%s/%s.gp\n", out.c_str(), f.c_str());
    }
    return 0;
}

}  // namespace sim
