// The results directory readers: what `alignsim plot` reads (manifest.json + results.csv,
// sim::figures::load) and what a resumed sweep reads (run_sweep's manifest check and
// scan_results on results.csv). Input: the manifest text, a line "%%", then the results.csv text
// (without the separator: no results.csv). The resume side uses the fixed sweep results_sweep.toml, so
// seeds made from a real run of it reach the row checks.
// Contract: a malformed directory is a one-line std::runtime_error (ConfigError for a manifest of
// another sweep); a resumed directory is left clean: read again, it holds the same cells, sorted.
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "fuzz.hpp"
#include "sim/plot/figure.hpp"
#include "sim/sweep/results.hpp"
#include "sim/sweep/sweep.hpp"

namespace {

// The fixed sweep of the resume side: tests/fuzz/results_sweep.toml (its path is compiled in);
// corpus/results/ holds its manifest and results, and .ci/fuzz.sh adds fresh ones made by the
// alignsim just built, so new results columns keep reaching the row checks.
std::string sweep_text() {
    std::ifstream in(FUZZ_RESULTS_SWEEP);
    std::stringstream ss;
    ss << in.rdbuf();
    if (!in || ss.str().empty()) fuzz::fail(std::string("cannot read ") + FUZZ_RESULTS_SWEEP);
    return ss.str();
}

void put(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) fuzz::fail("cannot write the scratch file " + path);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    namespace fs = std::filesystem;
    static const sim::SweepSpec spec = sim::sweep_spec_from_toml(sweep_text(), FUZZ_RESULTS_SWEEP, {});
    static const std::vector<sim::Cell> cells = sim::expand(spec);
    static const std::vector<std::string> keys = sim::result_keys(spec);

    const auto parts = fuzz::split(fuzz::text(data, size), "\n%%\n");
    const std::string dir = fuzz::scratch_dir() + "/results";
    std::error_code ec;
    fs::remove_all(dir, ec);
    fs::create_directories(dir);
    const std::string mpath = dir + "/" + sim::kManifestFile, rpath = dir + "/" + sim::kResultsFile;
    put(mpath, parts[0]);
    if (parts.size() > 1) put(rpath, parts[1]);

    // alignsim plot
    try {
        (void)sim::figures::load(dir);
    } catch (const std::runtime_error& e) {
        fuzz::check_one_line(e);
    } catch (const std::exception& e) {
        fuzz::unexpected(e, "in figures::load ");
    }
    // resume: the rows of results.csv against the grid
    try {
        const sim::ResumeScan s = sim::scan_results(rpath, keys, cells, spec);
        for (const auto& [id, block] : s.cells)
            if (id >= cells.size() ||
                std::count(block.begin(), block.end(), '\n') != long(sim::result_row_keys(cells[id].config).size()))
                fuzz::fail("scan_results kept a cell that is not complete: " + std::to_string(id));
    } catch (const std::runtime_error& e) {
        fuzz::check_one_line(e);
    } catch (const std::exception& e) {
        fuzz::unexpected(e, "in scan_results ");
    }
    // resume: the whole directory check of `alignsim sweep`, running no cell
    sim::SweepOptions o;
    o.out_dir = dir;
    o.jobs = 1;
    o.quiet = true;
    o.stop_after = 0;
    o.cell = [](const sim::Config&) -> sim::RunResult { fuzz::fail("a cell ran"); };
    bool resumed = false;
    try {
        (void)sim::run_sweep(spec, o);
        resumed = true;
    } catch (const std::runtime_error& e) {
        fuzz::check_one_line(e);
    } catch (const std::exception& e) {
        fuzz::unexpected(e, "in run_sweep ");
    }
    if (resumed) {  // what resume leaves behind reads back clean, with every cell it kept
        try {
            const sim::ResumeScan s = sim::scan_results(rpath, keys, cells, spec);
            if (!s.sorted_and_clean || s.dropped_lines) fuzz::fail("resume left a results.csv it does not read back clean");
            (void)sim::figures::load(dir);
        } catch (const std::exception& e) {
            fuzz::fail(std::string("resume left a directory that does not read back: ") + e.what());
        }
    }
    return 0;
}
