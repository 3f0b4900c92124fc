// results.csv: one row per cell x (target or block) x representation, written cell by cell
// (each cell's rows appended, flushed and fsync'ed as soon as it finishes), read back to resume.
// Its columns are one table (result_columns(), after the cell's own columns): each a name, a
// kind and a getter, which make the header, the rows, the reader's checks and resume.
#pragma once
#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "sim/io/csv.hpp"
#include "sim/io/files.hpp"
#include "sim/sweep/grid.hpp"
#include "sim/sweep/table.hpp"
#include "sim/run/run.hpp"

namespace sim {

// The targets and blocks of the R^2 rows, in row order.
inline const std::vector<std::string>& result_names() {
    static const std::vector<std::string> n{"y_shared", "y1", "y2", "y_mix", "s", "u1", "u2"};
    return n;
}

// One row of results.csv as it is written: the cell's run, which row, and the row's values.
struct ResultRow {
    const RunResult& run;
    const RowKey& key;
    const RowValues& values;
};
struct ResultColumn {
    ColumnSpec spec;
    std::string (*get)(const ResultRow&);
};
// The columns after the cell's own, in file order: kind, name, rep, probe, metric, learned_r2,
// learned_population_r2, analytic_r2, analytic_kind, status, seconds, steps, final_loss,
// subspace_distance, cka, alignment_loss, objective_gap (empty without a certificate),
// polish_evals, reason. Adding a column is adding an entry (with the value older files read as).
const std::vector<ResultColumn>& result_columns();

// The columns every row of a cell starts with, in results.csv and history.csv: cell (its id),
// experiment, the swept keys (as results.csv writes their values), seed.
std::vector<ColumnSpec> cell_schema(const std::vector<std::string>& keys);
std::vector<ColumnSpec> results_schema(const std::vector<std::string>& keys);  // cell_schema + result_columns
std::vector<std::string> results_header(const std::vector<std::string>& keys);  // its names
std::vector<std::string> names_of(const std::vector<ColumnSpec>& schema);

// The values of a cell's own columns (cell_schema) for its rows.
std::vector<std::string> cell_columns(const Cell& cell, const SweepSpec& spec, const std::vector<std::string>& keys);
// A config value as results.csv writes it.
std::string value_text(const Value& v);

// The rows of one finished cell, as CSV text (one line per result_row_keys(cell.config)).
std::string cell_rows(const Cell& cell, const SweepSpec& spec, const std::vector<std::string>& keys,
                      const RunResult& r);

// Whether a row read back (fields in results_schema(keys) order) is one of cell's rows: its
// experiment, swept keys and seed agree with the grid.
bool row_matches_cell(const Table& t, const Table::Row& row, const Cell& cell, const SweepSpec& spec,
                      const std::vector<std::string>& keys);

// What an existing results.csv holds, for resuming.
struct ResumeScan {
    bool exists = false;
    std::map<std::size_t, std::string> cells;  // complete cells: id -> their rows' text (this version's columns)
    std::map<std::size_t, std::string> status;  // complete cells: id -> their run status
    std::size_t dropped_lines = 0;             // partial or incomplete lines thrown away
    std::vector<std::string> missing;          // columns the file lacks (an older version): read as absent
    bool sorted_and_clean = false;             // file is exactly header + cells in id order
};
// Reads path; a half-written last line and the rows of incomplete cells are dropped, and so are
// rows that contradict the grid. Throws ConfigError (one line: file, line, column, cause) for a
// column this version does not know, or a field that does not read as its column's kind.
ResumeScan scan_results(const std::string& path, const std::vector<std::string>& keys, const std::vector<Cell>& cells,
                        const SweepSpec& spec);

}  // namespace sim
