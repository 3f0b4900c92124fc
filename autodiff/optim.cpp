#include "autodiff/optim.hpp"

#include <cmath>
#include <stdexcept>

namespace ad {

template <class T>
void Optimizer<T>::zero_grad() {
    for (Param<T>* p : params_) p->zero_grad();
}

template <class T>
std::vector<Mat<T>> Optimizer<T>::zeros_like_params() const {
    std::vector<Mat<T>> z;
    z.reserve(params_.size());
    for (const Param<T>* p : params_) {
        z.emplace_back(p->value.shape());
        z.back().fill(T(0));
    }
    return z;
}

template <class T>
T Optimizer<T>::grad_norm() const {
    T s = 0;
    for (const Param<T>* p : params_) {
        const T* g = p->grad.data();
        for (std::size_t i = 0; i < p->grad.size(); ++i) s += g[i] * g[i];
    }
    return std::sqrt(s);
}

template <class T>
T Optimizer<T>::clip_grad_norm(T max_norm) {
    const T norm = grad_norm();
    if (max_norm > T(0) && norm > max_norm) {
        const T c = max_norm / norm;
        for (Param<T>* p : params_) {
            T* g = p->grad.data();
            for (std::size_t i = 0; i < p->grad.size(); ++i) g[i] *= c;
        }
    }
    return norm;
}

template <class T>
SGD<T>::SGD(std::vector<Param<T>*> params, T lr, T momentum, T weight_decay)
    : Optimizer<T>(std::move(params)), momentum_(momentum), wd_(weight_decay) {
    this->lr_ = lr;
    vel_ = this->zeros_like_params();
}

template <class T>
void SGD<T>::step() {
    const T mu = momentum_, wd = wd_, lr = this->lr_;
    for (std::size_t k = 0; k < this->params_.size(); ++k) {
        Param<T>& p = *this->params_[k];
        T* __restrict w = p.value.data();
        const T* __restrict g = p.grad.data();
        T* __restrict v = vel_[k].data();
        const std::size_t N = p.value.size();
        for (std::size_t i = 0; i < N; ++i) {
            v[i] = mu * v[i] + (g[i] + wd * w[i]);
            w[i] -= lr * v[i];
        }
    }
}

template <class T>
Adam<T>::Adam(std::vector<Param<T>*> params, T lr, T beta1, T beta2, T eps, T weight_decay,
              bool decoupled)
    : Optimizer<T>(std::move(params)), b1_(beta1), b2_(beta2), eps_(eps), wd_(weight_decay),
      decoupled_(decoupled) {
    this->lr_ = lr;
    m_ = this->zeros_like_params();
    v_ = this->zeros_like_params();
}

template <class T>
void Adam<T>::step() {
    ++t_;
    const T c1 = T(1) - std::pow(b1_, T(t_));
    const T c2 = T(1) - std::pow(b2_, T(t_));
    // w -= lr m_hat / (sqrt(v_hat) + eps) with m_hat = m / c1, v_hat = v / c2, rewritten as
    // w -= (lr / c1) m / (sqrt(v) / sqrt(c2) + eps). Everything in locals, so that the loops
    // vectorise (members could alias the buffers as far as the compiler knows).
    const T b1 = b1_, b2 = b2_, eps = eps_, wd = wd_;
    const T step = this->lr_ / c1, inv_sqrt_c2 = T(1) / std::sqrt(c2);
    const T shrink = T(1) - this->lr_ * wd;  // AdamW's decoupled decay
    for (std::size_t k = 0; k < this->params_.size(); ++k) {
        Param<T>& p = *this->params_[k];
        T* __restrict w = p.value.data();
        const T* __restrict g = p.grad.data();
        T* __restrict m = m_[k].data();
        T* __restrict v = v_[k].data();
        const std::size_t N = p.value.size();
        if (decoupled_) {
            for (std::size_t i = 0; i < N; ++i) {
                const T gi = g[i];
                m[i] = b1 * m[i] + (T(1) - b1) * gi;
                v[i] = b2 * v[i] + (T(1) - b2) * gi * gi;
                w[i] = shrink * w[i] - step * m[i] / (std::sqrt(v[i]) * inv_sqrt_c2 + eps);
            }
        } else {
            for (std::size_t i = 0; i < N; ++i) {
                const T gi = g[i] + wd * w[i];
                m[i] = b1 * m[i] + (T(1) - b1) * gi;
                v[i] = b2 * v[i] + (T(1) - b2) * gi * gi;
                w[i] -= step * m[i] / (std::sqrt(v[i]) * inv_sqrt_c2 + eps);
            }
        }
    }
}

template <class T>
std::unique_ptr<Optimizer<T>> make_optimizer(const std::string& name, std::vector<Param<T>*> params,
                                             T lr, T weight_decay, T momentum) {
    if (name == "sgd") return std::make_unique<SGD<T>>(std::move(params), lr, momentum, weight_decay);
    if (name == "adam")
        return std::make_unique<Adam<T>>(std::move(params), lr, T(0.9), T(0.999), T(1e-8), weight_decay, false);
    if (name == "adamw")
        return std::make_unique<Adam<T>>(std::move(params), lr, T(0.9), T(0.999), T(1e-8), weight_decay, true);
    throw std::invalid_argument("unknown optimizer '" + name + "' (expected sgd, adam or adamw)");
}

template class Optimizer<double>;
template class Optimizer<float>;
template class SGD<double>;
template class SGD<float>;
template class Adam<double>;
template class Adam<float>;
template std::unique_ptr<Optimizer<double>> make_optimizer<double>(const std::string&, std::vector<Param<double>*>, double, double, double);
template std::unique_ptr<Optimizer<float>> make_optimizer<float>(const std::string&, std::vector<Param<float>*>, float, float, float);

}  // namespace ad
