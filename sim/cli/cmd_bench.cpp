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
    const std::vector<std::string> shapes = a.shapes.empty() ? bench_shape_names() : a.shapes;
    const std::vector<std::string> dtypes =
        a.dtypes.empty() ? std::vector<std::string>{"float64", "float32"} : a.dtypes;
    for (const auto& s : shapes) bench_shape(s);  // validate everything before running
    if (!a.json) {
        std::printf("one training step: two encoders, symmetric InfoNCE (cosine, tau 0.1), backward, Adam;\n"
                    "single thread, BLAS kernel %s; median process CPU time per step;\n"
                    "floor: the step's GEMMs timed alone (same shapes and transpositions)\n\n",
                    ad::blas::core_name().c_str());
        std::printf("%-8s %-8s %6s %12s %10s %8s %10s\n", "shape", "dtype", "batch", "ms/step", "floor ms",
                    "x floor", "GEMM GF/s");
        std::fflush(stdout);
    }
    for (const auto& s : shapes)
        for (const auto& d : dtypes) {
            const BenchResult r = run_bench(s, d, a.seconds);
            if (a.json) {
                nlohmann::json j = {{"shape", r.shape},         {"dtype", r.dtype},
                                    {"ms_per_step", r.ms_per_step}, {"floor_ms", r.floor_ms},
                                    {"blas_core", r.blas_core},   {"batch", r.batch},
                                    {"steps", r.steps},           {"gemm_gflops", r.gemm_gflops},
                                    {"threads", 1},               {"impl", "alignsim"},
                                    {"wall_ms_per_step", r.wall_ms_per_step},
                                    {"timer", "process_cpu"}};
                std::printf("%s\n", j.dump().c_str());
            } else {
                std::printf("%-8s %-8s %6d %12.3f %10.3f %8.2f %10.1f\n", r.shape.c_str(), r.dtype.c_str(),
                            r.batch, r.ms_per_step, r.floor_ms, r.ms_per_step / r.floor_ms, r.gemm_gflops);
            }
            std::fflush(stdout);
        }
    return 0;
}

}  // namespace sim
