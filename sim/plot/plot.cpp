#include "sim/plot/plot.hpp"

#include <filesystem>
#include <stdexcept>

#include "sim/io/files.hpp"
#include "sim/plot/figure.hpp"
#include "figure_list.hpp"  // generated from the list in sim/plot/meson.build (ALIGNSIM_FIGURES)

namespace sim {

namespace figures {
// Every figure's draw function: bool draw_<name>(...), defined in fig_<name>.cpp.
#define ALIGNSIM_FIGURE(name) bool draw_##name(const Data&, Fig&, std::string&, std::vector<std::string>&);
ALIGNSIM_FIGURES
#undef ALIGNSIM_FIGURE
namespace {
struct Entry {
    const char* name;
    DrawFn draw;
};
// In drawing order.
const Entry kFigures[] = {
#define ALIGNSIM_FIGURE(name) {#name, &draw_##name},
    ALIGNSIM_FIGURES
#undef ALIGNSIM_FIGURE
};
}  // namespace
}  // namespace figures

const std::vector<std::string>& figure_names() {
    static const std::vector<std::string> n = [] {
        std::vector<std::string> v;
        for (const auto& e : figures::kFigures) v.push_back(e.name);
        return v;
    }();
    return n;
}

PlotReport make_figures(const std::string& dir, const std::string& fig_dir, bool run_gnuplot) {
    namespace fs = std::filesystem;
    using namespace figures;
    const Data d = load(dir);
    std::error_code ec;
    fs::create_directories(fig_dir, ec);
    if (fs::exists(fig_dir) && !fs::is_directory(fig_dir))
        throw ConfigError("cannot create figure directory '" + fig_dir + "': it is a file");
    if (ec || !fs::is_directory(fig_dir))
        throw std::runtime_error("cannot create figure directory '" + fig_dir + "': " + (ec ? ec.message() : "not a directory"));
    PlotReport rep;
    std::size_t present = 0;
    for (char p : d.present) present += p;
    if (present == 0) throw std::runtime_error("'" + dir + "/results.csv' holds no finished cells yet");
    if (present < d.cells.size())
        rep.notes.push_back("the sweep is incomplete (" + std::to_string(present) + " of " +
                            std::to_string(d.cells.size()) + " cells): figures show what is there");
    if (d.not_ok) rep.notes.push_back(std::to_string(d.not_ok) + " cells did not finish with status ok and are left out");
    Writer w(fig_dir, dir + "/results.csv", run_gnuplot);
    for (const auto& e : kFigures) {
        Fig f;
        std::string why;
        const std::size_t before = rep.drawn.size();
        try {
            if (e.draw(d, f, why, rep.notes)) w.write(f, rep);
            else rep.notes.push_back(std::string(e.name) + ": skipped, " + why);
        } catch (const std::runtime_error& err) {  // a full disk, gnuplot failing: one line; results.csv is only read
            throw std::runtime_error(std::string(err.what()) + "; " + std::to_string(before) +
                                     " figure(s) written before it, the results in '" + dir + "' are untouched");
        }
    }
    return rep;
}

}  // namespace sim
