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

namespace {

using figures::Data;
using figures::Fig;

// The options that need no directory; returns the image formats.
std::vector<std::string> check_options(const PlotOptions& opt) {
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
    return formats;
}

// Every named figure drawn in memory, and the swept keys a by_<key> figure can show.
struct Drawn {
    struct Named {
        std::string name;
        bool ok;
        std::string why;
        Fig fig;
    };
    std::vector<Named> named;
    std::vector<std::string> notes, drawable, axes, by_names;
    std::string available() const {
        std::vector<std::string> v = drawable;
        v.insert(v.end(), by_names.begin(), by_names.end());
        return join(v);
    }
};

Drawn draw_named(const Data& d) {
    Drawn w;
    for (const auto& e : figures::kFigures) {
        Drawn::Named n{e.name, false, "", Fig{}};
        n.ok = e.draw(d, n.fig, n.why, w.notes);
        if (n.ok) w.drawable.push_back(e.name);
        w.named.push_back(std::move(n));
    }
    w.axes = figures::by_axis_keys(d);
    for (const auto& k : w.axes) w.by_names.push_back("by_" + k);
    return w;
}

// What --only and --x ask for: one named figure, or the key of one by_<key> figure (neither:
// every figure that applies).
struct Choice {
    const Drawn::Named* named = nullptr;
    std::string axis;
};

Choice choose(const Drawn& w, const PlotOptions& opt, const std::string& dir) {
    Choice c;
    if (!opt.x.empty()) {
        if (!has(w.axes, opt.x))
            throw ConfigError("--x " + opt.x + ": " + (find_key(opt.x) ? "not a swept key with two or more values in '" + dir + "'"
                                                                        : "not a config key") +
                              " (swept keys: " + join(w.axes) + ")");
        c.axis = opt.x;
    }
    if (!opt.only.empty()) {
        const auto it = std::find_if(w.named.begin(), w.named.end(), [&](const Drawn::Named& n) { return n.name == opt.only; });
        if (it != w.named.end()) {
            if (!it->ok)
                throw ConfigError("--only " + opt.only + ": does not apply to '" + dir + "' (" + it->why +
                                  "); figures available: " + w.available());
            c.named = &*it;
        } else if (opt.only.rfind("by_", 0) == 0 && has(w.axes, opt.only.substr(3))) {
            c.axis = opt.only.substr(3);
        } else {
            throw ConfigError("--only " + opt.only + ": no such figure for '" + dir + "'; figures available: " + w.available());
        }
        if (!opt.x.empty() && c.axis != opt.x)
            throw ConfigError("--only " + opt.only + " and --x " + opt.x + " name different figures (--x " + opt.x +
                              " draws by_" + opt.x + ")");
    }
    if (c.named && (!opt.targets.empty() || !opt.rep.empty()))
        throw ConfigError(std::string(!opt.targets.empty() ? "--targets" : "--rep") + " chooses the series of the by_<key> figures; " +
                          opt.only + " draws its own (by_<key> figures here: " + join(w.by_names) + ")");
    return c;
}

// Every named figure that applies, then a by_<key> figure for each swept key none of them covers.
std::vector<Fig> all_figures(const Data& d, Drawn& w, const PlotOptions& opt, PlotReport& rep) {
    std::vector<Fig> figs;
    std::map<std::string, std::string> covered;  // key -> the named figure that shows it
    for (const auto& n : w.named) {
        if (n.ok) {
            figs.push_back(n.fig);
            for (const auto& k : n.fig.covers) covered.emplace(k, n.name);
        } else {
            rep.notes.push_back(n.name + ": skipped, " + n.why);
        }
    }
    for (const auto& k : w.axes) {
        if (covered.count(k)) {
            rep.notes.push_back("by_" + k + ": skipped, " + covered[k] + " shows " + k + " (--x " + k + " draws it)");
            continue;
        }
        Fig f;
        std::string why;
        if (figures::draw_by_axis(d, k, opt, f, why, w.notes)) figs.push_back(std::move(f));
        else rep.notes.push_back("by_" + k + ": skipped, " + why);
    }
    return figs;
}

std::vector<Fig> chosen_figures(const Data& d, Drawn& w, const Choice& c, const PlotOptions& opt, PlotReport& rep) {
    if (c.named) return {c.named->fig};
    if (c.axis.empty()) return all_figures(d, w, opt, rep);
    Fig f;
    std::string why;
    if (!figures::draw_by_axis(d, c.axis, opt, f, why, w.notes)) throw ConfigError("by_" + c.axis + ": " + why);
    return {std::move(f)};
}

// The figure folder: plot's or new, locked while plot writes it (sim/io/owned_dir.hpp), with its
// manifest listing the figures drawn there ("complete" once every chosen figure is written).
struct FigureFolder {
    ClaimedDir claimed;
    std::string fman;
    std::string source;
    nlohmann::json fm;

    FigureFolder(const std::string& fig_dir, const std::string& dir, const std::vector<std::string>& formats)
        : fman(fig_dir + "/manifest.json"), source(dir) {
        try {
            claimed = claim_dir(fig_dir, kKindFigures, "plot", [&](const std::string& n) { return !ours_or_other(fig_dir, n); });
        } catch (const BadInput& e) {
            throw ConfigError(e.what());
        }
        fm = {{"kind", kKindFigures}, {"source", dir}, {"formats", formats}, {"figures", nlohmann::json::array()},
              {"complete", false}, {"meta", run_metadata()}};
        if (claimed.kind == kKindFigures) keep_earlier();
    }

    void keep_earlier() {  // figures of an earlier plot stay listed
        try {
            const nlohmann::json old = read_json_object(fman);
            if (old.contains("figures") && old["figures"].is_array())
                for (const auto& n : old["figures"])
                    if (n.is_string()) fm["figures"].push_back(n);
        } catch (const BadInput& e) {
            throw ConfigError(e.what());
        }
    }

    void add(const std::string& name) {
        if (std::find(fm["figures"].begin(), fm["figures"].end(), name) == fm["figures"].end()) fm["figures"].push_back(name);
    }

    void write(const PlotReport& rep) {
        try {
            write_file_atomic(fman, fm.dump(2) + "\n");
        } catch (const WriteError& e) {
            throw std::runtime_error(std::string(e.what()) + "; " + std::to_string(rep.drawn.size()) +
                                     " figure(s) written before it, the results in '" + source + "' are untouched");
        }
    }
};

// The notes first: an incomplete sweep, cells left out, what reading left out; then the caveats
// of the figures drawn.
void add_notes(const Data& d, std::size_t present, const std::vector<std::string>& fig_notes,
               const std::vector<Fig>& figs, PlotReport& rep) {
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
    rep.notes.insert(rep.notes.begin(), d.notes.begin(), d.notes.end());
    for (const auto& n : fig_notes) {
        const auto colon = n.find(':');
        const std::string who = colon == std::string::npos ? "" : n.substr(0, colon);
        for (const auto& f : figs)
            if (f.name == who) {
                rep.notes.push_back(n);
                break;
            }
    }
}

}  // namespace

PlotReport make_figures(const std::string& dir, const std::string& fig_dir, const PlotOptions& opt) {
    const std::vector<std::string> formats = check_options(opt);
    const Data d = figures::load(dir);
    PlotReport rep;
    std::size_t present = 0;
    for (char p : d.present) present += p;
    if (present == 0) throw std::runtime_error("'" + dir + "/results.csv' holds no finished cells yet");
    Drawn w = draw_named(d);
    const Choice c = choose(w, opt, dir);
    const std::vector<Fig> figs = chosen_figures(d, w, c, opt, rep);
    FigureFolder folder(fig_dir, dir, formats);
    folder.write(rep);
    add_notes(d, present, w.notes, figs, rep);
    figures::Writer wr(fig_dir, dir + "/results.csv", opt.run_gnuplot, formats);
    for (const auto& f : figs) {
        const std::size_t before = rep.drawn.size();
        try {
            wr.write(f, rep);
        } catch (const std::runtime_error& err) {  // a full disk, gnuplot failing: one line; results.csv is only read
            throw std::runtime_error(std::string(err.what()) + "; " + std::to_string(before) +
                                     " figure(s) written before it, the results in '" + dir + "' are untouched");
        }
        folder.add(f.name);
    }
    folder.fm["complete"] = true;
    folder.write(rep);
    return rep;
}

}  // namespace sim
