// One training step of two encoders aligned by a loss: forward both, the loss, backward, optional
// gradient clipping, Adam. `alignsim bench` times exactly this step, and the zero-allocation test
// counts its allocations, so the step that is measured is the step that is checked.
#pragma once
#include <memory>
#include <vector>

#include "autodiff/optim.hpp"
#include "autodiff/random.hpp"
#include "autodiff/tape.hpp"
#include "models/encoder.hpp"
#include "models/losses.hpp"

namespace models {

template <class T>
class ContrastiveStep {
public:
    // Encoders drawn from rng in order (s1, then s2); Adam with learning rate lr; clip > 0 clips
    // the joint gradient norm.
    ContrastiveStep(const EncoderSpec& s1, const EncoderSpec& s2,
                    typename AlignmentLoss<T>::Settings loss, T lr, ad::Rng& rng, T clip = T(0));
    // One step on the batch (x1, x2); returns the loss before the update. The batches are
    // referenced by the tape during the step only.
    T step(const ad::Mat<T>& x1, const ad::Mat<T>& x2);
    const ad::Tape<T>& tape() const { return tape_; }

private:
    std::unique_ptr<Encoder<T>> e1_, e2_;
    AlignmentLoss<T> loss_;
    std::unique_ptr<ad::Adam<T>> opt_;
    ad::Tape<T> tape_;
    T clip_;
};

extern template class ContrastiveStep<double>;
extern template class ContrastiveStep<float>;

}  // namespace models
