// results.csv: one row per cell x (target or block) x representation, written cell by cell
// (each cell's rows appended, flushed and fsync'ed as soon as it finishes), read back to resume.
#pragma once
#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "sim/io/csv.hpp"
#include "sim/io/files.hpp"
#include "sim/sweep/grid.hpp"
#include "sim/run/run.hpp"

namespace sim {

// The targets and blocks of the R^2 rows, in row order.
inline const std::vector<std::string>& result_names() {
    static const std::vector<std::string> n{"y_shared", "y1", "y2", "y_mix", "s", "u1", "u2"};
    return n;
}

// Columns: cell, experiment, <keys...>, seed, kind, name, rep, probe, metric, learned_r2,
// learned_population_r2, analytic_r2, analytic_kind, status, seconds, steps, final_loss,
// subspace_distance, cka, alignment_loss, objective_gap (empty without a certificate),
// polish_evals, reason. A cell's rows are result_row_keys(its config)
// (sim/run/run.hpp), in that order.
std::vector<std::string> results_header(const std::vector<std::string>& keys);

// The columns every row of a cell starts with, in results.csv and history.csv: its id, its
// experiment, the values of the swept keys (as results.csv writes them), its seed.
std::vector<std::string> cell_columns(const Cell& cell, const SweepSpec& spec, const std::vector<std::string>& keys);
// A config value as results.csv writes it.
std::string value_text(const Value& v);

// The rows of one finished cell, as CSV text (one line per result_row_keys(cell.config)).
std::string cell_rows(const Cell& cell, const SweepSpec& spec, const std::vector<std::string>& keys,
                      const RunResult& r);

// What an existing results.csv holds, for resuming.
struct ResumeScan {
    bool exists = false;
    std::map<std::size_t, std::string> cells;  // complete cells: id -> their rows' text
    std::map<std::size_t, std::string> status;  // complete cells: id -> their run status
    std::size_t dropped_lines = 0;             // partial or incomplete lines thrown away
    bool sorted_and_clean = false;             // file is exactly header + cells in id order
};
// Reads path; a half-written last line and the rows of incomplete cells are dropped, and so are
// rows that contradict the grid. Throws ConfigError if the header differs from the expected one.
ResumeScan scan_results(const std::string& path, const std::vector<std::string>& header,
                        const std::vector<Cell>& cells, const SweepSpec& spec);

}  // namespace sim
