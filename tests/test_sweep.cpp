// The sweep engine: grid expansion, bad grids, results.csv round trip, crash-safe resume, and
// identical results whatever the thread count; the figures of a results directory (named and
// by_<key>) against results.csv and the closed forms. Cells are real (small) sim::run trainings.
// Budget: a few seconds in all (each cell trains for 60 steps on 400 samples).
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <tuple>
#include <sstream>

#include <nlohmann/json.hpp>

#include "sim/sweep/grid.hpp"
#include "sim/plot/plot.hpp"
#include "sim/plot/figure.hpp"
#include "sim/run/analytic.hpp"
#include "sim/sweep/results.hpp"
#include "sim/run/run.hpp"
#include "sim/sweep/sweep.hpp"

namespace fs = std::filesystem;
using sim::ConfigError;

namespace {

const std::string kSmall = R"(
[data]
d1 = 8
d2 = 8
n_train = 400
n_test = 200
[train]
steps = 60
batch = 64
lr = 0.02
[objective]
alignment = "cca"
)";

const std::string kGrid = kSmall + R"(
[grid]
"data.redundancy" = [0.0, 0.5, 1.0]
"objective.alignment" = ["cca", "regression"]
seeds = [3, 4]
)";

sim::SweepSpec spec_of(const std::string& text, const std::vector<std::string>& sets = {}) {
    return sim::sweep_spec_from_toml(text, "test.toml", sets);
}

std::string config_error(const std::string& text, const std::vector<std::string>& sets = {}) {
    try {
        sim::expand(spec_of(text, sets));
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

bool one_line(const std::string& s) { return !s.empty() && s.find('\n') == std::string::npos; }

std::string tmpdir(const std::string& name) {
    const fs::path p = fs::temp_directory_path() / ("alignsim_test_sweep_" + name + "_" + std::to_string(::getpid()));
    fs::remove_all(p);
    return p.string();
}

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// results.csv without the wall-clock column: what must be identical between runs.
std::vector<std::vector<std::string>> comparable(const std::string& dir) {
    sim::CsvTable t = sim::read_csv(dir + "/results.csv");
    const int sec = t.col("seconds");
    BOOST_REQUIRE(sec >= 0);
    std::vector<std::vector<std::string>> rows;
    rows.push_back(t.header);
    for (auto r : t.rows) {
        r[static_cast<std::size_t>(sec)] = "";
        rows.push_back(r);
    }
    return rows;
}

// history.csv as a table: what must be identical between runs (it has no wall-clock column).
std::vector<std::vector<std::string>> history_of(const std::string& dir) {
    sim::CsvTable t = sim::read_csv(dir + "/history.csv");
    std::vector<std::vector<std::string>> rows{t.header};
    rows.insert(rows.end(), t.rows.begin(), t.rows.end());
    return rows;
}

// The real training run, counting its calls.
struct Counted {
    std::atomic<int> calls{0};
    sim::CellFunction fn() {
        return [this](const sim::Config& c) {
            ++calls;
            return sim::run(c);
        };
    }
};

sim::SweepSummary sweep(const sim::SweepSpec& spec, const std::string& dir, int jobs, sim::CellFunction fn,
                        std::size_t stop_after = std::numeric_limits<std::size_t>::max()) {
    sim::SweepOptions o;
    o.out_dir = dir;
    o.jobs = jobs;
    o.quiet = true;
    o.cell = std::move(fn);
    o.stop_after = stop_after;
    return sim::run_sweep(spec, o);
}

// A reference run of kGrid, computed once.
const std::string& reference_dir() {
    static const std::string dir = [] {
        const std::string d = tmpdir("reference");
        Counted c;
        const auto s = sweep(spec_of(kGrid), d, 1, c.fn());
        BOOST_REQUIRE(s.complete);
        BOOST_REQUIRE_EQUAL(c.calls.load(), 12);
        return d;
    }();
    return dir;
}

}  // namespace

BOOST_AUTO_TEST_CASE(grid_expands_in_a_fixed_order) {
    const auto spec = spec_of(kGrid);
    const auto cells = sim::expand(spec);
    BOOST_REQUIRE_EQUAL(cells.size(), 12u);  // 3 redundancies x 2 objectives x 2 seeds
    // axes in key order, the last axis fastest, seeds innermost
    const double rho[3] = {0.0, 0.5, 1.0};
    const char* obj[2] = {"cca", "regression"};
    for (std::size_t i = 0; i < cells.size(); ++i) {
        const auto& c = cells[i];
        BOOST_TEST(c.id == i);
        BOOST_TEST(c.config.f("data.redundancy") == rho[i / 4]);
        BOOST_TEST(c.config.s("objective.alignment") == obj[(i / 2) % 2]);
        BOOST_TEST(c.seed == (i % 2 == 0 ? 3 : 4));
        BOOST_TEST(c.config.i("train.seed") == c.seed);
        // the seed moves the run (train.seed, hence the derived sample seed), not the model
        BOOST_TEST(c.config.i("data.seed") == 0);
        BOOST_TEST(c.config.i("data.sample_seed") == -1);
        BOOST_TEST(c.config.i("train.steps") == 60);  // the base keys are kept
        BOOST_TEST((c.config.grid().empty() && c.config.grid_seeds().empty()));  // a point, not a grid
        BOOST_REQUIRE_EQUAL(c.point.size(), 2u);
        BOOST_TEST(c.point[0].first == "data.redundancy");
        BOOST_TEST(c.point[1].first == "objective.alignment");
    }
    // no axes and no seeds: one cell with the config's own seed
    const auto one = sim::expand(spec_of(kSmall, {"train.seed=9"}));
    BOOST_REQUIRE_EQUAL(one.size(), 1u);
    BOOST_TEST(one[0].seed == 9);
    // --set grid.* adds an axis; --set of a plain key applies to every cell
    const auto more = sim::expand(spec_of(kGrid, {"grid.model.dim=[1, 2]", "train.steps=7"}));
    BOOST_TEST(more.size() == 24u);
    for (const auto& c : more) BOOST_TEST(c.config.i("train.steps") == 7);
    // result columns: every swept key plus the keys that say what a cell is
    const auto keys = sim::result_keys(spec_of(kGrid, {"grid.data.noise1=[0.5, 1]"}));
    for (const char* k : {"data.redundancy", "objective.alignment", "data.noise1", "model.dim", "data.kind",
                          "objective.lambda", "train.weight_decay"})
        BOOST_TEST((std::find(keys.begin(), keys.end(), k) != keys.end()), k);
}

BOOST_AUTO_TEST_CASE(experiments_are_sub_grids_with_overrides) {
    const std::string text = kSmall + R"(
[grid]
seeds = [0, 1]

[[experiment]]
name = "redundancy"
[experiment.grid]
"data.redundancy" = [0.0, 1.0]

[[experiment]]
name = "tradeoff"
[experiment.objective]
alignment = "regression"
task = "y_mix"
[experiment.grid]
"objective.lambda" = [0.1, 1, 10]
seeds = [5]
)";
    const auto spec = spec_of(text, {"train.steps=11"});
    BOOST_REQUIRE_EQUAL(spec.experiments.size(), 2u);
    const auto cells = sim::expand(spec);
    BOOST_REQUIRE_EQUAL(cells.size(), 4u + 3u);
    BOOST_TEST(cells[0].config.s("objective.alignment") == "cca");
    BOOST_TEST(cells[0].config.s("objective.task") == "none");
    for (std::size_t i = 4; i < 7; ++i) {
        BOOST_TEST(cells[i].experiment == 1u);
        BOOST_TEST(cells[i].config.s("objective.alignment") == "regression");
        BOOST_TEST(cells[i].config.s("objective.task") == "y_mix");
        BOOST_TEST(cells[i].seed == 5);
    }
    for (const auto& c : cells) BOOST_TEST(c.config.i("train.steps") == 11);  // --set has the last word
    BOOST_TEST(cells[6].config.f("objective.lambda") == 10.0);
    // the manifest's definition gives back the same sweep
    const auto again = sim::sweep_spec_from_definition(nlohmann::json::parse(spec.definition().dump()));
    BOOST_TEST(again.fingerprint() == spec.fingerprint());
    const auto cells2 = sim::expand(again);
    BOOST_REQUIRE_EQUAL(cells2.size(), cells.size());
    for (std::size_t i = 0; i < cells.size(); ++i)
        BOOST_TEST(cells2[i].config.to_json() == cells[i].config.to_json());
    // a different sweep has a different fingerprint
    BOOST_TEST(spec_of(text).fingerprint() != spec.fingerprint());
}

BOOST_AUTO_TEST_CASE(bad_grids_are_one_line_errors) {
    struct Case {
        std::string text, needle;
    };
    const std::vector<Case> cases{
        {"[grid]\n\"data.nope\" = [1, 2]\n", "data.nope"},
        {"[grid]\n\"data.redundancy\" = []\n", "empty"},
        {"[grid]\n\"data.redundancy\" = 0.5\n", "list"},
        {"[grid]\n\"data.redundancy\" = [0.5, \"high\"]\n", "data.redundancy"},
        {"[grid]\n\"data.d1\" = [8, 8.5]\n", "data.d1"},
        {"[grid]\n\"objective.alignment\" = [\"cca\", \"clip\"]\n", "objective.alignment"},
        {"[grid]\n\"data.redundancy\" = [0.5, 0.5]\n", "twice"},
        {"[grid]\nseeds = [1, 1]\n", "twice"},
        {"[grid]\nseeds = [-1]\n", "non-negative"},
        {"[grid]\nseeds = []\n", "seeds"},
        {"[grid]\nseeds = [1.5]\n", "seeds"},
        {"[grid]\n\"train.seed\" = [1, 2]\nseeds = [0]\n", "train.seed"},
        {"[grid]\n\"data.redundancy\" = [0.5, 1.5]\n", "grid cell 1"},  // validation names the cell
        {"[grid]\n\"model.dim\" = [2, 17]\n", "model.dim"},
        {"[[experiment]]\n[experiment.grid]\nseeds = [1]\n", "no name"},
        {"[[experiment]]\nname = \"a b\"\n", "name"},
        {"[[experiment]]\nname = \"a\"\n[[experiment]]\nname = \"a\"\n", "two experiments"},
        {"[[experiment]]\nname = \"a\"\nsteps = 3\n", "not a section"},
        {"[[experiment]]\nname = \"a\"\n[experiment.grid]\n\"data.bogus\" = [1]\n", "data.bogus"},
        {"experiment = 3\n", "experiment"},
        {"[data]\nd1 = [1\n", "test.toml:"},
    };
    for (const auto& c : cases) {
        const std::string e = config_error(c.text);
        BOOST_TEST(one_line(e), "no one-line error for: " << c.text);
        BOOST_TEST(e.find(c.needle) != std::string::npos, "error '" << e << "' lacks '" << c.needle << "'");
    }
    BOOST_TEST(config_error(kSmall, {"grid.data.redundancy=[]"}).find("empty") != std::string::npos);
    // the largest grid: kMaxCells cells expand, one more is refused (before any is made)
    const std::string ten = "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]";
    std::string big = "[train]\nbatch = 2\n[data]\nn_train = 10\nn_test = 10\n[grid]\n";
    for (const char* k : {"data.seed", "train.seed", "theory.lambda_points", "train.steps"}) big += "\"" + std::string(k) + "\" = " + ten + "\n";
    BOOST_TEST(config_error(big + "\"data.sample_seed\" = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n").empty());
    BOOST_TEST(config_error(big + "\"data.sample_seed\" = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]\n").find("more than 100000 cells") != std::string::npos);

    // nothing starts: no cell runs, no results.csv appears
    Counted c;
    const std::string dir = tmpdir("badgrid");
    BOOST_CHECK_THROW(sweep(spec_of("[grid]\n\"model.dim\" = [2, 17]\n"), dir, 1, c.fn()), ConfigError);
    BOOST_TEST(!fs::exists(dir + "/results.csv"));
    // an unusable directory fails before any cell too
    BOOST_CHECK_THROW(sweep(spec_of(kGrid), "/dev/null/sub", 1, c.fn()), std::runtime_error);
    BOOST_TEST(c.calls.load() == 0);
}

BOOST_AUTO_TEST_CASE(csv_round_trip) {
    // fields with separators and quotes survive
    const std::vector<std::string> f{"plain", "a,b", "say \"hi\"", "", "[64, 64]", "x\ny"};
    const std::string line = sim::csv_line(f);
    BOOST_TEST(line.back() == '\n');
    BOOST_TEST((sim::csv_split(line.substr(0, line.size() - 1)) == f));
    BOOST_CHECK_THROW(sim::csv_split("\"open"), std::runtime_error);
    // numbers read back to the same double
    std::mt19937_64 g(5);
    std::uniform_real_distribution<double> u(-1, 1);
    for (int i = 0; i < 2000; ++i) {
        const double x = u(g) * std::pow(10.0, static_cast<int>(g() % 40) - 20);
        BOOST_REQUIRE(sim::parse_num(sim::fmt_num(x)) == x);
    }
    BOOST_TEST(sim::fmt_num(0.5) == "0.5");
    BOOST_TEST(sim::fmt_num(0.1) == "0.1");
    BOOST_TEST(std::isnan(sim::parse_num(sim::fmt_num(std::nan("")))));
    BOOST_TEST(std::isnan(sim::parse_num("")));
    BOOST_TEST(sim::parse_num(sim::fmt_num(-HUGE_VAL)) == -HUGE_VAL);
    BOOST_CHECK_THROW(sim::parse_num("0.5x"), std::runtime_error);

    // a real cell's rows carry the run's numbers exactly
    const auto spec = spec_of(kGrid);
    const auto cells = sim::expand(spec);
    const auto keys = sim::result_keys(spec);
    sim::Cell cell = cells[5];
    cell.config.set("eval.nonlinear_probe", std::string("on"));  // rows of both probes
    const sim::RunResult r = sim::run(cell.config);
    const std::string dir = tmpdir("csv");
    fs::create_directories(dir);
    std::ofstream(dir + "/r.csv") << sim::csv_line(sim::results_header(keys)) << sim::cell_rows(cell, spec, keys, r);
    const auto t = sim::read_csv(dir + "/r.csv");
    const std::size_t per_cell = sim::result_row_keys(cell.config).size();
    BOOST_REQUIRE_EQUAL(t.rows.size(), per_cell);
    BOOST_TEST(per_cell == 28u);  // 7 targets and blocks x {z1, z2} x {linear, nonlinear probe}
    BOOST_TEST(sim::result_row_keys(cells[5].config).size() == 14u);  // "auto": linear encoders, linear data
    std::set<std::tuple<std::string, std::string, std::string>> seen;
    for (const auto& row : t.rows) {
        const std::string name = row[t.col("name")], rep = row[t.col("rep")], probe = row[t.col("probe")];
        seen.insert({name, rep, probe});
        BOOST_TEST(row[t.col("metric")] == "r2");
        BOOST_TEST(row[t.col("cell")] == "5");
        BOOST_TEST(row[t.col("experiment")] == "main");
        BOOST_TEST(row[t.col("seed")] == std::to_string(cells[5].seed));
        BOOST_TEST(sim::parse_num(row[t.col("data.redundancy")]) == cells[5].config.f("data.redundancy"));
        BOOST_TEST(row[t.col("objective.alignment")] == cells[5].config.s("objective.alignment"));
        BOOST_TEST(row[t.col("status")] == r.status);
        BOOST_TEST(sim::parse_num(row[t.col("cka")]) == r.cka);
        if (probe == "linear") {
            const auto& l = r.learned_r2.at(name);
            const auto& a = r.analytic_r2.at(name);
            BOOST_TEST(sim::parse_num(row[t.col("learned_r2")]) == (rep == "z1" ? l.z1 : l.z2));
            BOOST_TEST(sim::parse_num(row[t.col("analytic_r2")]) == (rep == "z1" ? a.z1 : a.z2));
            const auto& lp = r.learned_population_r2.at(name);  // linear encoders on linear data
            BOOST_TEST(sim::parse_num(row[t.col("learned_population_r2")]) == (rep == "z1" ? lp.z1 : lp.z2));
        } else {
            BOOST_TEST(probe == "nonlinear");
            const auto& l = r.learned_r2_nonlinear.at(name);
            const auto& a = r.analytic_r2_nonlinear.at(name);
            BOOST_TEST(sim::parse_num(row[t.col("learned_r2")]) == (rep == "z1" ? l.z1 : l.z2));
            BOOST_TEST(sim::parse_num(row[t.col("analytic_r2")]) == (rep == "z1" ? a.z1 : a.z2));
            BOOST_TEST(row[t.col("learned_population_r2")].empty());
        }
    }
    BOOST_TEST(seen.size() == per_cell);
    fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(jobs_do_not_change_results) {
    const std::string ref = reference_dir();
    const std::string dir = tmpdir("jobs2");
    Counted c;
    const auto s = sweep(spec_of(kGrid), dir, 2, c.fn());
    BOOST_TEST(s.complete);
    BOOST_TEST(s.threads == 2);
    BOOST_TEST(c.calls.load() == 12);
    BOOST_TEST((comparable(dir) == comparable(ref)));
    BOOST_TEST((history_of(dir) == history_of(ref)));  // in cell order too
    // sorted by cell id, kRowsPerCell rows each
    const auto t = sim::read_csv(dir + "/results.csv");
    const std::size_t per_cell = sim::result_row_keys(sim::Config()).size();
    BOOST_REQUIRE_EQUAL(t.rows.size(), 12 * per_cell);
    for (std::size_t i = 0; i < t.rows.size(); ++i)
        BOOST_TEST(t.rows[i][0] == std::to_string(i / per_cell));
    // the manifest says what ran
    const auto m = nlohmann::json::parse(slurp(dir + "/manifest.json"));
    for (const char* k : {"config", "version", "blas_core", "threads", "processes", "start", "end", "experiments"})
        BOOST_TEST(m.contains(k), k);
    BOOST_TEST(m["threads"] == 2);
    BOOST_TEST(m["processes"] == 1);
    BOOST_TEST(m["complete"] == true);
    BOOST_TEST(m["config"]["train.steps"] == 60);
    fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(resume_after_interruptions) {
    const std::string ref = reference_dir();
    const auto spec = spec_of(kGrid);
    const std::string dir = tmpdir("resume");

    // stopped after 5 cells (as a kill between cells would), then the same command again
    {
        Counted c;
        const auto s = sweep(spec, dir, 2, c.fn(), 5);
        BOOST_TEST(!s.complete);
        BOOST_TEST(s.ran == 5u);
        const auto t = sim::read_csv(dir + "/results.csv");
        BOOST_TEST(t.rows.size() == 5 * sim::result_row_keys(sim::Config()).size());
    }
    {
        Counted c;
        const auto s = sweep(spec, dir, 2, c.fn());
        BOOST_TEST(s.skipped == 5u);
        BOOST_TEST(c.calls.load() == 7);
        BOOST_TEST(s.complete);
        BOOST_TEST((comparable(dir) == comparable(ref)));
        BOOST_TEST((history_of(dir) == history_of(ref)));
    }
    // history.csv cut in the middle of a line, with the rows of a cell that results.csv does not
    // hold (written just before a kill): the cell runs again, and its history is there once
    {
        const std::string hpath = dir + "/history.csv", rpath = dir + "/results.csv";
        const auto t = sim::read_csv(rpath);
        std::string text = sim::csv_line(t.header);
        for (const auto& r : t.rows)
            if (r[0] != "11") text += sim::csv_line(r);
        std::ofstream(rpath, std::ios::binary | std::ios::trunc) << text;
        const std::string h = slurp(hpath);
        std::ofstream(hpath, std::ios::binary | std::ios::trunc) << h.substr(0, h.size() - 9);
        Counted c;
        const auto s = sweep(spec, dir, 1, c.fn());
        BOOST_TEST(c.calls.load() == 1);
        BOOST_TEST(s.complete);
        BOOST_TEST((comparable(dir) == comparable(ref)));
        BOOST_TEST((history_of(dir) == history_of(ref)));
    }
    // killed while writing: the last line cut in the middle, and the last cell missing rows
    const std::string path = dir + "/results.csv";
    const std::string full = slurp(path);
    {
        std::string cut = full.substr(0, full.size() - 1);            // drop the final '\n'
        cut = cut.substr(0, cut.rfind('\n') + 1 + 17);                 // half of the last line
        std::ofstream(path, std::ios::binary | std::ios::trunc) << cut;
        Counted c;
        const auto s = sweep(spec, dir, 1, c.fn());
        BOOST_TEST(c.calls.load() == 1);  // only the cut cell runs again
        BOOST_TEST(s.complete);
        BOOST_TEST((comparable(dir) == comparable(ref)));
        BOOST_TEST((history_of(dir) == history_of(ref)));
    }
    {
        // cells 2 and 7 gone, cell 9 with only some of its rows, the file unsorted
        const auto t = sim::read_csv(path);
        std::string text = sim::csv_line(t.header);
        std::vector<std::string> lines;
        for (const auto& r : t.rows) {
            const int id = std::stoi(r[0]);
            if (id == 2 || id == 7) continue;
            lines.push_back(sim::csv_line(r));
        }
        std::reverse(lines.begin(), lines.end());
        // after reversing, cell 9's rows sit together; drop three of them
        std::size_t dropped = 0;
        for (auto it = lines.begin(); it != lines.end() && dropped < 3;) {
            if (it->rfind("9,", 0) == 0) {
                it = lines.erase(it);
                ++dropped;
            } else ++it;
        }
        for (const auto& l : lines) text += l;
        std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
        Counted c;
        const auto s = sweep(spec, dir, 2, c.fn());
        BOOST_TEST(c.calls.load() == 3);
        BOOST_TEST(s.complete);
        BOOST_TEST((comparable(dir) == comparable(ref)));
        BOOST_TEST((history_of(dir) == history_of(ref)));
    }
    // a finished sweep run again computes nothing and leaves results.csv and history.csv byte for byte
    {
        const std::string before = slurp(path), hbefore = slurp(dir + "/history.csv");
        Counted c;
        const auto s = sweep(spec, dir, 2, c.fn());
        BOOST_TEST(c.calls.load() == 0);
        BOOST_TEST(s.complete);
        BOOST_TEST(slurp(path) == before);
        BOOST_TEST(slurp(dir + "/history.csv") == hbefore);
    }
    // another config into the same directory is refused in one line, nothing touched
    {
        const std::string before = slurp(path);
        Counted c;
        std::string err;
        try {
            sweep(spec_of(kGrid, {"train.steps=61"}), dir, 1, c.fn());
        } catch (const ConfigError& e) {
            err = e.what();
        }
        BOOST_TEST(one_line(err));
        BOOST_TEST(err.find("train.steps") != std::string::npos, err);
        BOOST_TEST(c.calls.load() == 0);
        BOOST_TEST(slurp(path) == before);
    }
    fs::remove_all(dir);
}

// A results directory written before a column existed (here: results.csv without polish_evals and
// learned_population_r2, and without the rows of its last cell, as an older alignsim cut short
// leaves it) still resumes and plots: only the missing cell runs, the old rows read the missing
// columns as absent (empty), every other field is kept as it was, and the new rows have them all.
BOOST_AUTO_TEST_CASE(an_older_results_directory_resumes_and_plots) {
    const std::string ref = reference_dir();
    const std::string dir = tmpdir("older");
    fs::copy(ref, dir);
    fs::remove(dir + "/.sweep.lock");
    const auto full = sim::read_csv(ref + "/results.csv");
    const std::set<std::string> gone{"polish_evals", "learned_population_r2"};
    {
        std::vector<std::string> head;
        for (const auto& h : full.header)
            if (!gone.count(h)) head.push_back(h);
        std::string text = sim::csv_line(head);
        for (const auto& r : full.rows) {
            if (r[0] == "11") continue;
            std::vector<std::string> f;
            for (std::size_t i = 0; i < r.size(); ++i)
                if (!gone.count(full.header[i])) f.push_back(r[i]);
            text += sim::csv_line(f);
        }
        std::ofstream(dir + "/results.csv", std::ios::binary | std::ios::trunc) << text;
    }
    // plot reads it as it is, the missing columns absent
    const sim::figures::Data before = sim::figures::load(dir);
    BOOST_TEST(!before.present[11]);
    BOOST_TEST(before.present[10]);
    Counted c;
    const auto s = sweep(spec_of(kGrid), dir, 1, c.fn());
    BOOST_TEST(c.calls.load() == 1);
    BOOST_TEST(s.complete);
    const auto now = comparable(dir), want = comparable(ref);
    BOOST_REQUIRE(now.size() == want.size());
    BOOST_TEST((now[0] == want[0]));  // this version's header
    for (std::size_t i = 1; i < now.size(); ++i)
        for (std::size_t k = 0; k < want[0].size(); ++k) {
            const bool old_row = want[i][0] != "11";
            if (old_row && gone.count(want[0][k])) BOOST_TEST(now[i][k].empty(), "row " << i << " " << want[0][k]);
            else BOOST_TEST(now[i][k] == want[i][k], "row " << i << " " << want[0][k]);
        }
    const sim::figures::Data after = sim::figures::load(dir);
    for (std::size_t id = 0; id < 12; ++id) BOOST_TEST(after.present[id]);
    const sim::PlotReport rep = sim::make_figures(dir, tmpdir("older_figs"), false);
    BOOST_TEST(rep.drawn.size() == 3u);
    fs::remove_all(dir);
}

// results.csv and history.csv read back field by field: a byte order mark and CRLF line ends are
// read as what they hold; a partial number, a wrong type, a short row or a repeated or unknown
// column is refused in one line naming the file, the line and the column; a last line cut short
// (a crash) is left out, and plot says so.
BOOST_AUTO_TEST_CASE(results_files_are_read_field_by_field) {
    const std::string ref = reference_dir();
    const std::string text = slurp(ref + "/results.csv"), htext = slurp(ref + "/history.csv");
    const sim::figures::Data good = sim::figures::load(ref);
    auto with = [&](const std::string& name, const std::string& results, const std::string& history) {
        const std::string dir = tmpdir("fields_" + name);
        fs::copy(ref, dir);
        std::ofstream(dir + "/results.csv", std::ios::binary | std::ios::trunc) << results;
        std::ofstream(dir + "/history.csv", std::ios::binary | std::ios::trunc) << history;
        return dir;
    };
    auto refused = [&](const std::string& dir, const std::string& file, const std::string& where) {
        std::string err;
        try {
            (void)sim::figures::load(dir);
        } catch (const ConfigError& e) {
            err = e.what();
        }
        BOOST_TEST(one_line(err), dir);
        BOOST_TEST(err.find(file + ":" + where) != std::string::npos, err);
        return err;
    };
    auto same_learned = [&](const sim::figures::Data& d) {
        for (std::size_t id = 0; id < 12; ++id)
            for (std::size_t s = 0; s < good.learned[id].size(); ++s)
                BOOST_REQUIRE(d.learned[id][s] == good.learned[id][s]);
    };
    // a BOM and CRLF: read as the file without them
    {
        std::string crlf;
        for (char ch : text) crlf += ch == '\n' ? std::string("\r\n") : std::string(1, ch);
        const auto d = sim::figures::load(with("bom", "\xEF\xBB\xBF" + crlf, htext));
        same_learned(d);
        BOOST_TEST(d.notes.empty());
        BOOST_TEST(d.history[3].size() == good.history[3].size());
    }
    // a partial number, a wrong type, a short row: refused, naming line and column
    const auto lines = [&] {
        std::vector<std::string> l;
        std::istringstream is(text);
        for (std::string x; std::getline(is, x);) l.push_back(x + "\n");
        return l;
    }();
    auto edited = [&](std::size_t line, const std::string& column, const std::string& value) {
        const auto head = sim::csv_split(lines[0].substr(0, lines[0].size() - 1));
        auto f = sim::csv_split(lines[line - 1].substr(0, lines[line - 1].size() - 1));
        f[static_cast<std::size_t>(std::find(head.begin(), head.end(), column) - head.begin())] = value;
        std::string t;
        for (std::size_t i = 0; i < lines.size(); ++i) t += i == line - 1 ? sim::csv_line(f) : lines[i];
        return t;
    };
    BOOST_TEST(refused(with("partial", edited(5, "cka", "1x2"), htext), "results.csv", "5: column 'cka'").find("1x2") !=
               std::string::npos);
    refused(with("steps", edited(7, "steps", "60.5"), htext), "results.csv", "7: column 'steps'");
    refused(with("seed", edited(3, "seed", "-3"), htext), "results.csv", "3: column 'seed'");
    refused(with("space", edited(4, "learned_r2", " 0.5"), htext), "results.csv", "4: column 'learned_r2'");
    {  // a short row in the middle is refused; as the last line (a cut line a tool ended with '\n') it is left out
        std::string mid;
        for (std::size_t i = 0; i < lines.size(); ++i) mid += i == 3 ? std::string("3,main\n") : lines[i];
        refused(with("short", mid, htext), "results.csv", "4: 2 fields");
        const auto d = sim::figures::load(with("short_last", text + "3,main\n", htext));
        BOOST_REQUIRE(d.notes.size() == 1u);
        BOOST_TEST(d.notes[0].find("line " + std::to_string(lines.size() + 1) + " is cut short") != std::string::npos, d.notes[0]);
        for (std::size_t id = 0; id < 12; ++id) BOOST_TEST(d.learned[id] == good.learned[id]);
    }
    refused(with("unknown", "x" + text, htext), "results.csv", "1: other columns");
    {  // history.csv too: its step column of line 2
        const std::size_t nl1 = htext.find('\n'), nl2 = htext.find('\n', nl1 + 1);
        const auto head = sim::csv_split(htext.substr(0, nl1));
        auto f = sim::csv_split(htext.substr(nl1 + 1, nl2 - nl1 - 1));
        f[static_cast<std::size_t>(std::find(head.begin(), head.end(), "step") - head.begin())] = "1y";
        const std::string bad = htext.substr(0, nl1 + 1) + sim::csv_line(f) + htext.substr(nl2 + 1);
        refused(with("hist", text, bad), "history.csv", "2: column 'step'");
    }
    // a cut last line: the complete rows before it, and a note that says so
    {
        const std::string cut = text.substr(0, text.size() - 20);
        const auto d = sim::figures::load(with("cut", cut, htext));
        BOOST_REQUIRE(d.notes.size() == 1u);
        BOOST_TEST(d.notes[0].find("results.csv': line " + std::to_string(lines.size()) + " is cut short") != std::string::npos,
                   d.notes[0]);
        BOOST_TEST(d.present[11]);  // its other rows are whole
        BOOST_TEST(std::isnan(d.learned[11][static_cast<std::size_t>(sim::figures::slot_of("u2", true))]));
        for (std::size_t id = 0; id < 11; ++id) BOOST_TEST(d.learned[id] == good.learned[id]);
    }
}

BOOST_AUTO_TEST_CASE(history_file_and_status_counts) {
    // history.csv: every cell's checkpoints (>= 20 here: 60 steps), tidy, with the cell's keys;
    // its last gap is the cell's objective_gap in results.csv; the summary counts the statuses
    const std::string ref = reference_dir();
    const auto h = sim::read_csv(ref + "/history.csv");
    const auto t = sim::read_csv(ref + "/results.csv");
    BOOST_TEST((h.header == std::vector<std::string>{"cell", "experiment", "data.k_shared", "data.kind", "data.redundancy", "model.dim",
                                                      "model.encoder", "objective.alignment", "objective.lambda", "objective.task",
                                                      "train.weight_decay", "seed", "step", "evals", "loss", "objective", "gap"}));
    std::map<std::string, std::vector<const std::vector<std::string>*>> by_cell;
    for (const auto& r : h.rows) by_cell[r[0]].push_back(&r);
    BOOST_TEST(by_cell.size() == 12u);
    for (const auto& [cell, rows] : by_cell) {
        BOOST_TEST(rows.size() >= 20u, cell);
        long prev = -1;
        for (const auto* r : rows) {
            const long x = std::stol((*r)[static_cast<std::size_t>(h.col("step"))]) + std::stol((*r)[static_cast<std::size_t>(h.col("evals"))]);
            BOOST_TEST(x > prev, cell);  // in training order
            prev = x;
            BOOST_TEST(std::isfinite(sim::parse_num((*r)[static_cast<std::size_t>(h.col("gap"))])), cell);  // cca and regression: certified
        }
        for (const auto& r : t.rows)
            if (r[0] == cell) {
                BOOST_TEST(sim::parse_num(r[static_cast<std::size_t>(t.col("objective_gap"))]) ==
                               sim::parse_num(rows.back()->at(static_cast<std::size_t>(h.col("gap")))),
                           cell);
                BOOST_TEST(r[static_cast<std::size_t>(t.col("status"))] == "ok", cell);
                break;
            }
    }
    // the counts of a sweep's summary: a cell function that marks two cells not converged and one diverged
    const std::string dir = tmpdir("statuses");
    auto marked = [](const sim::Config& c) {
        sim::RunResult r = sim::run(c);
        if (c.f("data.redundancy") == 0.0 && c.s("objective.alignment") == "cca") r.status = "not_converged";
        if (c.f("data.redundancy") == 1.0 && c.s("objective.alignment") == "cca" && c.i("train.seed") == 3) r.status = "diverged";
        return r;
    };
    const auto s = sweep(spec_of(kGrid), dir, 2, marked, 6);
    BOOST_TEST(s.ok + s.not_converged + s.diverged == 6u);
    const auto s2 = sweep(spec_of(kGrid), dir, 2, marked);  // the counts cover the cells of earlier sessions too
    BOOST_TEST(s2.ok == 9u);
    BOOST_TEST(s2.not_converged == 2u);
    BOOST_TEST(s2.diverged == 1u);
    // alignsim plot leaves the not_converged cells out of the comparisons and says how many
    const std::string figs = tmpdir("statuses_figs");
    const sim::PlotReport rep = sim::make_figures(dir, figs, false);
    auto noted = [&](const std::string& start) {
        for (const auto& n : rep.notes)
            if (n.rfind(start, 0) == 0) return true;
        return false;
    };
    BOOST_TEST(noted("3 cells did not finish with status ok and are left out of every figure: 2 not_converged"));
    BOOST_TEST(noted("learned_vs_analytic: 2 not_converged cells left out"));
    BOOST_TEST(noted("redundancy: 2 not_converged cells left out"));
    const std::string lva = slurp(figs + "/learned_vs_analytic.dat");
    BOOST_TEST(lva.find("2 cells not converged, left out") != std::string::npos);  // the title, in the figure
    std::set<std::string> cells_drawn;
    {
        std::istringstream is(lva);
        for (std::string line; std::getline(is, line);) {
            if (line.empty() || line[0] == '#') continue;
            cells_drawn.insert(line.substr(line.rfind(' ') + 1));
        }
    }
    for (const auto& cell : {"0", "1", "8"}) BOOST_TEST(!cells_drawn.count(cell), cell);  // the two not converged, the diverged one
    BOOST_TEST(cells_drawn.size() == 9u);
    fs::remove_all(dir);
    fs::remove_all(figs);
}

BOOST_AUTO_TEST_CASE(a_failing_cell_is_reported_and_retried) {
    const std::string ref = reference_dir();
    const auto spec = spec_of(kGrid);
    const std::string dir = tmpdir("failing");
    // the cell with redundancy 0.5, regression, seed 4 (id 7) throws once
    auto flaky = [](const sim::Config& c) -> sim::RunResult {
        if (c.f("data.redundancy") == 0.5 && c.s("objective.alignment") == "regression" && c.i("train.seed") == 4)
            throw std::runtime_error("disk on fire");
        return sim::run(c);
    };
    const auto s = sweep(spec, dir, 2, flaky);
    BOOST_TEST(s.failed == 1u);
    BOOST_TEST(!s.complete);
    BOOST_TEST(s.first_failure.find("cell 7") != std::string::npos, s.first_failure);
    BOOST_TEST(s.first_failure.find("disk on fire") != std::string::npos);
    Counted c;
    const auto s2 = sweep(spec, dir, 2, c.fn());
    BOOST_TEST(c.calls.load() == 1);
    BOOST_TEST(s2.complete);
    BOOST_TEST((comparable(dir) == comparable(ref)));
    fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(figures_of_a_results_directory) {
    const std::string ref = reference_dir();
    const std::string figs = tmpdir("figs");
    const sim::PlotReport rep = sim::make_figures(ref, figs, true);
    // this grid varies redundancy and objective only: two figures and the convergence of its
    // cells, the others skipped with a note
    BOOST_TEST((rep.drawn == std::vector<std::string>{"redundancy", "learned_vs_analytic", "convergence"}));
    for (const char* f : {"tradeoff", "nonlinear", "capacity"}) {
        bool noted = false;
        for (const auto& n : rep.notes) noted |= n.rfind(std::string(f) + ": skipped", 0) == 0;
        BOOST_TEST(noted, f);
    }
    // both swept keys are shown by `redundancy` (x axis and panels): no by_<key> figure, a note each
    for (const char* k : {"data.redundancy", "objective.alignment"}) {
        bool noted = false;
        for (const auto& n : rep.notes) noted |= n.rfind("by_" + std::string(k) + ": skipped, redundancy shows", 0) == 0;
        BOOST_TEST(noted, k);
    }
    for (const auto& f : rep.drawn) {
        BOOST_TEST(fs::file_size(figs + "/" + f + ".dat") > 0u);
        BOOST_TEST(fs::file_size(figs + "/" + f + ".gp") > 0u);
        if (rep.images) {  // gnuplot present
            BOOST_TEST(fs::file_size(figs + "/" + f + ".svg") > 0u);
            BOOST_TEST(fs::file_size(figs + "/" + f + ".png") > 0u);
        }
    }
    // the plotted points are the mean over seeds of results.csv, and the oracle is the closed form
    // R^2(y_mix | x1) = rho g(a1) + (1 - rho) g(b1) = 0.8 for a1 = b1 = 1, sigma1 = 0.5
    const auto t = sim::read_csv(ref + "/results.csv");
    std::map<std::pair<std::string, std::string>, std::vector<double>> learned;
    for (const auto& r : t.rows)
        if (r[t.col("name")] == "y_mix" && r[t.col("rep")] == "z1" && r[t.col("probe")] == "linear")
            learned[{r[t.col("objective.alignment")], r[t.col("data.redundancy")]}].push_back(
                sim::parse_num(r[t.col("learned_r2")]));
    std::ifstream in(figs + "/redundancy.dat");
    std::string line, objective;
    int points = 0;
    while (std::getline(in, line)) {
        if (line.rfind("# objective ", 0) == 0) objective = line.substr(12);
        if (line.empty() || line[0] == '#') continue;
        std::istringstream is(line);
        std::string rho;
        double mean, sd, n, analytic, oracle;
        is >> rho >> mean >> sd >> n >> analytic >> oracle;
        const auto& v = learned.at({objective, rho});
        double m = 0;
        for (double x : v) m += x;
        m /= static_cast<double>(v.size());
        BOOST_TEST(std::abs(mean - m) < 1e-12);
        BOOST_TEST(n == 2.0);
        BOOST_TEST(std::abs(oracle - 0.8) < 1e-9);
        ++points;
    }
    BOOST_TEST(points == 6);  // 2 objectives x 3 redundancies
    // convergence: the 8 slowest of the 12 cells, each its history.csv rows (x = step + evals)
    {
        const auto h = sim::read_csv(ref + "/history.csv");
        std::map<std::string, std::vector<std::vector<std::string>>> hist;
        for (const auto& r : h.rows) hist[r[0]].push_back(r);
        auto settle = [&](const std::string& cell) {  // last x with a gap above the tolerance 1e-3
            double x = 0;
            for (const auto& r : hist[cell])
                if (!(sim::parse_num(r[static_cast<std::size_t>(h.col("gap"))]) <= 1e-3))
                    x = std::stod(r[static_cast<std::size_t>(h.col("step"))]) + std::stod(r[static_cast<std::size_t>(h.col("evals"))]);
            return x;
        };
        std::ifstream cin(figs + "/convergence.dat");
        std::string cell;
        std::set<std::string> shown;
        std::size_t row = 0;
        for (std::string line; std::getline(cin, line);) {
            if (line.rfind("# cell ", 0) == 0) {
                cell = line.substr(7, line.find(':') - 7);
                shown.insert(cell);
                row = 0;
                continue;
            }
            if (line.empty() || line[0] == '#' || cell.empty()) continue;
            std::istringstream is(line);
            double x, step, evals, gap;
            is >> x >> step >> evals >> gap;
            const auto& r = hist.at(cell).at(row++);
            BOOST_TEST(step == std::stod(r[static_cast<std::size_t>(h.col("step"))]));
            BOOST_TEST(evals == std::stod(r[static_cast<std::size_t>(h.col("evals"))]));
            BOOST_TEST(x == step + evals);
            BOOST_TEST(gap == std::max(1e-12, sim::parse_num(r[static_cast<std::size_t>(h.col("gap"))])));
        }
        BOOST_TEST(shown.size() == 8u);
        for (const auto& [c, rows] : hist)
            if (!shown.count(c))
                for (const auto& sc : shown) BOOST_TEST(settle(c) <= settle(sc), c << " settles after shown cell " << sc);
    }
    // not a results directory: a one-line error
    BOOST_CHECK_THROW(sim::make_figures(figs, figs + "/x", false), std::runtime_error);
    fs::remove_all(figs);
}

namespace {

// A figure's .dat file: blocks (gnuplot's indexes) of comment lines, the column names (the last
// comment line) and rows.
struct DatBlock {
    std::vector<std::string> comments, columns;
    std::vector<std::vector<std::string>> rows;
    int col(const std::string& name) const {
        for (std::size_t i = 0; i < columns.size(); ++i)
            if (columns[i] == name) return static_cast<int>(i);
        return -1;
    }
    double at(std::size_t row, const std::string& name) const {
        const int c = col(name);
        BOOST_REQUIRE_MESSAGE(c >= 0, "no column " + name);
        return sim::parse_num(rows[row][static_cast<std::size_t>(c)] == "?" ? "" : rows[row][static_cast<std::size_t>(c)]);
    }
    bool says(const std::string& text) const {
        for (const auto& c : comments)
            if (c.find(text) != std::string::npos) return true;
        return false;
    }
};
std::vector<DatBlock> read_dat(const std::string& path) {
    std::vector<DatBlock> out;
    std::ifstream in(path);
    BOOST_REQUIRE_MESSAGE(in, "cannot read " + path);
    std::string line;
    bool blank = true;
    while (std::getline(in, line)) {
        if (line.empty()) {
            blank = true;
            continue;
        }
        if (blank && (out.empty() || !out.back().rows.empty())) out.emplace_back();
        blank = false;
        if (line[0] == '#') {
            out.back().comments.push_back(line);
            std::istringstream is(line.substr(1));
            out.back().columns.clear();
            for (std::string w; is >> w;) out.back().columns.push_back(w);
        } else {
            std::istringstream is(line);
            std::vector<std::string> r;
            for (std::string w; is >> w;) r.push_back(w);
            out.back().rows.push_back(r);
        }
    }
    return out;
}

// learned_r2 (or analytic_r2) of results.csv over seeds, per (alignment, key value) of name/rep.
std::map<std::pair<std::string, std::string>, std::vector<double>> column_by(const std::string& dir, const std::string& key,
                                                                             const std::string& name, const std::string& rep,
                                                                             const std::string& column) {
    const auto t = sim::read_csv(dir + "/results.csv");
    std::map<std::pair<std::string, std::string>, std::vector<double>> m;
    for (const auto& r : t.rows)
        if (r[t.col("name")] == name && r[t.col("rep")] == rep && r[t.col("probe")] == "linear")
            m[{r[t.col("objective.alignment")], r[t.col(key)]}].push_back(sim::parse_num(r[t.col(column)]));
    return m;
}
double mean_of(const std::vector<double>& v) {
    double m = 0;
    for (double x : v) m += x;
    return m / static_cast<double>(v.size());
}

// A grid over a key of no named figure: sigma1 of modality 1, for two objectives.
const std::string kNoiseGrid = kSmall + R"(
[grid]
"data.noise1" = [0.3, 0.6, 1.2]
"objective.alignment" = ["cca", "regression"]
seeds = [1, 2]
)";

const std::string& noise_dir() {
    static const std::string dir = [] {
        const std::string d = tmpdir("noise");
        Counted c;
        BOOST_REQUIRE(sweep(spec_of(kNoiseGrid), d, 2, c.fn()).complete);
        return d;
    }();
    return dir;
}

std::string config_error_of(const std::string& dir, const std::string& figs, const sim::PlotOptions& o) {
    try {
        sim::make_figures(dir, figs, o);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

BOOST_AUTO_TEST_CASE(curve_points_and_bad_curves) {
    const auto c = sim::parse_curve("data.noise1=0.2:2:4", false);
    BOOST_TEST((sim::curve_values(c) == std::vector<double>{0.2, 0.8, 1.4, 2.0}));
    BOOST_TEST(c.text() == "data.noise1=0.2:2:4");
    // log spacing hits the decades exactly; an integer key is rounded, repeats dropped
    BOOST_TEST((sim::curve_values(sim::parse_curve("objective.lambda=0.01:100:5", true)) ==
                std::vector<double>{0.01, 0.1, 1, 10, 100}));
    BOOST_TEST((sim::curve_values(sim::parse_curve("model.dim=1:4:7", false)) == std::vector<double>{1, 2, 3, 4}));
    // every point is a validated config with the key set
    const auto cfgs = sim::curve_configs(sim::Config(), sim::parse_curve("model.dim=1:3:3", false));
    BOOST_REQUIRE_EQUAL(cfgs.size(), 3u);
    BOOST_TEST(cfgs[2].i("model.dim") == 3);
    // one-line errors naming the problem
    auto err = [](const std::string& arg, bool log, const sim::Config& base = sim::Config()) {
        try {
            sim::curve_configs(base, sim::parse_curve(arg, log));
        } catch (const ConfigError& e) {
            return std::string(e.what());
        }
        return std::string();
    };
    for (const auto& [arg, log, says] : std::vector<std::tuple<std::string, bool, std::string>>{
             {"data.noise1", false, "KEY=START:STOP:N"},
             {"data.bogus=1:2:3", false, "unknown config key 'data.bogus'"},
             {"train.lr=0.1:1:3", false, "do not depend on 'train.lr'"},
             {"data.noise1=1:0.5:3", false, "START must be below STOP"},
             {"data.noise1=0.1:1:1", false, "N must be"},
             {"data.noise1=0.1:x:3", false, "STOP must be"},
             {"objective.lambda=0:1:3", true, "START > 0"},
             {"data.redundancy=0.5:2:4", false, "data.redundancy = 1"},
             {"model.dim=1:20:20", false, "model.dim = 17"}}) {
        const std::string e = err(arg, log);
        BOOST_TEST(one_line(e), arg);
        BOOST_TEST(e.find(says) != std::string::npos, arg + " -> " + e);
    }
}

BOOST_AUTO_TEST_CASE(by_key_figure_of_a_non_paper_key) {
    const std::string dir = noise_dir();
    const std::string figs = tmpdir("noise_figs");
    const sim::PlotReport rep = sim::make_figures(dir, figs, true);
    // no named figure shows sigma1 or the objective here: both get a by_<key> figure
    BOOST_TEST((rep.drawn == std::vector<std::string>{"learned_vs_analytic", "convergence", "by_data.noise1", "by_objective.alignment"}));
    for (const auto& f : rep.drawn) {
        BOOST_TEST(fs::file_size(figs + "/" + f + ".gp") > 0u);
        if (rep.images) {
            BOOST_TEST(fs::file_size(figs + "/" + f + ".svg") > 0u);
            BOOST_TEST(fs::file_size(figs + "/" + f + ".png") > 0u);
        }
    }
    const auto blocks = read_dat(figs + "/by_data.noise1.dat");
    // per objective (a group: never averaged with the other), the learned block, then the curve
    BOOST_REQUIRE_EQUAL(blocks.size(), 4u);
    const std::vector<double> grid{0.3, 0.6, 1.2};
    const auto spec = spec_of(kNoiseGrid);
    const auto cells = sim::expand(spec);
    for (std::size_t g = 0; g < 2; ++g) {
        const std::string obj = g == 0 ? "cca" : "regression";
        const DatBlock& L = blocks[2 * g];
        const DatBlock& C = blocks[2 * g + 1];
        BOOST_TEST(L.says("group: objective.alignment=" + obj));
        BOOST_REQUIRE_EQUAL(L.rows.size(), grid.size());
        // the learned points are the means over seeds of results.csv; analytic is results.csv's
        for (const std::string name : {"y_shared", "y1", "y_mix", "s", "u1"}) {
            const auto learned = column_by(dir, "data.noise1", name, "z1", "learned_r2");
            const auto analytic = column_by(dir, "data.noise1", name, "z1", "analytic_r2");
            for (std::size_t r = 0; r < grid.size(); ++r) {
                const std::string x = L.rows[r][0];
                BOOST_TEST(sim::parse_num(x) == grid[r]);
                const auto& v = learned.at({obj, x});
                BOOST_TEST(v.size() == 2u);
                BOOST_TEST(std::abs(L.at(r, name + ".z1.mean") - mean_of(v)) < 1e-12);
                BOOST_TEST(L.at(r, name + ".z1.n") == 2.0);
                BOOST_TEST(std::abs(L.at(r, name + ".z1.analytic") - mean_of(analytic.at({obj, x}))) < 1e-12);
            }
        }
        // the analytic curve: far more points than the grid has values, between and beyond them
        BOOST_TEST(C.rows.size() > 10 * grid.size());
        BOOST_TEST(sim::parse_num(C.rows.front()[0]) < grid.front());
        BOOST_TEST(sim::parse_num(C.rows.back()[0]) > grid.back());
        // ... at the points of the `theory --curve` command its comment names, with the group's config
        std::string arg;
        for (const auto& c : C.comments) {
            const auto at = c.find("alignsim theory --curve ");
            if (at != std::string::npos) arg = c.substr(at + 24, c.find(' ', at + 24) - at - 24);
        }
        BOOST_REQUIRE_MESSAGE(!arg.empty(), "the curve names its theory --curve command");
        const auto spec_c = sim::parse_curve(arg, false);
        const auto xs = sim::curve_values(spec_c);
        BOOST_REQUIRE_EQUAL(xs.size(), C.rows.size());
        const sim::Config* base = nullptr;
        for (const auto& cell : cells)
            if (cell.config.s("objective.alignment") == obj) base = &cell.config;
        const auto cfgs = sim::curve_configs(*base, spec_c);
        double prev = 2;
        for (std::size_t r = 0; r < C.rows.size(); ++r) {
            BOOST_TEST(sim::parse_num(C.rows[r][0]) == xs[r]);
            const sim::ClosedFormPoint cf = sim::closed_form_point(cfgs[r]);
            for (const std::string name : {"y_shared", "y1", "y2", "y_mix", "s", "u1", "u2"}) {
                const double a = C.at(r, name + ".z1.analytic"), o = C.at(r, name + ".z1.oracle");
                BOOST_TEST(a == cf.analytic.at(name).z1);
                BOOST_TEST(o == cf.oracle.at(name).z1);
                BOOST_TEST(a <= o + 1e-9, name);  // no representation of x1 holds more than x1
            }
            // more noise, less of the shared information
            const double ys = C.at(r, "y_shared.z1.analytic");
            BOOST_TEST(ys < prev);
            prev = ys;
            // what theory --curve prints there (every 20th point: the full report is slower)
            if (r % 20 == 0) {
                const auto j = sim::theory_report(cfgs[r]);
                BOOST_TEST(j["analytic"]["r2"]["y_mix"]["z1"].get<double>() == C.at(r, "y_mix.z1.analytic"));
                BOOST_TEST(j["r2"]["y_mix"]["oracle_x1"].get<double>() == C.at(r, "y_mix.z1.oracle"));
                BOOST_TEST(j["r2_blocks"]["oracle_x1"]["u1"].get<double>() == C.at(r, "u1.z1.oracle"));
            }
        }
        // at the grid's values the closed form is the run's own analytic side (results.csv)
        const auto analytic = column_by(dir, "data.noise1", "y_mix", "z1", "analytic_r2");
        for (double x : grid) {
            sim::Config k = *base;
            k.set("data.noise1", x);
            BOOST_TEST(sim::closed_form_point(k).analytic.at("y_mix").z1 == mean_of(analytic.at({obj, sim::fmt_num(x)})));
        }
    }
    // a string key: categorical, one row per value with its analytic and oracle
    const auto cat = read_dat(figs + "/by_objective.alignment.dat");
    BOOST_REQUIRE_EQUAL(cat.size(), 3u);  // one group per sigma1, no curve
    for (const auto& b : cat) {
        BOOST_REQUIRE_EQUAL(b.rows.size(), 2u);
        BOOST_TEST(b.rows[0][1] == "\"cca\"");
        BOOST_TEST(b.rows[1][1] == "\"regression\"");
        for (std::size_t r = 0; r < 2; ++r) BOOST_TEST(b.at(r, "y_mix.z1.oracle") >= b.at(r, "y_mix.z1.analytic") - 1e-9);
    }
    fs::remove_all(figs);
}

BOOST_AUTO_TEST_CASE(plot_options) {
    const std::string dir = noise_dir();
    const std::string figs = tmpdir("noise_opts");
    sim::PlotOptions o;
    o.run_gnuplot = false;
    // --x: that axis only; --targets and --rep choose the series (and the .dat columns)
    o.x = "data.noise1";
    o.targets = {"y_mix", "s"};
    o.rep = "both";
    auto rep = sim::make_figures(dir, figs, o);
    BOOST_TEST((rep.drawn == std::vector<std::string>{"by_data.noise1"}));
    const auto b = read_dat(figs + "/by_data.noise1.dat");
    BOOST_TEST((b[0].columns == std::vector<std::string>{
                    "data.noise1", "y_mix.z1.mean", "y_mix.z1.sd", "y_mix.z1.n", "y_mix.z1.analytic", "s.z1.mean",
                    "s.z1.sd", "s.z1.n", "s.z1.analytic", "y_mix.z2.mean", "y_mix.z2.sd", "y_mix.z2.n",
                    "y_mix.z2.analytic", "s.z2.mean", "s.z2.sd", "s.z2.n", "s.z2.analytic"}));
    BOOST_TEST(b[1].col("s.z2.oracle") > 0);
    // --only: one figure by name, named or by_<key>
    o = sim::PlotOptions();
    o.run_gnuplot = false;
    o.only = "learned_vs_analytic";
    BOOST_TEST((sim::make_figures(dir, figs, o).drawn == std::vector<std::string>{"learned_vs_analytic"}));
    o.only = "by_objective.alignment";
    BOOST_TEST((sim::make_figures(dir, figs, o).drawn == std::vector<std::string>{"by_objective.alignment"}));
    // --format: the .gp draws the formats asked for
    o.formats = {"pdf"};
    sim::make_figures(dir, figs, o);
    const std::string gp = slurp(figs + "/by_objective.alignment.gp");
    BOOST_TEST(gp.find("pdfcairo") != std::string::npos);
    BOOST_TEST(gp.find("pngcairo") == std::string::npos);

    // options that do not fit the directory: one line naming the key or figure and what there is,
    // before anything is written
    const std::string fresh = tmpdir("noise_opts_err");
    auto bad = [&](sim::PlotOptions e, std::vector<std::string> says) {
        e.run_gnuplot = false;
        const std::string msg = config_error_of(dir, fresh, e);
        BOOST_TEST(one_line(msg), msg);
        for (const auto& s : says) BOOST_TEST(msg.find(s) != std::string::npos, msg + " lacks " + s);
        BOOST_TEST(!fs::exists(fresh));
    };
    sim::PlotOptions e;
    e.x = "data.noise2";
    bad(e, {"data.noise2", "data.noise1, objective.alignment"});
    e = {};
    e.only = "capacity";
    bad(e, {"capacity", "model.dim", "by_data.noise1"});
    e = {};
    e.only = "by_train.lr";
    bad(e, {"by_train.lr", "learned_vs_analytic, convergence, by_data.noise1, by_objective.alignment"});
    e = {};
    e.targets = {"y_mix", "y9"};
    bad(e, {"y9", "y_shared, y1, y2, y_mix, s, u1, u2"});
    e = {};
    e.rep = "z3";
    bad(e, {"z3", "both"});
    e = {};
    e.formats = {"svg", "jpg"};
    bad(e, {"jpg", "svg, png, pdf"});
    e = {};
    e.only = "learned_vs_analytic";
    e.rep = "z2";
    bad(e, {"--rep", "by_data.noise1"});
    e = {};
    e.only = "by_data.noise1";
    e.x = "objective.alignment";
    bad(e, {"by_data.noise1", "objective.alignment"});
    fs::remove_all(figs);
}

BOOST_AUTO_TEST_CASE(by_key_of_a_key_the_closed_forms_ignore) {
    // the learning rate: learned points move, the analytic value is the same at every lr
    const std::string dir = tmpdir("lr");
    Counted c;
    BOOST_REQUIRE(sweep(spec_of(kSmall + "[grid]\n\"train.lr\" = [0.005, 0.02, 0.08]\nseeds = [1]\n"), dir, 2, c.fn()).complete);
    sim::PlotOptions o;
    o.run_gnuplot = false;
    o.x = "train.lr";
    sim::make_figures(dir, dir + "/f", o);
    const auto b = read_dat(dir + "/f/by_train.lr.dat");
    BOOST_REQUIRE_EQUAL(b.size(), 2u);
    BOOST_TEST(b[1].says("do not depend on train.lr"));
    BOOST_REQUIRE_EQUAL(b[1].rows.size(), 2u);
    BOOST_TEST(b[1].at(0, "y_mix.z1.analytic") == b[1].at(1, "y_mix.z1.analytic"));
    BOOST_TEST(b[1].at(0, "y_mix.z1.analytic") == b[0].at(0, "y_mix.z1.analytic"));
    // 0.005 to 0.08 spans more than a decade: a log axis
    BOOST_TEST(slurp(dir + "/f/by_train.lr.gp").find("set logscale x") != std::string::npos);
    fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(capacity_and_nonlinear_figures_hold_both_probes) {
    // The capacity figure's linear and MLP rows and the nonlinear figure: every plotted mean is the
    // mean over seeds of results.csv, for the linear and the nonlinear probe, and every closed
    // form is the cells' analytic_r2 (of the linear rows and of the nonlinear rows).
    const std::string text = kSmall + R"(
[[experiment]]
name = "cap"
[experiment.eval]
nonlinear_probe = "on"
[experiment.grid]
"model.dim" = [1, 2]
seeds = [3, 4]

[[experiment]]
name = "cap_mlp"
[experiment.model]
encoder = "mlp"
hidden = [8]
[experiment.grid]
"model.dim" = [1, 2]
seeds = [3, 4]

[[experiment]]
name = "nl"
[experiment.data]
kind = "nonlinear"
[experiment.model]
encoder = "mlp"
hidden = [8]
[experiment.objective]
alignment = "infonce"
task = "y_mix"
[experiment.grid]
"objective.lambda" = [0.1, 1.0]
seeds = [3, 4]
)";
    const std::string dir = tmpdir("probes");
    Counted c;
    BOOST_REQUIRE(sweep(spec_of(text), dir, 2, c.fn()).complete);
    sim::PlotOptions o;
    o.run_gnuplot = false;
    const sim::PlotReport rep = sim::make_figures(dir, dir + "/f", o);
    BOOST_TEST((std::count(rep.drawn.begin(), rep.drawn.end(), "capacity") == 1));
    BOOST_TEST((std::count(rep.drawn.begin(), rep.drawn.end(), "nonlinear") == 1));
    // results.csv by (experiment, x, name, probe) -> learned and analytic values over seeds
    const auto t = sim::read_csv(dir + "/results.csv");
    std::map<std::tuple<std::string, double, std::string, std::string>, std::vector<double>> learned, analytic;
    for (const auto& r : t.rows) {
        if (r[t.col("rep")] != "z1") continue;
        const std::string e = r[t.col("experiment")];
        const double x = sim::parse_num(r[t.col(e == "nl" ? "objective.lambda" : "model.dim")]);
        const auto k = std::make_tuple(e, x, r[t.col("name")], r[t.col("probe")]);
        learned[k].push_back(sim::parse_num(r[t.col("learned_r2")]));
        if (!r[t.col("analytic_r2")].empty()) analytic[k].push_back(sim::parse_num(r[t.col("analytic_r2")]));
    }
    // capacity: per encoder, a learned block (both probes) and a closed-form block
    const auto cap = read_dat(dir + "/f/capacity.dat");
    BOOST_REQUIRE_EQUAL(cap.size(), 4u);
    const std::pair<std::string, std::string> blocks[] = {{"linear", "cap"}, {"mlp", "cap_mlp"}};
    std::size_t b = 0, checked = 0;
    for (const auto& [encoder, e] : blocks) {
        const DatBlock& L = cap[b++];
        const DatBlock& C = cap[b++];
        BOOST_TEST(L.says("# " + encoder + " cca weight_decay=0"));
        BOOST_TEST(C.says("# " + encoder + " cca closed form"));
        BOOST_REQUIRE_EQUAL(L.rows.size(), 2u);
        BOOST_REQUIRE_EQUAL(C.rows.size(), 2u);
        for (std::size_t r = 0; r < 2; ++r) {
            const double p = L.at(r, "dim");
            BOOST_TEST(C.at(r, "dim") == p);
            for (const std::string blk : {"s", "u1"}) {
                const auto lin = std::make_tuple(e, p, blk, std::string("linear"));
                const auto nl = std::make_tuple(e, p, blk, std::string("nonlinear"));
                BOOST_REQUIRE_EQUAL(learned.at(nl).size(), 2u);
                BOOST_TEST(std::abs(L.at(r, blk + "_mean") - mean_of(learned.at(lin))) < 1e-12);
                BOOST_TEST(std::abs(L.at(r, blk + "_nl_mean") - mean_of(learned.at(nl))) < 1e-12, encoder << " p=" << p << " " << blk);
                BOOST_TEST(L.at(r, "n_nl") == 2.0);
                BOOST_TEST(std::abs(C.at(r, blk) - mean_of(analytic.at(lin))) < 1e-12);
                BOOST_TEST(std::abs(C.at(r, blk + "_nl") - mean_of(analytic.at(nl))) < 1e-12);
                ++checked;
            }
        }
    }
    BOOST_TEST(checked == 8u);
    // the MLP's closed form is the optimum over all encoders (docs/theory.md section 8)
    for (const auto& r : t.rows)
        if (r[t.col("experiment")] == "cap_mlp")
            BOOST_TEST(r[t.col("analytic_kind")].rfind("unconstrained", 0) == 0u, r[t.col("analytic_kind")]);
    // nonlinear: per series, x, the linear probe's mean, sd, n, then the nonlinear probe's
    const auto nl = read_dat(dir + "/f/nonlinear.dat");
    const std::vector<std::string> series{"s", "u1", "y_shared", "y1", "y_mix"};
    BOOST_REQUIRE_EQUAL(nl.size(), series.size());
    for (std::size_t i = 0; i < series.size(); ++i) {
        BOOST_TEST(nl[i].says("# " + series[i]));
        BOOST_REQUIRE_EQUAL(nl[i].rows.size(), 2u);
        for (std::size_t r = 0; r < 2; ++r) {
            const double lam = nl[i].at(r, "objective.lambda");
            const auto lin = std::make_tuple(std::string("nl"), lam, series[i], std::string("linear"));
            const auto non = std::make_tuple(std::string("nl"), lam, series[i], std::string("nonlinear"));
            BOOST_TEST(std::abs(nl[i].at(r, "learned_mean") - mean_of(learned.at(lin))) < 1e-12);
            BOOST_TEST(std::abs(nl[i].at(r, "nonlinear_mean") - mean_of(learned.at(non))) < 1e-12, series[i] << " lambda=" << lam);
            BOOST_TEST(nl[i].at(r, "nonlinear_n") == 2.0);
        }
    }
    // drawn: the nonlinear probe solid, the linear one dashed; the capacity key names both probes
    const std::string gp = slurp(dir + "/f/nonlinear.gp");
    BOOST_TEST(gp.find("title \"nonlinear probe\"") != std::string::npos);
    BOOST_TEST(gp.find("title \"linear probe\"") != std::string::npos);
    const std::string cgp = slurp(dir + "/f/capacity.gp");
    BOOST_TEST(cgp.find("MLP encoders [8]") != std::string::npos);
    BOOST_TEST(cgp.find("title \"nonlinear probe\"") != std::string::npos);
    fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(real_figure_of_a_fashion_mnist_grid) {
    // A small real-image grid (task y_mix + lambda x InfoNCE, two redundancies, and alignment-only
    // runs of two objectives): the `real` figure is drawn, and no by_<key> figure (`real` shows
    // every swept key), and its .dat holds results.csv's means: the learned accuracy
    // from z1 per lambda (lambda = 0 a decade below the smallest positive one), the baselines, and
    // the alignment-only points (at rho = 1, y_mix is drawn as y_shared).
    const std::string grid = R"(
[data]
kind = "fashion_mnist"
n_train = 600
n_test = 300
sample_seed = 1
[model]
encoder = "mlp"
hidden = [16]
dim = 4
[objective]
task = "y_mix"
[train]
batch = 100
steps = 30
[grid]
seeds = [1, 2]
[[experiment]]
name = "tradeoff"
[experiment.grid]
"objective.lambda" = [0.0, 0.1, 10.0]
"data.redundancy" = [0.5, 1.0]
[[experiment]]
name = "alignment"
[experiment.objective]
task = "none"
[experiment.grid]
"objective.alignment" = ["infonce", "cca"]
)";
    const std::string dir = tmpdir("real"), figs = tmpdir("real_figs");
    Counted c;
    BOOST_REQUIRE(sweep(spec_of(grid), dir, 2, c.fn()).complete);
    BOOST_TEST(c.calls.load() == 16);
    sim::PlotOptions o;
    o.run_gnuplot = false;
    const auto rep = sim::make_figures(dir, figs, o);
    BOOST_TEST((rep.drawn == std::vector<std::string>{"real"}));  // no by_<key>: `real` shows lambda, rho and the objective
    for (const auto& n : rep.notes)
        if (n.rfind("by_", 0) == 0) BOOST_TEST(n.find(": skipped, real shows ") != std::string::npos, n);
    // results.csv: accuracy rows, means over the two seeds
    const auto t = sim::read_csv(dir + "/results.csv");
    std::map<std::tuple<std::string, std::string, std::string, std::string, std::string, std::string>, std::vector<double>> acc;
    for (const auto& r : t.rows) {
        BOOST_TEST(r[t.col("metric")] == "accuracy");
        acc[{r[t.col("experiment")], r[t.col("objective.alignment")], r[t.col("data.redundancy")], r[t.col("objective.lambda")],
             r[t.col("rep")], r[t.col("name")]}]
            .push_back(sim::parse_num(r[t.col("learned_r2")]));
    }
    const auto blocks = read_dat(figs + "/real.dat");
    auto block = [&](const std::string& text) -> const DatBlock& {
        for (const auto& b : blocks)
            if (b.says(text)) return b;
        BOOST_FAIL("real.dat has no block " + text);
        return blocks.front();
    };
    for (const char* rho : {"0.5", "1"})
        for (const char* name : {"y_shared", "y1", "y_mix"}) {
            const DatBlock& b = block(std::string("# rho=") + rho + " " + name + " from z1");
            BOOST_REQUIRE_EQUAL(b.rows.size(), 3u);
            const char* lams[] = {"0", "0.1", "10"};
            const double xs[] = {0.01, 0.1, 10};
            for (std::size_t i = 0; i < 3; ++i) {
                BOOST_TEST(b.at(i, "x") == xs[i]);
                BOOST_TEST(std::abs(b.at(i, "learned_mean") - mean_of(acc.at({"tradeoff", "infonce", rho, lams[i], "z1", name}))) < 1e-12,
                           rho << " " << name << " " << lams[i]);
                BOOST_TEST(b.at(i, "n") == 2.0);
            }
            for (const char* base : {"x1", "x1_supervised"}) {
                const DatBlock& bb = block(std::string("# rho=") + rho + " " + name + " baseline " + base + " ");
                std::vector<double> all;
                for (const char* l : lams)
                    for (double v : acc.at({"tradeoff", "infonce", rho, l, base, name})) all.push_back(v);
                BOOST_TEST(std::abs(bb.at(0, "value") - mean_of(all)) < 1e-12, rho << " " << name << " " << base);
                BOOST_TEST(bb.at(1, "value") == bb.at(0, "value"));  // a level line
            }
        }
    // alignment only: cca at rho = 1, y_mix drawn as y_shared of the (rho = 0.5) alignment-only runs
    const DatBlock& solo = block("# rho=1 alignment only, cca, y_mix (= y_shared at this rho)");
    BOOST_TEST(std::abs(solo.at(0, "mean") - mean_of(acc.at({"alignment", "cca", "0.5", "1", "z1", "y_shared"}))) < 1e-12);
    BOOST_TEST(solo.at(0, "x") > 10);
    // y_mix at rho = 1 is y_shared: the learned rows agree exactly
    BOOST_TEST(acc.at({"tradeoff", "infonce", "1", "10", "z1", "y_mix"}) == acc.at({"tradeoff", "infonce", "1", "10", "z1", "y_shared"}));
    fs::remove_all(dir);
    fs::remove_all(figs);
}

// results.csv's rows of a metric (of one experiment, or all), per (key value, rep, name): the
// learned values over seeds.
std::map<std::tuple<std::string, std::string, std::string>, std::vector<double>> rows_by(
    const std::string& dir, const std::string& key, const std::string& metric, const std::string& experiment = "") {
    const auto t = sim::read_csv(dir + "/results.csv");
    std::map<std::tuple<std::string, std::string, std::string>, std::vector<double>> m;
    for (const auto& r : t.rows)
        if (r[t.col("metric")] == metric && r[t.col("probe")] == "linear" &&
            (experiment.empty() || r[t.col("experiment")] == experiment))
            m[{r[t.col(key)], r[t.col("rep")], r[t.col("name")]}].push_back(sim::parse_num(r[t.col("learned_r2")]));
    return m;
}

const std::string kTinyReal = R"(
[data]
kind = "fashion_mnist"
n_train = 600
n_test = 300
[model]
encoder = "mlp"
hidden = [16]
[objective]
task = "y_mix"
[train]
batch = 100
steps = 30
)";

BOOST_AUTO_TEST_CASE(by_key_figure_of_a_real_image_grid) {
    // Real images (accuracy rows, no closed form): by_model.dim shows the logistic probe's accuracy
    // of the four targets from z1 and z2, learned mean +- sd over seeds, and the probe on the raw
    // pixels of x1 (x2 for z2) as the dashed line, chance as a thin grey one. The sample follows
    // the seed (no data.sample_seed): the baselines differ between seeds and are averaged.
    const std::string dir = tmpdir("real_dim"), figs = tmpdir("real_dim_figs");
    Counted c;
    BOOST_REQUIRE(sweep(spec_of(kTinyReal + "[grid]\n\"model.dim\" = [2, 4]\nseeds = [1, 2]\n"), dir, 2, c.fn()).complete);
    sim::PlotOptions o;
    o.rep = "both";
    const auto rep = sim::make_figures(dir, figs, o);
    BOOST_TEST((rep.drawn == std::vector<std::string>{"by_model.dim"}));
    for (const char* e : {".dat", ".gp"}) BOOST_TEST(fs::file_size(figs + "/by_model.dim" + e) > 0u);
    if (rep.images)
        for (const char* e : {".svg", ".png"}) BOOST_TEST(fs::file_size(figs + "/by_model.dim" + e) > 0u);
    const auto acc = rows_by(dir, "model.dim", "accuracy");
    const auto blocks = read_dat(figs + "/by_model.dim.dat");
    BOOST_REQUIRE_EQUAL(blocks.size(), 1u);  // one group, no curve (no closed form)
    const DatBlock& b = blocks[0];
    BOOST_TEST(b.says("metric = accuracy"));
    std::vector<std::string> columns{"model.dim"};
    for (const char* r : {"z1", "z2"})
        for (const char* n : {"y_shared", "y1", "y2", "y_mix"})
            for (const char* k : {"mean", "sd", "n", "baseline"}) columns.push_back(std::string(n) + "." + r + "." + k);
    BOOST_TEST(b.columns == columns);  // the targets only: no latent blocks, no analytic column
    BOOST_REQUIRE_EQUAL(b.rows.size(), 2u);
    bool baselines_differ = false;
    for (std::size_t r = 0; r < 2; ++r) {
        const std::string x = b.rows[r][0];
        BOOST_TEST(x == (r == 0 ? "2" : "4"));
        for (const char* z : {"z1", "z2"})
            for (const std::string n : {"y_shared", "y1", "y2", "y_mix"}) {
                const std::string id = n + "." + z;
                const auto& learned = acc.at({x, z, n});
                const auto& raw = acc.at({x, std::string(z) == "z1" ? "x1" : "x2", n});
                BOOST_REQUIRE_EQUAL(learned.size(), 2u);
                BOOST_REQUIRE_EQUAL(raw.size(), 2u);
                BOOST_TEST(std::abs(b.at(r, id + ".mean") - mean_of(learned)) < 1e-12, id);
                BOOST_TEST(std::abs(b.at(r, id + ".sd") - std::abs(learned[0] - learned[1]) / std::sqrt(2.0)) < 1e-12, id);
                BOOST_TEST(b.at(r, id + ".n") == 2.0);
                BOOST_TEST(std::abs(b.at(r, id + ".baseline") - mean_of(raw)) < 1e-12, id);
                baselines_differ |= raw[0] != raw[1];
                BOOST_TEST(b.at(r, id + ".mean") >= 0.0);
                BOOST_TEST(b.at(r, id + ".mean") <= 1.0);
            }
        // x1 does not see the garment of modality 2: its raw pixels read y2 near chance
        BOOST_TEST(b.at(r, "y2.z1.baseline") < 0.25);
        BOOST_TEST(b.at(r, "y1.z1.baseline") > 0.4);
    }
    BOOST_TEST(baselines_differ);  // two samples, so the mean is over two values
    // the script: accuracy axis, chance at 0.1, the baseline named in the key, no R^2 and no analytic line
    const std::string gp = slurp(figs + "/by_model.dim.gp");
    BOOST_TEST(gp.find("set multiplot layout 1,2 ") != std::string::npos);  // z1 | z2 targets, no blocks column
    BOOST_TEST(gp.find("set ylabel \"accuracy (logistic probe)\"") != std::string::npos);
    BOOST_TEST(gp.find("first 0.1 to graph 1, first 0.1 nohead") != std::string::npos);
    BOOST_TEST(gp.find("title \"raw x1 pixels (probe)\"") != std::string::npos);
    BOOST_TEST(gp.find("title \"raw x2 pixels (probe)\"") != std::string::npos);
    BOOST_TEST(gp.find("R^2") == std::string::npos);
    BOOST_TEST(gp.find("\"analytic\"") == std::string::npos);
    fs::remove_all(dir);
    fs::remove_all(figs);
}

BOOST_AUTO_TEST_CASE(by_key_never_puts_r2_and_accuracy_in_one_panel) {
    // Two experiments over model.dim, one on linear data (R^2, with its curve), one on real images
    // (accuracy): one row of panels each, the real row without a blocks panel. A third sweeps
    // data.kind itself: by_data.kind leaves the real cell out, and says so.
    const std::string grid = R"(
[data]
n_train = 400
n_test = 200
[train]
steps = 40
batch = 100
[grid]
seeds = [1]
[[experiment]]
name = "lin"
[experiment.data]
d1 = 8
d2 = 8
[experiment.grid]
"model.dim" = [1, 2]
[[experiment]]
name = "img"
[experiment.data]
kind = "fashion_mnist"
n_train = 600
n_test = 300
[experiment.model]
encoder = "mlp"
hidden = [16]
[experiment.grid]
"model.dim" = [2, 4]
[[experiment]]
name = "kinds"
[experiment.model]
dim = 2
[experiment.grid]
"data.kind" = ["linear", "nonlinear", "fashion_mnist"]
)";
    const std::string dir = tmpdir("mixed_kinds"), figs = tmpdir("mixed_kinds_figs");
    Counted c;
    BOOST_REQUIRE(sweep(spec_of(grid), dir, 2, c.fn()).complete);
    BOOST_TEST(c.calls.load() == 7);
    sim::PlotOptions o;
    o.run_gnuplot = false;
    o.x = "model.dim";  // capacity would show it on the linear cells
    sim::make_figures(dir, figs, o);
    const auto blocks = read_dat(figs + "/by_model.dim.dat");
    BOOST_REQUIRE_EQUAL(blocks.size(), 3u);  // lin: learned, curve; img: learned
    BOOST_TEST(blocks[0].says("# group: lin"));
    BOOST_TEST(blocks[0].col("s.z1.analytic") > 0);
    BOOST_TEST(blocks[0].col("y1.z1.baseline") < 0);
    BOOST_TEST(blocks[1].says("alignsim theory --curve model.dim="));
    BOOST_TEST(blocks[2].says("# group: img"));
    BOOST_TEST(blocks[2].says("metric = accuracy"));
    BOOST_TEST(blocks[2].col("y1.z1.baseline") > 0);
    BOOST_TEST(blocks[2].col("y1.z1.analytic") < 0);
    BOOST_TEST(blocks[2].col("s.z1.mean") < 0);
    const auto acc = rows_by(dir, "model.dim", "accuracy", "img");
    const auto r2 = rows_by(dir, "model.dim", "r2", "lin");
    for (std::size_t r = 0; r < 2; ++r) {
        BOOST_TEST(blocks[0].at(r, "y1.z1.mean") == mean_of(r2.at({blocks[0].rows[r][0], "z1", "y1"})));
        // each group's own cells (model.dim = 2 is also the dimension of experiment kinds)
        BOOST_TEST(blocks[2].at(r, "y1.z1.mean") == mean_of(acc.at({blocks[2].rows[r][0], "z1", "y1"})));
        BOOST_TEST(blocks[2].at(r, "y1.z1.baseline") == mean_of(acc.at({blocks[2].rows[r][0], "x1", "y1"})));
    }
    // 2 rows x (targets | blocks): the real row's blocks slot stays empty; R^2 and accuracy axes
    const std::string gp = slurp(figs + "/by_model.dim.gp");
    BOOST_TEST(gp.find("set multiplot layout 2,2 ") != std::string::npos);
    BOOST_TEST(gp.find("set multiplot next") != std::string::npos);
    BOOST_TEST(gp.find("set ylabel \"accuracy (logistic probe)\"") != std::string::npos);
    BOOST_TEST(gp.find("set ylabel \"R^2(target | z1)\"") != std::string::npos);

    // by_data.kind: linear and nonlinear, not the real cell
    o.x = "data.kind";
    const auto rep = sim::make_figures(dir, figs, o);
    const auto kb = read_dat(figs + "/by_data.kind.dat");
    BOOST_REQUIRE_EQUAL(kb.size(), 1u);
    BOOST_REQUIRE_EQUAL(kb[0].rows.size(), 2u);
    BOOST_TEST(kb[0].rows[0][1] == "\"linear\"");
    BOOST_TEST(kb[0].rows[1][1] == "\"nonlinear\"");
    bool noted = false;
    for (const auto& n : rep.notes) noted |= n.rfind("by_data.kind: 1 fashion_mnist cell left out", 0) == 0;
    BOOST_TEST(noted);
    fs::remove_all(dir);
    fs::remove_all(figs);
}
