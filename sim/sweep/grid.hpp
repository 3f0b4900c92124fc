// Sweep grids: a sweep file is a config (sections [data], [model], ..., [grid]) plus an optional
// list of [[experiment]] tables, each a named set of overrides with its own [grid]. The grid of
// one experiment is the product of its axes and grid.seeds; every point is a cell, numbered in a
// fixed order (experiments in file order, axes in key order with the last axis fastest, seeds
// innermost), so the same file always gives the same cells with the same ids and configs.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "sim/config/config.hpp"
#include "sim/config/load.hpp"

namespace sim {

struct Experiment {
    std::string name;  // "main" for a file without [[experiment]]
    Config config;     // base + the experiment's overrides + --set; holds its grid axes and seeds
};

struct SweepSpec {
    Config base;  // the file without its experiments, then --set
    std::vector<Experiment> experiments;
    // {"experiments": [{"name", "config"}...]}: what defines the cells.
    nlohmann::json definition() const;
    // Hex digest of definition(): two directories hold the same sweep iff the digests agree.
    std::string fingerprint() const;
};

// One cell of the grid: a full config for one run.
struct Cell {
    std::size_t id = 0;
    std::size_t experiment = 0;                        // index into SweepSpec::experiments
    std::vector<std::pair<std::string, Value>> point;  // the experiment's swept keys and values
    std::int64_t seed = 0;                             // train.seed of the run
    Config config;
    std::string describe(const SweepSpec& spec) const;  // "redundancy: data.redundancy=0.5, seed=1"
};

// Reads a sweep file (CONFIG of `alignsim sweep`; empty: defaults) and --set overrides, which
// apply after every experiment's overrides. Throws ConfigError.
SweepSpec load_sweep_spec(const ConfigArgs& a);
// The same from TOML text (origin names it in errors).
SweepSpec sweep_spec_from_toml(const std::string& text, const std::string& origin,
                               const std::vector<std::string>& sets);
// Rebuilds a spec from SweepSpec::definition() (a results manifest). Throws ConfigError.
SweepSpec sweep_spec_from_definition(const nlohmann::json& def);

// Every cell, validated (each config passes Config::validate()), before any work starts.
// Throws ConfigError naming the cell at fault.
std::vector<Cell> expand(const SweepSpec& spec);

// Config keys with a column in results.csv: every key swept by any experiment, plus the keys
// that say what a cell is (data.kind, data.redundancy, model.dim, objective.alignment, ...).
std::vector<std::string> result_keys(const SweepSpec& spec);

// Largest grid accepted (cells). Each cell holds its config (about 6 KB): 100,000 cells take
// 600 MB on every rank; the former limit of a million needed some 14 GB and was killed for
// lack of memory before it started.
inline constexpr std::size_t kMaxCells = 100000;

}  // namespace sim
