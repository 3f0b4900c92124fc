// What the two kinds of run (run.cpp: linear and nonlinear data; real.cpp: fashion_mnist) share
// around models::Trainer: the trainer of a config, the forward pass over a data matrix, and the
// alignment loss of the test set. Included by those two files only.
#pragma once
#include <algorithm>
#include <cstdint>

#include "autodiff/tape.hpp"
#include "models/encoder.hpp"
#include "models/losses.hpp"
#include "models/registry.hpp"
#include "models/trainer.hpp"
#include "sim/config/config.hpp"

namespace sim {

// The architecture and optimiser of the config: both encoders, the alignment loss, lambda and
// the optimiser's keys. The caller sets what depends on the data: frozen_targets (preset to
// regression alignment), task, task_classes, warmup_steps.
template <class T>
models::TrainerSpec<T> trainer_spec(const Config& cfg) {
    models::TrainerSpec<T> ts;
    ts.enc1.kind = ts.enc2.kind = cfg.s("model.encoder");
    ts.enc1.in_dim = input_dim(cfg, 1);
    ts.enc2.in_dim = input_dim(cfg, 2);
    ts.enc1.out_dim = ts.enc2.out_dim = static_cast<std::size_t>(cfg.i("model.dim"));
    for (auto w : cfg.ilist("model.hidden")) {
        ts.enc1.hidden.push_back(static_cast<std::size_t>(w));
        ts.enc2.hidden.push_back(static_cast<std::size_t>(w));
    }
    ts.enc1.activation = ts.enc2.activation = cfg.s("model.activation");
    if (ts.enc1.kind == "cnn") {
        for (auto* e : {&ts.enc1, &ts.enc2}) {
            e->image_height = kFashionMnistHeight;
            e->image_width = kFashionMnistWidth;
            e->image_channels = 1;
            for (auto v : cfg.ilist("model.cnn_channels")) e->cnn_channels.push_back(static_cast<std::size_t>(v));
            for (auto v : cfg.ilist("model.cnn_kernels")) e->cnn_kernels.push_back(static_cast<std::size_t>(v));
            for (auto v : cfg.ilist("model.cnn_strides")) e->cnn_strides.push_back(static_cast<std::size_t>(v));
            e->pooling = cfg.s("model.cnn_pooling");
        }
    }
    ts.alignment.name = cfg.s("objective.alignment");
    ts.alignment.temperature = static_cast<T>(cfg.f("objective.temperature"));
    ts.alignment.cosine = cfg.s("objective.similarity") == "cosine";
    ts.alignment.cca_penalty = static_cast<T>(cfg.f("objective.cca_penalty"));
    ts.alignment.spectral_centering = cfg.s("objective.spectral_centering");
    ts.alignment.vicreg_invariance = static_cast<T>(cfg.f("objective.vicreg_invariance"));
    ts.alignment.vicreg_variance = static_cast<T>(cfg.f("objective.vicreg_variance"));
    ts.alignment.vicreg_covariance = static_cast<T>(cfg.f("objective.vicreg_covariance"));
    ts.alignment.vicreg_gamma = static_cast<T>(cfg.f("objective.vicreg_gamma"));
    ts.alignment.barlow_offdiag = static_cast<T>(cfg.f("objective.barlow_offdiag"));
    ts.alignment.siglip_temperature = static_cast<T>(cfg.f("objective.siglip_temperature"));
    ts.alignment.siglip_bias = static_cast<T>(cfg.f("objective.siglip_bias"));
    ts.frozen_targets = models::alignment_loss(ts.alignment.name).frozen_target;
    ts.lambda = static_cast<T>(cfg.f("objective.lambda"));
    ts.optimizer = cfg.s("train.optimizer");
    ts.lr = static_cast<T>(cfg.f("train.lr"));
    ts.weight_decay = static_cast<T>(cfg.f("train.weight_decay"));
    ts.momentum = static_cast<T>(cfg.f("train.momentum"));
    ts.clip = static_cast<T>(cfg.f("train.clip"));
    ts.batch = static_cast<std::size_t>(cfg.i("train.batch"));
    ts.schedule = cfg.s("train.schedule");
    ts.seed = static_cast<std::uint64_t>(cfg.i("train.seed"));
    return ts;
}

// f(X) for every row of X, in blocks of rows (the tape of one block at a time, the rows converted
// to the encoder's precision), as doubles.
template <class T, class Src>
Mat encode(models::Encoder<T>& f, const ad::Mat<Src>& X) {
    const std::size_t n = X.shape()[0], d = X.shape()[1], B = f.eval_block_rows();
    ad::Mat<T> blk;
    ad::Tape<T> tape;
    Mat out;
    for (std::size_t r0 = 0; r0 < n; r0 += B) {
        const std::size_t rows = std::min(B, n - r0);
        blk.resize(ad::Shape{rows, d});
        for (std::size_t i = 0; i < rows * d; ++i) blk.data()[i] = static_cast<T>(X.data()[r0 * d + i]);
        tape.reset();
        const ad::Var<T> z = f.forward(tape, tape.constant(blk));
        const ad::Mat<T>& Z = z.value();
        const std::size_t p = Z.shape()[1];
        if (r0 == 0) out = Mat({n, p});
        for (std::size_t i = 0; i < rows * p; ++i) out.data()[r0 * p + i] = static_cast<double>(Z.data()[i]);
    }
    return out;
}

// The alignment loss of two representations of the test set: its mean over consecutive blocks
// of min(batch, rows) rows (a last partial block left out), in the training precision.
template <class T>
double test_alignment_loss(const typename models::AlignmentLoss<T>::Settings& settings, const Mat& z1, const Mat& z2,
                           std::size_t batch) {
    models::AlignmentLoss<T> align(settings);
    const std::size_t nt = z1.shape()[0], p = z1.shape()[1], bs = std::min(batch, nt);
    if (bs == 0) return 0.0;
    ad::Mat<T> a({bs, p}), b({bs, p});
    ad::Tape<T> tape;
    double acc = 0;
    long cnt = 0;
    for (std::size_t b0 = 0; b0 + bs <= nt; b0 += bs) {
        for (std::size_t i = 0; i < bs * p; ++i) {
            a.data()[i] = static_cast<T>(z1.data()[b0 * p + i]);
            b.data()[i] = static_cast<T>(z2.data()[b0 * p + i]);
        }
        tape.reset();
        acc += static_cast<double>(align(tape.constant(a), tape.constant(b)).item());
        ++cnt;
    }
    return cnt > 0 ? acc / static_cast<double>(cnt) : 0.0;
}

}  // namespace sim
