// alignsim sweep [CONFIG] --out DIR [--jobs N] [--set ...] [--quiet]; under mpirun the cells are
// spread over the ranks and rank 0 writes the results.
#include <cstdio>
#include <stdexcept>

#include "sim/cli/commands.hpp"
#include "sim/sweep/grid.hpp"
#include "sim/sweep/mpi_dist.hpp"
#include "sim/run/run.hpp"
#include "sim/run/stop.hpp"
#include "sim/sweep/sweep.hpp"

namespace sim {

int cmd_sweep(const SweepArgs& a) {
    mpi::Session session;
    install_stop_handlers();  // SIGINT / SIGTERM: stop taking cells, keep what is done, exit 130 / 143
    try {
        const SweepSpec spec = load_sweep_spec(a.cfg);
        SweepOptions opt;
        opt.out_dir = a.out_dir;
        opt.jobs = a.jobs;
        opt.quiet = a.quiet;
        opt.mpi = &session;
        opt.cell = [](const Config& c) { return run(c); };
        const SweepSummary s = run_sweep(spec, opt);
        if (s.interrupted) {
            if (session.rank() == 0) {
                const std::string mpirun = session.size() > 1 ? "mpirun -n " + std::to_string(session.size()) + " " : "";
                std::fprintf(stderr,
                             "alignsim: interrupted by %s: %zu of %zu cells are saved in '%s' (%zu in flight abandoned); "
                             "to resume, run: %s%s\n",
                             signal_name(s.interrupted), s.skipped + s.ran, s.total, a.out_dir.c_str(), s.abandoned,
                             mpirun.c_str(), a.command.c_str());
            }
            return 128 + s.interrupted;
        }
        if (s.failed)
            throw std::runtime_error(std::to_string(s.failed) + " of " + std::to_string(s.total) +
                                     " cells failed (first: " + s.first_failure +
                                     "); the others are saved, rerun the same command to retry");
        return 0;
    } catch (const std::exception& e) {
        if (session.rank() != 0) {  // rank 0 reports; the same error on every rank is said once
            return dynamic_cast<const ConfigError*>(&e) ? 2 : 1;
        }
        throw;
    }
}

}  // namespace sim
