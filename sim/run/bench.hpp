// `alignsim bench`: the time of one step of models::Trainer, the loop `train` and `sweep` run
// (minibatch, forward of two encoders, symmetric InfoNCE with cosine similarity and temperature
// 0.1, backward, Adam), on one thread (or `threads` BLAS threads), against its floor: the step's
// GEMM work at the GEMM rate measured on the spot, with calls of exactly the step's shapes and
// transpositions. bench/torch_bench.py runs the same steps in PyTorch.
//
// The shape `real` is the step of the real-data model (data.kind = "fashion_mnist",
// configs/real.toml): two ReLU MLP encoders 800 -> 128 -> 32, InfoNCE, plus the classification
// head on z1 (32 -> 10 logits with a bias, softmax cross-entropy, weight 1 against lambda = 1
// for the alignment), float32, batch 512. Its floor counts the head's three GEMMs too.
#pragma once
#include <string>
#include <vector>

namespace sim {

struct BenchShape {
    std::string name;                // linear | mlp | mlp-big | real | cnn
    std::size_t batch = 0;
    std::vector<std::size_t> dims;   // in, hidden..., out
    bool mlp = false;                // ReLU MLP with biases (else: linear, no bias)
    std::size_t classes = 0;         // > 0: a classification head on z1 (real)
    std::vector<std::string> dtypes; // the dtypes timed when none is asked for
    // cnn: convolutional encoders on dims.front() = image_h x image_w pixels (one channel):
    // conv layers (channels, kernel, stride; padding kernel / 2; ReLU; 2 x 2 max pooling), then a
    // dense layer to dims.back()
    bool cnn = false;
    std::size_t image_h = 0, image_w = 0;
    std::vector<std::size_t> conv_channels, conv_kernels, conv_strides;
};

// linear 32 -> 8 (batch 1024), mlp 64 -> 256 -> 256 -> 16 (512), mlp-big 256 -> 1024 -> 1024 -> 64
// (1024), real 800 -> 128 -> 32 + head 32 -> 10 (512, float32 by default), cnn: the real step
// with the default CNN encoders (model.encoder = "cnn": 20 x 40 image, conv 5x5 x 16 + max pool,
// conv 3x3 x 32 + max pool, dense 1600 -> 32) and the same head (512, float32). Throws
// std::invalid_argument on another name.
const BenchShape& bench_shape(const std::string& name);
std::vector<std::string> bench_shape_names();

struct BenchResult {
    std::string shape, dtype, blas_core;
    double ms_per_step = 0;   // median process CPU time of the timed steps
    double wall_ms_per_step = 0;  // median wall time (inflated when the machine is shared)
    double floor_ms = 0;      // the step's GEMMs, timed alone with as many BLAS threads
    double floor_ideal_ms = 0; // several threads: the one-thread GEMM time / threads (perfect scaling)
    double gemm_gflops = 0;   // the step's GEMM flops / floor
    double gemm_flops = 0;    // per step
    int steps = 0;            // timed steps
    int batch = 0;
    int threads = 1;          // BLAS threads
    std::string timer;        // process_cpu (one thread) | wall (several: CPU time would add them up)
    double min_ms_per_step = 0;  // fastest timed step, same timer (the least disturbed by other processes)
};

// Times the step for about `seconds` (at least 3 steps) after a warm-up, then its GEMMs. With
// `threads` >= 2 the step is the trainer's concurrent one (its two encoders on two threads, BLAS
// on one: TrainerSpec::threads; a step with one encoder uses the BLAS threads instead), both the
// step and its floor (the GEMMs with that many BLAS threads) are wall-clock times, and
// floor_ideal_ms is the one-thread floor divided by `threads`; BLAS goes back to one thread after.
// dtype: "float64" | "float32".
BenchResult run_bench(const std::string& shape, const std::string& dtype, double seconds, int threads = 1);

}  // namespace sim
