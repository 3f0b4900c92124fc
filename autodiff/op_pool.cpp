// Pooling and flatten on images stored channels last (HWC rows, see ops.hpp).
//   max_pool2d  y = max over the window, per channel; dx[winner] += dy (the winner's offset in
//               its image is kept in node.pool_argmax by the forward)
//   avg_pool2d  y = mean over the window;             dx[window] += dy / kernel^2
//   flatten     y[c H W + i W + j] = x[(i W + j) C + c];  dx is the inverse permutation of dy
#include <cstring>
#include <stdexcept>
#include <string>

#include "autodiff/ops.hpp"

namespace ad {

namespace {

void check_rows(std::size_t cols, ImageShape in, const char* op) {
    if (cols != in.size())
        throw std::invalid_argument(std::string(op) + ": rows of " + std::to_string(cols) + " entries are not " +
                                    std::to_string(in.height) + " x " + std::to_string(in.width) + " x " +
                                    std::to_string(in.channels) + " images");
}

ImageGeometry pool_geometry(std::size_t batch, ImageShape in, std::size_t kernel, std::size_t stride) {
    const ImageShape out = pool2d_shape(in, kernel, stride);
    ImageGeometry g;
    g.batch = batch;
    g.in_h = in.height, g.in_w = in.width, g.in_c = in.channels;
    g.out_h = out.height, g.out_w = out.width, g.out_c = out.channels;
    g.kernel = kernel, g.stride = stride;
    return g;
}

template <class T>
void max_pool_backward(Tape<T>& t, Node<T>& n) {
    Node<T>& x = t.node(n.in[0]);
    const ImageGeometry& g = n.image;
    T* dx = t.grad_acc(x);
    const T* dy = n.grad->data();
    const std::uint32_t* arg = n.pool_argmax.data();
    const std::size_t in_img = g.in_h * g.in_w * g.in_c, out_img = g.out_h * g.out_w * g.out_c;
    for (std::size_t b = 0; b < g.batch; ++b) {
        T* d = dx + b * in_img;
        const T* s = dy + b * out_img;
        const std::uint32_t* a = arg + b * out_img;
        for (std::size_t i = 0; i < out_img; ++i) d[a[i]] += s[i];
    }
}

template <class T>
void avg_pool_backward(Tape<T>& t, Node<T>& n) {
    Node<T>& x = t.node(n.in[0]);
    const ImageGeometry& g = n.image;
    T* dx = t.grad_acc(x);
    const T* dy = n.grad->data();
    const std::size_t C = g.in_c, k = g.kernel, s = g.stride;
    const std::size_t in_img = g.in_h * g.in_w * C, out_img = g.out_h * g.out_w * C;
    const T inv = T(1) / T(k * k);
    for (std::size_t b = 0; b < g.batch; ++b)
        for (std::size_t oy = 0; oy < g.out_h; ++oy)
            for (std::size_t ox = 0; ox < g.out_w; ++ox) {
                const T* src = dy + b * out_img + (oy * g.out_w + ox) * C;
                for (std::size_t ky = 0; ky < k; ++ky)
                    for (std::size_t kx = 0; kx < k; ++kx) {
                        T* dst = dx + b * in_img + ((oy * s + ky) * g.in_w + ox * s + kx) * C;
                        for (std::size_t c = 0; c < C; ++c) dst[c] += inv * src[c];
                    }
            }
}

template <class T>
void flatten_backward(Tape<T>& t, Node<T>& n) {
    Node<T>& x = t.node(n.in[0]);
    const ImageGeometry& g = n.image;
    T* dx = t.grad_acc(x);
    const T* dy = n.grad->data();
    const std::size_t HW = g.in_h * g.in_w, C = g.in_c;
    for (std::size_t b = 0; b < g.batch; ++b)
        for (std::size_t c = 0; c < C; ++c)
            for (std::size_t q = 0; q < HW; ++q) dx[(b * HW + q) * C + c] += dy[(b * C + c) * HW + q];
}

}  // namespace

template <class T>
Var<T> max_pool2d(Var<T> x, ImageShape in, std::size_t kernel, std::size_t stride) {
    const Mat<T>& X = x.value();
    check_rows(X.shape()[1], in, "max_pool2d");
    const ImageGeometry geo = pool_geometry(X.shape()[0], in, kernel, stride);
    Var<T> out;
    Node<T>& n = x.tape->push(geo.batch, geo.out_h * geo.out_w * geo.out_c, {x}, &max_pool_backward<T>, out);
    n.image = geo;
    const std::size_t C = in.channels, k = kernel, s = stride, W = in.width;
    const std::size_t in_img = in.size(), out_img = n.own_value.shape()[1];
    const bool keep = n.grad != nullptr;
    if (keep && n.pool_argmax.size() != n.own_value.size()) n.pool_argmax.resize(n.own_value.size());
    T* y = n.own_value.data();
    std::uint32_t* arg = keep ? n.pool_argmax.data() : nullptr;
    for (std::size_t b = 0; b < geo.batch; ++b) {
        const T* img = X.data() + b * in_img;
        for (std::size_t oy = 0; oy < geo.out_h; ++oy)
            for (std::size_t ox = 0; ox < geo.out_w; ++ox) {
                const std::size_t o = b * out_img + (oy * geo.out_w + ox) * C;
                T* __restrict best = y + o;
                const std::size_t first = (oy * s * W + ox * s) * C;
                for (std::size_t c = 0; c < C; ++c) best[c] = img[first + c];
                if (keep) {  // branch-free per channel, so the channel loop vectorises
                    std::uint32_t* __restrict a = arg + o;
                    for (std::size_t c = 0; c < C; ++c) a[c] = std::uint32_t(first + c);
                    for (std::size_t ky = 0; ky < k; ++ky)
                        for (std::size_t kx = 0; kx < k; ++kx) {
                            const std::size_t off = ((oy * s + ky) * W + ox * s + kx) * C;
                            const T* __restrict src = img + off;
                            const std::uint32_t off32 = std::uint32_t(off);
                            for (std::size_t c = 0; c < C; ++c) {
                                const bool gt = src[c] > best[c];
                                best[c] = gt ? src[c] : best[c];
                                a[c] = gt ? off32 + std::uint32_t(c) : a[c];
                            }
                        }
                } else {
                    for (std::size_t ky = 0; ky < k; ++ky)
                        for (std::size_t kx = 0; kx < k; ++kx) {
                            const T* __restrict src = img + ((oy * s + ky) * W + ox * s + kx) * C;
                            for (std::size_t c = 0; c < C; ++c) best[c] = src[c] > best[c] ? src[c] : best[c];
                        }
                }
            }
    }
    return out;
}

template <class T>
Var<T> avg_pool2d(Var<T> x, ImageShape in, std::size_t kernel, std::size_t stride) {
    const Mat<T>& X = x.value();
    check_rows(X.shape()[1], in, "avg_pool2d");
    const ImageGeometry geo = pool_geometry(X.shape()[0], in, kernel, stride);
    Var<T> out;
    Node<T>& n = x.tape->push(geo.batch, geo.out_h * geo.out_w * geo.out_c, {x}, &avg_pool_backward<T>, out);
    n.image = geo;
    const std::size_t C = in.channels, k = kernel, s = stride, W = in.width;
    const std::size_t in_img = in.size(), out_img = n.own_value.shape()[1];
    const T inv = T(1) / T(k * k);
    T* y = n.own_value.data();
    for (std::size_t b = 0; b < geo.batch; ++b)
        for (std::size_t oy = 0; oy < geo.out_h; ++oy)
            for (std::size_t ox = 0; ox < geo.out_w; ++ox) {
                T* dst = y + b * out_img + (oy * geo.out_w + ox) * C;
                for (std::size_t c = 0; c < C; ++c) dst[c] = T(0);
                for (std::size_t ky = 0; ky < k; ++ky)
                    for (std::size_t kx = 0; kx < k; ++kx) {
                        const T* src = X.data() + b * in_img + ((oy * s + ky) * W + ox * s + kx) * C;
                        for (std::size_t c = 0; c < C; ++c) dst[c] += src[c];
                    }
                for (std::size_t c = 0; c < C; ++c) dst[c] *= inv;
            }
    return out;
}

template <class T>
Var<T> flatten(Var<T> x, ImageShape in) {
    const Mat<T>& X = x.value();
    check_rows(X.shape()[1], in, "flatten");
    Var<T> out;
    Node<T>& n = x.tape->push(X.shape()[0], in.size(), {x}, &flatten_backward<T>, out);
    n.image = ImageGeometry{};
    n.image.batch = X.shape()[0];
    n.image.in_h = n.image.out_h = in.height;
    n.image.in_w = n.image.out_w = in.width;
    n.image.in_c = n.image.out_c = in.channels;
    const std::size_t HW = in.height * in.width, C = in.channels;
    T* y = n.own_value.data();
    const T* xs = X.data();
    for (std::size_t b = 0; b < n.image.batch; ++b)
        for (std::size_t c = 0; c < C; ++c)
            for (std::size_t q = 0; q < HW; ++q) y[(b * C + c) * HW + q] = xs[(b * HW + q) * C + c];
    return out;
}

template Var<double> max_pool2d<double>(Var<double>, ImageShape, std::size_t, std::size_t);
template Var<float> max_pool2d<float>(Var<float>, ImageShape, std::size_t, std::size_t);
template Var<double> avg_pool2d<double>(Var<double>, ImageShape, std::size_t, std::size_t);
template Var<float> avg_pool2d<float>(Var<float>, ImageShape, std::size_t, std::size_t);
template Var<double> flatten<double>(Var<double>, ImageShape);
template Var<float> flatten<float>(Var<float>, ImageShape);

}  // namespace ad
