// Sweep files: [grid] axes, grid.seeds and [[experiment]] lists, plus `--set` overrides
// (sweep_spec_from_toml, then expand). Input: the TOML text, optionally followed by a line "%%"
// and one `--set` assignment per line. Contract: bad input is a one-line ConfigError; a valid
// sweep survives the round trip through its manifest definition (what resume and `alignsim plot`
// read back) with the same fingerprint and the same cells.
#include <nlohmann/json.hpp>

#include "fuzz.hpp"
#include "sim/sweep/grid.hpp"

namespace {

// Cells of a spec without expanding it (expand() copies a Config per cell; the harness keeps
// its memory small, the limit itself is tested in tests/test_sweep.cpp).
std::size_t count_cells(const sim::SweepSpec& s) {
    std::size_t total = 0;
    for (const auto& e : s.experiments) {
        std::size_t n = std::max<std::size_t>(1, e.config.grid_seeds().size());
        for (const auto& ax : e.config.grid()) {
            if (n > 100000 / std::max<std::size_t>(1, ax.values.size())) return 100001;
            n *= ax.values.size();
        }
        total += n;
    }
    return total;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto parts = fuzz::split(fuzz::text(data, size), "\n%%\n");
    std::vector<std::string> sets;
    if (parts.size() > 1)
        for (const auto& l : fuzz::split(parts[1], "\n"))
            if (!l.empty()) sets.push_back(l);
    sim::SweepSpec spec;
    try {
        spec = sim::sweep_spec_from_toml(parts[0], "fuzz.toml", sets);
    } catch (const sim::ConfigError& e) {
        fuzz::check_one_line(e);
        return 0;
    } catch (const std::exception& e) {
        fuzz::unexpected(e);
    }
    if (count_cells(spec) > 2000) return 0;
    std::vector<sim::Cell> cells;
    try {
        cells = sim::expand(spec);
    } catch (const sim::ConfigError& e) {
        fuzz::check_one_line(e);
        return 0;
    } catch (const std::exception& e) {
        fuzz::unexpected(e, "in expand ");
    }
    (void)sim::result_keys(spec);
    // the manifest's copy of the definition gives back the same sweep
    sim::SweepSpec again;
    try {
        again = sim::sweep_spec_from_definition(nlohmann::json::parse(spec.definition().dump()));
    } catch (const std::exception& e) {
        fuzz::fail(std::string("a valid sweep's definition does not read back: ") + e.what());
    }
    if (again.fingerprint() != spec.fingerprint()) fuzz::fail("fingerprint changes through the manifest");
    std::vector<sim::Cell> cells2;
    try {
        cells2 = sim::expand(again);
    } catch (const std::exception& e) {
        fuzz::fail(std::string("the manifest's sweep does not expand: ") + e.what());
    }
    if (cells2.size() != cells.size()) fuzz::fail("the manifest's sweep has another number of cells");
    for (std::size_t i = 0; i < cells.size(); ++i)
        if (cells2[i].config.to_json() != cells[i].config.to_json()) fuzz::fail("cell " + std::to_string(i) + " differs through the manifest");
    return 0;
}
