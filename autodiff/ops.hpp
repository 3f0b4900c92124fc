// The operators of the engine. Each takes and returns Vars of one tape; each is implemented in a
// small file of this folder with its forward and backward side by side.
//
// Broadcasting (add, sub, mul, div): the two shapes must agree in each dimension or be 1 there,
// so a 1 x n row, an m x 1 column or a 1 x 1 scalar combine with an m x n matrix, on either side.
#pragma once
#include <vector>

#include "autodiff/tape.hpp"

namespace ad {

// op(A) op(B), op = identity or transpose. BLAS gemm; the backward accumulates with beta = 1.
template <class T> Var<T> matmul(Var<T> a, Var<T> b, bool transpose_a = false, bool transpose_b = false);

// A dense layer x W^T + b, W out x in, b a 1 x out row: the bias is laid down first and one
// GEMM accumulates onto it (beta = 1); the backward takes db as column sums of dZ. Equal to
// add(matmul(x, w, false, true), b) with one pass and one node fewer.
template <class T> Var<T> affine(Var<T> x, Var<T> w, Var<T> b);
// relu(x W^T + b) as one node: the ReLU runs on the GEMM's output in place, and the backward
// masks dY once into a cache before the two GEMMs.
template <class T> Var<T> affine_relu(Var<T> x, Var<T> w, Var<T> b);

template <class T> Var<T> add(Var<T> a, Var<T> b);
template <class T> Var<T> sub(Var<T> a, Var<T> b);
template <class T> Var<T> mul(Var<T> a, Var<T> b);
template <class T> Var<T> div(Var<T> a, Var<T> b);
template <class T> Var<T> scale(Var<T> a, T c);       // c * a
template <class T> Var<T> add_scalar(Var<T> a, T c);  // a + c

template <class T> Var<T> neg(Var<T> a);
template <class T> Var<T> exp(Var<T> a);
template <class T> Var<T> log(Var<T> a);
template <class T> Var<T> square(Var<T> a);
template <class T> Var<T> sqrt(Var<T> a);
template <class T> Var<T> abs(Var<T> a);
template <class T> Var<T> relu(Var<T> a);
template <class T> Var<T> leaky_relu(Var<T> a, T slope = T(0.01));
template <class T> Var<T> tanh(Var<T> a);
template <class T> Var<T> sigmoid(Var<T> a);
template <class T> Var<T> softplus(Var<T> a);

template <class T> Var<T> sum(Var<T> a);       // 1 x 1
template <class T> Var<T> mean(Var<T> a);      // 1 x 1
template <class T> Var<T> row_sum(Var<T> a);   // m x 1: the sum of each row
template <class T> Var<T> row_mean(Var<T> a);  // m x 1
template <class T> Var<T> col_sum(Var<T> a);   // 1 x n: the sum of each column
template <class T> Var<T> col_mean(Var<T> a);  // 1 x n
template <class T> Var<T> transpose(Var<T> a);

// Each row divided by max(||row||, eps).
template <class T> Var<T> l2_normalize_rows(Var<T> a, T eps = T(1e-12));
// log sum_j exp(a_ij), m x 1, shifted by the row maximum: stable for any finite input.
template <class T> Var<T> logsumexp_rows(Var<T> a);
template <class T> Var<T> log_softmax_rows(Var<T> a);
// mean_i [logsumexp(a_i) - a_{i, labels[i]}]; labels is referenced and must outlive the step.
template <class T> Var<T> cross_entropy(Var<T> logits, const std::vector<int>& labels);
// (cross_entropy(L, labels) + cross_entropy(transpose(L), labels)) / 2 for a square L, the
// symmetric InfoNCE / CLIP loss, with one exponential per entry for both directions.
template <class T> Var<T> symmetric_cross_entropy(Var<T> logits, const std::vector<int>& labels);
// symmetric_cross_entropy(matmul(a, b, false, true), labels) for a, b both n x p, without the
// n x n logit matrix in memory: logits are made block by block (blocks that stay in cache) and
// the backward goes straight to da and db. The InfoNCE loss of models/losses.cpp.
template <class T> Var<T> symmetric_cross_entropy_ab(Var<T> a, Var<T> b, const std::vector<int>& labels);

// Images. A node of B rows holds B images, each row height x width x channels with the channels
// last (HWC): a pixel's channels are contiguous, so im2col copies runs and the convolution is one
// GEMM per block of images. The ops check that the node's width is the image's size.
struct ImageShape {
    std::size_t height = 0, width = 0, channels = 0;
    std::size_t size() const { return height * width * channels; }
};
// The output image of conv2d (out_channels filters of kernel x kernel, zero padding on every
// side, floor((in + 2 padding - kernel) / stride) + 1 per side) and of a pooling window.
// Throw std::invalid_argument when nothing fits.
ImageShape conv2d_shape(ImageShape in, std::size_t out_channels, std::size_t kernel, std::size_t stride,
                        std::size_t padding);
ImageShape pool2d_shape(ImageShape in, std::size_t kernel, std::size_t stride);

// 2-D convolution (cross-correlation, as in every deep-learning library) of the images of x with
// the filters w, out_channels x (kernel * kernel * in_channels) ordered (row, column, channel),
// plus the bias b (1 x out_channels); relu = true applies a ReLU in place (one node, the backward
// masks once). im2col + GEMM by blocks of images into the node's buffers, recomputed by the
// backward (blocks stay in cache; see autodiff/op_conv.cpp). Output: B x conv2d_shape(...).size().
template <class T> Var<T> conv2d(Var<T> x, ImageShape in, Var<T> w, Var<T> b, std::size_t kernel,
                                 std::size_t stride = 1, std::size_t padding = 0, bool relu = false);
// Images per im2col block of conv2d (blocks of about 512 KiB: elem_bytes * out_pixels * window
// per image, window = kernel^2 * in_channels), at least 1 and at most batch.
std::size_t conv2d_block_images(std::size_t batch, std::size_t out_pixels, std::size_t window, std::size_t elem_bytes);
// Pooling over kernel x kernel windows moved by stride (no padding), channel by channel: the
// maximum (its gradient goes to the winner; the first in row-major order on ties) or the mean.
template <class T> Var<T> max_pool2d(Var<T> x, ImageShape in, std::size_t kernel, std::size_t stride);
template <class T> Var<T> avg_pool2d(Var<T> x, ImageShape in, std::size_t kernel, std::size_t stride);
// The images as flat feature rows in channel-major order (channel, row, column: PyTorch's
// flatten of an NCHW tensor), B x in.size().
template <class T> Var<T> flatten(Var<T> x, ImageShape in);

// Operator sugar for readable model code.
template <class T> inline Var<T> operator+(Var<T> a, Var<T> b) { return add(a, b); }
template <class T> inline Var<T> operator-(Var<T> a, Var<T> b) { return sub(a, b); }
template <class T> inline Var<T> operator*(Var<T> a, Var<T> b) { return mul(a, b); }
template <class T> inline Var<T> operator/(Var<T> a, Var<T> b) { return div(a, b); }
template <class T> inline Var<T> operator*(T c, Var<T> a) { return scale(a, c); }
template <class T> inline Var<T> operator-(Var<T> a) { return neg(a); }

}  // namespace ad
