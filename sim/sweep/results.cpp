#include "sim/sweep/results.hpp"
#include "sim/io/files.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace sim {

namespace {

std::string opt_num(const std::optional<double>& v) { return v ? fmt_num(*v) : ""; }

const char* const kNone = "";  // the value of a column a file lacks: no value

}  // namespace

const std::vector<ResultColumn>& result_columns() {
    using K = ColumnKind;
    using R = const ResultRow&;
    static const std::vector<ResultColumn> cols{
        {{"kind", K::text, std::nullopt}, [](R x) { return x.key.kind; }},
        {{"name", K::text, std::nullopt}, [](R x) { return x.key.name; }},
        {{"rep", K::text, std::nullopt}, [](R x) { return x.key.rep; }},
        // probe and metric: absent from the results of alignsim before 0.2, whose rows are all
        // R^2 of the linear probe
        {{"probe", K::text, "linear"}, [](R x) { return x.key.probe; }},
        {{"metric", K::text, "r2"}, [](R x) { return x.key.metric; }},
        {{"learned_r2", K::number, std::nullopt}, [](R x) { return fmt_num(x.values.learned); }},
        {{"learned_population_r2", K::number, kNone}, [](R x) { return opt_num(x.values.learned_population); }},
        {{"analytic_r2", K::number, kNone}, [](R x) { return opt_num(x.values.analytic); }},
        {{"analytic_kind", K::text, kNone}, [](R x) { return x.run.analytic_kind; }},
        {{"status", K::text, std::nullopt}, [](R x) { return x.run.status; }},
        {{"seconds", K::number, kNone},
         [](R x) {
             char secs[32];
             std::snprintf(secs, sizeof secs, "%.3f", x.run.seconds);
             return std::string(secs);
         }},
        {{"steps", K::integer, kNone}, [](R x) { return std::to_string(x.run.steps); }},
        {{"final_loss", K::number, kNone}, [](R x) { return fmt_num(x.run.final_loss); }},
        {{"subspace_distance", K::number, kNone},
         [](R x) { return x.run.subspace_distance < 0 ? std::string() : fmt_num(x.run.subspace_distance); }},
        {{"cka", K::number, kNone}, [](R x) { return fmt_num(x.run.cka); }},
        {{"alignment_loss", K::number, kNone}, [](R x) { return fmt_num(x.run.alignment_loss); }},
        {{"objective_gap", K::number, kNone},
         [](R x) { return std::isfinite(x.run.objective_gap) ? fmt_num(x.run.objective_gap) : std::string(); }},
        {{"polish_evals", K::integer, kNone}, [](R x) { return std::to_string(x.run.polish_evals); }},
        // one line: results.csv is read line by line
        {{"reason", K::text, kNone}, [](R x) { return printable(x.run.reason, 1000); }},
    };
    return cols;
}

std::vector<ColumnSpec> cell_schema(const std::vector<std::string>& keys) {
    std::vector<ColumnSpec> s{{"cell", ColumnKind::id, std::nullopt}, {"experiment", ColumnKind::text, std::nullopt}};
    for (const auto& k : keys) s.push_back({k, ColumnKind::text, std::nullopt});
    s.push_back({"seed", ColumnKind::id, std::nullopt});
    return s;
}

std::vector<ColumnSpec> results_schema(const std::vector<std::string>& keys) {
    std::vector<ColumnSpec> s = cell_schema(keys);
    for (const auto& c : result_columns()) s.push_back(c.spec);
    return s;
}

std::vector<std::string> names_of(const std::vector<ColumnSpec>& schema) {
    std::vector<std::string> n;
    for (const auto& c : schema) n.push_back(c.name);
    return n;
}

std::vector<std::string> results_header(const std::vector<std::string>& keys) { return names_of(results_schema(keys)); }

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
    std::string text;
    for (const RowKey& k : result_row_keys(cell.config)) {
        const RowValues v = row_values(r, k);
        const ResultRow row{r, k, v};
        std::vector<std::string> f = head;
        for (const auto& c : result_columns()) f.push_back(c.get(row));
        text += csv_line(f);
    }
    return text;
}

bool row_matches_cell(const Table& t, const Table::Row& row, const Cell& cell, const SweepSpec& spec,
                      const std::vector<std::string>& keys) {
    const auto& f = row.fields;
    if (f[static_cast<std::size_t>(t.col("experiment"))] != spec.experiments[cell.experiment].name) return false;
    if (f[static_cast<std::size_t>(t.col("seed"))] != std::to_string(cell.seed)) return false;
    for (const auto& k : keys)
        if (f[static_cast<std::size_t>(t.col(k))] != value_text(cell.config.get(k))) return false;
    return true;
}

namespace {

// The rows of a results.csv placed in their cells: per cell, its lines (this version's columns)
// in row order ("" where missing), and the cells in order of first appearance.
struct Placed {
    std::map<std::size_t, std::vector<std::string>> slots;
    std::map<std::size_t, std::string> status;  // the status of a cell's first row
    std::vector<std::size_t> order;
    std::size_t dropped = 0;  // rows that contradict the grid, and repeated rows
};

// The row's place among its cell's rows (result_row_keys), or keys.size() when it is none of them.
std::size_t slot_of_row(const Table& t, const Table::Row& row, const std::vector<RowKey>& keys) {
    auto at = [&](const char* name) -> const std::string& { return row.fields[static_cast<std::size_t>(t.col(name))]; };
    for (std::size_t r = 0; r < keys.size(); ++r) {
        const RowKey& k = keys[r];
        if (k.kind == at("kind") && k.name == at("name") && k.rep == at("rep") && k.probe == at("probe") &&
            k.metric == at("metric"))
            return r;
    }
    return keys.size();
}

Placed place_rows(const Table& t, const std::vector<Cell>& cells, const SweepSpec& spec,
                  const std::vector<std::string>& keys) {
    Placed p;
    std::map<std::size_t, std::vector<RowKey>> row_keys;  // the rows each cell writes (from its config)
    const auto c_cell = static_cast<std::size_t>(t.col("cell")), c_status = static_cast<std::size_t>(t.col("status"));
    for (const auto& row : t.rows) {
        const std::size_t id = std::stoull(row.fields[c_cell]);  // an id column: digits only
        if (id >= cells.size() || !row_matches_cell(t, row, cells[id], spec, keys)) {
            ++p.dropped;
            continue;
        }
        auto it = row_keys.find(id);
        if (it == row_keys.end()) it = row_keys.emplace(id, result_row_keys(cells[id].config)).first;
        const std::size_t slot = slot_of_row(t, row, it->second);
        if (slot == it->second.size()) {
            ++p.dropped;
            continue;
        }
        auto& sl = p.slots[id];
        if (sl.empty()) {
            sl.resize(it->second.size());
            p.order.push_back(id);
        }
        if (!sl[slot].empty()) {  // a repeated row: keep the first
            ++p.dropped;
            continue;
        }
        sl[slot] = csv_line(row.fields);
        if (slot == 0) p.status[id] = row.fields[c_status];
    }
    return p;
}

}  // namespace

ResumeScan scan_results(const std::string& path, const std::vector<std::string>& keys, const std::vector<Cell>& cells,
                        const SweepSpec& spec) {
    ResumeScan scan;
    std::string text;
    if (!read_file(path, text)) return scan;
    scan.exists = true;
    const Table t = read_table(path, text, results_schema(keys));
    if (t.empty) return scan;  // empty file, or only a partial header: rewritten
    scan.missing = t.missing;
    Placed p = place_rows(t, cells, spec, keys);
    scan.dropped_lines = p.dropped + (t.cut_last_line ? 1 : 0);
    // a cell is complete when all its rows are there; otherwise its rows are dropped
    bool in_order = true;
    for (std::size_t i = 0; i < p.order.size(); ++i) {
        const std::size_t id = p.order[i];
        std::string block;
        std::size_t have = 0;
        for (const auto& l : p.slots[id]) {
            have += !l.empty();
            block += l;
        }
        if (have < p.slots[id].size()) {
            scan.dropped_lines += have;
            continue;
        }
        if (!scan.cells.empty() && id <= scan.cells.rbegin()->first) in_order = false;
        scan.cells.emplace(id, std::move(block));
        scan.status[id] = p.status[id];
    }
    // clean: exactly the header and each complete cell's rows, contiguous and in order
    std::string canon = csv_line(results_header(keys));
    for (const auto& [id, b] : scan.cells) canon += b;
    scan.sorted_and_clean = in_order && scan.dropped_lines == 0 && canon == text;
    return scan;
}

}  // namespace sim
