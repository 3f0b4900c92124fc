#include "sim/sweep/results.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace sim {

namespace {

std::string value_text(const Value& v) {
    if (auto d = std::get_if<double>(&v)) return fmt_num(*d);
    return value_to_string(v);
}

}  // namespace

std::vector<std::string> results_header(const std::vector<std::string>& keys) {
    std::vector<std::string> h{"cell", "experiment"};
    h.insert(h.end(), keys.begin(), keys.end());
    for (const char* c : {"seed", "kind", "name", "rep", "learned_r2", "learned_population_r2", "analytic_r2", "analytic_kind", "status", "seconds", "steps",
                          "final_loss", "subspace_distance", "cka", "alignment_loss", "reason"})
        h.emplace_back(c);
    return h;
}

std::string cell_rows(const Cell& cell, const SweepSpec& spec, const std::vector<std::string>& keys,
                      const RunResult& r) {
    std::vector<std::string> head{std::to_string(cell.id), spec.experiments[cell.experiment].name};
    for (const auto& k : keys) head.push_back(value_text(cell.config.get(k)));
    head.push_back(std::to_string(cell.seed));
    char secs[32];
    std::snprintf(secs, sizeof secs, "%.3f", r.seconds);
    std::string text;
    for (std::size_t ni = 0; ni < result_names().size(); ++ni) {
        const std::string& name = result_names()[ni];
        const char* kind = ni < 4 ? "target" : "block";
        const auto l = r.learned_r2.find(name);
        const auto a = r.analytic_r2.find(name);
        const auto lp = r.learned_population_r2.find(name);
        for (int rep = 1; rep <= 2; ++rep) {
            std::vector<std::string> f = head;
            f.push_back(kind);
            f.push_back(name);
            f.push_back(rep == 1 ? "z1" : "z2");
            f.push_back(l == r.learned_r2.end() ? "nan" : fmt_num(rep == 1 ? l->second.z1 : l->second.z2));
            f.push_back(lp == r.learned_population_r2.end() ? "" : fmt_num(rep == 1 ? lp->second.z1 : lp->second.z2));
            f.push_back(a == r.analytic_r2.end() ? "" : fmt_num(rep == 1 ? a->second.z1 : a->second.z2));
            f.push_back(r.analytic_kind);
            f.push_back(r.status);
            f.push_back(secs);
            f.push_back(std::to_string(r.steps));
            f.push_back(fmt_num(r.final_loss));
            f.push_back(r.subspace_distance < 0 ? "" : fmt_num(r.subspace_distance));
            f.push_back(fmt_num(r.cka));
            f.push_back(fmt_num(r.alignment_loss));
            f.push_back(printable(r.reason, 1000));  // one line: results.csv is read line by line
            text += csv_line(f);
        }
    }
    return text;
}

ResumeScan scan_results(const std::string& path, const std::vector<std::string>& header,
                        const std::vector<Cell>& cells, const SweepSpec& spec) {
    ResumeScan scan;
    std::ifstream in(path, std::ios::binary);
    if (!in) return scan;
    scan.exists = true;
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string text = ss.str();
    const std::string want_header = csv_line(header);

    // complete lines only: a last line without '\n' was cut by a kill
    std::vector<std::string> lines;
    std::size_t pos = 0;
    while (pos < text.size()) {
        const auto nl = text.find('\n', pos);
        if (nl == std::string::npos) {
            ++scan.dropped_lines;
            break;
        }
        lines.push_back(text.substr(pos, nl - pos + 1));
        pos = nl + 1;
    }
    if (lines.empty()) {  // empty file, or only a partial header
        scan.sorted_and_clean = false;
        return scan;
    }
    if (lines[0] != want_header)
        throw ConfigError("'" + path + "' has other columns than this sweep's results (made by another config or version)");

    const std::size_t ncols = header.size();
    const int c_exp = 1, c_seed = static_cast<int>(ncols) - 16, c_name = c_seed + 2, c_rep = c_seed + 3;
    const std::size_t nkeys = ncols - 18;
    // columns that hold numbers: a row whose number does not read (a flipped bit, a bad disk) is
    // not a finished cell; it is dropped and its cell runs again
    std::vector<std::size_t> numeric;
    for (std::size_t i = 0; i < ncols; ++i)
        for (const char* n : {"learned_r2", "learned_population_r2", "analytic_r2", "seconds", "steps", "final_loss",
                              "subspace_distance", "cka", "alignment_loss"})
            if (header[i] == n) numeric.push_back(i);
    std::map<std::size_t, std::vector<std::string>> slots;  // id -> 14 lines
    std::vector<std::size_t> order;                          // ids in order of first appearance
    bool clean = scan.dropped_lines == 0;
    for (std::size_t li = 1; li < lines.size(); ++li) {
        const std::string& line = lines[li];
        bool good = true;
        std::size_t id = 0, slot = 0;
        try {
            const auto f = csv_split(line.substr(0, line.size() - 1));
            if (f.size() != ncols) throw std::runtime_error("columns");
            char* end = nullptr;
            const unsigned long long v = std::strtoull(f[0].c_str(), &end, 10);
            if (f[0].empty() || *end) throw std::runtime_error("id");
            id = static_cast<std::size_t>(v);
            if (id >= cells.size()) throw std::runtime_error("id range");
            const Cell& c = cells[id];
            if (f[c_exp] != spec.experiments[c.experiment].name || f[c_seed] != std::to_string(c.seed))
                throw std::runtime_error("cell");
            for (std::size_t k = 0; k < nkeys; ++k)
                if (f[2 + k] != value_text(c.config.get(header[2 + k]))) throw std::runtime_error("key");
            std::size_t ni = 0;
            while (ni < result_names().size() && result_names()[ni] != f[c_name]) ++ni;
            if (ni == result_names().size() || (f[c_rep] != "z1" && f[c_rep] != "z2")) throw std::runtime_error("row");
            for (std::size_t i : numeric) (void)parse_num(f[i]);  // throws if not a number
            slot = 2 * ni + (f[c_rep] == "z2" ? 1 : 0);
        } catch (const std::exception&) {
            good = false;
        }
        if (!good) {
            ++scan.dropped_lines;
            clean = false;
            continue;
        }
        auto& sl = slots[id];
        if (sl.empty()) {
            sl.resize(kRowsPerCell);
            order.push_back(id);
        }
        if (!sl[slot].empty()) {  // a repeated row: keep the first
            ++scan.dropped_lines;
            clean = false;
            continue;
        }
        sl[slot] = line;
    }
    // a cell is complete when all its rows are there; otherwise its rows are dropped
    std::size_t prev = 0;
    bool first = true;
    for (std::size_t id : order) {
        const auto& sl = slots[id];
        std::string block;
        bool complete = true;
        for (const auto& l : sl) {
            if (l.empty()) complete = false;
            block += l;
        }
        if (!complete) {
            for (const auto& l : sl) scan.dropped_lines += !l.empty();
            clean = false;
            continue;
        }
        if (!first && id <= prev) clean = false;
        first = false;
        prev = id;
        scan.cells.emplace(id, std::move(block));
    }
    if (clean) {  // also the rows of each cell must be contiguous and in order
        std::string canon = want_header;
        for (const auto& [id, b] : scan.cells) canon += b;
        clean = canon == text;
    }
    scan.sorted_and_clean = clean;
    return scan;
}

}  // namespace sim
