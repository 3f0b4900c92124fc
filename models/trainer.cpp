#include "models/trainer.hpp"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <numeric>
#include <stdexcept>
#include <thread>

#include "autodiff/lbfgs.hpp"
#include "autodiff/ops.hpp"

namespace models {

namespace {

// The pseudo-inverse of a small symmetric positive semi-definite matrix (p x p, row-major),
// by Jacobi rotations: eigenvalues below 1e-12 of the largest count as zero.
std::vector<double> pinv_psd(std::vector<double> A, std::size_t p) {
    std::vector<double> V(p * p, 0.0);
    for (std::size_t i = 0; i < p; ++i) V[i * p + i] = 1;
    for (int sweep = 0; sweep < 100; ++sweep) {
        double off = 0, diag = 0;
        for (std::size_t i = 0; i < p; ++i)
            for (std::size_t j = 0; j < p; ++j) (i == j ? diag : off) += A[i * p + j] * A[i * p + j];
        if (off <= 1e-30 * diag || off == 0) break;
        for (std::size_t i = 0; i < p; ++i)
            for (std::size_t j = i + 1; j < p; ++j) {
                const double aij = A[i * p + j];
                if (aij == 0) continue;
                const double theta = (A[j * p + j] - A[i * p + i]) / (2 * aij);
                const double t = (theta >= 0 ? 1.0 : -1.0) / (std::abs(theta) + std::sqrt(theta * theta + 1));
                const double c = 1 / std::sqrt(t * t + 1), sn = t * c;
                for (std::size_t k = 0; k < p; ++k) {  // A <- A J (columns i, j)
                    const double ki = A[k * p + i], kj = A[k * p + j];
                    A[k * p + i] = c * ki - sn * kj;
                    A[k * p + j] = sn * ki + c * kj;
                }
                for (std::size_t k = 0; k < p; ++k) {  // A <- J^T A (rows i, j)
                    const double ik = A[i * p + k], jk = A[j * p + k];
                    A[i * p + k] = c * ik - sn * jk;
                    A[j * p + k] = sn * ik + c * jk;
                }
                for (std::size_t k = 0; k < p; ++k) {  // V <- V J
                    const double ki = V[k * p + i], kj = V[k * p + j];
                    V[k * p + i] = c * ki - sn * kj;
                    V[k * p + j] = sn * ki + c * kj;
                }
            }
    }
    double top = 0;
    for (std::size_t i = 0; i < p; ++i) top = std::max(top, A[i * p + i]);
    std::vector<double> out(p * p, 0.0);
    for (std::size_t k = 0; k < p; ++k) {
        const double w = A[k * p + k];
        if (!(w > 1e-12 * top)) continue;
        for (std::size_t i = 0; i < p; ++i)
            for (std::size_t j = 0; j < p; ++j) out[i * p + j] += V[i * p + k] * V[j * p + k] / w;
    }
    return out;
}

// A^T B of two row-major matrices with the same rows (n x a, n x b -> a x b), in double.
template <class T>
std::vector<double> cross_moment(const ad::Mat<T>& A, const ad::Mat<T>& B) {
    const std::size_t n = A.shape()[0], a = A.shape()[1], b = B.shape()[1];
    std::vector<double> out(a * b, 0.0);
    for (std::size_t r = 0; r < n; ++r)
        for (std::size_t i = 0; i < a; ++i) {
            const double x = static_cast<double>(A(r, i));
            for (std::size_t j = 0; j < b; ++j) out[i * b + j] += x * static_cast<double>(B(r, j));
        }
    return out;
}

// Fisher-Yates with the engine's raw output (the same permutation on every platform).
void shuffle(std::vector<std::size_t>& v, ad::Rng& rng) {
    for (std::size_t i = v.size(); i > 1; --i) {
        const std::size_t j = static_cast<std::size_t>(rng() % i);
        std::swap(v[i - 1], v[j]);
    }
}

// Rows idx[b0 .. b0 + B) of src into dst (B x cols, preallocated).
template <class T>
void gather(const ad::Mat<T>& src, const std::vector<std::size_t>& idx, std::size_t b0, ad::Mat<T>& dst) {
    const std::size_t B = dst.shape()[0], c = src.shape()[1];
    for (std::size_t r = 0; r < B; ++r) {
        const T* s = src.data() + idx[b0 + r] * c;
        std::copy(s, s + c, dst.data() + r * c);
    }
}

template <class T>
std::size_t rows_of(const ad::Mat<T>* m, const char* what, bool needed) {
    if (!m) {
        if (needed) throw std::invalid_argument(std::string("trainer: no ") + what + " given");
        return 0;
    }
    return m->shape()[0];
}

}  // namespace

// The helper thread of a concurrent step: runs one job at a time for the trainer (0: idle,
// 1: encoder 2's forward, 2: its backward; -1: quit), handed over under a mutex.
template <class T>
struct Trainer<T>::Helper {
    Trainer* tr;
    std::mutex mu;
    std::condition_variable cv;
    int job = 0;
    std::exception_ptr err;
    std::thread th;
    explicit Helper(Trainer* t) : tr(t), th([this] { loop(); }) {}
    ~Helper() {
        {
            std::lock_guard<std::mutex> lk(mu);
            job = -1;
        }
        cv.notify_all();
        th.join();
    }
    void loop() {
        std::unique_lock<std::mutex> lk(mu);
        for (;;) {
            cv.wait(lk, [&] { return job != 0; });
            if (job < 0) return;
            const int j = job;
            lk.unlock();
            try {
                if (j == 1) tr->forward2();
                else tr->tape2_.backward_from(tr->z2v_, tr->zp2_.grad);
            } catch (...) {
                err = std::current_exception();
            }
            lk.lock();
            job = 0;
            cv.notify_all();
        }
    }
    void post(int j) {
        {
            std::lock_guard<std::mutex> lk(mu);
            job = j;
        }
        cv.notify_all();
    }
    void wait() {
        std::unique_lock<std::mutex> lk(mu);
        cv.wait(lk, [&] { return job == 0; });
        if (err) {
            std::exception_ptr e = err;
            err = nullptr;
            std::rethrow_exception(e);
        }
    }
};

template <class T>
Trainer<T>::~Trainer() = default;

template <class T>
Trainer<T>::Trainer(const TrainerSpec<T>& spec, const TrainData<T>& data)
    : spec_(spec), data_(data), head_("head", spec.enc1.out_dim, 1), align_(spec.alignment),
      batch_rng_(ad::derive_seed(spec.seed, "batches")) {
    const bool has_align = align_.has_term();
    n_ = rows_of(data_.x1, "x1", true);
    const bool classify = spec_.task && spec_.task_classes > 0;
    if (classify && spec_.task_classes < 2)
        throw std::invalid_argument("trainer: a classification head needs at least 2 classes");
    const std::size_t others[3] = {rows_of(data_.x2, "x2", !spec_.frozen_targets),
                                   rows_of(data_.z2, "frozen targets z2", spec_.frozen_targets && has_align),
                                   rows_of(data_.y, "task column y", spec_.task && !classify)};
    for (std::size_t r : others)
        if (r != 0 && r != n_) throw std::invalid_argument("trainer: the data matrices differ in rows");
    if (classify) {
        if (!data_.labels) throw std::invalid_argument("trainer: no task labels given");
        if (data_.labels->size() != n_) throw std::invalid_argument("trainer: the task labels differ in rows from x1");
        for (int c : *data_.labels)
            if (c < 0 || static_cast<std::size_t>(c) >= spec_.task_classes)
                throw std::invalid_argument("trainer: task label " + std::to_string(c) + " is not in 0.." +
                                            std::to_string(spec_.task_classes - 1));
        if (spec_.warmup_steps > 0)
            throw std::invalid_argument("trainer: the warm-up (its least-squares head) is for a regression head only");
    }
    if (spec_.batch == 0 || spec_.batch > n_)
        throw std::invalid_argument("trainer: batch " + std::to_string(spec_.batch) + " is not in 1.." +
                                    std::to_string(n_) + " (the training rows)");

    ad::Rng r1(ad::derive_seed(spec_.seed, "init_f1")), r2(ad::derive_seed(spec_.seed, "init_f2"));
    ad::Rng rh(ad::derive_seed(spec_.seed, "init_head"));
    e1_ = make_encoder<T>(spec_.enc1, r1);
    if (!spec_.frozen_targets) e2_ = make_encoder<T>(spec_.enc2, r2);
    if (classify) {
        head_ = ad::Param<T>("head", spec_.task_classes, spec_.enc1.out_dim);
        head_bias_ = ad::Param<T>("head_bias", 1, spec_.task_classes);  // zero
    }
    if (spec_.task) ad::xavier_uniform(head_.value, rh);

    params_ = e1_->params();
    if (e2_)
        for (auto* q : e2_->params()) params_.push_back(q);
    if (spec_.task) params_.push_back(&head_);
    if (classify) params_.push_back(&head_bias_);
    for (auto* q : align_.params()) params_.push_back(q);  // siglip's t and b
    opt_ = ad::make_optimizer<T>(spec_.optimizer, params_, spec_.lr, spec_.weight_decay, spec_.momentum);
    if (spec_.schedule != "constant" && spec_.schedule != "hold_decay")
        throw std::invalid_argument("trainer: unknown schedule '" + spec_.schedule + "' (expected constant or hold_decay)");
    if (!(spec_.hold_fraction >= 0 && spec_.hold_fraction <= 1) || !(spec_.final_fraction > 0 && spec_.final_fraction <= 1))
        throw std::invalid_argument("trainer: the schedule needs 0 <= hold_fraction <= 1 and 0 < final_fraction <= 1");
    if (spec_.warmup_steps < 0) throw std::invalid_argument("trainer: warmup_steps must be non-negative");

    const std::size_t B = spec_.batch;
    x1b_ = ad::Mat<T>({B, data_.x1->shape()[1]});
    if (data_.x2) x2b_ = ad::Mat<T>({B, data_.x2->shape()[1]});
    if (spec_.frozen_targets && data_.z2) z2b_ = ad::Mat<T>({B, data_.z2->shape()[1]});
    if (spec_.task && !classify) yb_ = ad::Mat<T>({B, std::size_t(1)});
    if (classify) labels_b_.resize(B);
    order_.resize(n_);
    std::iota(order_.begin(), order_.end(), std::size_t(0));
    cursor_ = n_;  // the first step shuffles
    if (spec_.threads >= 2 && e2_ && has_align) {
        zp1_ = ad::Param<T>("z1", B, spec_.enc1.out_dim);
        zp2_ = ad::Param<T>("z2", B, spec_.enc2.out_dim);
        helper_ = std::make_unique<Helper>(this);
    }
}

template <class T>
std::size_t Trainer<T>::advance() {
    const std::size_t B = spec_.batch;
    if (cursor_ + B > n_) {
        shuffle(order_, batch_rng_);
        cursor_ = 0;
    }
    const std::size_t b0 = cursor_;
    cursor_ += B;
    return b0;
}

template <class T>
void Trainer<T>::gather1(std::size_t b0) {
    const std::size_t B = spec_.batch;
    gather(*data_.x1, order_, b0, x1b_);
    if (spec_.frozen_targets && data_.z2) gather(*data_.z2, order_, b0, z2b_);
    if (spec_.task) {
        if (spec_.task_classes > 0) {
            for (std::size_t r = 0; r < B; ++r) labels_b_[r] = (*data_.labels)[order_[b0 + r]];
        } else {
            gather(*data_.y, order_, b0, yb_);
        }
    }
}

template <class T>
void Trainer<T>::gather2(std::size_t b0) {
    if (!spec_.frozen_targets) gather(*data_.x2, order_, b0, x2b_);
}

template <class T>
void Trainer<T>::next_batch() {
    const std::size_t b0 = advance();
    gather1(b0);
    gather2(b0);
}

template <class T>
void Trainer<T>::forward2() {
    gather2(b0_);
    tape2_.reset();
    z2v_ = e2_->forward(tape2_, tape2_.constant(x2b_));
}

template <class T>
ad::Var<T> Trainer<T>::loss_from(ad::Tape<T>& tape, ad::Var<T> z1, ad::Var<T> z2, const ad::Mat<T>* y,
                                 const std::vector<int>* labels, bool with_task) {
    const bool has_align = align_.has_term();
    ad::Var<T> loss;
    if (has_align) loss = align_(z1, z2);
    if (with_task) {
        ad::Var<T> task;
        if (spec_.task_classes > 0) {
            task = ad::cross_entropy(ad::affine(z1, tape.param(head_), tape.param(head_bias_)), *labels);
        } else {
            ad::Var<T> pred = ad::matmul(z1, tape.param(head_));
            task = mse(pred, tape.constant(*y));
        }
        loss = has_align ? ad::add(task, ad::scale(loss, spec_.lambda)) : task;
    }
    if (!has_align && !with_task) loss = align_(z1, z1);  // "none": a constant 0
    return loss;
}

template <class T>
ad::Var<T> Trainer<T>::batch_loss(ad::Tape<T>& tape, const ad::Mat<T>& x1, const ad::Mat<T>* x2, const ad::Mat<T>* z2,
                                  const ad::Mat<T>* y, const std::vector<int>* labels, bool with_task) {
    ad::Var<T> z1 = e1_->forward(tape, tape.constant(x1));
    ad::Var<T> zz;
    if (align_.has_term())
        zz = spec_.frozen_targets ? tape.constant(*z2) : e2_->forward(tape, tape.constant(*x2));
    return loss_from(tape, z1, zz, y, labels, with_task);
}

template <class T>
T Trainer<T>::step() {
    const long k = step_index_++;
    // during the warm-up (spec.warmup_steps), the alignment alone
    const bool with_task = spec_.task && (!align_.has_term() || k >= spec_.warmup_steps);
    if (helper_) {
        // Encoder 2 on the helper thread, encoder 1 here, each on its own tape; then the loss
        // on tape_ from copies of z1 and z2 (leaves whose gradients seed the two backwards).
        b0_ = advance();
        helper_->post(1);
        gather1(b0_);
        tape1_.reset();
        z1v_ = e1_->forward(tape1_, tape1_.constant(x1b_));
        helper_->wait();
        std::copy(z1v_.value().data(), z1v_.value().data() + zp1_.value.size(), zp1_.value.data());
        std::copy(z2v_.value().data(), z2v_.value().data() + zp2_.value.size(), zp2_.value.data());
        zp1_.grad.fill(T(0));
        zp2_.grad.fill(T(0));
        tape_.reset();
        return update(loss_from(tape_, tape_.param(zp1_), tape_.param(zp2_), &yb_, &labels_b_, with_task), k);
    }
    next_batch();
    tape_.reset();
    return update(batch_loss(tape_, x1b_, &x2b_, &z2b_, &yb_, &labels_b_, with_task), k);
}

template <class T>
T Trainer<T>::update(ad::Var<T> loss, long k) {
    const T L = loss.item();
    if (!have_initial_) {
        initial_ = L;
        have_initial_ = true;
    }
    if (!std::isfinite(double(L))) {
        diverged_ = "loss is not finite at step " + std::to_string(k);
        return L;
    }
    if (std::abs(double(L)) > 1e6 * std::max(1.0, std::abs(double(initial_)))) {
        diverged_ = "loss exploded at step " + std::to_string(k) + " (" + std::to_string(double(L)) + ", initial " +
                    std::to_string(double(initial_)) + ")";
        return L;
    }
    opt_->zero_grad();
    tape_.backward(loss);
    if (helper_) {  // the encoders' backwards, seeded with dL/dz1 and dL/dz2, concurrently
        helper_->post(2);
        tape1_.backward_from(z1v_, zp1_.grad);
        helper_->wait();
    }
    if (spec_.clip > T(0)) {
        const T gn = opt_->clip_grad_norm(spec_.clip);
        if (!std::isfinite(double(gn))) {
            diverged_ = "gradient is not finite at step " + std::to_string(k);
            return L;
        }
    }
    opt_->step();
    return L;
}

template <class T>
T Trainer<T>::lr_at(long k, long steps) const {
    if (spec_.schedule == "constant" || steps <= 1) return spec_.lr;
    const double x = static_cast<double>(k) / static_cast<double>(steps - 1), x0 = spec_.hold_fraction;
    if (x <= x0 || x0 >= 1) return spec_.lr;
    const double f = 1 - (1 - spec_.final_fraction) * std::min(1.0, (x - x0) / (1 - x0));
    return static_cast<T>(static_cast<double>(spec_.lr) * f);
}

template <class T>
FitReport Trainer<T>::fit(long steps, const std::function<void(long, double)>& on_step) {
    FitReport rep;
    rep.initial_loss = rep.final_loss = std::nan("");
    const bool has_align = align_.has_term();
    if (!has_align && !spec_.task) return rep;  // nothing to learn
    const bool warm = spec_.task && has_align && spec_.warmup_steps > 0;
    const long tail = std::max<long>(1, steps / 20);
    double tail_sum = 0;
    long tail_count = 0;
    for (long s = 0; s < steps; ++s) {
        if (warm && step_index_ == spec_.warmup_steps) solve_head();  // the task joins
        opt_->set_lr(lr_at(s, steps));
        const double L = double(step());
        if (s == 0) rep.initial_loss = L;
        if (!diverged_.empty()) {
            rep.status = "diverged";
            rep.reason = diverged_;
            break;
        }
        ++rep.steps;
        if (s >= steps - tail) {
            tail_sum += L;
            ++tail_count;
        }
        if (on_step) on_step(s, L);
    }
    // a warm-up as long as the fit: the head still fits the representation learned
    if (warm && diverged_.empty() && step_index_ > 0 && step_index_ <= spec_.warmup_steps) solve_head();
    rep.final_loss = tail_count > 0 ? tail_sum / double(tail_count)
                                    : (std::isfinite(rep.initial_loss) ? rep.initial_loss : std::nan(""));
    return rep;
}

template <class T>
ad::Var<T> Trainer<T>::full_loss(ad::Tape<T>& tape) {
    return batch_loss(tape, *data_.x1, data_.x2, data_.z2, data_.y, data_.labels, spec_.task);
}

template <class T>
double Trainer<T>::full_loss_value() {
    full_tape_.reset();
    return static_cast<double>(full_loss(full_tape_).item());
}

template <class T>
void Trainer<T>::solve_head() {
    if (!spec_.task || spec_.task_classes > 0) throw std::invalid_argument("trainer: solve_head without a regression task");
    const std::size_t p = spec_.enc1.out_dim;
    full_tape_.reset();
    const ad::Mat<T>& Z1 = e1_->forward(full_tape_, full_tape_.constant(*data_.x1)).value();
    const std::vector<double> A = cross_moment(Z1, Z1), b = cross_moment(Z1, *data_.y);
    const std::vector<double> Ai = pinv_psd(A, p);
    for (std::size_t i = 0; i < p; ++i) {
        double v = 0;
        for (std::size_t j = 0; j < p; ++j) v += Ai[i * p + j] * b[j];
        head_.value(i, 0) = static_cast<T>(v);
    }
}

template <class T>
void Trainer<T>::rebalance() {
    const std::size_t p = spec_.enc1.out_dim;
    full_tape_.reset();
    const ad::Mat<T>& Z1 = e1_->forward(full_tape_, full_tape_.constant(*data_.x1)).value();
    const std::vector<double> C11i = pinv_psd(cross_moment(Z1, Z1), p), C21 = cross_moment(*data_.z2, Z1);
    std::vector<double> G(p * p, 0.0);  // C21 C11^+
    for (std::size_t i = 0; i < p; ++i)
        for (std::size_t j = 0; j < p; ++j)
            for (std::size_t k = 0; k < p; ++k) G[i * p + j] += C21[i * p + k] * C11i[k * p + j];
    ad::Mat<T>& W = e1_->params()[0]->value;  // the p x d1 weight of a linear encoder
    const std::size_t d = W.shape()[1];
    ad::Mat<T> out({p, d});
    for (std::size_t i = 0; i < p; ++i)
        for (std::size_t c = 0; c < d; ++c) {
            double v = 0;
            for (std::size_t k = 0; k < p; ++k) v += G[i * p + k] * static_cast<double>(W(k, c));
            out(i, c) = static_cast<T>(v);
        }
    W = out;
    solve_head();
}

template <class T>
PolishReport Trainer<T>::polish(const PolishOptions& opt) {
    if (opt.rebalance && (!e1_->linear_weight() || !spec_.frozen_targets || !spec_.task || !data_.z2))
        throw std::invalid_argument("trainer: polish with rebalancing needs a linear encoder 1, frozen targets and a task");
    if (opt.rebalance && opt.rebalance_every < 1) throw std::invalid_argument("trainer: rebalance_every must be positive");
    PolishReport rep;
    rep.initial_loss = full_loss_value();
    auto done = [&] {
        if (opt.done && opt.done()) rep.done = true;
        return rep.done;
    };
    const std::function<ad::Var<T>(ad::Tape<T>&)> loss = [this](ad::Tape<T>& t) { return full_loss(t); };
    double prev = rep.initial_loss;
    while (rep.evals < opt.max_evals && !done()) {
        if (opt.rebalance) {
            rebalance();
            ++rep.evals;
            ++rep.rebalances;
            if (done()) break;
        }
        ad::LbfgsOptions lo;
        lo.max_evals = opt.max_evals - rep.evals;
        if (opt.rebalance) lo.max_iters = opt.rebalance_every;
        const ad::LbfgsReport r = ad::lbfgs<T>(params_, loss, lo, done);
        rep.evals += r.evals;
        if (opt.progress) opt.progress(rep.evals, r.value);
        if (!opt.rebalance || rep.done) break;
        // a round that no longer decreases the loss: rebalancing will not move it either
        if (!(r.value < prev - 1e-14 * (1 + std::abs(r.value)))) break;
        prev = r.value;
    }
    rep.final_loss = full_loss_value();
    return rep;
}

template class Trainer<double>;
template class Trainer<float>;

}  // namespace models
