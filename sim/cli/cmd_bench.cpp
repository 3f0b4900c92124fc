// `alignsim bench [--json] [--shape S]... [--dtype D]... [--seconds S]`: one full training step
// of the reference shapes, single thread, against its GEMM floor (sim/run/bench.hpp).
#include <cstdio>
#include <nlohmann/json.hpp>

#include "autodiff/blas.hpp"
#include "sim/run/bench.hpp"
#include "sim/cli/commands.hpp"

namespace sim {

int cmd_bench(const BenchArgs& a) {
    ad::blas::set_threads(1);
    // Default: the reference shapes linear, mlp, mlp-big (float64 and float32), then real
    // (float32 only, unless --dtype asks).
    const std::vector<std::string> shapes = a.shapes.empty() ? bench_shape_names() : a.shapes;
    for (const auto& s : shapes) bench_shape(s);  // validate everything before running
    if (!a.json) {
        std::printf("one training step: two encoders, symmetric InfoNCE (cosine, tau 0.1), backward, Adam\n"
                    "(real: plus a classification head on z1); %d BLAS thread(s), kernel %s; median %s per step;\n"
                    "floor: the step's GEMMs timed alone (same shapes and transpositions)\n\n",
                    a.threads, ad::blas::core_name().c_str(), a.threads > 1 ? "wall time" : "process CPU time");
        std::printf("%-8s %-8s %6s %12s %10s %8s %10s\n", "shape", "dtype", "batch", "ms/step", "floor ms",
                    "x floor", "GEMM GF/s");
        std::fflush(stdout);
    }
    for (const auto& s : shapes) {
        const std::vector<std::string> dtypes = a.dtypes.empty() ? bench_shape(s).dtypes : a.dtypes;
        for (const auto& d : dtypes) {
            const BenchResult r = run_bench(s, d, a.seconds, a.threads);
            if (a.json) {
                nlohmann::json j = {{"shape", r.shape},         {"dtype", r.dtype},
                                    {"ms_per_step", r.ms_per_step}, {"floor_ms", r.floor_ms},
                                    {"blas_core", r.blas_core},   {"batch", r.batch},
                                    {"steps", r.steps},           {"gemm_gflops", r.gemm_gflops},
                                    {"threads", r.threads},       {"impl", "alignsim"},
                                    {"wall_ms_per_step", r.wall_ms_per_step},
                                    {"min_ms_per_step", r.min_ms_per_step},
                                    {"timer", r.timer}};
                if (r.threads > 1) j["floor_ideal_ms"] = r.floor_ideal_ms;
                std::printf("%s\n", j.dump().c_str());
            } else {
                std::printf("%-8s %-8s %6d %12.3f %10.3f %8.2f %10.1f\n", r.shape.c_str(), r.dtype.c_str(),
                            r.batch, r.ms_per_step, r.floor_ms, r.ms_per_step / r.floor_ms, r.gemm_gflops);
            }
            std::fflush(stdout);
        }
    }
    return 0;
}

}  // namespace sim
