// conv2d: Y = im2col(X) W^T + b (ReLU optionally fused), images channels last (HWC).
//
// im2col turns each output pixel into a row of its kernel x kernel x C input window (zero where
// the window hangs over the padding), so a block of images is one GEMM of (images * Ho * Wo) rows:
//   forward    Y_blk  = cols_blk W^T          (onto the bias, beta = 1)
//   backward   dW    += dZ_blk^T cols_blk     (cols recomputed block by block)
//              dcols  = dZ_blk W, then col2im adds each window's row back onto dX
//              db    += column sums of dZ     (dZ = dY masked by Y > 0 when the ReLU is fused)
// One-channel images (the first layer on pixels) use the transposed layout, K x rows (im2col_t):
// long runs instead of runs of k entries; the GEMMs then take it transposed.
// Blocks hold about kBlockBytes of im2col, so they stay in cache and the node's buffers are small
// and reused step after step (node.im2col, node.im2col_grad, node.aux for the masked dY).
#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

#include "autodiff/blas.hpp"
#include "autodiff/ops.hpp"

namespace ad {

namespace {

constexpr std::size_t kBlockBytes = 512 * 1024;

// Output pixels per side: floor((n + 2 pad - k) / stride) + 1, or 0 when the kernel does not fit.
std::size_t out_side(std::size_t n, std::size_t k, std::size_t stride, std::size_t pad) {
    if (n + 2 * pad < k) return 0;
    return (n + 2 * pad - k) / stride + 1;
}

// The rows of `count` images starting at image b0 into cols ((count * Ho * Wo) x K).
template <class T>
void im2col(const ImageGeometry& g, const T* x, std::size_t b0, std::size_t count, T* cols) {
    const std::size_t H = g.in_h, W = g.in_w, C = g.in_c, k = g.kernel, s = g.stride, p = g.padding;
    const std::size_t K = k * k * C, img = H * W * C;
    for (std::size_t bi = 0; bi < count; ++bi) {
        const T* im = x + (b0 + bi) * img;
        for (std::size_t oy = 0; oy < g.out_h; ++oy)
            for (std::size_t ox = 0; ox < g.out_w; ++ox) {
                T* row = cols + ((bi * g.out_h + oy) * g.out_w + ox) * K;
                // The window's columns ix = ox s - p + kx; those inside the image are kx in [kx0, kx1).
                const std::ptrdiff_t ix0 = std::ptrdiff_t(ox * s) - std::ptrdiff_t(p);
                const std::size_t kx0 = ix0 < 0 ? std::size_t(-ix0) : 0;
                const std::size_t kx1 = std::min<std::ptrdiff_t>(std::ptrdiff_t(k), std::ptrdiff_t(W) - ix0) > 0
                                            ? std::size_t(std::min<std::ptrdiff_t>(std::ptrdiff_t(k), std::ptrdiff_t(W) - ix0))
                                            : 0;
                for (std::size_t ky = 0; ky < k; ++ky) {
                    T* dst = row + ky * k * C;
                    const std::ptrdiff_t iy = std::ptrdiff_t(oy * s + ky) - std::ptrdiff_t(p);
                    if (iy < 0 || iy >= std::ptrdiff_t(H) || kx0 >= kx1) {
                        std::fill(dst, dst + k * C, T(0));
                        continue;
                    }
                    // short runs (k C entries): plain loops, not calls to memcpy / memset
                    const T* src = im + (std::size_t(iy) * W + std::size_t(ix0 + std::ptrdiff_t(kx0))) * C;
                    std::size_t q = 0;
                    for (; q < kx0 * C; ++q) dst[q] = T(0);
                    for (const std::size_t e = kx1 * C; q < e; ++q) dst[q] = src[q - kx0 * C];
                    for (; q < k * C; ++q) dst[q] = T(0);
                }
            }
    }
}

// The reverse: adds each window row of dcols onto the gradient of the images (padding dropped).
template <class T>
void col2im_add(const ImageGeometry& g, const T* dcols, std::size_t b0, std::size_t count, T* dx) {
    const std::size_t H = g.in_h, W = g.in_w, C = g.in_c, k = g.kernel, s = g.stride, p = g.padding;
    const std::size_t K = k * k * C, img = H * W * C;
    for (std::size_t bi = 0; bi < count; ++bi) {
        T* im = dx + (b0 + bi) * img;
        for (std::size_t oy = 0; oy < g.out_h; ++oy)
            for (std::size_t ox = 0; ox < g.out_w; ++ox) {
                const T* row = dcols + ((bi * g.out_h + oy) * g.out_w + ox) * K;
                const std::ptrdiff_t ix0 = std::ptrdiff_t(ox * s) - std::ptrdiff_t(p);
                const std::size_t kx0 = ix0 < 0 ? std::size_t(-ix0) : 0;
                const std::ptrdiff_t kx1s = std::min<std::ptrdiff_t>(std::ptrdiff_t(k), std::ptrdiff_t(W) - ix0);
                if (kx1s <= std::ptrdiff_t(kx0)) continue;
                const std::size_t n = (std::size_t(kx1s) - kx0) * C;
                for (std::size_t ky = 0; ky < k; ++ky) {
                    const std::ptrdiff_t iy = std::ptrdiff_t(oy * s + ky) - std::ptrdiff_t(p);
                    if (iy < 0 || iy >= std::ptrdiff_t(H)) continue;
                    const T* src = row + (ky * k + kx0) * C;
                    T* dst = im + (std::size_t(iy) * W + std::size_t(ix0 + std::ptrdiff_t(kx0))) * C;
                    for (std::size_t q = 0; q < n; ++q) dst[q] += src[q];
                }
            }
    }
}

// One-channel images: the transposed layout, colsT (K x (count * Ho * Wo)), whose row (ky, kx)
// is the image shifted by (ky, kx): runs of Wo output pixels (contiguous input when stride = 1)
// instead of runs of k entries. The GEMMs take it transposed.
template <class T>
void im2col_t(const ImageGeometry& g, const T* x, std::size_t b0, std::size_t count, T* colsT) {
    const std::size_t H = g.in_h, W = g.in_w, k = g.kernel, s = g.stride, p = g.padding;
    const std::size_t P = g.out_h * g.out_w, m = count * P, img = H * W;
    for (std::size_t ky = 0; ky < k; ++ky)
        for (std::size_t kx = 0; kx < k; ++kx) {
            T* row = colsT + (ky * k + kx) * m;
            for (std::size_t bi = 0; bi < count; ++bi) {
                const T* im = x + (b0 + bi) * img;
                for (std::size_t oy = 0; oy < g.out_h; ++oy) {
                    T* __restrict dst = row + (bi * g.out_h + oy) * g.out_w;
                    const std::ptrdiff_t iy = std::ptrdiff_t(oy * s + ky) - std::ptrdiff_t(p);
                    if (iy < 0 || iy >= std::ptrdiff_t(H)) {
                        for (std::size_t ox = 0; ox < g.out_w; ++ox) dst[ox] = T(0);
                        continue;
                    }
                    const T* __restrict src = im + std::size_t(iy) * W;
                    // inside the image for ox in [lo, hi): ix = ox s + kx - p in [0, W)
                    const std::size_t lo = kx >= p ? 0 : (p - kx + s - 1) / s;
                    const std::size_t hi = std::min(g.out_w, W + p > kx ? (W + p - kx + s - 1) / s : 0);
                    std::size_t ox = 0;
                    for (; ox < lo && ox < g.out_w; ++ox) dst[ox] = T(0);
                    if (s == 1 && ox < hi) {
                        const T* from = src + (ox + kx - p);
                        for (std::size_t q = 0; ox < hi; ++ox, ++q) dst[ox] = from[q];
                    } else
                        for (; ox < hi; ++ox) dst[ox] = src[ox * s + kx - p];
                    for (; ox < g.out_w; ++ox) dst[ox] = T(0);
                }
            }
        }
}

template <class T>
void col2im_t_add(const ImageGeometry& g, const T* dcolsT, std::size_t b0, std::size_t count, T* dx) {
    const std::size_t H = g.in_h, W = g.in_w, k = g.kernel, s = g.stride, p = g.padding;
    const std::size_t P = g.out_h * g.out_w, m = count * P, img = H * W;
    for (std::size_t ky = 0; ky < k; ++ky)
        for (std::size_t kx = 0; kx < k; ++kx) {
            const T* row = dcolsT + (ky * k + kx) * m;
            for (std::size_t bi = 0; bi < count; ++bi) {
                T* im = dx + (b0 + bi) * img;
                for (std::size_t oy = 0; oy < g.out_h; ++oy) {
                    const std::ptrdiff_t iy = std::ptrdiff_t(oy * s + ky) - std::ptrdiff_t(p);
                    if (iy < 0 || iy >= std::ptrdiff_t(H)) continue;
                    const T* src = row + (bi * g.out_h + oy) * g.out_w;
                    T* dst = im + std::size_t(iy) * W;
                    for (std::size_t ox = 0; ox < g.out_w; ++ox) {
                        const std::ptrdiff_t ix = std::ptrdiff_t(ox * s + kx) - std::ptrdiff_t(p);
                        if (ix >= 0 && ix < std::ptrdiff_t(W)) dst[ix] += src[ox];
                    }
                }
            }
        }
}

template <class T>
void conv2d_backward(Tape<T>& t, Node<T>& n) {
    const ImageGeometry& g = n.image;
    Node<T>& x = t.node(n.in[0]);
    Node<T>& w = t.node(n.in[1]);
    Node<T>& b = t.node(n.in[2]);
    const std::size_t Cout = g.out_c, K = g.kernel * g.kernel * g.in_c, P = g.out_h * g.out_w;
    const std::size_t rows = g.batch * P;
    const T* dz = n.grad->data();
    if (n.iarg & 1) {  // fused ReLU: dZ = dY where Y > 0
        const std::size_t N = n.value->size();
        const T* y = n.value->data();
        T* m = n.aux.data();
        for (std::size_t i = 0; i < N; ++i) m[i] = y[i] > T(0) ? dz[i] : T(0);
        dz = m;
    }
    if (b.grad) {
        T* gb = b.grad->data();
        std::size_t r0 = 0;
        if (!t.accumulating(b) && rows > 0) {
            for (std::size_t j = 0; j < Cout; ++j) gb[j] = dz[j];
            r0 = 1;
        }
        for (std::size_t r = r0; r < rows; ++r)
            for (std::size_t j = 0; j < Cout; ++j) gb[j] += dz[r * Cout + j];
    }
    if (!w.grad && !x.grad) return;
    T* dx = x.grad ? t.grad_acc(x) : nullptr;
    bool w_acc = w.grad ? t.accumulating(w) : false;
    const T* X = x.value->data();
    const T* Wv = w.value->data();
    const bool tr = g.in_c == 1;  // the transposed layout (im2col_t)
    for (std::size_t b0 = 0; b0 < g.batch; b0 += g.chunk) {
        const std::size_t cnt = std::min(g.chunk, g.batch - b0), m = cnt * P;
        const T* dzb = dz + b0 * P * Cout;
        if (tr) {
            if (w.grad) {
                im2col_t(g, X, b0, cnt, n.im2col.data());
                blas::gemm_raw(true, true, Cout, K, m, T(1), dzb, Cout, n.im2col.data(), m, w_acc ? T(1) : T(0),
                               w.grad->data(), K);
                w_acc = true;
            }
            if (dx) {
                blas::gemm_raw(true, true, K, m, Cout, T(1), Wv, K, dzb, Cout, T(0), n.im2col_grad.data(), m);
                col2im_t_add(g, n.im2col_grad.data(), b0, cnt, dx);
            }
            continue;
        }
        if (w.grad) {
            im2col(g, X, b0, cnt, n.im2col.data());
            blas::gemm_raw(true, false, Cout, K, m, T(1), dzb, Cout, n.im2col.data(), K, w_acc ? T(1) : T(0),
                           w.grad->data(), K);
            w_acc = true;
        }
        if (dx) {
            blas::gemm_raw(false, false, m, K, Cout, T(1), dzb, Cout, Wv, K, T(0), n.im2col_grad.data(), K);
            col2im_add(g, n.im2col_grad.data(), b0, cnt, dx);
        }
    }
}

}  // namespace

std::size_t conv2d_block_images(std::size_t batch, std::size_t out_pixels, std::size_t window, std::size_t elem_bytes) {
    const std::size_t per_image = std::max<std::size_t>(1, elem_bytes * out_pixels * window);
    return std::clamp<std::size_t>(kBlockBytes / per_image, 1, std::max<std::size_t>(batch, 1));
}

ImageShape conv2d_shape(ImageShape in, std::size_t out_channels, std::size_t kernel, std::size_t stride,
                        std::size_t padding) {
    if (in.size() == 0 || out_channels == 0 || kernel == 0 || stride == 0)
        throw std::invalid_argument("conv2d: image sizes, channels, kernel and stride must be positive");
    if (padding >= kernel) throw std::invalid_argument("conv2d: the padding must be smaller than the kernel");
    const std::size_t h = out_side(in.height, kernel, stride, padding), w = out_side(in.width, kernel, stride, padding);
    if (h == 0 || w == 0)
        throw std::invalid_argument("conv2d: a " + std::to_string(kernel) + " x " + std::to_string(kernel) +
                                    " kernel does not fit a " + std::to_string(in.height) + " x " +
                                    std::to_string(in.width) + " image");
    return {h, w, out_channels};
}

ImageShape pool2d_shape(ImageShape in, std::size_t kernel, std::size_t stride) {
    if (in.size() == 0 || kernel == 0 || stride == 0)
        throw std::invalid_argument("pooling: image sizes, kernel and stride must be positive");
    const std::size_t h = out_side(in.height, kernel, stride, 0), w = out_side(in.width, kernel, stride, 0);
    if (h == 0 || w == 0)
        throw std::invalid_argument("pooling: a " + std::to_string(kernel) + " x " + std::to_string(kernel) +
                                    " window does not fit a " + std::to_string(in.height) + " x " +
                                    std::to_string(in.width) + " image");
    return {h, w, in.channels};
}

template <class T>
Var<T> conv2d(Var<T> x, ImageShape in, Var<T> w, Var<T> b, std::size_t kernel, std::size_t stride,
              std::size_t padding, bool relu) {
    const Mat<T>& X = x.value();
    const Mat<T>& Wm = w.value();
    const Mat<T>& Bv = b.value();
    if (X.shape()[1] != in.size())
        throw std::invalid_argument("conv2d: rows of " + std::to_string(X.shape()[1]) + " entries are not " +
                                    std::to_string(in.height) + " x " + std::to_string(in.width) + " x " +
                                    std::to_string(in.channels) + " images");
    const std::size_t Cout = Wm.shape()[0], K = kernel * kernel * in.channels;
    const ImageShape out = conv2d_shape(in, Cout, kernel, stride, padding);
    if (Wm.shape()[1] != K) throw std::invalid_argument("conv2d: the filters must be out_channels x (kernel * kernel * in_channels)");
    if (Bv.shape()[0] != 1 || Bv.shape()[1] != Cout) throw std::invalid_argument("conv2d: the bias must be a 1 x out_channels row");
    const std::size_t B = X.shape()[0], P = out.height * out.width;
    Var<T> res;
    Node<T>& n = x.tape->push(B, out.size(), {x, w, b}, &conv2d_backward<T>, res);
    ImageGeometry& g = n.image;
    g = ImageGeometry{};
    g.batch = B;
    g.in_h = in.height, g.in_w = in.width, g.in_c = in.channels;
    g.out_h = out.height, g.out_w = out.width, g.out_c = Cout;
    g.kernel = kernel, g.stride = stride, g.padding = padding;
    g.chunk = conv2d_block_images(B, P, K, sizeof(T));
    n.iarg = relu ? 1 : 0;
    x.tape->ensure(n.im2col, g.chunk * P, K);
    if (n.grad) {
        if (relu) x.tape->ensure(n.aux, B, out.size());
        if (x.requires_grad()) x.tape->ensure(n.im2col_grad, g.chunk * P, K);
    }
    T* y = n.own_value.data();
    const T* bias = Bv.data();
    for (std::size_t r = 0; r < B * P; ++r) std::memcpy(y + r * Cout, bias, Cout * sizeof(T));
    for (std::size_t b0 = 0; b0 < B; b0 += g.chunk) {
        const std::size_t cnt = std::min(g.chunk, B - b0);
        if (in.channels == 1) {  // colsT is K x (cnt P): its transpose
            im2col_t(g, X.data(), b0, cnt, n.im2col.data());
            blas::gemm_raw(true, true, cnt * P, Cout, K, T(1), n.im2col.data(), cnt * P, Wm.data(), K, T(1),
                           y + b0 * P * Cout, Cout);
        } else {
            im2col(g, X.data(), b0, cnt, n.im2col.data());
            blas::gemm_raw(false, true, cnt * P, Cout, K, T(1), n.im2col.data(), K, Wm.data(), K, T(1),
                           y + b0 * P * Cout, Cout);
        }
    }
    if (relu) {
        const std::size_t N = n.own_value.size();
        for (std::size_t i = 0; i < N; ++i) y[i] = y[i] > T(0) ? y[i] : T(0);
    }
    return res;
}

template Var<double> conv2d<double>(Var<double>, ImageShape, Var<double>, Var<double>, std::size_t, std::size_t,
                                    std::size_t, bool);
template Var<float> conv2d<float>(Var<float>, ImageShape, Var<float>, Var<float>, std::size_t, std::size_t,
                                  std::size_t, bool);

}  // namespace ad
