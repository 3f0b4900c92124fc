// The one training loop of alignsim: two encoders (or one, aligned to frozen targets), an
// alignment loss, an optional task head with weight, minibatches drawn without replacement, and an
// optimiser. `alignsim train` and `sweep` run it (sim/run/), `alignsim bench` times its step, and
// the zero-allocation test counts that step's allocations: the step users run is the step that is
// measured and checked.
//
//   loss = task(head(z1), y) + lambda * alignment(z1, z2)     (with a task)
//   loss = alignment(z1, z2)                                   (without)
//   z1 = f1(x1);  z2 = f2(x2), or the frozen targets z2 given as data
//
// Around the steps (issue 8): fit() sets the learning rate of each step from a schedule and can
// train the alignment alone for a warm-up before the task joins (with the head then solved by
// least squares); full_loss() is the same loss on the whole training set, and polish() minimises
// it by L-BFGS (autodiff/lbfgs.hpp), with the task head rebalanced in closed form, when the
// caller's optimality certificate says that the steps stopped short (sim/run/run.cpp).
//
// The task head is linear: a regression head p -> 1 with mean squared error to a column y, or a
// classification head p -> K logits (weights and a bias) with softmax cross-entropy to class
// labels (TrainerSpec::task_classes; no warm-up, head solve or polish for it).
//
// Two threads (TrainerSpec::threads >= 2): each step runs encoder 2 on a helper thread while
// encoder 1 runs on this one, each on its own tape, joined at the loss; the same numbers, bit for
// bit.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "autodiff/optim.hpp"
#include "autodiff/random.hpp"
#include "autodiff/tape.hpp"
#include "models/encoder.hpp"
#include "models/losses.hpp"

namespace models {

template <class T>
struct TrainerSpec {
    EncoderSpec enc1, enc2;                        // enc2 unused with frozen targets
    typename AlignmentLoss<T>::Settings alignment;  // name "none": task only
    bool frozen_targets = false;                   // z2 comes from TrainData::z2, not an encoder
    bool task = false;                             // a linear head (p -> 1) on z1, MSE to TrainData::y
    // >= 2: the task head is a classifier instead, z1 W^T + b -> task_classes logits (W
    // task_classes x p, b a row), softmax cross-entropy to TrainData::labels. 0: regression head.
    std::size_t task_classes = 0;
    T lambda = T(1);                               // weight of the alignment loss when there is a task
    std::string optimizer = "adam";                // sgd | adam | adamw
    T lr = T(1e-3), weight_decay = T(0), momentum = T(0.9);
    T clip = T(0);                                 // > 0: clip the joint gradient norm
    std::size_t batch = 256;
    // The learning rate of fit()'s steps: "constant" (lr), or "hold_decay": lr for the first
    // hold_fraction of the steps, then linearly down to final_fraction * lr at the last step.
    std::string schedule = "constant";
    double hold_fraction = 0.7, final_fraction = 0.01;
    // With a task and an alignment loss: the first warmup_steps steps train the alignment alone
    // (the head is not on the tape), then fit() sets the head to the least-squares fit of y on
    // z1 over the training rows (solve_head) and the task joins. 0: no warm-up.
    long warmup_steps = 0;
    // >= 2: the step runs the two encoders concurrently, each on its own tape, encoder 2 on a
    // helper thread (models::Trainer joins them at the loss, Tape::backward_from); the BLAS
    // calls should then be single-threaded. The same numbers as one thread, bit for bit. Only
    // with two encoders and an alignment loss (otherwise one thread does everything).
    int threads = 1;
    // Everything random derives from it: encoder initialisations ("init_f1", "init_f2"), the head
    // ("init_head") and the minibatch order ("batches").
    std::uint64_t seed = 0;
};

// The training data, referenced (the caller keeps it alive while the trainer lives). Rows are
// samples; every matrix has the same number of rows.
template <class T>
struct TrainData {
    const ad::Mat<T>* x1 = nullptr;
    const ad::Mat<T>* x2 = nullptr;  // the second modality (encoders on both sides)
    const ad::Mat<T>* z2 = nullptr;  // frozen targets (TrainerSpec::frozen_targets)
    const ad::Mat<T>* y = nullptr;   // the task column, n x 1 (TrainerSpec::task, regression head)
    const std::vector<int>* labels = nullptr;  // the task's classes 0..K-1, n of them (classification head)
};

// What polish() does and when it stops.
struct PolishOptions {
    long max_evals = 1000;  // full-batch loss evaluations at most (a rebalance counts as one)
    // Alternate L-BFGS rounds (rebalance_every accepted steps each) with the closed-form
    // rebalance of the task head's symmetry, W1 <- G W1 (G = C21 C11^+, C11 = E z1 z1^T,
    // C21 = E z2 z1^T over the training rows: the least-squares map from z1 to the frozen
    // targets) then head <- least squares: needs a linear encoder 1, frozen targets and a task.
    bool rebalance = false;
    long rebalance_every = 20;
    // Called after every accepted step and rebalance, with the parameters at the new point: true
    // stops. It may throw (to abandon the run).
    std::function<bool()> done;
    // Called after every L-BFGS round and rebalance (full-batch evaluations so far, loss).
    std::function<void(long, double)> progress;
};
struct PolishReport {
    long evals = 0;       // full-batch evaluations, rebalances included
    long rebalances = 0;
    double initial_loss = 0, final_loss = 0;  // the full-batch loss before and after
    bool done = false;    // stopped because done() said so
};

// How a fit ended. status: "ok" | "diverged" (reason says at which step and why).
struct FitReport {
    std::string status = "ok";
    std::string reason;
    long steps = 0;         // updates made
    double initial_loss = 0;
    double final_loss = 0;  // mean minibatch loss over the last 5% of the steps
};

template <class T>
class Trainer {
public:
    // Throws std::invalid_argument on an inconsistent spec or data (unknown optimiser, missing
    // matrix, batch larger than the data).
    Trainer(const TrainerSpec<T>& spec, const TrainData<T>& data);
    ~Trainer();
    Trainer(const Trainer&) = delete;
    Trainer& operator=(const Trainer&) = delete;

    // One step: the next minibatch (a new permutation each epoch), forward, loss, backward,
    // optional clipping, update. Returns the minibatch loss before the update. When the loss or
    // the gradient is not finite, or the loss has exploded (1e6 x the first), nothing is updated
    // and diverged() says why.
    T step();
    const std::string& diverged() const { return diverged_; }

    // Runs `steps` steps, stopping at divergence; on_step(step, loss) after each update. Sets
    // the learning rate of each step (lr_at) and ends the warm-up (spec.warmup_steps).
    FitReport fit(long steps, const std::function<void(long, double)>& on_step = {});
    // The scheduled learning rate of step k (0-based) of a fit of `steps` steps.
    T lr_at(long k, long steps) const;

    // The training loss (alignment, task and lambda as in step(), no warm-up) on all training
    // rows as one batch, built on the given tape; and its value (on a tape of the trainer's own).
    ad::Var<T> full_loss(ad::Tape<T>& tape);
    double full_loss_value();
    // head <- the least-squares fit of y on z1 = f1(x1) over the training rows (pseudo-inverse
    // of z1^T z1: a rank-deficient z1 gives the minimum-norm head). Needs a regression task.
    void solve_head();
    // Minimises full_loss() from the current parameters (all of them, without weight decay) by
    // L-BFGS until opt.done() or the budget; throws std::invalid_argument when opt.rebalance is
    // asked for without a linear encoder 1, frozen targets and a task.
    PolishReport polish(const PolishOptions& opt);

    Encoder<T>& encoder1() { return *e1_; }
    Encoder<T>* encoder2() { return e2_.get(); }  // nullptr with frozen targets
    // The task head: p x 1 (regression), or task_classes x p with its bias head_bias() (1 x K).
    const ad::Param<T>& head() const { return head_; }
    const ad::Param<T>& head_bias() const { return head_bias_; }
    ad::Optimizer<T>& optimizer() { return *opt_; }
    // The alignment loss, with its own learned parameters (siglip's t and b).
    const AlignmentLoss<T>& alignment() const { return align_; }
    // Every learned parameter, in the optimiser's order: encoder 1, encoder 2, the head, the
    // alignment loss's own (siglip: log t, b).
    const std::vector<ad::Param<T>*>& params() { return params_; }
    const ad::Tape<T>& tape() const { return tape_; }
    const TrainerSpec<T>& spec() const { return spec_; }

    // Whether the step runs its encoders on two threads (TrainerSpec::threads).
    bool concurrent() const { return helper_ != nullptr; }
    // The BLAS threads its steps should run with, out of n available: one when the step is
    // concurrent (two threads of single-threaded GEMMs beat multi-threaded GEMMs of this size).
    int blas_threads(int n) const { return concurrent() ? 1 : n; }

private:
    struct Helper;  // the second thread of a concurrent step
    std::size_t advance();         // the next minibatch: rows order_[b0 .. b0 + batch)
    void gather1(std::size_t b0);  // x1, frozen targets, task
    void gather2(std::size_t b0);  // x2
    void next_batch();             // advance, gather1, gather2
    void forward2();               // the helper's job: gather x2, encoder 2 on tape2_
    // The loss of one batch of rows (step()'s minibatch, or every row for full_loss()).
    ad::Var<T> batch_loss(ad::Tape<T>& tape, const ad::Mat<T>& x1, const ad::Mat<T>* x2, const ad::Mat<T>* z2,
                          const ad::Mat<T>* y, const std::vector<int>* labels, bool with_task);
    // The loss from the representations z1 (and z2) of a batch, on `tape`.
    ad::Var<T> loss_from(ad::Tape<T>& tape, ad::Var<T> z1, ad::Var<T> z2, const ad::Mat<T>* y,
                         const std::vector<int>* labels, bool with_task);
    T update(ad::Var<T> loss, long k);  // divergence checks, backward(s), clipping, the optimiser's step
    void rebalance();
    TrainerSpec<T> spec_;
    TrainData<T> data_;
    std::size_t n_ = 0;
    std::unique_ptr<Encoder<T>> e1_, e2_;
    ad::Param<T> head_, head_bias_;
    AlignmentLoss<T> align_;
    std::vector<ad::Param<T>*> params_;
    std::unique_ptr<ad::Optimizer<T>> opt_;
    ad::Tape<T> tape_;
    ad::Tape<T> full_tape_;  // full_loss_value(), solve_head(), rebalance(): not the step's tape
    ad::Rng batch_rng_;
    std::vector<std::size_t> order_;
    std::size_t cursor_ = 0;
    ad::Mat<T> x1b_, x2b_, z2b_, yb_;  // minibatch buffers, allocated once
    std::vector<int> labels_b_;         // the minibatch's classes (classification head)
    // the concurrent step: each encoder's tape, its output, and the loss tape's copies of them
    ad::Tape<T> tape1_, tape2_;
    ad::Var<T> z1v_, z2v_;
    ad::Param<T> zp1_, zp2_;
    std::size_t b0_ = 0;
    std::unique_ptr<Helper> helper_;
    bool have_initial_ = false;
    T initial_ = T(0);
    std::string diverged_;
    long step_index_ = 0;
};

extern template class Trainer<double>;
extern template class Trainer<float>;

}  // namespace models
