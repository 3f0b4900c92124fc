#include "sim/run/bench.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <stdexcept>

#include "autodiff/blas.hpp"
#include "autodiff/ops.hpp"
#include "autodiff/random.hpp"
#include "models/trainer.hpp"

namespace sim {

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }
// CPU time of the process (all its threads): a single-threaded step on a shared machine is measured by
// the time it ran, not by the time other processes held the core (wall time on an idle one).
double cpu_seconds() {
    timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}

const std::vector<BenchShape>& shapes() {
    static const std::vector<BenchShape> s = {
        {"linear", 1024, {32, 8}, false, 0, {"float64", "float32"}},
        {"mlp", 512, {64, 256, 256, 16}, true, 0, {"float64", "float32"}},
        {"mlp-big", 1024, {256, 1024, 1024, 64}, true, 0, {"float64", "float32"}},
        {"real", 512, {800, 128, 32}, true, 10, {"float32"}},
        {"cnn", 512, {800, 32}, false, 10, {"float32"}, true, 20, 40, {16, 32}, {5, 3}, {1, 1}},
    };
    return s;
}

// One GEMM of the step: C (m x n) = op(A) op(B), with op(A) m x k.
struct Gemm {
    std::size_t m, n, k;
    bool ta, tb;
    double beta;
    int count;  // how many times the step makes this call
};

// The GEMM calls one step makes, as the engine issues them (see autodiff/op_matmul.cpp):
// per encoder layer (batch B, k -> n), forward Z = X W^T, backward dW += dZ^T X and, except
// for the first layer whose input is data, dX = dZ W; then the loss
// (ad::symmetric_cross_entropy_ab), which makes the logits L = A B^T block by block (rows of
// blocks that fit in cache) and takes dA = dL B, dB = dL^T A per block. With a classification
// head (K classes, ad::affine on z1): the logits z1 W^T, dW = dL^T z1 and dz1 = dL W.
std::vector<Gemm> step_gemms(const BenchShape& s, std::size_t elem) {
    std::vector<Gemm> g;
    const std::size_t B = s.batch;
    if (s.classes > 0) {
        const std::size_t p = s.dims.back(), K = s.classes;
        g.push_back({B, K, p, false, true, 1.0, 1});   // logits onto the bias
        g.push_back({K, p, B, true, false, 1.0, 1});   // dW (a parameter: accumulates)
        g.push_back({B, p, K, false, false, 1.0, 1});  // dz1, added to the alignment's
    }
    if (s.cnn) {
        // per conv layer (autodiff/op_conv.cpp), by blocks of images: forward Y_blk = cols W^T
        // (onto the bias), dW += dZ_blk^T cols, and dcols = dZ_blk W except on the data; then the
        // dense layer on the flattened image (forward, dW, dX)
        ad::ImageShape cur{s.image_h, s.image_w, 1};
        for (std::size_t l = 0; l < s.conv_channels.size(); ++l) {
            const std::size_t kk = s.conv_kernels[l], F = s.conv_channels[l], K = kk * kk * cur.channels;
            const ad::ImageShape o = ad::conv2d_shape(cur, F, kk, s.conv_strides[l], kk / 2);
            const std::size_t P = o.height * o.width, chunk = ad::conv2d_block_images(B, P, K, elem);
            const int full = static_cast<int>(B / chunk);
            const std::size_t rest = B % chunk;
            for (auto [cnt, times] : {std::pair<std::size_t, int>{chunk, full}, std::pair<std::size_t, int>{rest, 1}}) {
                if (cnt == 0 || times == 0) continue;
                const bool tr = cur.channels == 1;  // one channel: the transposed im2col (K x rows)
                g.push_back({cnt * P, F, K, tr, true, 1.0, 2 * times});
                g.push_back({F, K, cnt * P, true, tr, 1.0, 2 * times});
                if (l > 0 && tr) g.push_back({K, cnt * P, F, true, true, 0.0, 2 * times});
                if (l > 0 && !tr) g.push_back({cnt * P, K, F, false, false, 0.0, 2 * times});
            }
            cur = ad::pool2d_shape(o, 2, 2);
        }
        const std::size_t k = cur.size(), n = s.dims.back();
        g.push_back({B, n, k, false, true, 1.0, 2});
        g.push_back({n, k, B, true, false, 1.0, 2});
        g.push_back({B, k, n, false, false, 0.0, 2});
    }
    for (std::size_t l = 0; !s.cnn && l + 1 < s.dims.size(); ++l) {
        const std::size_t k = s.dims[l], n = s.dims[l + 1];
        g.push_back({B, n, k, false, true, 0.0, 2});  // forward, both encoders
        g.push_back({n, k, B, true, false, 1.0, 2});  // dW (parameters accumulate)
        if (l > 0) g.push_back({B, k, n, false, false, 0.0, 2});  // dX
    }
    const std::size_t p = s.dims.back();
    const std::size_t br = std::min(B, std::max<std::size_t>(8, (256 * 1024) / (B * elem)));  // as op_contrastive.cpp
    const int blocks = static_cast<int>(B / br);
    const std::size_t rest = B % br;
    g.push_back({br, B, p, false, true, 0.0, blocks});   // logits block
    g.push_back({br, p, B, false, false, 0.0, blocks});  // dA block = dL_blk B
    g.push_back({B, p, br, true, false, 1.0, blocks});   // dB += dL_blk^T A_blk
    if (rest) {
        g.push_back({rest, B, p, false, true, 0.0, 1});
        g.push_back({rest, p, B, false, false, 0.0, 1});
        g.push_back({B, p, rest, true, false, 1.0, 1});
    }
    return g;
}

template <class T>
double time_gemm(const Gemm& g, double budget, ad::Rng& rng, bool wall) {
    ad::Mat<T> A(ad::Shape{g.ta ? g.k : g.m, g.ta ? g.m : g.k});
    ad::Mat<T> Bm(ad::Shape{g.tb ? g.n : g.k, g.tb ? g.k : g.n});
    ad::Mat<T> C(ad::Shape{g.m, g.n});
    ad::fill_normal(A, rng);
    ad::fill_normal(Bm, rng);
    C.fill(T(0));
    for (int w = 0; w < 2; ++w) ad::blas::gemm(A, g.ta, Bm, g.tb, C, T(1), T(g.beta));
    std::vector<double> t;
    const auto start = Clock::now();
    while (t.size() < 5 || (since(start) < budget && t.size() < 100000)) {
        const auto w0 = Clock::now();
        const double t0 = cpu_seconds();
        ad::blas::gemm(A, g.ta, Bm, g.tb, C, T(1), T(g.beta));
        t.push_back(wall ? since(w0) : cpu_seconds() - t0);
    }
    std::sort(t.begin(), t.end());
    return t[t.size() / 2];
}

template <class T>
BenchResult run(const BenchShape& s, double seconds, int threads) {
    ad::Rng rng(ad::derive_seed(12345, s.name.c_str()));
    // The trainer users run (models/trainer.hpp), on 4 batches of random data: each timed step
    // draws its minibatch, runs both encoders, the loss, backward and Adam.
    models::TrainerSpec<T> ts;
    ts.enc1.kind = s.mlp ? "mlp" : "linear";
    ts.enc1.in_dim = s.dims.front();
    ts.enc1.out_dim = s.dims.back();
    ts.enc1.hidden.assign(s.dims.begin() + 1, s.dims.end() - 1);
    ts.enc1.activation = "relu";
    if (s.cnn) {
        ts.enc1.kind = "cnn";
        ts.enc1.image_height = s.image_h;
        ts.enc1.image_width = s.image_w;
        ts.enc1.image_channels = 1;
        ts.enc1.cnn_channels = s.conv_channels;
        ts.enc1.cnn_kernels = s.conv_kernels;
        ts.enc1.cnn_strides = s.conv_strides;
        ts.enc1.pooling = "max";
    }
    ts.enc2 = ts.enc1;
    ts.alignment.name = "infonce";
    ts.alignment.temperature = T(0.1);
    ts.alignment.cosine = true;
    ts.optimizer = "adam";
    ts.lr = T(1e-3);
    ts.batch = s.batch;
    ts.seed = ad::derive_seed(12345, s.name.c_str());
    ts.task = s.classes > 0;
    ts.task_classes = s.classes;
    ts.lambda = T(1);
    ts.threads = threads;  // two or more: the encoders on two threads (models::Trainer), BLAS on one
    ad::Mat<T> x1(ad::Shape{4 * s.batch, s.dims.front()}), x2(ad::Shape{4 * s.batch, s.dims.front()});
    ad::fill_normal(x1, rng);
    ad::fill_normal(x2, rng);
    std::vector<int> labels(4 * s.batch);
    for (std::size_t i = 0; i < labels.size(); ++i) labels[i] = s.classes ? static_cast<int>(rng() % s.classes) : 0;
    models::TrainData<T> td;
    td.x1 = &x1;
    td.x2 = &x2;
    if (ts.task) td.labels = &labels;
    models::Trainer<T> train(ts, td);
    ad::blas::set_threads(train.blas_threads(threads));
    T last = 0;
    auto step = [&]() { last = train.step(); };
    for (int w = 0; w < 3; ++w) step();
    // One thread: process CPU time (robust on a shared machine). Several: wall time (CPU time
    // would add the threads up).
    const bool wall = threads > 1;
    std::vector<double> times, walls;
    const auto start = Clock::now();
    while (times.size() < 3 || since(start) < seconds) {
        const auto w0 = Clock::now();
        const double t0 = cpu_seconds();
        step();
        times.push_back(cpu_seconds() - t0);
        walls.push_back(since(w0));
    }
    if (!std::isfinite(double(last))) throw std::runtime_error("bench: the loss is not finite");
    std::sort(times.begin(), times.end());
    std::sort(walls.begin(), walls.end());

    BenchResult r;
    r.shape = s.name;
    r.dtype = std::is_same<T, double>::value ? "float64" : "float32";
    r.blas_core = ad::blas::core_name();
    r.threads = threads;
    r.timer = wall ? "wall" : "process_cpu";
    r.ms_per_step = 1e3 * (wall ? walls : times)[times.size() / 2];
    r.min_ms_per_step = 1e3 * (wall ? walls : times).front();
    r.wall_ms_per_step = 1e3 * walls[walls.size() / 2];
    r.steps = static_cast<int>(times.size());
    r.batch = static_cast<int>(s.batch);
    // The floor: the step's GEMMs timed alone, with as many BLAS threads as the step has threads
    // (one thread: process CPU time; several: wall time, like the step, so that both see the
    // same machine). With several threads, also the ideal: the one-thread GEMM time (CPU time)
    // divided by the thread count, the GEMM work spread perfectly at the one-core rate.
    const auto gemms = step_gemms(s, sizeof(T));
    const double budget = std::max(0.02, 0.5 * seconds / double(gemms.size()));
    double floor_s = 0, flops = 0;
    ad::blas::set_threads(threads);
    for (const Gemm& g : gemms) {
        floor_s += g.count * time_gemm<T>(g, budget, rng, wall);
        flops += g.count * 2.0 * double(g.m) * double(g.n) * double(g.k);
    }
    if (wall) {
        ad::blas::set_threads(1);
        double one = 0;
        for (const Gemm& g : gemms) one += g.count * time_gemm<T>(g, budget, rng, false);
        r.floor_ideal_ms = 1e3 * one / threads;
    }
    r.floor_ms = 1e3 * floor_s;
    r.gemm_flops = flops;
    r.gemm_gflops = flops / floor_s * 1e-9;
    return r;
}

}  // namespace

const BenchShape& bench_shape(const std::string& name) {
    for (const auto& s : shapes())
        if (s.name == name) return s;
    throw std::invalid_argument("unknown bench shape '" + name + "' (expected linear, mlp, mlp-big, real or cnn)");
}

std::vector<std::string> bench_shape_names() {
    std::vector<std::string> n;
    for (const auto& s : shapes()) n.push_back(s.name);
    return n;
}

BenchResult run_bench(const std::string& shape, const std::string& dtype, double seconds, int threads) {
    if (!(seconds > 0)) throw std::invalid_argument("bench: --seconds must be positive");
    if (threads < 1 || threads > 1024) throw std::invalid_argument("bench: --threads must be in 1..1024");
    const BenchShape& s = bench_shape(shape);
    if (dtype != "float64" && dtype != "float32")
        throw std::invalid_argument("unknown dtype '" + dtype + "' (expected float64 or float32)");
    const ad::blas::ScopedThreads guard(threads);  // for the bench only
    if (dtype == "float64") return run<double>(s, seconds, threads);
    return run<float>(s, seconds, threads);
}

}  // namespace sim
