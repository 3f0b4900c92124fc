#include "sim/plot/plot.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "autodiff/random.hpp"
#include "sim/sweep/grid.hpp"
#include "sim/sweep/results.hpp"
#include "sim/sweep/sweep.hpp"
#include "theory/closed_forms.hpp"
#include "theory/model.hpp"

namespace sim {

namespace {

namespace fs = std::filesystem;

constexpr std::size_t kSlots = kRowsPerCell;
int slot_of(const std::string& name, bool z2) {
    const auto& n = result_names();
    for (std::size_t i = 0; i < n.size(); ++i)
        if (n[i] == name) return static_cast<int>(2 * i + (z2 ? 1 : 0));
    throw std::logic_error("unknown result name " + name);
}

struct Data {
    SweepSpec spec;
    std::vector<Cell> cells;
    std::vector<std::string> keys;  // result keys
    std::vector<char> present, ok;
    std::vector<std::array<double, kSlots>> learned, analytic;
    std::vector<double> align_loss;
    std::vector<std::string> akind;
    std::size_t not_ok = 0;

    const Config& cfg(std::size_t id) const { return cells[id].config; }
    double L(std::size_t id, const std::string& name, bool z2 = false) const { return learned[id][slot_of(name, z2)]; }
    double A(std::size_t id, const std::string& name, bool z2 = false) const { return analytic[id][slot_of(name, z2)]; }
};

Data load(const std::string& dir) {
    const std::string mpath = dir + "/" + kManifestFile, rpath = dir + "/" + kResultsFile;
    if (!fs::exists(mpath)) throw std::runtime_error("'" + dir + "' is not a sweep results directory (no manifest.json)");
    if (!fs::exists(rpath)) throw std::runtime_error("'" + dir + "' has no results.csv");
    nlohmann::json m;
    try {
        std::ifstream in(mpath);
        in >> m;
    } catch (const std::exception& e) {
        throw std::runtime_error("cannot read '" + mpath + "': " + e.what());
    }
    Data d;
    try {
        d.spec = sweep_spec_from_definition(m);
        d.cells = expand(d.spec);
    } catch (const std::exception& e) {
        throw std::runtime_error("cannot read the sweep definition in '" + mpath + "': " + e.what());
    }
    d.keys = result_keys(d.spec);
    const std::size_t n = d.cells.size();
    d.present.assign(n, 0);
    d.ok.assign(n, 0);
    std::array<double, kSlots> nan;
    nan.fill(std::nan(""));
    d.learned.assign(n, nan);
    d.analytic.assign(n, nan);
    d.align_loss.assign(n, std::nan(""));
    d.akind.assign(n, "");
    const CsvTable t = read_csv(rpath);
    const int c_cell = t.col("cell"), c_name = t.col("name"), c_rep = t.col("rep"), c_l = t.col("learned_r2"),
              c_a = t.col("analytic_r2"), c_s = t.col("status"), c_al = t.col("alignment_loss"),
              c_k = t.col("analytic_kind");
    for (int c : {c_cell, c_name, c_rep, c_l, c_a, c_s, c_al, c_k})
        if (c < 0) throw std::runtime_error("'" + rpath + "' lacks a column alignsim plot needs");
    for (const auto& r : t.rows) {
        const std::size_t id = std::stoul(r[c_cell]);
        if (id >= n) throw std::runtime_error("'" + rpath + "' has a cell " + r[c_cell] + " outside the grid of its manifest");
        d.present[id] = 1;
        d.ok[id] = r[c_s] == "ok";
        const int s = slot_of(r[c_name], r[c_rep] == "z2");
        d.learned[id][s] = parse_num(r[c_l]);
        d.analytic[id][s] = parse_num(r[c_a]);
        d.align_loss[id] = parse_num(r[c_al]);
        d.akind[id] = r[c_k];
    }
    for (std::size_t i = 0; i < n; ++i) d.not_ok += d.present[i] && !d.ok[i];
    return d;
}

struct Stats {
    double mean = std::nan(""), sd = std::nan("");
    int n = 0;
};
Stats stats(const std::vector<double>& v) {
    Stats s;
    double acc = 0;
    for (double x : v)
        if (std::isfinite(x)) {
            acc += x;
            ++s.n;
        }
    if (s.n == 0) return s;
    s.mean = acc / s.n;
    double q = 0;
    for (double x : v)
        if (std::isfinite(x)) q += (x - s.mean) * (x - s.mean);
    s.sd = s.n > 1 ? std::sqrt(q / (s.n - 1)) : 0.0;
    return s;
}

std::string num(double x) { return std::isfinite(x) ? fmt_num(x) : "?"; }

std::string text_of(const Config& c, const std::string& key) {
    const Value& v = c.get(key);
    if (auto p = std::get_if<double>(&v)) return fmt_num(*p);
    return value_to_string(v);
}

// Cells where every key outside `free` has one value: where a key varies, the most common value
// is kept and named in the note.
std::vector<std::size_t> hold_fixed(const Data& d, std::vector<std::size_t> ids, const std::set<std::string>& free,
                                    std::string& note) {
    if (ids.empty()) return ids;
    for (const auto& [k, v0] : d.cfg(ids.front()).values()) {
        (void)v0;
        if (free.count(k) || k == "train.seed") continue;
        std::map<std::string, std::size_t> count;
        std::vector<std::string> order;
        for (auto id : ids) {
            const std::string v = text_of(d.cfg(id), k);
            if (!count[v]++) order.push_back(v);
        }
        if (count.size() < 2) continue;
        std::string best = order.front();
        for (const auto& v : order)
            if (count[v] > count[best]) best = v;
        std::vector<std::size_t> kept;
        for (auto id : ids)
            if (text_of(d.cfg(id), k) == best) kept.push_back(id);
        ids = kept;
        note += (note.empty() ? "" : ", ") + k + "=" + best;
    }
    return ids;
}

// Distinct values of a numeric key over cells, ascending.
std::vector<double> distinct(const Data& d, const std::vector<std::size_t>& ids, const std::string& key) {
    std::set<double> s;
    for (auto id : ids) s.insert(d.cfg(id).f(key));
    return {s.begin(), s.end()};
}
std::vector<std::string> distinct_s(const Data& d, const std::vector<std::size_t>& ids, const std::string& key) {
    std::vector<std::string> out;
    for (auto id : ids) {
        const std::string v = d.cfg(id).s(key);
        if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
    }
    return out;
}

std::string color_of(const std::string& what) {
    static const std::map<std::string, std::string> c{
        {"infonce", "#1f77b4"}, {"regression", "#ff7f0e"}, {"cca", "#2ca02c"},  {"spectral", "#d62728"},
        {"none", "#7f7f7f"},    {"s", "#2ca02c"},          {"u1", "#d62728"},   {"u2", "#9467bd"},
        {"y_shared", "#1f77b4"}, {"y1", "#ff7f0e"},        {"y2", "#8c564b"},   {"y_mix", "#000000"}};
    auto it = c.find(what);
    return it == c.end() ? "#17becf" : it->second;
}

std::string layout(std::size_t n) {
    if (n <= 3) return "1," + std::to_string(n);
    if (n == 4) return "2,2";
    return std::to_string((n + 2) / 3) + ",3";
}
std::pair<int, int> size_for(std::size_t n) {
    if (n <= 1) return {680, 520};
    if (n == 2) return {1100, 500};
    if (n == 3) return {1500, 500};
    if (n == 4) return {1100, 900};
    return {1500, static_cast<int>(430 * ((n + 2) / 3) + 60)};
}

std::string q(const std::string& s) {  // a gnuplot double-quoted string (file names)
    std::string o = "\"";
    for (char ch : s) {
        if (ch == '"' || ch == '\\') o += '\\';
        o += ch;
    }
    return o + "\"";
}
// A label for enhanced text: '_' stays an underscore (not a subscript).
std::string lab(const std::string& s) {
    std::string o = "\"";
    for (char ch : s) {
        if (ch == '_') o += "\\\\_";
        else if (ch == '"' || ch == '\\') o += std::string("\\") + ch;
        else o += ch;
    }
    return o + "\"";
}

struct Fig;
void finish(Fig& f, std::ostringstream& body, const std::string& note, const std::string& suffix);
struct Fig {
    std::string name, title;
    int w = 640, h = 460;
    std::string data;  // <name>.dat
    std::string body;  // gnuplot commands drawing the figure
};

// The second line of a figure's title: the values held fixed and the number of seeds.
void finish(Fig& f, std::ostringstream& body, const std::string& note, const std::string& suffix) {
    std::string line2 = note.empty() ? "" : "at " + note;
    if (!suffix.empty()) line2 += (line2.empty() ? "" : "; ") + suffix.substr(2);
    f.title += line2.empty() ? "" : " (" + line2 + ")";
    std::string esc;  // as lab() writes it, after a line break
    for (char ch : line2) esc += ch == '_' ? std::string("\\\\_") : std::string(1, ch);
    std::string b = body.str();
    const std::string rep = line2.empty() ? "" : "\\n" + esc;
    for (auto at = b.find("@SEEDS@"); at != std::string::npos; at = b.find("@SEEDS@")) b.replace(at, 7, rep);
    f.body = b;
}

class Writer {
public:
    Writer(std::string dir, std::string src, bool run) : dir_(std::move(dir)), src_(std::move(src)), run_(run) {}
    void write(const Fig& f, PlotReport& rep) {
        std::ofstream(dir_ + "/" + f.name + ".dat") << "# " << f.title << "\n# written by alignsim plot from " << src_
                                                    << "\n" << f.data;
        std::ostringstream gp;
        gp << "# " << f.title << "\n# written by alignsim plot from " << src_
           << "; run `gnuplot " << f.name << ".gp` in this directory to redraw " << f.name << ".svg and " << f.name
           << ".png\n"
           << "do for [fmt in \"svg png\"] {\n"
           << "  if (fmt eq \"svg\") { set terminal svg size " << f.w << "," << f.h
           << " dynamic enhanced font \"Helvetica,13\" background rgb \"white\"; set output " << q(f.name + ".svg")
           << " } else { set terminal pngcairo size " << f.w << "," << f.h
           << " enhanced font \"Helvetica,11\" background rgb \"white\"; set output " << q(f.name + ".png") << " }\n"
           << "  reset\n  set datafile missing \"?\"\n  set grid lc rgb \"#dddddd\"\n  set key samplen 2 spacing 1.1\n"
           << f.body << "  set output\n}\n";
        std::ofstream(dir_ + "/" + f.name + ".gp") << gp.str();
        rep.drawn.push_back(f.name);
        if (!run_ || missing_) return;
        const int rc = gnuplot(f.name + ".gp");
        if (rc == 127) {
            missing_ = true;
            rep.images = false;
            rep.notes.push_back("gnuplot was not found: wrote the .dat and .gp files only");
            return;
        }
        if (rc != 0) {
            std::ifstream in(dir_ + "/gnuplot.log");
            std::string first;
            std::string line;
            while (std::getline(in, line))
                if (!line.empty()) {
                    first = line;
                    break;
                }
            throw std::runtime_error("gnuplot failed on '" + dir_ + "/" + f.name + ".gp'" + (first.empty() ? "" : ": " + first));
        }
        fs::remove(dir_ + "/gnuplot.log");
    }

private:
    int gnuplot(const std::string& script) {
        std::fflush(nullptr);
        const pid_t pid = ::fork();
        if (pid < 0) throw std::runtime_error("cannot start gnuplot: fork failed");
        if (pid == 0) {
            if (::chdir(dir_.c_str()) != 0) ::_exit(126);
            std::FILE* log = std::freopen("gnuplot.log", "w", stderr);
            (void)log;
            std::freopen("/dev/null", "w", stdout);
            ::execlp("gnuplot", "gnuplot", script.c_str(), static_cast<char*>(nullptr));
            ::_exit(127);
        }
        int st = 0;
        while (::waitpid(pid, &st, 0) < 0) {
        }
        return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
    }
    std::string dir_, src_;
    bool run_, missing_ = false;
};

std::vector<std::size_t> all_ok(const Data& d) {
    std::vector<std::size_t> ids;
    for (std::size_t i = 0; i < d.cells.size(); ++i)
        if (d.ok[i]) ids.push_back(i);
    return ids;
}

template <class F>
std::vector<std::size_t> where(const Data& d, const std::vector<std::size_t>& ids, F pred) {
    std::vector<std::size_t> out;
    for (auto id : ids)
        if (pred(d.cfg(id))) out.push_back(id);
    return out;
}


// R^2 of a target from all of x1: what any representation of x1 could keep.
double oracle_r2(const Config& c, const std::string& target) {
    const theory::Model m = theory::make_model(data_spec(c));
    const theory::Moments mo = theory::moments(m);
    return theory::r2_target(m, mo, 1, theory::Mat(), theory::target_index(target));
}

// --- information kept versus redundancy, one panel per objective
bool fig_redundancy(const Data& d, Fig& f, std::string& why) {
    auto ids = where(d, all_ok(d), [](const Config& c) {
        return c.s("data.kind") == "linear" && c.s("objective.task") == "none" && c.s("objective.alignment") != "none";
    });
    std::string note;
    ids = hold_fixed(d, ids, {"data.redundancy", "objective.alignment"}, note);
    const auto rhos = distinct(d, ids, "data.redundancy");
    if (rhos.size() < 2) {
        why = "no alignment-only cells on linear data at two or more values of data.redundancy";
        return false;
    }
    const auto objs = distinct_s(d, ids, "objective.alignment");
    f.name = "redundancy";
    f.title = "Information about y_mix kept by z1 versus redundancy, per objective";
    std::tie(f.w, f.h) = size_for(objs.size());
    std::ostringstream data, body;
    body << "  set multiplot layout " << layout(objs.size()) << " title " << lab(f.title + "@SEEDS@") << " font \",13\"\n";
    int seeds = 0;
    for (std::size_t pi = 0; pi < objs.size(); ++pi) {
        data << (pi ? "\n\n" : "") << "# objective " << objs[pi]
             << "\n# rho learned_mean learned_sd n analytic oracle learned_y_shared learned_y1\n";
        bool has_an = false;
        for (double rho : rhos) {
            std::vector<double> l, a, ls, l1;
            const Config* any = nullptr;
            for (auto id : ids)
                if (d.cfg(id).s("objective.alignment") == objs[pi] && d.cfg(id).f("data.redundancy") == rho) {
                    l.push_back(d.L(id, "y_mix"));
                    a.push_back(d.A(id, "y_mix"));
                    ls.push_back(d.L(id, "y_shared"));
                    l1.push_back(d.L(id, "y1"));
                    any = &d.cfg(id);
                }
            if (!any) continue;
            const Stats sl = stats(l), sa = stats(a);
            seeds = std::max(seeds, sl.n);
            has_an |= sa.n > 0;
            data << num(rho) << " " << num(sl.mean) << " " << num(sl.sd) << " " << sl.n << " " << num(sa.mean) << " "
                 << num(oracle_r2(*any, "y_mix")) << " " << num(stats(ls).mean) << " " << num(stats(l1).mean) << "\n";
        }
        const std::string col = color_of(objs[pi]);
        body << "  set title " << lab(objs[pi] + (objs[pi] == "infonce" ? " (analytic: the cca optimum)" : "")) << "\n"
             << "  set xlabel \"redundancy ρ\"\n  set ylabel \"R^2(y\\\\_mix | z1)\"\n"
             << "  set xrange [-0.05:1.05]\n  set yrange [-0.02:1.0]\n  set key top left\n"
             << "  plot \"redundancy.dat\" index " << pi
             << " using 1:6 with lines dt 2 lw 1.5 lc rgb \"black\" title \"all of x1 (oracle)\"";
        if (has_an)
            body << ", '' index " << pi << " using 1:5 with lines lw 2 lc rgb " << lab(col) << " title \"analytic optimum\"";
        body << ", '' index " << pi << " using 1:2:3 with yerrorbars pt 7 ps 0.8 lc rgb " << lab(col)
             << " title \"learned\"\n";
    }
    body << "  unset multiplot\n";
    finish(f, body, note, ", learned mean ± sd over " + std::to_string(seeds) + " seeds");
    f.data = data.str();
    return true;
}

// --- the lambda trade-off: R^2 of the task target versus lambda, and the Pareto front
bool fig_tradeoff(const Data& d, Fig& f, std::string& why, std::vector<std::string>& notes) {
    auto ids = where(d, all_ok(d), [](const Config& c) {
        return c.s("data.kind") == "linear" && c.s("objective.task") != "none" && c.s("objective.alignment") != "none" &&
               c.f("objective.lambda") > 0;
    });
    std::string note;
    ids = hold_fixed(d, ids, {"objective.lambda", "objective.alignment"}, note);
    const auto lams = distinct(d, ids, "objective.lambda");
    if (lams.size() < 2) {
        why = "no cells with a task on linear data at two or more positive values of objective.lambda";
        return false;
    }
    const auto objs = distinct_s(d, ids, "objective.alignment");
    const std::string task = d.cfg(ids.front()).s("objective.task");
    f.name = "tradeoff";
    f.title = "Task " + task + " + λ × alignment: what z1 keeps of " + task;
    std::ostringstream data, body;
    // learned, per objective: lambda mean sd n analytic align_mean align_sd
    int seeds = 0;
    for (std::size_t oi = 0; oi < objs.size(); ++oi) {
        data << (oi ? "\n\n" : "") << "# objective " << objs[oi]
             << "\n# lambda learned_mean learned_sd n analytic alignment_loss_mean alignment_loss_sd\n";
        for (double lam : lams) {
            std::vector<double> l, a, al;
            for (auto id : ids)
                if (d.cfg(id).s("objective.alignment") == objs[oi] && d.cfg(id).f("objective.lambda") == lam) {
                    l.push_back(d.L(id, task));
                    a.push_back(d.akind[id] == "tradeoff" ? d.A(id, task) : std::nan(""));
                    al.push_back(d.align_loss[id]);
                }
            if (l.empty()) continue;
            const Stats sl = stats(l), sa = stats(a), sal = stats(al);
            seeds = std::max(seeds, sl.n);
            data << num(lam) << " " << num(sl.mean) << " " << num(sl.sd) << " " << sl.n << " " << num(sa.mean) << " "
                 << num(sal.mean) << " " << num(sal.sd) << "\n";
        }
    }
    // the analytic curve of regression alignment (spec section 5), dense in lambda
    const auto reg = std::find(objs.begin(), objs.end(), "regression");
    bool dense = false;
    const std::size_t dense_index = objs.size();
    if (reg != objs.end()) {
        try {
            const Config* c = nullptr;
            for (auto id : ids)
                if (d.cfg(id).s("objective.alignment") == "regression") {
                    c = &d.cfg(id);
                    break;
                }
            const theory::Model m = theory::make_model(data_spec(*c));
            const theory::Moments mo = theory::moments(m);
            const int p = static_cast<int>(c->i("model.dim"));
            const theory::Mat W2 = theory::target_encoder(
                mo, p, c->s("objective.target_encoder"),
                ad::derive_seed(static_cast<std::uint64_t>(c->i("data.seed")), "target_encoder"));
            const auto curve = theory::tradeoff_curve(mo, W2, theory::target_index(task), lams.front() / 10,
                                                      lams.back() * 10, 60);
            data << "\n\n# analytic trade-off of regression alignment\n# lambda r2 alignment_loss\n";
            for (const auto& pt : curve) data << num(pt.lambda) << " " << num(pt.r2) << " " << num(pt.alignment_loss) << "\n";
            dense = true;
        } catch (const std::exception& e) {
            notes.push_back(std::string("tradeoff: no analytic curve (") + e.what() + ")");
        }
    }
    const std::size_t panels = dense ? 2 : 1;
    std::tie(f.w, f.h) = size_for(panels);
    body << "  set multiplot layout 1," << panels << " title " << lab(f.title + "@SEEDS@") << " font \",13\"\n"
         << "  set title " << lab("R^2(" + task + " | z1) versus λ") << "\n  set logscale x\n  set format x \"10^{%L}\"\n"
         << "  set xlabel \"λ (weight of the alignment loss)\"\n  set ylabel " << lab("R^2(" + task + " | z1)")
         << "\n  set yrange [-0.02:1.0]\n  set key bottom left\n  plot ";
    std::string sep;
    if (dense) {
        body << "\"tradeoff.dat\" index " << dense_index
             << " using 1:2 with lines lw 2 lc rgb \"#ff7f0e\" title \"analytic (regression)\"";
        sep = ", ";
    }
    for (std::size_t oi = 0; oi < objs.size(); ++oi) {
        body << sep << "\"tradeoff.dat\" index " << oi << " using 1:2:3 with yerrorbars pt 7 ps 0.8 lc rgb "
             << lab(color_of(objs[oi])) << " title " << lab("learned, " + objs[oi]);
        sep = ", ";
    }
    body << "\n";
    if (dense) {
        const std::size_t ri = static_cast<std::size_t>(reg - objs.begin());
        body << "  unset logscale x\n  set format x \"%g\"\n  set title \"Pareto front (regression alignment)\"\n"
             << "  set xlabel \"alignment loss E‖z1 − W2 x2‖^2\"\n  set key bottom right\n"
             << "  plot \"tradeoff.dat\" index " << dense_index
             << " using 3:2 with lines lw 2 lc rgb \"#ff7f0e\" title \"analytic front\", "
             << "\"tradeoff.dat\" index " << ri
             << " using 6:2:7:3 with xyerrorbars pt 7 ps 0.8 lc rgb \"#ff7f0e\" title \"learned (test set)\"\n";
    }
    body << "  unset multiplot\n";
    finish(f, body, note, ", learned mean ± sd over " + std::to_string(seeds) + " seeds");
    f.data = data.str();
    return true;
}

// --- learned versus analytic over every cell with a closed-form prediction
bool fig_scatter(const Data& d, Fig& f, std::string& why, std::vector<std::string>& notes) {
    std::vector<std::size_t> ids;
    std::size_t left_out = 0;
    for (auto id : all_ok(d)) {
        const Config& c = d.cfg(id);
        if (c.s("data.kind") != "linear" || d.akind[id].empty()) continue;
        const bool prediction =
            d.akind[id] == "tradeoff" ||
            (d.akind[id] == "aligned" && c.s("objective.task") == "none" &&
             (c.s("objective.alignment") == "regression" || c.i("model.dim") == c.i("data.k_shared")));
        if (prediction) ids.push_back(id);
        else ++left_out;
    }
    if (ids.empty()) {
        why = "no cells with an analytic prediction";
        return false;
    }
    if (left_out)
        notes.push_back("learned_vs_analytic: " + std::to_string(left_out) +
                        " cells left out, where the analytic optimum is not what training must reach "
                        "(a task with non-regression alignment, or model.dim != data.k_shared where the optimum is not unique)");
    std::ostringstream data, body;
    double dev = 0, maxdev = 0;
    std::size_t n = 0;
    for (std::size_t ni = 0; ni < result_names().size(); ++ni) {
        const std::string& name = result_names()[ni];
        data << (ni ? "\n\n" : "") << "# " << name << "\n# analytic learned rep cell\n";
        for (auto id : ids)
            for (bool z2 : {false, true}) {
                const double a = d.A(id, name, z2), l = d.L(id, name, z2);
                if (!std::isfinite(a) || !std::isfinite(l)) continue;
                data << num(a) << " " << num(l) << " " << (z2 ? "z2" : "z1") << " " << id << "\n";
                dev += std::abs(l - a);
                maxdev = std::max(maxdev, std::abs(l - a));
                ++n;
            }
    }
    char buf[200];
    std::snprintf(buf, sizeof buf, "Learned versus analytic R^2, %zu cells, z1 and z2 (mean |difference| %.3f, max %.3f)",
                  ids.size(), n ? dev / static_cast<double>(n) : 0.0, maxdev);
    f.name = "learned_vs_analytic";
    f.title = buf;
    f.w = 680;
    f.h = 600;
    body << "  set title " << lab(f.title + "@SEEDS@") << "\n  set xlabel \"analytic R^2\"\n  set ylabel \"learned R^2 (probe on the test set)\"\n"
         << "  set xrange [-0.05:1.0]\n  set yrange [-0.05:1.0]\n  set size square\n  set key top left\n"
         << "  plot x with lines dt 2 lc rgb \"black\" title \"learned = analytic\"";
    for (std::size_t ni = 0; ni < result_names().size(); ++ni)
        body << ", \"learned_vs_analytic.dat\" index " << ni << " using 1:2 with points pt " << (ni < 4 ? 7 : 5)
             << " ps 0.7 lc rgb " << lab(color_of(result_names()[ni])) << " title " << lab(result_names()[ni]);
    body << "\n";
    f.data = data.str();
    finish(f, body, "", "");
    return true;
}

// --- the nonlinear experiment: what MLP encoders keep as lambda (or redundancy) varies
bool fig_nonlinear(const Data& d, Fig& f, std::string& why) {
    auto ids = where(d, all_ok(d), [](const Config& c) { return c.s("data.kind") == "nonlinear"; });
    if (ids.empty()) {
        why = "no nonlinear cells";
        return false;
    }
    std::string xkey, pkey;
    {
        std::string n1;
        auto t = hold_fixed(d, ids, {"objective.lambda", "data.redundancy"}, n1);
        const bool lam = distinct(d, t, "objective.lambda").size() >= 2, red = distinct(d, t, "data.redundancy").size() >= 2;
        if (lam) {
            xkey = "objective.lambda";
            if (red) pkey = "data.redundancy";
        } else if (red) xkey = "data.redundancy";
    }
    if (xkey.empty()) {
        why = "nonlinear cells vary neither objective.lambda nor data.redundancy";
        return false;
    }
    std::string note;
    std::set<std::string> free{xkey};
    if (!pkey.empty()) free.insert(pkey);
    ids = hold_fixed(d, ids, free, note);
    const auto xs = distinct(d, ids, xkey);
    std::vector<double> ps = pkey.empty() ? std::vector<double>{NAN} : distinct(d, ids, pkey);
    const bool logx = xkey == "objective.lambda" && xs.front() > 0;
    const std::vector<std::string> series{"s", "u1", "y_shared", "y1", "y_mix"};
    const Config& c0 = d.cfg(ids.front());
    f.name = "nonlinear";
    f.title = "Nonlinear data, " + c0.s("model.encoder") + " encoders, " + c0.s("objective.alignment") +
              (c0.s("objective.task") != "none" ? " + task " + c0.s("objective.task") : std::string());
    std::tie(f.w, f.h) = size_for(ps.size());
    std::ostringstream data, body;
    body << "  set multiplot layout " << layout(ps.size()) << " title " << lab(f.title + "@SEEDS@") << " font \",13\"\n";
    std::size_t index = 0;
    int seeds = 0;
    for (double pv : ps) {
        const std::size_t first = index;
        for (const auto& s : series) {
            data << (index ? "\n\n" : "") << "# " << (pkey.empty() ? "" : pkey + "=" + num(pv) + " ") << s << "\n# "
                 << xkey << " learned_mean learned_sd n\n";
            for (double x : xs) {
                std::vector<double> l;
                for (auto id : ids)
                    if (d.cfg(id).f(xkey) == x && (pkey.empty() || d.cfg(id).f(pkey) == pv)) l.push_back(d.L(id, s));
                if (l.empty()) continue;
                const Stats st = stats(l);
                seeds = std::max(seeds, st.n);
                data << num(x) << " " << num(st.mean) << " " << num(st.sd) << " " << st.n << "\n";
            }
            ++index;
        }
        body << "  set title " << lab(pkey.empty() ? std::string("R^2 of probes on z1") : pkey + " = " + num(pv)) << "\n"
             << (logx ? "  set logscale x\n  set format x \"10^{%L}\"\n" : "") << "  set xlabel " << lab(xkey == "objective.lambda" ? "λ (weight of the alignment loss)" : "redundancy ρ")
             << "\n  set ylabel \"R^2(· | z1)\"\n  set yrange [-0.02:1.0]\n  set key top right\n  plot ";
        for (std::size_t si = 0; si < series.size(); ++si)
            body << (si ? ", " : "") << "\"nonlinear.dat\" index " << first + si << " using 1:2:3 with yerrorlines pt "
                 << (si < 2 ? 5 : 7) << " ps 0.8 lw 1.5 lc rgb " << lab(color_of(series[si])) << " title " << lab(series[si]);
        body << "\n";
    }
    body << "  unset multiplot\n";
    finish(f, body, note, ", mean ± sd over " + std::to_string(seeds) + " seeds");
    f.data = data.str();
    return true;
}

// --- capacity: model.dim below, at and above k_shared, with and without weight decay
bool fig_capacity(const Data& d, Fig& f, std::string& why) {
    auto ids = where(d, all_ok(d), [](const Config& c) {
        return c.s("data.kind") == "linear" && c.s("objective.task") == "none" && c.s("objective.alignment") != "none";
    });
    std::string note;
    ids = hold_fixed(d, ids, {"model.dim", "train.weight_decay", "objective.alignment"}, note);
    const auto dims = distinct(d, ids, "model.dim");
    if (dims.size() < 2) {
        why = "no alignment-only cells on linear data at two or more values of model.dim";
        return false;
    }
    const auto objs = distinct_s(d, ids, "objective.alignment");
    const auto wds = distinct(d, ids, "train.weight_decay");
    const double ks = d.cfg(ids.front()).f("data.k_shared");
    f.name = "capacity";
    f.title = "Capacity: what z1 keeps of s and u1 as model.dim crosses k_shared = " + num(ks);
    std::tie(f.w, f.h) = size_for(objs.size());
    std::ostringstream data, body;
    body << "  set multiplot layout " << layout(objs.size()) << " title " << lab(f.title + "@SEEDS@") << " font \",13\"\n";
    std::size_t index = 0;
    int seeds = 0;
    for (const auto& o : objs) {
        // per weight decay: dim s_mean s_sd u1_mean u1_sd; then the analytic s, u1
        std::vector<std::size_t> idx;
        for (double wd : wds) {
            data << (index ? "\n\n" : "") << "# " << o << " weight_decay=" << num(wd) << "\n# dim s_mean s_sd u1_mean u1_sd n\n";
            for (double p : dims) {
                std::vector<double> s, u;
                for (auto id : ids)
                    if (d.cfg(id).s("objective.alignment") == o && d.cfg(id).f("train.weight_decay") == wd &&
                        d.cfg(id).f("model.dim") == p) {
                        s.push_back(d.L(id, "s"));
                        u.push_back(d.L(id, "u1"));
                    }
                if (s.empty()) continue;
                const Stats ss = stats(s), su = stats(u);
                seeds = std::max(seeds, ss.n);
                data << num(p) << " " << num(ss.mean) << " " << num(ss.sd) << " " << num(su.mean) << " " << num(su.sd)
                     << " " << ss.n << "\n";
            }
            idx.push_back(index++);
        }
        data << "\n\n# " << o << " analytic (minimum-norm optimum)\n# dim s u1\n";
        for (double p : dims) {
            std::vector<double> s, u;
            for (auto id : ids)
                if (d.cfg(id).s("objective.alignment") == o && d.cfg(id).f("model.dim") == p) {
                    s.push_back(d.A(id, "s"));
                    u.push_back(d.A(id, "u1"));
                }
            data << num(p) << " " << num(stats(s).mean) << " " << num(stats(u).mean) << "\n";
        }
        const std::size_t an = index++;
        body << "  set title " << lab(o) << "\n  set xlabel \"model.dim (p)\"\n  set ylabel \"R^2(block | z1), mean over the block\"\n"
             << "  set xrange [" << num(dims.front() - 0.3) << ":" << num(dims.back() + 0.3) << "]\n  set yrange [-0.02:1.0]\n"
             << "  set xtics 1\n  unset arrow\n  set arrow from " << num(ks) << ", graph 0 to " << num(ks)
             << ", graph 1 nohead dt 3 lc rgb \"gray\"\n  set key below maxrows 2 width -2\n  plot ";
        body << "\"capacity.dat\" index " << an << " using 1:2 with lines lw 2 lc rgb \"#2ca02c\" title \"s, analytic\", "
             << "\"capacity.dat\" index " << an << " using 1:3 with lines lw 2 lc rgb \"#d62728\" title \"u1, analytic\"";
        for (std::size_t wi = 0; wi < wds.size(); ++wi) {
            const std::string what = wds[wi] == 0 ? "no weight decay" : "weight decay " + num(wds[wi]);
            const int pt = wi == 0 ? 7 : 4;
            body << ", \"capacity.dat\" index " << idx[wi] << " using ($1-0.08+0.16*" << wi
                 << "):2:3 with yerrorbars pt " << pt << " ps 0.9 lc rgb \"#2ca02c\" title " << lab("s, " + what)
                 << ", \"capacity.dat\" index " << idx[wi] << " using ($1-0.08+0.16*" << wi
                 << "):4:5 with yerrorbars pt " << pt << " ps 0.9 lc rgb \"#d62728\" title " << lab("u1, " + what);
        }
        body << "\n";
    }
    body << "  unset multiplot\n";
    finish(f, body, note, ", learned mean ± sd over " + std::to_string(seeds) + " seeds");
    f.data = data.str();
    return true;
}

}  // namespace

const std::vector<std::string>& figure_names() {
    static const std::vector<std::string> n{"redundancy", "tradeoff", "learned_vs_analytic", "nonlinear", "capacity"};
    return n;
}

PlotReport make_figures(const std::string& dir, const std::string& fig_dir, bool run_gnuplot) {
    const Data d = load(dir);
    std::error_code ec;
    fs::create_directories(fig_dir, ec);
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
    for (const auto& name : figure_names()) {
        Fig f;
        std::string why;
        bool made = false;
        if (name == "redundancy") made = fig_redundancy(d, f, why);
        else if (name == "tradeoff") made = fig_tradeoff(d, f, why, rep.notes);
        else if (name == "learned_vs_analytic") made = fig_scatter(d, f, why, rep.notes);
        else if (name == "nonlinear") made = fig_nonlinear(d, f, why);
        else if (name == "capacity") made = fig_capacity(d, f, why);
        if (made) w.write(f, rep);
        else rep.notes.push_back(name + ": skipped, " + why);
    }
    return rep;
}

}  // namespace sim
