// The one training loop of alignsim: two encoders (or one, aligned to frozen targets), an
// alignment loss, an optional task head with weight, minibatches drawn without replacement, and an
// optimiser. `alignsim train` and `sweep` run it (sim/run/), `alignsim bench` times its step, and
// the zero-allocation test counts that step's allocations: the step users run is the step that is
// measured and checked.
//
//   loss = task(head(z1), y) + lambda * alignment(z1, z2)     (with a task)
//   loss = alignment(z1, z2)                                   (without)
//   z1 = f1(x1);  z2 = f2(x2), or the frozen targets z2 given as data
// The task head is linear: a regression head p -> 1 with mean squared error to a column y, or a
// classification head p -> K logits (weights and a bias) with softmax cross-entropy to class
// labels (TrainerSpec::task_classes).
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

    // Runs `steps` steps, stopping at divergence; on_step(step, loss) after each update.
    FitReport fit(long steps, const std::function<void(long, double)>& on_step = {});

    Encoder<T>& encoder1() { return *e1_; }
    Encoder<T>* encoder2() { return e2_.get(); }  // nullptr with frozen targets
    // The task head: p x 1 (regression), or task_classes x p with its bias head_bias() (1 x K).
    const ad::Param<T>& head() const { return head_; }
    const ad::Param<T>& head_bias() const { return head_bias_; }
    ad::Optimizer<T>& optimizer() { return *opt_; }
    // Every learned parameter, in the optimiser's order: encoder 1, encoder 2, the head.
    const std::vector<ad::Param<T>*>& params() { return params_; }
    const ad::Tape<T>& tape() const { return tape_; }
    const TrainerSpec<T>& spec() const { return spec_; }

    // Whether the step runs its encoders on two threads (TrainerSpec::threads).
    bool concurrent() const { return helper_ != nullptr; }

private:
    struct Helper;  // the second thread of a concurrent step
    void next_batch();
    std::size_t advance();                 // the next minibatch: rows order_[b0 .. b0 + batch)
    void gather1(std::size_t b0);          // x1, frozen targets, task
    void gather2(std::size_t b0);          // x2
    void forward2();                       // helper's job: gather x2, encoder 2 on tape2_
    T loss_and_update(ad::Var<T> z1, ad::Var<T> z2, long k);  // on tape_, from z1 (and z2)
    TrainerSpec<T> spec_;
    TrainData<T> data_;
    std::size_t n_ = 0;
    std::unique_ptr<Encoder<T>> e1_, e2_;
    ad::Param<T> head_, head_bias_;
    AlignmentLoss<T> align_;
    std::vector<ad::Param<T>*> params_;
    std::unique_ptr<ad::Optimizer<T>> opt_;
    ad::Tape<T> tape_;
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
