#include "sim/data/fashion_mnist.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "autodiff/kernels.hpp"
#include "autodiff/random.hpp"

namespace sim {

// The width of a modality that the config room announces (kFashionMnistInputs) is the default
// sensors' two side x side panels.
static_assert(2 * SensorOptions{}.side * SensorOptions{}.side == kFashionMnistInputs,
              "kFashionMnistInputs must match the default panel size");

namespace {

constexpr std::size_t kBlock = 256;  // scenes per noise stream (and per parallel task)

// The dst x src linear operator of one sensor's optics along one axis: a Gaussian blur of
// standard deviation sigma (source pixels; zero outside the frame, where Fashion-MNIST is black
// anyway), then the average over each output pixel's footprint [k s, (k + 1) s), s = src / dst.
// A garment seen by the sensor is A X A^T.
std::vector<float> optics(std::size_t src, std::size_t dst, double sigma) {
    std::vector<double> G(src * src, 0.0);
    if (sigma > 0) {
        const int R = static_cast<int>(std::ceil(6 * sigma)) + 1;
        double norm = 0;
        for (int k = -R; k <= R; ++k) norm += std::exp(-0.5 * k * k / (sigma * sigma));
        for (std::size_t i = 0; i < src; ++i)
            for (std::size_t j = 0; j < src; ++j) {
                const double d = double(i) - double(j);
                if (std::abs(d) <= R) G[i * src + j] = std::exp(-0.5 * d * d / (sigma * sigma)) / norm;
            }
    } else {
        for (std::size_t i = 0; i < src; ++i) G[i * src + i] = 1.0;
    }
    const double s = double(src) / double(dst);
    std::vector<float> A(dst * src, 0.0f);
    for (std::size_t k = 0; k < dst; ++k) {
        const double lo = k * s, hi = (k + 1) * s;
        for (std::size_t m = 0; m < src; ++m) {
            const double w = std::max(0.0, std::min(double(m + 1), hi) - std::max(double(m), lo)) / s;
            if (w == 0) continue;
            for (std::size_t j = 0; j < src; ++j) A[k * src + j] += static_cast<float>(w * G[m * src + j]);
        }
    }
    return A;
}

struct Optics {
    std::size_t src = 0, dst = 0;
    std::vector<float> A, AT;  // dst x src and its transpose
    Optics(std::size_t s, std::size_t d, double sigma) : src(s), dst(d), A(optics(s, d, sigma)), AT(s * d) {
        for (std::size_t k = 0; k < d; ++k)
            for (std::size_t j = 0; j < s; ++j) AT[j * d + k] = A[k * s + j];
    }
    // out (dst x dst, row stride ld) = A X A^T for the image X = img / 255; tmp holds src x dst.
    void apply(const std::uint8_t* __restrict img, float* __restrict tmp, float* __restrict out, std::size_t ld) const {
        const float* __restrict at = AT.data();
        const float* __restrict a = A.data();
        for (std::size_t i = 0; i < src; ++i) {  // tmp = X A^T, row by row (background pixels skipped)
            float* __restrict t = tmp + i * dst;
            for (std::size_t l = 0; l < dst; ++l) t[l] = 0.0f;
            for (std::size_t j = 0; j < src; ++j) {
                const std::uint8_t x = img[i * src + j];
                if (!x) continue;
                const float v = x * (1.0f / 255.0f);
                for (std::size_t l = 0; l < dst; ++l) t[l] += v * at[j * dst + l];
            }
        }
        for (std::size_t k = 0; k < dst; ++k) {  // out = A tmp (the band of A only)
            float* __restrict o = out + k * ld;
            for (std::size_t l = 0; l < dst; ++l) o[l] = 0.0f;
            for (std::size_t i = 0; i < src; ++i) {
                const float w = a[k * src + i];
                if (w == 0.0f) continue;
                for (std::size_t l = 0; l < dst; ++l) o[l] += w * tmp[i * dst + l];
            }
        }
    }
};

// Per-thread work space of the sensors.
struct Scratch {
    std::vector<float> tmp, pad, u, v, w;
    Scratch(std::size_t src, std::size_t dst)
        : tmp(src * dst), pad((dst + 2) * (dst + 2), 0.0f), u(dst * dst), v(dst * dst), w(dst * dst) {}
};

// Uniform in (0, 1) from 32 and from 16 random bits.
inline float u32(std::uint64_t bits) { return (float(bits & 0xffffffffu) + 0.5f) * (1.0f / 4294967296.0f); }
inline float u16(std::uint64_t bits) { return (float(bits & 0xffffu) + 0.5f) * (1.0f / 65536.0f); }

// The optical panel (dst x dst, row stride ld): blurred reflectance plus Gaussian noise of
// standard deviation sd, in place. Box-Muller: one 64-bit draw gives two normals.
void optical_noise(float* p, std::size_t dst, std::size_t ld, float sd, ad::Rng& rng, Scratch& s) {
    const std::size_t n = dst * dst, pairs = (n + 1) / 2;
    float* r = s.u.data();
    float* th = s.v.data();
    for (std::size_t q = 0; q < pairs; ++q) {
        const std::uint64_t b = rng();
        r[q] = u32(b >> 32);
        th[q] = 6.2831853f * u32(b);
    }
    ad::kernels::log(r, pairs, r);
    float* z = s.w.data();
    for (std::size_t q = 0; q < pairs; ++q) {
        const float m = sd * std::sqrt(-2.0f * r[q]);
        z[2 * q] = m * std::cos(th[q]);
        if (2 * q + 1 < n) z[2 * q + 1] = m * std::sin(th[q]);
    }
    for (std::size_t i = 0; i < dst; ++i)
        for (std::size_t j = 0; j < dst; ++j) p[i * ld + j] += z[i * dst + j];
}

// The radar panel, in place: r = the blurred reflectivity (dst x dst, stride ld) becomes
// 1 + log10((floor + (1 - w) r + w min(1, gain |grad r|)) * speckle), the gradient by central
// differences with zeros outside the panel, speckle = -log(u_1 ... u_L) / L ~ Gamma(L, 1/L).
void radar_response(float* p, std::size_t dst, std::size_t ld, const SensorOptions& o, ad::Rng* rng, Scratch& s) {
    const std::size_t W = dst + 2, n = dst * dst;
    float* pad = s.pad.data();  // border stays zero
    for (std::size_t i = 0; i < dst; ++i) std::copy(p + i * ld, p + i * ld + dst, pad + (i + 1) * W + 1);
    const float w = static_cast<float>(o.radar_edge), gain = static_cast<float>(o.radar_edge_gain);
    const float floor = static_cast<float>(o.radar_floor);
    float* sig = s.u.data();
    for (std::size_t i = 0; i < dst; ++i) {
        // row i of the panel in the padded copy, the rows above and below it, and one column to
        // the left (unsigned indices never step below a row's start)
        const float* c = pad + (i + 1) * W + 1;
        const float* left = c - 1;
        const float* up = pad + i * W + 1;
        const float* down = pad + (i + 2) * W + 1;
        for (std::size_t j = 0; j < dst; ++j) {
            const float gx = 0.5f * (c[j + 1] - left[j]);
            const float gy = 0.5f * (down[j] - up[j]);
            const float edge = std::min(1.0f, gain * std::sqrt(gx * gx + gy * gy));
            sig[i * dst + j] = floor + (1.0f - w) * c[j] + w * edge;
        }
    }
    ad::kernels::log(sig, n, sig);
    constexpr float inv_ln10 = 0.4342944819f;
    if (rng) {
        const int L = o.radar_looks;
        float* prod = s.v.data();
        for (std::size_t q = 0; q < n; ++q) {  // 16 bits per uniform: four per draw
            float pr = 1.0f;
            for (int k = 0; k < L; k += 4) {
                const std::uint64_t b = (*rng)();
                for (int m = 0; m < 4 && k + m < L; ++m) pr *= u16(b >> (16 * m));
            }
            prod[q] = pr;
        }
        ad::kernels::log(prod, n, prod);
        for (std::size_t q = 0; q < n; ++q) prod[q] = -prod[q];
        ad::kernels::log(prod, n, prod);
        const float log_looks = std::log(float(L));
        for (std::size_t q = 0; q < n; ++q) sig[q] += prod[q] - log_looks;
    }
    for (std::size_t i = 0; i < dst; ++i)
        for (std::size_t j = 0; j < dst; ++j) p[i * ld + j] = 1.0f + inv_ln10 * sig[i * dst + j];
}

void check_options(const SensorOptions& o, std::size_t src) {
    auto bad = [](const std::string& m) { throw std::invalid_argument("fashion_mnist sensors: " + m); };
    if (o.side < 4 || o.side > src) bad("side must be in 4.." + std::to_string(src));
    for (double v : {o.optical_blur, o.optical_noise, o.radar_blur, o.radar_edge_gain})
        if (!(v >= 0 && v <= 100)) bad("blurs, noise and edge gain must be finite and >= 0");
    if (!(o.radar_edge >= 0 && o.radar_edge <= 1)) bad("radar_edge must be in [0, 1]");
    if (!(o.radar_floor > 0 && o.radar_floor <= 10)) bad("radar_floor must be in (0, 10]");
    if (o.radar_looks < 1 || o.radar_looks > 64) bad("radar_looks must be in 1..64");
}

}  // namespace

FashionMnist load_fashion_mnist(const std::string& dir) {
    FashionMnist d;
    d.train = read_idx_split(dir, "train", kFashionClasses - 1, 28, 28);
    d.test = read_idx_split(dir, "t10k", kFashionClasses - 1, 28, 28);
    return d;
}

const std::vector<int>& FashionSplit::target(int t) const {
    switch (t) {
        case 0: return y_shared;
        case 1: return y1;
        case 2: return y2;
        case 3: return y_mix;
        default: throw std::invalid_argument("FashionSplit::target: index " + std::to_string(t) + " is not 0..3");
    }
}

int mix_label(int y_shared, int y1, float coin, double rho) {
    double t = kFashionClasses * rho;  // classes below t send y_mix to the shared garment
    if (std::abs(t - std::round(t)) < 1e-9) t = std::round(t);
    const double s = std::clamp(t - y1, 0.0, 1.0);
    return double(coin) < s ? y_shared : y1;
}

void set_redundancy(FashionSplit& s, double rho) {
    if (!(rho >= 0 && rho <= 1)) throw std::invalid_argument("redundancy rho must be in [0, 1]");
    s.rho = rho;
    s.y_mix = mix_labels(s, rho);
}

std::vector<int> mix_labels(const FashionSplit& s, double rho) {
    std::vector<int> mix(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) mix[i] = mix_label(s.y_shared[i], s.y1[i], s.mix_coin[i], rho);
    return mix;
}

FashionSplit make_fashion_split(const LabelledImages& src, std::size_t n, double rho, std::uint64_t seed,
                                const SensorOptions& opt) {
    const IdxImages& im = src.images;
    if (im.rows != im.cols) throw std::invalid_argument("fashion_mnist: images must be square");
    if (im.count != src.labels.size()) throw std::invalid_argument("fashion_mnist: images and labels do not pair up");
    if (n == 0) throw std::invalid_argument("fashion_mnist: no scenes requested");
    check_options(opt, im.rows);
    const std::size_t D = opt.side, W = 2 * D, P = D * W;

    FashionSplit s;
    s.y_shared.resize(n);
    s.y1.resize(n);
    s.y2.resize(n);
    s.shared_image.resize(n);
    s.image1.resize(n);
    s.image2.resize(n);
    s.mix_coin.resize(n);
    {  // The garments (and y_mix's coin) from their own stream: the same with or without noise.
        ad::Rng pick(ad::derive_seed(seed, "garments"));
        const std::uint64_t N = im.count;
        auto draw = [&]() { return static_cast<std::uint32_t>(((pick() >> 32) * N) >> 32); };
        for (std::size_t i = 0; i < n; ++i) {
            s.shared_image[i] = draw();
            s.image1[i] = draw();
            s.image2[i] = draw();
            s.mix_coin[i] = static_cast<float>(pick() >> 40) * (1.0f / 16777216.0f);
            s.y_shared[i] = src.labels[s.shared_image[i]];
            s.y1[i] = src.labels[s.image1[i]];
            s.y2[i] = src.labels[s.image2[i]];
        }
    }
    set_redundancy(s, rho);

    s.x1.resize(ad::Shape{n, P});
    s.x2.resize(ad::Shape{n, P});
    const Optics optical(im.rows, D, opt.optical_blur), radar(im.rows, D, opt.radar_blur);
    const std::uint64_t noise_seed = ad::derive_seed(seed, "sensor noise");
    const std::size_t blocks = (n + kBlock - 1) / kBlock;
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, blocks), [&](const tbb::blocked_range<std::size_t>& br) {
        Scratch sc(im.rows, D);
        for (std::size_t b = br.begin(); b != br.end(); ++b) {
            ad::Rng rng(ad::derive_seed(noise_seed, b));
            for (std::size_t i = b * kBlock; i < std::min(n, (b + 1) * kBlock); ++i) {
                float* x1 = s.x1.data() + i * P;
                float* x2 = s.x2.data() + i * P;
                optical.apply(im.image(s.shared_image[i]), sc.tmp.data(), x1, W);
                optical.apply(im.image(s.image1[i]), sc.tmp.data(), x1 + D, W);
                radar.apply(im.image(s.shared_image[i]), sc.tmp.data(), x2, W);
                radar.apply(im.image(s.image2[i]), sc.tmp.data(), x2 + D, W);
                if (opt.noise) {
                    optical_noise(x1, D, W, static_cast<float>(opt.optical_noise), rng, sc);
                    optical_noise(x1 + D, D, W, static_cast<float>(opt.optical_noise), rng, sc);
                }
                radar_response(x2, D, W, opt, opt.noise ? &rng : nullptr, sc);
                radar_response(x2 + D, D, W, opt, opt.noise ? &rng : nullptr, sc);
            }
        }
    });
    return s;
}

FashionScenes make_fashion_scenes(const FashionMnist& d, std::size_t n_train, std::size_t n_test, double rho,
                                  std::uint64_t seed, const SensorOptions& opt) {
    FashionScenes sc;
    sc.train = make_fashion_split(d.train, n_train, rho, ad::derive_seed(seed, "fashion_mnist/train"), opt);
    sc.test = make_fashion_split(d.test, n_test, rho, ad::derive_seed(seed, "fashion_mnist/test"), opt);
    return sc;
}

ad::Mat<float> clean_views(const IdxImages& images, const std::vector<std::uint32_t>& idx, std::size_t side) {
    if (images.rows != images.cols || side < 1 || side > images.rows)
        throw std::invalid_argument("clean_views: square images and 1 <= side <= their size needed");
    const Optics box(images.rows, side, 0.0);
    ad::Mat<float> out(ad::Shape{idx.size(), side * side});
    std::vector<float> tmp(images.rows * side);
    for (std::size_t i = 0; i < idx.size(); ++i) {
        if (idx[i] >= images.count) throw std::invalid_argument("clean_views: image index out of range");
        box.apply(images.image(idx[i]), tmp.data(), out.data() + i * side * side, side);
    }
    return out;
}

BestScores best_scores(double rho) {
    if (!(rho >= 0 && rho <= 1)) throw std::invalid_argument("best_scores: rho must be in [0, 1]");
    const double K = kFashionClasses, chance = 1 / K;
    // s_b = P(y_mix = y_shared | y1 = b) = clamp(K rho - b, 0, 1); its mean over b is rho.
    double mean_max = 0;  // mean over b of max(s_b, 1 - s_b)
    for (int b = 0; b < kFashionClasses; ++b) {
        double t = K * rho;
        if (std::abs(t - std::round(t)) < 1e-9) t = std::round(t);
        const double sb = std::clamp(t - b, 0.0, 1.0);
        mean_max += std::max(sb, 1 - sb) / K;
    }
    BestScores b;
    // y_mix: from S and G1, y_mix = a = b when the classes agree (probability 1/K), else the
    // likelier of the two; from S alone, guess y_shared: right with probability
    // rho + (1 - rho) / K; from G1 alone, guess y1: 1 - (1 - 1/K) rho.
    const double mix_shared = chance + (1 - chance) * rho;
    b.x1 = {1.0, 1.0, chance, chance + (1 - chance) * mean_max};
    b.x2 = {1.0, chance, 1.0, mix_shared};
    b.shared = {1.0, chance, chance, mix_shared};
    b.specific1 = {chance, 1.0, chance, 1 - (1 - chance) * rho};
    return b;
}

}  // namespace sim
