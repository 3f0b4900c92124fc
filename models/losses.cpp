#include "models/losses.hpp"

#include <cmath>
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

// Var (1 x p) of batch-centred codes c with the given divisor: column sums of c^2 / divisor.
template <class T>
static ad::Var<T> column_variances(ad::Var<T> c, T divisor) {
    return ad::scale(ad::col_sum(ad::square(c)), T(1) / divisor);
}

// sum_{i != j} C_ij^2 = ||C||_F^2 - sum_j C_jj^2 for C = c^T c / divisor, whose diagonal is v.
template <class T>
static ad::Var<T> offdiag_square_sum(ad::Var<T> c, ad::Var<T> v, T divisor) {
    ad::Var<T> C = ad::scale(ad::matmul(c, c, true, false), T(1) / divisor);
    return ad::sub(ad::sum(ad::square(C)), ad::sum(ad::square(v)));
}

template <class T>
ad::Var<T> vicreg(ad::Var<T> z1, ad::Var<T> z2, T invariance, T variance, T covariance, T gamma) {
    same_shape(z1, z2, "vicreg");
    if (z1.rows() < 2) throw std::invalid_argument("vicreg: needs a batch of at least 2");
    const T nm1 = T(z1.rows() - 1), p = T(z1.cols());
    ad::Var<T> inv = ad::mean(ad::square(ad::sub(z1, z2)));
    ad::Var<T> c1 = center_batch(z1), c2 = center_batch(z2);
    ad::Var<T> v1 = column_variances(c1, nm1), v2 = column_variances(c2, nm1);
    // relu(gamma - sqrt(v + 1e-4)) = relu(-(sqrt(v + 1e-4) - gamma))
    auto hinge = [&](ad::Var<T> v) {
        return ad::mean(ad::relu(ad::scale(ad::add_scalar(ad::sqrt(ad::add_scalar(v, T(1e-4))), -gamma), T(-1))));
    };
    ad::Var<T> var = ad::scale(ad::add(hinge(v1), hinge(v2)), T(0.5));
    ad::Var<T> cov = ad::scale(ad::add(offdiag_square_sum(c1, v1, nm1), offdiag_square_sum(c2, v2, nm1)), T(1) / p);
    return ad::add(ad::add(ad::scale(inv, invariance), ad::scale(var, variance)), ad::scale(cov, covariance));
}

// R = z1s^T z2s / n; sum_i (1 - R_ii)^2 + w sum_{i != j} R_ij^2
//   = w ||R||_F^2 + sum_i [(1 - R_ii)^2 - w R_ii^2], with R_ii = column sums of z1s .* z2s / n.
template <class T>
ad::Var<T> barlow_twins(ad::Var<T> z1, ad::Var<T> z2, T offdiag) {
    same_shape(z1, z2, "barlow_twins");
    if (z1.rows() < 2) throw std::invalid_argument("barlow_twins: needs a batch of at least 2");
    const T n = T(z1.rows());
    auto standardise = [&](ad::Var<T> z) {
        ad::Var<T> c = center_batch(z);
        return ad::div(c, ad::sqrt(column_variances(c, n)));
    };
    ad::Var<T> s1 = standardise(z1), s2 = standardise(z2);
    ad::Var<T> R = ad::scale(ad::matmul(s1, s2, true, false), T(1) / n);
    ad::Var<T> d = ad::scale(ad::col_sum(ad::mul(s1, s2)), T(1) / n);  // R_ii, 1 x p
    ad::Var<T> on = ad::sum(ad::sub(ad::square(ad::add_scalar(ad::neg(d), T(1))), ad::scale(ad::square(d), offdiag)));
    return ad::add(on, ad::scale(ad::sum(ad::square(R)), offdiag));
}

template <class T>
ad::Var<T> siglip(ad::Var<T> z1, ad::Var<T> z2, ad::Var<T> log_t, ad::Var<T> b, const ad::Mat<T>& signs) {
    same_shape(z1, z2, "siglip");
    const std::size_t n = z1.rows();
    if (signs.shape()[0] != n || signs.shape()[1] != n)
        throw std::invalid_argument("siglip: the sign matrix must be batch x batch");
    if (log_t.rows() != 1 || log_t.cols() != 1 || b.rows() != 1 || b.cols() != 1)
        throw std::invalid_argument("siglip: log t and b must be 1 x 1");
    ad::Var<T> cos = ad::matmul(ad::l2_normalize_rows(z1), ad::l2_normalize_rows(z2), false, true);
    ad::Var<T> logits = ad::add(ad::mul(cos, ad::exp(log_t)), b);
    ad::Var<T> margins = ad::mul(logits, z1.tape->constant(signs));
    return ad::scale(ad::sum(ad::softplus(ad::neg(margins))), T(1) / T(n));
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
    if (s_.name == "siglip") {
        if (!(s_.siglip_temperature > T(0)) || !std::isfinite(double(s_.siglip_temperature)) ||
            !std::isfinite(double(s_.siglip_bias)))
            throw std::invalid_argument("siglip: the temperature must be positive and finite and the bias finite");
        log_t_ = ad::Param<T>("siglip_log_t", 1, 1);
        bias_ = ad::Param<T>("siglip_bias", 1, 1);
        log_t_.value(0, 0) = std::log(s_.siglip_temperature);
        bias_.value(0, 0) = s_.siglip_bias;
    }
}

template <class T>
std::vector<ad::Param<T>*> AlignmentLoss<T>::params() {
    if (s_.name == "siglip") return {&log_t_, &bias_};
    return {};
}

template <class T>
typename AlignmentLoss<T>::Settings AlignmentLoss<T>::current_settings() const {
    Settings s = s_;
    if (s_.name == "siglip") {
        s.siglip_temperature = std::exp(log_t_.value(0, 0));
        s.siglip_bias = bias_.value(0, 0);
    }
    return s;
}

template <class T>
const ad::Mat<T>& AlignmentLoss<T>::signs(std::size_t n) {
    if (signs_n_ != n) {  // allocates only when the batch size changes
        signs_n_ = n;
        signs_ = ad::Mat<T>({n, n}, T(-1));
        for (std::size_t i = 0; i < n; ++i) signs_(i, i) = T(1);
    }
    return signs_;
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
    template ad::Var<T> vicreg<T>(ad::Var<T>, ad::Var<T>, T, T, T, T);                          \
    template ad::Var<T> barlow_twins<T>(ad::Var<T>, ad::Var<T>, T);                             \
    template ad::Var<T> siglip<T>(ad::Var<T>, ad::Var<T>, ad::Var<T>, ad::Var<T>, const ad::Mat<T>&); \
    template class AlignmentLoss<T>;
MODELS_LOSSES(double)
MODELS_LOSSES(float)

}  // namespace models
