// The results of a sweep directory as `alignsim plot`'s figures see them (figure.hpp).
#include <algorithm>
#include <cstdlib>
#include <cerrno>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
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

namespace {

nlohmann::json read_manifest(const std::string& dir, const std::string& mpath) {
    if (!fs::exists(mpath)) throw ConfigError("'" + dir + "' is not a sweep results directory (no manifest.json)");
    std::string kind;
    try {
        kind = dir_kind(dir);
    } catch (const BadInput& e) {
        throw ConfigError(e.what());
    }
    if (kind != kKindSweep)
        throw ConfigError("'" + printable(dir, 100) + "' is " + kind_phrase(kind) + " (its manifest.json says so), not a sweep results directory");
    return read_sweep_manifest(mpath);  // every field checked first
}

// An empty Data for the grid of manifest m: every cell absent.
Data empty_data(const nlohmann::json& m, const std::string& mpath) {
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
    const std::vector<double> nan(2 * result_names().size(), std::nan(""));
    d.present.assign(n, 0);
    d.ok.assign(n, 0);
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
    return d;
}

// A table file of the directory, validated against its columns (nullopt: no such file).
std::optional<Table> read_dir_table(const std::string& path, const std::vector<ColumnSpec>& schema,
                                    std::vector<std::string>& notes) {
    std::string text;
    try {
        if (!read_file(path, text)) return std::nullopt;
    } catch (const std::exception& e) {
        throw ConfigError(e.what());
    }
    Table t = read_table(path, text, schema);
    if (t.cut_last_line)
        notes.push_back("'" + path + "': line " + std::to_string(t.cut_line) +
                        " is cut short (a sweep killed or still running); read the " + std::to_string(t.rows.size()) +
                        " complete rows before it");
    return t;
}

// One row of results.csv into the cell it belongs to.
void place_result(Data& d, const Table& t, const Table::Row& r) {
    auto at = [&](const char* name) -> const std::string& { return r.fields[static_cast<std::size_t>(t.col(name))]; };
    const std::size_t id = std::stoull(at("cell"));  // an id column: digits only
    if (id >= d.cells.size())
        throw ConfigError(t.path + ":" + std::to_string(r.line) + ": cell " + at("cell") +
                          " is outside the grid of its manifest (" + std::to_string(d.cells.size()) + " cells)");
    const std::string &name = at("name"), &rep = at("rep"), &probe = at("probe"), &metric = at("metric");
    const double lv = parse_num(at("learned_r2")), av = parse_num(at("analytic_r2"));  // number columns: they read
    d.present[id] = 1;
    d.status[id] = at("status");
    d.ok[id] = d.status[id] == "ok";
    d.gap[id] = parse_num(at("objective_gap"));
    d.align_loss[id] = parse_num(at("alignment_loss"));
    d.akind[id] = at("analytic_kind");
    d.rows[id][metric + "/" + probe + "/" + rep + "/" + name] = {lv, av};
    if (metric != "r2" || (rep != "z1" && rep != "z2")) return;
    const auto& names = result_names();
    if (std::find(names.begin(), names.end(), name) == names.end())
        throw ConfigError(t.path + ":" + std::to_string(r.line) + ": no result '" + printable(name, 60) +
                          "' of representation '" + rep + "'");
    const auto s = static_cast<std::size_t>(slot_of(name, rep == "z2"));
    if (probe == "linear") {
        d.learned[id][s] = lv;
        d.analytic[id][s] = av;
    } else if (probe == "nonlinear") {
        d.learned_nl[id][s] = lv;
        d.analytic_nl[id][s] = av;
    }
}

// history.csv: the checkpoints of the cells results.csv holds (a sweep writes a cell's history
// just before its results).
void read_history(Data& d, const std::string& path) {
    const auto t = read_dir_table(path, history_schema(d.keys), d.notes);
    if (!t || t->empty) return;
    d.have_history = true;
    auto c = [&](const char* name) { return static_cast<std::size_t>(t->col(name)); };
    const std::size_t c_cell = c("cell"), c_step = c("step"), c_evals = c("evals"), c_loss = c("loss"),
                      c_obj = c("objective"), c_gap = c("gap");
    for (const auto& r : t->rows) {
        const std::size_t id = std::stoull(r.fields[c_cell]);
        if (id >= d.cells.size() || !d.present[id]) continue;
        HistoryPoint p;
        p.step = r.fields[c_step].empty() ? 0 : std::stol(r.fields[c_step]);
        p.evals = r.fields[c_evals].empty() ? 0 : std::stol(r.fields[c_evals]);
        p.loss = parse_num(r.fields[c_loss]);
        p.objective = parse_num(r.fields[c_obj]);
        p.gap = parse_num(r.fields[c_gap]);
        d.history[id].push_back(p);
    }
}

}  // namespace

// A malformed results directory is bad input (exit 2), named in one line.
Data load(const std::string& dir) {
    const std::string mpath = dir + "/" + kManifestFile, rpath = dir + "/" + kResultsFile;
    const nlohmann::json m = read_manifest(dir, mpath);
    if (!fs::exists(rpath)) throw ConfigError("'" + dir + "' has no results.csv");
    Data d = empty_data(m, mpath);
    const auto t = read_dir_table(rpath, results_schema(d.keys), d.notes);
    if (!t || t->empty) throw ConfigError("'" + rpath + "' is empty (not even its header)");
    for (const auto& r : t->rows) place_result(d, *t, r);
    for (std::size_t i = 0; i < d.cells.size(); ++i) {
        d.not_ok += d.present[i] && !d.ok[i];
        d.not_converged += d.present[i] && d.status[i] == "not_converged";
    }
    read_history(d, dir + "/" + kHistoryFile);
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
