// `alignsim bench`: the time of one step of models::Trainer, the loop `train` and `sweep` run
// (minibatch, forward of two encoders, symmetric InfoNCE with cosine similarity and temperature
// 0.1, backward, Adam), single thread, against
// its floor: the step's GEMM work at the GEMM rate measured on the spot, with calls of exactly
// the step's shapes and transpositions. bench/torch_bench.py runs the same steps in PyTorch.
#pragma once
#include <string>
#include <vector>

namespace sim {

struct BenchShape {
    std::string name;                // linear | mlp | mlp-big
    std::size_t batch = 0;
    std::vector<std::size_t> dims;   // in, hidden..., out
    bool mlp = false;                // ReLU MLP with biases (else: linear, no bias)
};

// linear 32 -> 8 (batch 1024), mlp 64 -> 256 -> 256 -> 16 (512), mlp-big 256 -> 1024 -> 1024 -> 64
// (1024). Throws std::invalid_argument on another name.
const BenchShape& bench_shape(const std::string& name);
std::vector<std::string> bench_shape_names();

struct BenchResult {
    std::string shape, dtype, blas_core;
    double ms_per_step = 0;   // median process CPU time of the timed steps
    double wall_ms_per_step = 0;  // median wall time (inflated when the machine is shared)
    double floor_ms = 0;      // the step's GEMMs, timed alone
    double gemm_gflops = 0;   // the step's GEMM flops / floor
    double gemm_flops = 0;    // per step
    int steps = 0;            // timed steps
    int batch = 0;
};

// Times the step for about `seconds` (at least 3 steps) after a warm-up, then its GEMMs.
// dtype: "float64" | "float32".
BenchResult run_bench(const std::string& shape, const std::string& dtype, double seconds);

}  // namespace sim
