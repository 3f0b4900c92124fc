#include "models/trainer.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

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
}

template <class T>
void Trainer<T>::next_batch() {
    const std::size_t B = spec_.batch;
    if (cursor_ + B > n_) {
        shuffle(order_, batch_rng_);
        cursor_ = 0;
    }
    gather(*data_.x1, order_, cursor_, x1b_);
    if (spec_.frozen_targets) {
        if (data_.z2) gather(*data_.z2, order_, cursor_, z2b_);
    } else {
        gather(*data_.x2, order_, cursor_, x2b_);
    }
    if (spec_.task) {
        if (spec_.task_classes > 0) {
            for (std::size_t r = 0; r < B; ++r) labels_b_[r] = (*data_.labels)[order_[cursor_ + r]];
        } else {
            gather(*data_.y, order_, cursor_, yb_);
        }
    }
    cursor_ += B;
}

template <class T>
T Trainer<T>::step() {
    const long k = step_index_++;
    next_batch();
    const bool has_align = spec_.alignment.name != "none";
    tape_.reset();
    ad::Var<T> z1 = e1_->forward(tape_, tape_.constant(x1b_));
    ad::Var<T> loss;
    if (has_align) {
        ad::Var<T> z2 = spec_.frozen_targets ? tape_.constant(z2b_) : e2_->forward(tape_, tape_.constant(x2b_));
        loss = align_(z1, z2);
    }
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
