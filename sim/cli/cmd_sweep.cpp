// alignsim sweep [CONFIG] --out DIR [--jobs N] [--set ...] [--quiet]; under mpirun the cells are
// spread over the ranks and rank 0 writes the results.
#include <cstdio>
#include <stdexcept>

#include "sim/cli/commands.hpp"
#include "sim/sweep/grid.hpp"
#include "sim/sweep/mpi_dist.hpp"
#include "sim/run/run.hpp"
#include "sim/sweep/sweep.hpp"

namespace sim {

int cmd_sweep(const SweepArgs& a) {
    mpi::Session session;
    try {
        const SweepSpec spec = load_sweep_spec(a.cfg);
        SweepOptions opt;
        opt.out_dir = a.out_dir;
        opt.jobs = a.jobs;
        opt.quiet = a.quiet;
        opt.mpi = &session;
        opt.cell = [](const Config& c) { return run(c); };
        const SweepSummary s = run_sweep(spec, opt);
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
