#include "autodiff/optim.hpp"

#include <cmath>
#include <stdexcept>

namespace ad {

template <class T>
void Optimizer<T>::zero_grad() {
    for (Param<T>* p : params_) p->zero_grad();
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
    for (Param<T>* p : this->params_) {
        vel_.emplace_back(p->value.shape());
        vel_.back().fill(T(0));
    }
}

template <class T>
void SGD<T>::step() {
    for (std::size_t k = 0; k < this->params_.size(); ++k) {
        Param<T>& p = *this->params_[k];
        T* w = p.value.data();
        const T* g = p.grad.data();
        T* v = vel_[k].data();
        for (std::size_t i = 0; i < p.value.size(); ++i) {
            const T gi = g[i] + wd_ * w[i];
            v[i] = momentum_ * v[i] + gi;
            w[i] -= this->lr_ * v[i];
        }
    }
}

template <class T>
Adam<T>::Adam(std::vector<Param<T>*> params, T lr, T beta1, T beta2, T eps, T weight_decay,
              bool decoupled)
    : Optimizer<T>(std::move(params)), b1_(beta1), b2_(beta2), eps_(eps), wd_(weight_decay),
      decoupled_(decoupled) {
    this->lr_ = lr;
    for (Param<T>* p : this->params_) {
        m_.emplace_back(p->value.shape());
        m_.back().fill(T(0));
        v_.emplace_back(p->value.shape());
        v_.back().fill(T(0));
    }
}

template <class T>
void Adam<T>::step() {
    ++t_;
    const T c1 = T(1) - std::pow(b1_, T(t_));
    const T c2 = T(1) - std::pow(b2_, T(t_));
    const T lr = this->lr_;
    for (std::size_t k = 0; k < this->params_.size(); ++k) {
        Param<T>& p = *this->params_[k];
        T* w = p.value.data();
        const T* g = p.grad.data();
        T* m = m_[k].data();
        T* v = v_[k].data();
        for (std::size_t i = 0; i < p.value.size(); ++i) {
            const T gi = decoupled_ ? g[i] : g[i] + wd_ * w[i];
            m[i] = b1_ * m[i] + (T(1) - b1_) * gi;
            v[i] = b2_ * v[i] + (T(1) - b2_) * gi * gi;
            const T mh = m[i] / c1, vh = v[i] / c2;
            if (decoupled_) w[i] -= lr * wd_ * w[i];
            w[i] -= lr * mh / (std::sqrt(vh) + eps_);
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
