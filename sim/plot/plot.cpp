#include "sim/plot/plot.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <stdexcept>

#include <fstream>

#include <nlohmann/json.hpp>

#include "sim/io/files.hpp"
#include "sim/io/meta.hpp"
#include "sim/io/owned_dir.hpp"
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

const std::vector<std::string>& image_formats() {
    static const std::vector<std::string> f{"svg", "png", "pdf"};
    return f;
}

namespace {

// In a figure folder without a figures manifest (one of an alignsim before kinds): false when
// name is a file plot would write (NAME.dat, .gp, .svg, .png, .pdf, gnuplot.log) that an alignsim
// plot did not write (no NAME.gp saying "written by alignsim plot" beside it).
bool ours_or_other(const std::string& fig_dir, const std::string& name) {
    std::string n = name;
    if (n.size() > 4 && n.compare(n.size() - 4, 4, ".tmp") == 0) n.resize(n.size() - 4);
    if (n == "gnuplot.log") return true;
    const auto dot = n.rfind('.');
    if (dot == std::string::npos) return true;
    const std::string ext = n.substr(dot + 1);
    if (ext != "dat" && ext != "gp" && ext != "svg" && ext != "png" && ext != "pdf") return true;  // not plot's
    std::ifstream in(fig_dir + "/" + n.substr(0, dot) + ".gp");
    std::string head(400, '\0');
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    head.resize(static_cast<std::size_t>(in.gcount()));
    return head.find("written by alignsim plot") != std::string::npos;
}

std::string join(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
    return s.empty() ? "none" : s;
}
bool has(const std::vector<std::string>& v, const std::string& x) { return std::find(v.begin(), v.end(), x) != v.end(); }

}  // namespace

PlotReport make_figures(const std::string& dir, const std::string& fig_dir, bool run_gnuplot) {
    PlotOptions o;
    o.run_gnuplot = run_gnuplot;
    return make_figures(dir, fig_dir, o);
}

PlotReport make_figures(const std::string& dir, const std::string& fig_dir, const PlotOptions& opt) {
    namespace fs = std::filesystem;
    using namespace figures;
    // options that need no directory
    std::vector<std::string> formats = opt.formats.empty() ? std::vector<std::string>{"svg", "png"} : opt.formats;
    for (const auto& f : formats)
        if (!has(image_formats(), f))
            throw ConfigError("--format: '" + f + "' is not an image format alignsim plot writes (" + join(image_formats()) + ")");
    for (std::size_t i = 0; i < formats.size(); ++i)
        if (std::find(formats.begin(), formats.begin() + static_cast<long>(i), formats[i]) != formats.begin() + static_cast<long>(i))
            throw ConfigError("--format: '" + formats[i] + "' is listed twice");
    if (!opt.rep.empty() && opt.rep != "z1" && opt.rep != "z2" && opt.rep != "both")
        throw ConfigError("--rep: '" + opt.rep + "' is not a representation (z1, z2, both)");
    for (const auto& t : opt.targets)
        if (!has(result_names(), t))
            throw ConfigError("--targets: '" + t + "' is not a target or block of results.csv (" + join(result_names()) + ")");

    const Data d = load(dir);
    PlotReport rep;
    std::size_t present = 0;
    for (char p : d.present) present += p;
    if (present == 0) throw std::runtime_error("'" + dir + "/results.csv' holds no finished cells yet");

    // every named figure, drawn in memory; the by_<key> figures of the swept keys
    struct Named {
        std::string name;
        bool ok;
        std::string why;
        Fig fig;
    };
    std::vector<Named> named;
    std::vector<std::string> notes, drawable;
    for (const auto& e : kFigures) {
        Named n{e.name, false, "", Fig{}};
        n.ok = e.draw(d, n.fig, n.why, notes);
        if (n.ok) drawable.push_back(e.name);
        named.push_back(std::move(n));
    }
    const std::vector<std::string> axes = by_axis_keys(d);
    std::vector<std::string> by_names;
    for (const auto& k : axes) by_names.push_back("by_" + k);
    auto available = [&] {
        std::vector<std::string> v = drawable;
        v.insert(v.end(), by_names.begin(), by_names.end());
        return join(v);
    };

    // what to draw: --only, --x, or every named figure that applies and the uncovered axes
    std::string only_axis;  // the key of the one by_<key> figure asked for
    const Named* only_named = nullptr;
    if (!opt.x.empty()) {
        if (!has(axes, opt.x))
            throw ConfigError("--x " + opt.x + ": " + (find_key(opt.x) ? "not a swept key with two or more values in '" + dir + "'"
                                                                        : "not a config key") +
                              " (swept keys: " + join(axes) + ")");
        only_axis = opt.x;
    }
    if (!opt.only.empty()) {
        const auto it = std::find_if(named.begin(), named.end(), [&](const Named& n) { return n.name == opt.only; });
        if (it != named.end()) {
            if (!it->ok)
                throw ConfigError("--only " + opt.only + ": does not apply to '" + dir + "' (" + it->why +
                                  "); figures available: " + available());
            only_named = &*it;
        } else if (opt.only.rfind("by_", 0) == 0 && has(axes, opt.only.substr(3))) {
            only_axis = opt.only.substr(3);
        } else {
            throw ConfigError("--only " + opt.only + ": no such figure for '" + dir + "'; figures available: " + available());
        }
        if (!opt.x.empty() && only_axis != opt.x)
            throw ConfigError("--only " + opt.only + " and --x " + opt.x + " name different figures (--x " + opt.x +
                              " draws by_" + opt.x + ")");
    }
    if (only_named && (!opt.targets.empty() || !opt.rep.empty()))
        throw ConfigError(std::string(!opt.targets.empty() ? "--targets" : "--rep") + " chooses the series of the by_<key> figures; " +
                          opt.only + " draws its own (by_<key> figures here: " + join(by_names) + ")");

    std::vector<Fig> figs;
    if (only_named) {
        figs.push_back(only_named->fig);
    } else if (!only_axis.empty()) {
        Fig f;
        std::string why;
        if (!draw_by_axis(d, only_axis, opt, f, why, notes)) throw ConfigError("by_" + only_axis + ": " + why);
        figs.push_back(std::move(f));
    } else {
        std::map<std::string, std::string> covered;  // key -> the named figure that shows it
        for (const auto& n : named) {
            if (n.ok) {
                figs.push_back(n.fig);
                for (const auto& k : n.fig.covers) covered.emplace(k, n.name);
            } else {
                rep.notes.push_back(n.name + ": skipped, " + n.why);
            }
        }
        for (const auto& k : axes) {
            if (covered.count(k)) {
                rep.notes.push_back("by_" + k + ": skipped, " + covered[k] + " shows " + k + " (--x " + k + " draws it)");
                continue;
            }
            Fig f;
            std::string why;
            if (draw_by_axis(d, k, opt, f, why, notes)) figs.push_back(std::move(f));
            else rep.notes.push_back("by_" + k + ": skipped, " + why);
        }
    }

    // the figure folder is plot's or new, and locked while plot writes it (sim/io/owned_dir.hpp)
    ClaimedDir claimed;
    try {
        claimed = claim_dir(fig_dir, kKindFigures, "plot", [&](const std::string& n) { return !ours_or_other(fig_dir, n); });
    } catch (const BadInput& e) {
        throw ConfigError(e.what());
    }
    const std::string fman = fig_dir + "/manifest.json";
    nlohmann::json fm = {{"kind", kKindFigures}, {"source", dir}, {"formats", formats}, {"figures", nlohmann::json::array()},
                         {"complete", false}, {"meta", run_metadata()}};
    if (claimed.kind == kKindFigures) {  // figures of an earlier plot stay listed
        try {
            const nlohmann::json old = read_json_object(fman);
            if (old.contains("figures") && old["figures"].is_array())
                for (const auto& n : old["figures"])
                    if (n.is_string()) fm["figures"].push_back(n);
        } catch (const BadInput& e) {
            throw ConfigError(e.what());
        }
    }
    auto write_manifest = [&] {
        try {
            write_file_atomic(fman, fm.dump(2) + "\n");
        } catch (const WriteError& e) {
            throw std::runtime_error(std::string(e.what()) + "; " + std::to_string(rep.drawn.size()) +
                                     " figure(s) written before it, the results in '" + dir + "' are untouched");
        }
    };
    write_manifest();
    if (present < d.cells.size())
        rep.notes.insert(rep.notes.begin(), "the sweep is incomplete (" + std::to_string(present) + " of " +
                                                std::to_string(d.cells.size()) + " cells): figures show what is there");
    if (d.not_ok) {
        std::string what;
        if (d.not_converged)
            what = std::to_string(d.not_converged) + " not_converged (the objective gap to the closed-form optimum exceeded train.tolerance)";
        if (d.not_ok > d.not_converged)
            what += (what.empty() ? "" : " and ") + std::to_string(d.not_ok - d.not_converged) + " diverged";
        rep.notes.insert(rep.notes.begin() + (present < d.cells.size() ? 1 : 0),
                         std::to_string(d.not_ok) + " cells did not finish with status ok and are left out of every figure: " + what);
    }
    // the caveats of the figures drawn
    for (const auto& n : notes) {
        const auto colon = n.find(':');
        const std::string who = colon == std::string::npos ? "" : n.substr(0, colon);
        for (const auto& f : figs)
            if (f.name == who) {
                rep.notes.push_back(n);
                break;
            }
    }
    Writer w(fig_dir, dir + "/results.csv", opt.run_gnuplot, formats);
    for (const auto& f : figs) {
        const std::size_t before = rep.drawn.size();
        try {
            w.write(f, rep);
        } catch (const std::runtime_error& err) {  // a full disk, gnuplot failing: one line; results.csv is only read
            throw std::runtime_error(std::string(err.what()) + "; " + std::to_string(before) +
                                     " figure(s) written before it, the results in '" + dir + "' are untouched");
        }
        if (std::find(fm["figures"].begin(), fm["figures"].end(), f.name) == fm["figures"].end()) fm["figures"].push_back(f.name);
    }
    fm["complete"] = true;
    write_manifest();
    return rep;
}

}  // namespace sim
