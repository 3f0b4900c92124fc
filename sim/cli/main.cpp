// alignsim: closed forms and learned encoders for multimodal alignment, side by side.
#include <CLI/CLI.hpp>
#include <cctype>
#include <cmath>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>

#include "autodiff/blas.hpp"
#include "sim/cli/commands.hpp"
#include "sim/io/meta.hpp"
#include "sim/io/owned_dir.hpp"
#include "sim/plot/plot.hpp"
#include "sim/run/analytic.hpp"
#include "sim/run/bench.hpp"
#include "sim/run/stop.hpp"

namespace {

// The command line as a shell would read it back (for "to resume, run: ...").
std::string shell_line(int argc, char** argv) {
    std::string line;
    for (int i = 0; i < argc; ++i) {
        const std::string a = argv[i];
        bool plain = !a.empty();
        for (char ch : a)
            if (!(std::isalnum(static_cast<unsigned char>(ch)) || std::strchr("-_./=:,+@%", ch))) plain = false;
        if (i) line += ' ';
        if (plain) {
            line += a;
        } else {
            line += '\'';
            for (char ch : a) line += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
            line += '\'';
        }
    }
    return line;
}

void add_config_options(CLI::App* app, sim::ConfigArgs& a, bool with_json = true) {
    app->add_option("config", a.config_path, "TOML config file (default: built-in defaults)")
        ->check(CLI::ExistingFile);
    app->add_option("--set", a.sets, "override a config key, e.g. --set data.redundancy=0.25 (repeatable)")
        ->type_name("KEY=VALUE")
        ->allow_extra_args(false);
    if (with_json) app->add_flag("--json", a.json, "print one JSON object instead of a table");
}

}  // namespace

int main(int argc, char** argv) {
    ad::blas::ensure_fast_kernel(argc, argv);  // may re-execute with a faster OpenBLAS kernel
    ad::blas::set_threads(1);                   // parallelism is across runs, never inside BLAS

    CLI::App app{"alignsim: does aligning two modalities throw away what is specific to each?\n"
                 "Closed forms and learned encoders for the linear-Gaussian model, side by side."};
    app.require_subcommand(1);
    app.set_version_flag("--version", sim::version());

    sim::ConfigArgs config_args, train_args, export_args;
    sim::TheoryArgs theory_args;
    bool config_markdown = false;
    auto* config = app.add_subcommand("config", "print the resolved configuration: every key, its value and meaning");
    add_config_options(config, config_args);
    config->add_flag("--markdown", config_markdown, "the key table of the README (defaults)");

    auto* theory = app.add_subcommand("theory", "closed-form quantities of the configured model");
    add_config_options(theory, theory_args.cfg);
    theory->add_option("--curve", theory_args.curve,
                       "the closed forms along one key: N points from START to STOP, one JSON line each (the keys "
                       "of --json without config and meta, plus key and value), e.g. --curve data.noise1=0.1:2:50")
        ->type_name("KEY=START:STOP:N");
    theory->add_flag("--log", theory_args.log, "with --curve: log-spaced points (START > 0), e.g. for objective.lambda");
    theory->add_option("--format", theory_args.format,
                       "with --curve: jsonl (default) or csv (a table: the key, then every number of a JSON line "
                       "as a column named by its path; tradeoff and warnings stay in jsonl)")
        ->check(CLI::IsMember({"jsonl", "csv"}));
    {
        std::string keys;
        for (const auto& k : sim::curve_keys()) keys += (keys.empty() ? "" : ", ") + k;
        theory->footer("--curve runs along " + keys +
                       "; points of an integer key are rounded, repeats dropped. Every point is validated before "
                       "anything is printed.\nExample: alignsim theory --curve objective.lambda=0.001:1000:61 --log "
                       "--set objective.task=y_mix --set objective.alignment=regression --format csv");
    }

    auto* train = app.add_subcommand("train", "train encoders on samples and compare with the theory");
    add_config_options(train, train_args);

    sim::ConfigArgs evaluate_args;
    std::vector<std::string> evaluate_weights;
    auto* evaluate = app.add_subcommand("evaluate", "closed-form R^2, information and objective gaps of given linear encoders");
    add_config_options(evaluate, evaluate_args);
    evaluate->add_option("--weights", evaluate_weights, "W1.npy (p x d1) and optionally W2.npy (p x d2): z_i = W_i x_i")
        ->required()
        ->expected(1, 2)
        ->check(CLI::ExistingFile)
        ->type_name("W1.npy [W2.npy]");

    std::string export_dir;
    auto* exp = app.add_subcommand("export", "write samples and model parameters as .npy files");
    add_config_options(exp, export_args, false);
    exp->add_option("--out", export_dir, "output directory")->required();

    sim::SweepArgs sweep_args;
    auto* sweep = app.add_subcommand("sweep", "run a parameter grid (resumable) into a results directory");
    add_config_options(sweep, sweep_args.cfg, false);
    sweep->add_option("--out", sweep_args.out_dir, "results directory")->required();
    sweep->add_option("--jobs,-j", sweep_args.jobs, "parallel cells (default: all cores)")->check(CLI::Range(0, 4096));
    sweep->add_flag("--quiet,-q", sweep_args.quiet, "no progress output");

    sim::PlotArgs plot_args;
    auto* plot = app.add_subcommand("plot", "draw the figures of a results directory with gnuplot");
    plot->add_option("dir", plot_args.dir, "results directory written by 'alignsim sweep'")->required()->check(CLI::ExistingDirectory);
    plot->add_option("--out", plot_args.out_dir, "figure directory (default: DIR/figures)");
    plot->add_option("--only", plot_args.only, "draw one figure, by name: a named figure or by_<key>")->type_name("NAME");
    plot->add_option("--x", plot_args.x, "draw only the by_<key> figure of this swept key, covered by a named figure or not")
        ->type_name("KEY");
    plot->add_option("--targets", plot_args.targets,
                     "series of the by_<key> figures: targets and blocks, comma-separated (default: y_shared, y1, y2, "
                     "y_mix, s, u1, u2)")
        ->delimiter(',')
        ->allow_extra_args(false)
        ->type_name("LIST");
    plot->add_option("--rep", plot_args.rep, "representation of the by_<key> figures: z1 (default), z2 or both")
        ->check(CLI::IsMember({"z1", "z2", "both"}));
    plot->add_option("--format", plot_args.formats, "image formats, comma-separated: svg, png, pdf (default: svg,png)")
        ->delimiter(',')
        ->allow_extra_args(false)
        ->type_name("LIST");
    {
        std::string named;
        for (const auto& n : sim::figure_names()) named += (named.empty() ? "" : ", ") + n;
        plot->footer("Named figures: " + named +
                     ", each drawn when the results vary its axes. Then one figure by_<key> for each swept key with two "
                     "or more values that no drawn named figure shows (docs/sweep.md says which key each shows): R^2 of "
                     "each target and block against the key's values, learned mean +- sd over seeds (points), the "
                     "closed form as a curve (as theory --curve prints it), all of x1 dashed; cells that differ in "
                     "other swept keys in separate rows of panels. Each figure: NAME.dat, NAME.gp and the images.");
    }

    sim::BenchArgs bench_args;
    auto* bench = app.add_subcommand("bench", "time one training step of the reference shapes");
    bench->add_flag("--json", bench_args.json, "one JSON object per line");
    bench->add_option("--shape", bench_args.shapes,
                      "linear, mlp, mlp-big, real (the real-data model: 800 -> 128 -> 32 MLPs, InfoNCE and a "
                      "10-class head, float32, batch 512) (repeatable; default all)")
        ->check(CLI::IsMember(sim::bench_shape_names()));
    bench->add_option("--dtype", bench_args.dtypes, "float64, float32 (repeatable; default both, real: float32)")
        ->check(CLI::IsMember({"float64", "float32"}));
    bench->add_option("--threads", bench_args.threads,
                      "BLAS threads (default 1; above 1 the times are wall-clock)")
        ->check(CLI::Range(1, 1024));
    bench->add_option("--seconds", bench_args.seconds, "time budget per measurement")->check(CLI::Range(0.01, 3600.0));

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::string msg = e.what();
        std::fprintf(stderr, "alignsim: error: %s (see alignsim --help)\n", msg.c_str());
        return 2;
    }

    if (*bench && !std::isfinite(bench_args.seconds)) {  // CLI11's Range lets nan through
        std::fprintf(stderr, "alignsim: error: --seconds: must be a finite number of seconds in [0.01, 3600] (see alignsim --help)\n");
        return 2;
    }
    sweep_args.command = shell_line(argc, argv);
    auto dispatch = [&]() -> int {
        if (*config) return sim::cmd_config(config_args, config_markdown);
        if (*theory) return sim::cmd_theory(theory_args);
        if (*train) return sim::cmd_train(train_args);
        if (*evaluate) return sim::cmd_evaluate(evaluate_args, evaluate_weights);
        if (*exp) return sim::cmd_export(export_args, export_dir);
        if (*sweep) return sim::cmd_sweep(sweep_args);
        if (*plot) return sim::cmd_plot(plot_args);
        if (*bench) return sim::cmd_bench(bench_args);
        return 0;
    };
    int rc = 0;
    try {
        rc = dispatch();
    } catch (const sim::Interrupted& e) {  // alignsim train: SIGINT / SIGTERM
        std::fprintf(stderr, "alignsim: %s; nothing was written\n", e.what());
        return 128 + e.signal;
    } catch (const sim::ConfigError& e) {
        std::fprintf(stderr, "alignsim: error: %s\n", e.what());
        return 2;
    } catch (const sim::BadInput& e) {
        std::fprintf(stderr, "alignsim: error: %s\n", sim::printable(e.what(), 4000).c_str());
        return 2;
    } catch (const std::bad_alloc&) {
        std::fprintf(stderr,
                     "alignsim: error: out of memory: the configuration needs more memory than this machine has "
                     "(reduce data.n_train, data.n_test, data.d1, data.d2 or model.hidden)\n");
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "alignsim: error: %s\n", sim::printable(e.what(), 4000).c_str());
        return 1;
    }
    // output that could not be written (stdout on a full disk) is an error, not a quiet success
    std::cout.flush();
    errno = 0;
    if (std::fflush(stdout) != 0 || std::ferror(stdout) || !std::cout) {
        std::fprintf(stderr, "alignsim: error: cannot write the output: %s\n",
                     errno ? std::strerror(errno) : "write error");
        return rc ? rc : 1;
    }
    return rc;
}
