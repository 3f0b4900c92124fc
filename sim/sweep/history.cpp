#include "sim/sweep/history.hpp"

#include <cmath>
#include <cstdlib>

#include "sim/io/csv.hpp"
#include "sim/io/files.hpp"
#include "sim/sweep/results.hpp"

namespace sim {

namespace {

std::string num_or_empty(double v) { return std::isfinite(v) ? fmt_num(v) : ""; }

}  // namespace

const std::vector<HistoryColumn>& history_columns() {
    using K = ColumnKind;
    using C = const Checkpoint&;
    static const std::vector<HistoryColumn> cols{
        {{"step", K::integer, std::nullopt}, [](C c) { return std::to_string(c.step); }},
        {{"evals", K::integer, ""}, [](C c) { return std::to_string(c.evals); }},
        {{"loss", K::number, ""}, [](C c) { return num_or_empty(c.loss); }},
        {{"objective", K::number, ""}, [](C c) { return num_or_empty(c.objective); }},
        {{"gap", K::number, ""}, [](C c) { return num_or_empty(c.gap); }},
    };
    return cols;
}

std::vector<ColumnSpec> history_schema(const std::vector<std::string>& keys) {
    std::vector<ColumnSpec> s = cell_schema(keys);
    for (const auto& c : history_columns()) s.push_back(c.spec);
    return s;
}

std::vector<std::string> history_header(const std::vector<std::string>& keys) { return names_of(history_schema(keys)); }

std::string history_rows(const Cell& cell, const SweepSpec& spec, const std::vector<std::string>& keys,
                         const RunResult& r) {
    const std::vector<std::string> head = cell_columns(cell, spec, keys);
    std::string text;
    for (const Checkpoint& c : r.history) {
        std::vector<std::string> f = head;
        for (const auto& col : history_columns()) f.push_back(col.get(c));
        text += csv_line(f);
    }
    return text;
}

std::string history_text(const std::vector<std::string>& header, const std::map<std::size_t, std::string>& cells) {
    std::string text = csv_line(header);
    for (const auto& [id, b] : cells) text += b;
    return text;
}

HistoryScan scan_history(const std::string& path, const std::vector<std::string>& keys,
                         const std::set<std::size_t>& finished) {
    HistoryScan scan;
    std::string text;
    if (!read_file(path, text)) return scan;
    scan.exists = true;
    const Table t = read_table(path, text, history_schema(keys));
    if (t.empty) return scan;  // empty, or a partial header: rewritten
    scan.dropped_lines = t.cut_last_line ? 1 : 0;
    const auto c_cell = static_cast<std::size_t>(t.col("cell"));
    std::set<std::size_t> closed;  // cells whose block ended (a later block is a rerun)
    std::size_t prev = 0;
    bool have_prev = false;
    for (const auto& row : t.rows) {
        const std::size_t id = std::stoull(row.fields[c_cell]);  // an id column: digits only
        if (!finished.count(id)) {
            ++scan.dropped_lines;
            continue;
        }
        if (have_prev && prev != id) closed.insert(prev);
        have_prev = true;
        prev = id;
        if (closed.count(id)) {  // a second block of the same cell
            ++scan.dropped_lines;
            continue;
        }
        scan.cells[id] += csv_line(row.fields);
    }
    scan.clean = scan.dropped_lines == 0 && history_text(history_header(keys), scan.cells) == text;
    return scan;
}

}  // namespace sim
