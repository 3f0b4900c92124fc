// The sweep engine: every cell of a grid, in parallel (oneTBB, one task arena of --jobs threads)
// and over MPI ranks, each cell's rows appended to DIR/results.csv as soon as it finishes,
// resumable after any interruption. See docs/sweep.md.
#pragma once
#include <cstddef>
#include <functional>
#include <limits>
#include <string>

#include "sim/sweep/grid.hpp"
#include "sim/run/run.hpp"

namespace sim {

namespace mpi {
class Session;
}

// What computes a cell; `alignsim sweep` passes sim::run. Must be deterministic in the config and
// callable from several threads at once.
using CellFunction = std::function<RunResult(const Config&)>;

struct SweepOptions {
    std::string out_dir;
    int jobs = 0;  // threads per process; 0: the cores of the node shared among its ranks
    bool quiet = false;
    CellFunction cell;
    mpi::Session* mpi = nullptr;  // null or inactive: one process
    // Stop starting cells after this many have finished in this invocation (tests use it to
    // leave a grid half done, as a kill would).
    std::size_t stop_after = std::numeric_limits<std::size_t>::max();
};

struct SweepSummary {
    std::size_t total = 0;      // cells of the grid
    std::size_t skipped = 0;    // already in results.csv
    std::size_t ran = 0;        // finished in this invocation
    std::size_t failed = 0;     // threw (not written; a rerun retries them)
    std::size_t abandoned = 0;  // stopped in flight by a stop (not written; a rerun runs them)
    int interrupted = 0;        // SIGINT / SIGTERM stopped the sweep before it was complete
    std::string first_failure;
    // the cells of results.csv by run status (this invocation's and earlier ones'): what the last
    // progress line counts
    std::size_t ok = 0, not_converged = 0, diverged = 0;
    bool complete = false;  // every cell is in results.csv
    int threads = 0;
};

// Runs the grid into opt.out_dir. Bad grids and unusable directories throw (ConfigError or
// std::runtime_error) before any cell starts; a directory that another sweep is writing throws
// DirectoryBusy (sim/io/lock.hpp). Cells that throw are reported in the summary and left out
// of results.csv. On SIGINT / SIGTERM (sim/run/stop.hpp) no new cell starts, the cells in flight
// are abandoned at their next step, what is finished is kept, and the summary says `interrupted`.
// When results.csv or the manifest cannot be written (a full disk), the sweep stops the same way
// and throws one line: what could not be written and how many cells are safe; results.csv keeps
// only whole cells.
SweepSummary run_sweep(const SweepSpec& spec, const SweepOptions& opt);

inline constexpr const char* kResultsFile = "results.csv";
inline constexpr const char* kManifestFile = "manifest.json";

}  // namespace sim
