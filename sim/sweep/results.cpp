#include "sim/sweep/results.hpp"
#include "sim/io/files.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace sim {

std::vector<std::string> results_header(const std::vector<std::string>& keys) {
    std::vector<std::string> h{"cell", "experiment"};
    h.insert(h.end(), keys.begin(), keys.end());
    for (const char* c : {"seed", "kind", "name", "rep", "probe", "metric", "learned_r2", "learned_population_r2", "analytic_r2", "analytic_kind", "status", "seconds", "steps",
                          "final_loss", "subspace_distance", "cka", "alignment_loss", "objective_gap", "polish_evals", "reason"})
        h.emplace_back(c);
    return h;
}

std::string value_text(const Value& v) {
    if (auto d = std::get_if<double>(&v)) return fmt_num(*d);
    return value_to_string(v);
}

std::vector<std::string> cell_columns(const Cell& cell, const SweepSpec& spec, const std::vector<std::string>& keys) {
    std::vector<std::string> head{std::to_string(cell.id), spec.experiments[cell.experiment].name};
    for (const auto& k : keys) head.push_back(value_text(cell.config.get(k)));
    head.push_back(std::to_string(cell.seed));
    return head;
}

std::string cell_rows(const Cell& cell, const SweepSpec& spec, const std::vector<std::string>& keys,
                      const RunResult& r) {
    const std::vector<std::string> head = cell_columns(cell, spec, keys);
    char secs[32];
    std::snprintf(secs, sizeof secs, "%.3f", r.seconds);
    std::string text;
    for (const RowKey& k : result_row_keys(cell.config)) {
        const RowValues v = row_values(r, k);
        std::vector<std::string> f = head;
        for (const std::string* x : {&k.kind, &k.name, &k.rep, &k.probe, &k.metric}) f.push_back(*x);
        f.push_back(fmt_num(v.learned));
        f.push_back(v.learned_population ? fmt_num(*v.learned_population) : "");
        f.push_back(v.analytic ? fmt_num(*v.analytic) : "");
        f.push_back(r.analytic_kind);
        f.push_back(r.status);
        f.push_back(secs);
        f.push_back(std::to_string(r.steps));
        f.push_back(fmt_num(r.final_loss));
        f.push_back(r.subspace_distance < 0 ? "" : fmt_num(r.subspace_distance));
        f.push_back(fmt_num(r.cka));
        f.push_back(fmt_num(r.alignment_loss));
        f.push_back(std::isfinite(r.objective_gap) ? fmt_num(r.objective_gap) : "");
        f.push_back(std::to_string(r.polish_evals));
        f.push_back(printable(r.reason, 1000));  // one line: results.csv is read line by line
        text += csv_line(f);
    }
    return text;
}

ResumeScan scan_results(const std::string& path, const std::vector<std::string>& header,
                        const std::vector<Cell>& cells, const SweepSpec& spec) {
    ResumeScan scan;
    std::string text;
    if (!read_file(path, text)) return scan;
    scan.exists = true;
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
    auto col = [&](const char* name) {
        for (std::size_t i = 0; i < ncols; ++i)
            if (header[i] == name) return static_cast<int>(i);
        throw std::logic_error(std::string("results header lacks ") + name);
    };
    const int c_exp = 1, c_seed = col("seed"), c_kind = col("kind"), c_name = col("name"), c_rep = col("rep"),
              c_probe = col("probe"), c_metric = col("metric"), c_status = col("status");
    const std::size_t nkeys = static_cast<std::size_t>(c_seed) - 2;
    // the rows each cell writes (they depend on its config), and a row's place among them
    std::map<std::size_t, std::vector<RowKey>> row_keys;
    auto keys_of = [&](std::size_t id) -> const std::vector<RowKey>& {
        auto it = row_keys.find(id);
        if (it == row_keys.end()) it = row_keys.emplace(id, result_row_keys(cells[id].config)).first;
        return it->second;
    };
    // columns that hold numbers: a row whose number does not read (a flipped bit, a bad disk) is
    // not a finished cell; it is dropped and its cell runs again
    std::vector<std::size_t> numeric;
    for (std::size_t i = 0; i < ncols; ++i)
        for (const char* n : {"learned_r2", "learned_population_r2", "analytic_r2", "seconds", "steps", "final_loss",
                              "subspace_distance", "cka", "alignment_loss", "objective_gap", "polish_evals"})
            if (header[i] == n) numeric.push_back(i);
    std::map<std::size_t, std::vector<std::string>> slots;  // id -> its lines, in row order
    std::map<std::size_t, std::string> statuses;            // id -> the status of its first row
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
            const auto& keys = keys_of(id);
            slot = keys.size();
            for (std::size_t r = 0; r < keys.size(); ++r) {
                const RowKey& k = keys[r];
                if (k.kind == f[c_kind] && k.name == f[c_name] && k.rep == f[c_rep] && k.probe == f[c_probe] &&
                    k.metric == f[c_metric]) {
                    slot = r;
                    break;
                }
            }
            if (slot == keys.size()) throw std::runtime_error("row");
            for (std::size_t i : numeric) (void)parse_num(f[i]);  // throws if not a number
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
            sl.resize(keys_of(id).size());
            order.push_back(id);
        }
        if (!sl[slot].empty()) {  // a repeated row: keep the first
            ++scan.dropped_lines;
            clean = false;
            continue;
        }
        sl[slot] = line;
        if (slot == 0) statuses[id] = csv_split(line.substr(0, line.size() - 1))[c_status];
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
        scan.status[id] = statuses[id];
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
