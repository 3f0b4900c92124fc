#include "models/losses.hpp"

#include <stdexcept>
#include <string>

#include "autodiff/ops.hpp"

namespace models {
namespace {

template <class T>
void same_shape(ad::Var<T> a, ad::Var<T> b, const char* what) {
    if (a.rows() != b.rows() || a.cols() != b.cols())
        throw std::invalid_argument(std::string(what) + ": the two inputs differ in shape (" +
                                    std::to_string(a.rows()) + "x" + std::to_string(a.cols()) +
                                    " vs " + std::to_string(b.rows()) + "x" +
                                    std::to_string(b.cols()) + ")");
}

}  // namespace

// logits = a b^T with a = z1n / tau: dividing the batch x p factor instead of the batch x batch
// product is the same function for a fraction of the work. symmetric_cross_entropy_ab computes
// (CE(logits, arange) + CE(logits^T, arange)) / 2 from one exponential per entry, block by block,
// without the batch x batch logit matrix in memory (tests check it against the literal formula).
template <class T>
ad::Var<T> infonce(ad::Var<T> z1, ad::Var<T> z2, T temperature, bool cosine,
                   const std::vector<int>& arange) {
    same_shape(z1, z2, "infonce");
    if (!(temperature > T(0))) throw std::invalid_argument("infonce: temperature must be positive");
    ad::Var<T> a = z1, b = z2;
    if (cosine) {
        a = ad::l2_normalize_rows(a);
        b = ad::l2_normalize_rows(b);
    }
    a = ad::scale(a, T(1) / temperature);
    return ad::symmetric_cross_entropy_ab(a, b, arange);
}

template <class T>
ad::Var<T> regression_alignment(ad::Var<T> z1, ad::Var<T> target) {
    same_shape(z1, target, "regression_alignment");
    return ad::scale(ad::sum(ad::square(ad::sub(z1, target))), T(1) / T(z1.rows()));
}

// z minus its column (batch) means: a 1 x p row broadcast over the rows.
template <class T>
static ad::Var<T> center_batch(ad::Var<T> z) {
    return ad::sub(z, ad::col_mean(z));
}

// ||C - I||_F^2 with C = zc^T zc / n the batch covariance of the centred codes zc:
// ||C||_F^2 - 2 tr C + p with tr C = ||zc||_F^2 / n, so no identity matrix is needed.
template <class T>
static ad::Var<T> whitening_gap_centred(ad::Var<T> zc) {
    const T n = T(zc.rows());
    const std::size_t p = zc.cols();
    ad::Var<T> c = ad::scale(ad::matmul(zc, zc, true, false), T(1) / n);
    ad::Var<T> fro = ad::sum(ad::square(c));
    ad::Var<T> tr = ad::scale(ad::sum(ad::square(zc)), T(2) / n);
    return ad::add_scalar(ad::sub(fro, tr), T(p));
}

// Every term of the batch covariances: the codes are centred once, then aligned and whitened.
template <class T>
ad::Var<T> cca_alignment(ad::Var<T> z1, ad::Var<T> z2, T penalty) {
    same_shape(z1, z2, "cca_alignment");
    ad::Var<T> c1 = center_batch(z1), c2 = center_batch(z2);
    ad::Var<T> align = regression_alignment(c1, c2);
    ad::Var<T> white = ad::add(whitening_gap_centred(c1), whitening_gap_centred(c2));
    return ad::add(align, ad::scale(white, penalty));
}

// sum_{i != j} (z1_i . z2_j)^2 = ||z1 z2^T||_F^2 - sum_i (z1_i . z2_i)^2: no mask needed, and
// ||z1 z2^T||_F^2 = tr(z1^T z1 z2^T z2) = sum of (z1^T z1) .* (z2^T z2) (both symmetric): two
// p x p Gram matrices, O(B p^2) instead of the B x B product's O(B^2 p).
template <class T>
ad::Var<T> spectral_contrastive(ad::Var<T> z1, ad::Var<T> z2) {
    same_shape(z1, z2, "spectral_contrastive");
    const T n = T(z1.rows());
    if (z1.rows() < 2) throw std::invalid_argument("spectral_contrastive: needs a batch of at least 2");
    ad::Var<T> diag = ad::row_sum(ad::mul(z1, z2));  // z1_i . z2_i
    ad::Var<T> pos = ad::scale(ad::sum(diag), T(-2) / n);
    ad::Var<T> all = ad::sum(ad::mul(ad::matmul(z1, z1, true, false), ad::matmul(z2, z2, true, false)));
    ad::Var<T> off = ad::sub(all, ad::sum(ad::square(diag)));
    return ad::add(pos, ad::scale(off, T(1) / (n * (n - T(1)))));
}

template <class T>
ad::Var<T> spectral_contrastive_centered(ad::Var<T> z1, ad::Var<T> z2) {
    same_shape(z1, z2, "spectral_contrastive_centered");
    if (z1.rows() < 2)
        throw std::invalid_argument("spectral_contrastive_centered: needs a batch of at least 2");
    return spectral_contrastive(center_batch(z1), center_batch(z2));
}

template <class T>
ad::Var<T> mse(ad::Var<T> pred, ad::Var<T> target) {
    same_shape(pred, target, "mse");
    return ad::mean(ad::square(ad::sub(pred, target)));
}

template <class T>
AlignmentLoss<T>::AlignmentLoss(Settings s)
    : s_(std::move(s)), entry_(&alignment_loss(s_.name)), build_(entry_->builder<T>()),
      centred_(entry_->centred(s_.spectral_centering)) {
    if (entry_->centring == Centring::by_option && s_.spectral_centering != "none" && s_.spectral_centering != "batch")
        throw std::invalid_argument("unknown spectral centering '" + s_.spectral_centering + "' (expected none or batch)");
}

template <class T>
const std::vector<int>& AlignmentLoss<T>::arange(std::size_t n) {
    if (arange_.size() != n) {  // allocates only when the batch size changes
        arange_.resize(n);
        for (std::size_t i = 0; i < n; ++i) arange_[i] = static_cast<int>(i);
    }
    return arange_;
}

template <class T>
ad::Var<T> AlignmentLoss<T>::zero(ad::Tape<T>& tape) {
    if (zero_.size() != 1) zero_ = ad::Mat<T>({1, 1}, T(0));
    return tape.constant(zero_);
}

#define MODELS_LOSSES(T)                                                                        \
    template ad::Var<T> infonce<T>(ad::Var<T>, ad::Var<T>, T, bool, const std::vector<int>&);  \
    template ad::Var<T> regression_alignment<T>(ad::Var<T>, ad::Var<T>);                        \
    template ad::Var<T> cca_alignment<T>(ad::Var<T>, ad::Var<T>, T);                            \
    template ad::Var<T> spectral_contrastive<T>(ad::Var<T>, ad::Var<T>);                        \
    template ad::Var<T> spectral_contrastive_centered<T>(ad::Var<T>, ad::Var<T>);               \
    template ad::Var<T> mse<T>(ad::Var<T>, ad::Var<T>);                                         \
    template class AlignmentLoss<T>;
MODELS_LOSSES(double)
MODELS_LOSSES(float)

}  // namespace models
