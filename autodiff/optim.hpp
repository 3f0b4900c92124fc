// Optimisers over Params. State buffers are allocated once, at construction.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "autodiff/tape.hpp"

namespace ad {

template <class T>
class Optimizer {
public:
    explicit Optimizer(std::vector<Param<T>*> params) : params_(std::move(params)) {}
    virtual ~Optimizer() = default;
    virtual void step() = 0;
    void zero_grad();
    // Scales all gradients so that their joint L2 norm is at most max_norm; returns the norm
    // before clipping.
    T clip_grad_norm(T max_norm);
    T grad_norm() const;
    void set_lr(T lr) { lr_ = lr; }
    T lr() const { return lr_; }

protected:
    // One zero buffer shaped like each parameter (optimiser state), allocated once.
    std::vector<Mat<T>> zeros_like_params() const;
    std::vector<Param<T>*> params_;
    T lr_ = T(0);
};

// p -= lr * v, v = momentum * v + (g + weight_decay * p)
template <class T>
class SGD : public Optimizer<T> {
public:
    SGD(std::vector<Param<T>*> params, T lr, T momentum = T(0), T weight_decay = T(0));
    void step() override;

private:
    T momentum_, wd_;
    std::vector<Mat<T>> vel_;
};

// Adam (Kingma & Ba) with bias correction. decoupled = false: weight decay is an L2 term added
// to the gradient (Adam); decoupled = true: p -= lr * weight_decay * p separately (AdamW).
template <class T>
class Adam : public Optimizer<T> {
public:
    Adam(std::vector<Param<T>*> params, T lr, T beta1 = T(0.9), T beta2 = T(0.999),
         T eps = T(1e-8), T weight_decay = T(0), bool decoupled = false);
    void step() override;

private:
    T b1_, b2_, eps_, wd_;
    bool decoupled_;
    long t_ = 0;
    std::vector<Mat<T>> m_, v_;
};

// "sgd" | "adam" | "adamw"; throws std::invalid_argument on another name.
template <class T>
std::unique_ptr<Optimizer<T>> make_optimizer(const std::string& name, std::vector<Param<T>*> params,
                                             T lr, T weight_decay, T momentum = T(0.9));

extern template class Optimizer<double>;
extern template class Optimizer<float>;
extern template class SGD<double>;
extern template class SGD<float>;
extern template class Adam<double>;
extern template class Adam<float>;

}  // namespace ad
