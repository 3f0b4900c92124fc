// The alignsim subcommands. main.cpp parses the command line; each command lives in its own
// cmd_<name>.cpp. Commands throw sim::ConfigError for bad input (exit 2, one line) and
// std::runtime_error for failures (exit 1, one line).
#pragma once
#include <string>
#include <vector>

#include "sim/config/config.hpp"
#include "sim/config/load.hpp"

namespace sim {


struct TheoryArgs {
    ConfigArgs cfg;
    std::string curve;   // --curve KEY=START:STOP:N (empty: one report)
    bool log = false;    // --log: log-spaced curve points
    std::string format;  // --format jsonl|csv of a curve (empty: jsonl)
};
struct SweepArgs {
    ConfigArgs cfg;
    std::string out_dir;
    int jobs = 0;  // 0: all cores
    bool quiet = false;
    std::string command;  // the command line as typed (shell-quoted), for the "to resume" line
};
struct PlotArgs {
    std::string dir;
    std::string out_dir;  // empty: DIR/figures
    std::vector<std::string> formats, targets;  // --format, --targets (comma lists)
    std::string only, x, rep;                   // --only, --x, --rep
};
struct BenchArgs {
    bool json = false;
    std::vector<std::string> shapes;  // empty: all
    std::vector<std::string> dtypes;  // empty: float64 and float32
    double seconds = 1.0;             // time budget per measurement
    int threads = 1;                  // BLAS threads (--threads)
};

int cmd_config(const ConfigArgs& a, bool markdown);
int cmd_theory(const TheoryArgs& a);
int cmd_train(const ConfigArgs& a);
int cmd_evaluate(const ConfigArgs& a, const std::vector<std::string>& weights);
int cmd_export(const ConfigArgs& a, const std::string& out_dir);
int cmd_sweep(const SweepArgs& a);
int cmd_plot(const PlotArgs& a);
int cmd_bench(const BenchArgs& a);

}  // namespace sim
