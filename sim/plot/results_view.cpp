// The results of a sweep directory as `alignsim plot`'s figures see them (figure.hpp).
#include <algorithm>
#include <cstdlib>
#include <cerrno>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "sim/plot/figure.hpp"
#include "sim/sweep/history.hpp"
#include "sim/sweep/sweep.hpp"
#include "theory/closed_forms.hpp"
#include "theory/model.hpp"
#include "sim/io/files.hpp"
#include "sim/io/owned_dir.hpp"
#include "sim/sweep/manifest.hpp"

namespace sim::figures {

namespace fs = std::filesystem;

int slot_of(const std::string& name, bool z2) {
    const auto& n = result_names();
    for (std::size_t i = 0; i < n.size(); ++i)
        if (n[i] == name) return static_cast<int>(2 * i + (z2 ? 1 : 0));
    throw std::logic_error("unknown result name " + name);
}

// A malformed results directory is bad input (exit 2), named in one line.
Data load(const std::string& dir) {
    const std::string mpath = dir + "/" + kManifestFile, rpath = dir + "/" + kResultsFile;
    if (!fs::exists(mpath)) throw ConfigError("'" + dir + "' is not a sweep results directory (no manifest.json)");
    std::string kind;
    try {
        kind = dir_kind(dir);
    } catch (const BadInput& e) {
        throw ConfigError(e.what());
    }
    if (kind != kKindSweep)
        throw ConfigError("'" + printable(dir, 100) + "' is " + kind_phrase(kind) + " (its manifest.json says so), not a sweep results directory");
    const nlohmann::json m = read_sweep_manifest(mpath);  // every field checked first
    if (!fs::exists(rpath)) throw ConfigError("'" + dir + "' has no results.csv");
    Data d;
    try {
        d.spec = sweep_spec_from_definition(m);
        d.cells = expand(d.spec);
    } catch (const std::exception& e) {
        throw ConfigError("cannot read the sweep definition in '" + mpath + "': " + e.what());
    }
    if (m.contains("cells") && m["cells"] != d.cells.size())
        throw ConfigError("'" + mpath + "': key 'cells' is " + printable(m["cells"].dump(), 40) + " but its grid has " +
                          std::to_string(d.cells.size()) + " cells (the manifest was altered)");
    d.keys = result_keys(d.spec);
    const std::size_t n = d.cells.size();
    d.present.assign(n, 0);
    d.ok.assign(n, 0);
    std::array<double, kSlots> nan;
    nan.fill(std::nan(""));
    d.learned.assign(n, nan);
    d.analytic.assign(n, nan);
    d.learned_nl.assign(n, nan);
    d.analytic_nl.assign(n, nan);
    d.rows.assign(n, {});
    d.align_loss.assign(n, std::nan(""));
    d.akind.assign(n, "");
    d.status.assign(n, "");
    d.gap.assign(n, std::nan(""));
    d.history.assign(n, {});
    CsvTable t;
    try {
        t = read_csv(rpath);
    } catch (const std::exception& e) {
        throw ConfigError(e.what());
    }
    const int c_cell = t.col("cell"), c_name = t.col("name"), c_rep = t.col("rep"), c_l = t.col("learned_r2"),
              c_a = t.col("analytic_r2"), c_s = t.col("status"), c_al = t.col("alignment_loss"),
              c_k = t.col("analytic_kind");
    // probe and metric: absent from the results of alignsim before 0.2, whose rows are all R^2 of
    // the linear probe; objective_gap: absent before issue 8
    const int c_probe = t.col("probe"), c_metric = t.col("metric"), c_gap = t.col("objective_gap");
    for (int c : {c_cell, c_name, c_rep, c_l, c_a, c_s, c_al, c_k})
        if (c < 0) throw ConfigError("'" + rpath + "' lacks a column alignsim plot needs");
    const auto& names = result_names();
    std::size_t row = 0;
    for (const auto& r : t.rows) {
        ++row;
        auto bad = [&](const std::string& what) {
            return ConfigError("'" + rpath + "', row " + std::to_string(row) + ": " + what);
        };
        const std::string& cell = r[c_cell];
        char* end = nullptr;
        errno = 0;
        const unsigned long long v = std::strtoull(cell.c_str(), &end, 10);
        if (cell.empty() || !std::isdigit(static_cast<unsigned char>(cell[0])) || *end || errno)
            throw bad("cell '" + cell + "' is not a cell number");
        if (v >= n) throw bad("cell " + cell + " is outside the grid of its manifest (" + std::to_string(n) + " cells)");
        const std::size_t id = static_cast<std::size_t>(v);
        d.present[id] = 1;
        d.ok[id] = r[c_s] == "ok";
        d.status[id] = r[c_s];
        if (c_gap >= 0) d.gap[id] = parse_num(r[c_gap]);
        const std::string probe = c_probe < 0 ? "linear" : r[c_probe], metric = c_metric < 0 ? "r2" : r[c_metric];
        double lv = 0, av = 0;
        try {
            lv = parse_num(r[c_l]);
            av = parse_num(r[c_a]);
            d.align_loss[id] = parse_num(r[c_al]);
        } catch (const std::exception& e) {
            throw bad(e.what());
        }
        d.rows[id][metric + "/" + probe + "/" + r[c_rep] + "/" + r[c_name]] = {lv, av};
        if (metric == "r2" && (r[c_rep] == "z1" || r[c_rep] == "z2")) {
            if (std::find(names.begin(), names.end(), r[c_name]) == names.end())
                throw bad("no result '" + r[c_name] + "' of representation '" + r[c_rep] + "'");
            const int s = slot_of(r[c_name], r[c_rep] == "z2");
            if (probe == "linear") {
                d.learned[id][s] = lv;
                d.analytic[id][s] = av;
            } else if (probe == "nonlinear") {
                d.learned_nl[id][s] = lv;
                d.analytic_nl[id][s] = av;
            }
        }
        d.akind[id] = r[c_k];
    }
    for (std::size_t i = 0; i < n; ++i) {
        d.not_ok += d.present[i] && !d.ok[i];
        d.not_converged += d.present[i] && d.status[i] == "not_converged";
    }
    // history.csv: whole lines (a sweep in progress, or cut short, may have a half-written last
    // line) of cells results.csv holds
    std::string text;
    if (read_file(dir + "/" + kHistoryFile, text)) {
        std::vector<std::string> lines;
        for (std::size_t pos = 0, nl; (nl = text.find('\n', pos)) != std::string::npos; pos = nl + 1)
            lines.push_back(text.substr(pos, nl - pos));
        std::vector<std::string> head;
        try {
            if (!lines.empty()) head = csv_split(lines[0]);
        } catch (const std::exception&) {
        }
        auto hcol = [&](const char* name) {
            for (std::size_t i = 0; i < head.size(); ++i)
                if (head[i] == name) return i;
            return head.size();
        };
        const std::size_t h_cell = hcol("cell"), h_step = hcol("step"), h_evals = hcol("evals"), h_loss = hcol("loss"),
                          h_obj = hcol("objective"), h_gap = hcol("gap");
        d.have_history = std::max({h_cell, h_step, h_evals, h_loss, h_obj, h_gap}) < head.size();
        for (std::size_t li = 1; d.have_history && li < lines.size(); ++li) {
            try {
                const auto f = csv_split(lines[li]);
                if (f.size() != head.size()) continue;
                const std::size_t id = std::stoul(f[h_cell]);
                if (id >= n || !d.present[id]) continue;
                HistoryPoint p;
                p.step = std::stol(f[h_step]);
                p.evals = std::stol(f[h_evals]);
                p.loss = parse_num(f[h_loss]);
                p.objective = parse_num(f[h_obj]);
                p.gap = parse_num(f[h_gap]);
                d.history[id].push_back(p);
            } catch (const std::exception&) {  // not a row: skipped
            }
        }
    }
    return d;
}

std::size_t not_converged_like(const Data& d, const std::function<bool(const Config&)>& pred, std::size_t like,
                               const std::set<std::string>& free) {
    std::size_t n = 0;
    const Config& ref = d.cfg(like);
    for (std::size_t id = 0; id < d.cells.size(); ++id) {
        if (d.status[id] != "not_converged" || !pred(d.cfg(id))) continue;
        n += same_except(d.cfg(id), ref, free);
    }
    return n;
}

std::string not_converged_suffix(std::size_t n) {
    if (n == 0) return "";
    return "; " + std::to_string(n) + (n == 1 ? " cell" : " cells") + " not converged, left out";
}

void note_not_converged(std::vector<std::string>& notes, const std::string& figure, std::size_t n) {
    if (n == 0) return;
    notes.push_back(figure + ": " + std::to_string(n) + " not_converged " + (n == 1 ? "cell" : "cells") +
                    " left out (the objective gap to the closed-form optimum exceeded train.tolerance)");
}

double Data::value(std::size_t id, const std::string& metric, const std::string& probe, const std::string& rep,
                   const std::string& name, bool analytic_value) const {
    const auto it = rows[id].find(metric + "/" + probe + "/" + rep + "/" + name);
    if (it == rows[id].end()) return std::nan("");
    return analytic_value ? it->second.second : it->second.first;
}

std::vector<std::size_t> all_ok(const Data& d) {
    std::vector<std::size_t> ids;
    for (std::size_t i = 0; i < d.cells.size(); ++i)
        if (d.ok[i]) ids.push_back(i);
    return ids;
}

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

std::string text_of(const Config& c, const std::string& key) { return value_text(c.get(key)); }

bool same_except(const Config& a, const Config& b, const std::set<std::string>& free) {
    for (const auto& [k, v] : a.values()) {
        (void)v;
        if (free.count(k) || k == "train.seed") continue;
        if (text_of(a, k) != text_of(b, k)) return false;
    }
    return true;
}

// Cells where every key outside `free` has one value: where a key varies, the most common value
// is kept and named in the note. eval.nonlinear_probe is never held: it decides which rows a cell
// has (the nonlinear probe's), not what it learns, and a cell without them reads NaN there.
std::vector<std::size_t> hold_fixed(const Data& d, std::vector<std::size_t> ids, const std::set<std::string>& free,
                                    std::string& note) {
    if (ids.empty()) return ids;
    for (const auto& [k, v0] : d.cfg(ids.front()).values()) {
        (void)v0;
        if (free.count(k) || k == "train.seed" || k == "eval.nonlinear_probe") continue;
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

// R^2 of a target from all of x1: what any representation of x1 could keep.
double oracle_r2(const Config& c, const std::string& target) {
    const theory::Model m = theory::make_model(data_spec(c));
    const theory::Moments mo = theory::moments(m);
    return theory::r2_target(m, mo, 1, theory::Mat(), theory::target_index(target));
}

bool analytic_is_reached(const Data& d, std::size_t id) {
    const Config& c = d.cfg(id);
    if (c.s("data.kind") != "linear") return false;
    if (d.akind[id] == "tradeoff" || d.akind[id] == "unconstrained") return true;
    return d.akind[id] == "aligned" && c.s("objective.task") == "none" &&
           (c.s("objective.alignment") == "regression" || c.i("model.dim") == c.i("data.k_shared"));
}

}  // namespace sim::figures
