// history.csv: the training history of every cell of a sweep (RunResult::history), a tidy table
// next to results.csv, one row per checkpoint. Written like results.csv: each cell's rows are
// appended (and fsync'ed) as soon as it finishes, just before its results rows, so results.csv
// says which cells are finished; on resume the rows of cells that results.csv does not hold (cut
// short, or run again) and a half-written last line are dropped.
#pragma once
#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "sim/run/run.hpp"
#include "sim/sweep/grid.hpp"
#include "sim/sweep/table.hpp"

namespace sim {

inline constexpr const char* kHistoryFile = "history.csv";

// One column after the cell's own (cell_schema, sim/sweep/results.hpp): name, kind, getter.
struct HistoryColumn {
    ColumnSpec spec;
    std::string (*get)(const Checkpoint&);
};
// step, evals, loss, objective, gap (objective and gap empty for a run without a certificate).
// step: minibatch steps done; evals: full-batch evaluations of the polishing phase (after the
// last step).
const std::vector<HistoryColumn>& history_columns();
std::vector<ColumnSpec> history_schema(const std::vector<std::string>& keys);  // cell_schema + history_columns
std::vector<std::string> history_header(const std::vector<std::string>& keys);  // its names

// The rows of one finished cell, as CSV text (one line per checkpoint; none for a run without).
std::string history_rows(const Cell& cell, const SweepSpec& spec, const std::vector<std::string>& keys,
                         const RunResult& r);

struct HistoryScan {
    bool exists = false;
    std::map<std::size_t, std::string> cells;  // kept cells: id -> their rows' text, in file order
    std::size_t dropped_lines = 0;             // rows of other cells, repeated cells, a cut last line
    bool clean = false;                        // the file is exactly the header and the kept rows, by id
};
// Reads path and keeps the rows of the cells in `finished` (the cells results.csv holds), whole
// lines only; of a cell written twice (run again after an interruption), the first block; rows in
// this version's columns (a column the file lacks is empty). Throws ConfigError (one line: file,
// line, column, cause) for a column this version does not know or a field not of its kind.
HistoryScan scan_history(const std::string& path, const std::vector<std::string>& keys,
                         const std::set<std::size_t>& finished);

// The whole file: the header, then the cells' rows in id order.
std::string history_text(const std::vector<std::string>& header, const std::map<std::size_t, std::string>& cells);

}  // namespace sim
