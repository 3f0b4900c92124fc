#include "models/trainer.hpp"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <numeric>
#include <stdexcept>
#include <thread>

#include "autodiff/ops.hpp"

namespace models {

namespace {

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
    const bool has_align = spec_.alignment.name != "none";
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
    opt_ = ad::make_optimizer<T>(spec_.optimizer, params_, spec_.lr, spec_.weight_decay, spec_.momentum);

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
T Trainer<T>::step() {
    const long k = step_index_++;
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
        return loss_and_update(tape_.param(zp1_), tape_.param(zp2_), k);
    }
    next_batch();
    const bool has_align = spec_.alignment.name != "none";
    tape_.reset();
    ad::Var<T> z1 = e1_->forward(tape_, tape_.constant(x1b_));
    ad::Var<T> z2;
    if (has_align) z2 = spec_.frozen_targets ? tape_.constant(z2b_) : e2_->forward(tape_, tape_.constant(x2b_));
    return loss_and_update(z1, z2, k);
}

template <class T>
T Trainer<T>::loss_and_update(ad::Var<T> z1, ad::Var<T> z2, long k) {
    const bool has_align = spec_.alignment.name != "none";
    ad::Var<T> loss;
    if (has_align) loss = align_(z1, z2);
    if (spec_.task) {
        ad::Var<T> task;
        if (spec_.task_classes > 0) {
            task = ad::cross_entropy(ad::affine(z1, tape_.param(head_), tape_.param(head_bias_)), labels_b_);
        } else {
            ad::Var<T> pred = ad::matmul(z1, tape_.param(head_));
            task = mse(pred, tape_.constant(yb_));
        }
        loss = has_align ? ad::add(task, ad::scale(loss, spec_.lambda)) : task;
    }
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
FitReport Trainer<T>::fit(long steps, const std::function<void(long, double)>& on_step) {
    FitReport rep;
    rep.initial_loss = rep.final_loss = std::nan("");
    if (spec_.alignment.name == "none" && !spec_.task) return rep;  // nothing to learn
    const long tail = std::max<long>(1, steps / 20);
    double tail_sum = 0;
    long tail_count = 0;
    for (long s = 0; s < steps; ++s) {
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
    rep.final_loss = tail_count > 0 ? tail_sum / double(tail_count)
                                    : (std::isfinite(rep.initial_loss) ? rep.initial_loss : std::nan(""));
    return rep;
}

template class Trainer<double>;
template class Trainer<float>;

}  // namespace models
