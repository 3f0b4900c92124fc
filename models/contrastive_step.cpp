#include "models/contrastive_step.hpp"

namespace models {

template <class T>
ContrastiveStep<T>::ContrastiveStep(const EncoderSpec& s1, const EncoderSpec& s2,
                                    typename AlignmentLoss<T>::Settings loss, T lr, ad::Rng& rng, T clip)
    : e1_(make_encoder<T>(s1, rng)), e2_(make_encoder<T>(s2, rng)), loss_(std::move(loss)), clip_(clip) {
    std::vector<ad::Param<T>*> params = e1_->params();
    for (auto* p : e2_->params()) params.push_back(p);
    opt_ = std::make_unique<ad::Adam<T>>(std::move(params), lr);
}

template <class T>
T ContrastiveStep<T>::step(const ad::Mat<T>& x1, const ad::Mat<T>& x2) {
    tape_.reset();
    opt_->zero_grad();
    ad::Var<T> z1 = e1_->forward(tape_, tape_.constant(x1));
    ad::Var<T> z2 = e2_->forward(tape_, tape_.constant(x2));
    ad::Var<T> l = loss_(z1, z2);
    tape_.backward(l);
    if (clip_ > T(0)) opt_->clip_grad_norm(clip_);
    opt_->step();
    return l.item();
}

template class ContrastiveStep<double>;
template class ContrastiveStep<float>;

}  // namespace models
