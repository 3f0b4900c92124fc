#include "autodiff/random.hpp"

#include <cmath>

namespace ad {

std::uint64_t mix64(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t stream) {
    return mix64(mix64(seed) ^ mix64(stream + 0x632be59bd9b4e019ULL));
}

std::uint64_t derive_seed(std::uint64_t seed, const char* stream) {
    std::uint64_t h = 1469598103934665603ULL;  // FNV-1a
    for (const char* c = stream; *c; ++c) h = (h ^ static_cast<unsigned char>(*c)) * 1099511628211ULL;
    return derive_seed(seed, h);
}

double uniform01(Rng& rng) {
    // 53 random bits, shifted off zero
    return (static_cast<double>(rng() >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

double normal(Rng& rng) {
    const double u1 = uniform01(rng), u2 = uniform01(rng);
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

template <class T>
void fill_normal(Mat<T>& m, Rng& rng, T mean, T sd) {
    T* p = m.data();
    for (std::size_t i = 0; i < m.size(); ++i) p[i] = mean + sd * static_cast<T>(normal(rng));
}

template <class T>
void fill_uniform(Mat<T>& m, Rng& rng, T lo, T hi) {
    T* p = m.data();
    for (std::size_t i = 0; i < m.size(); ++i) p[i] = lo + (hi - lo) * static_cast<T>(uniform01(rng));
}

template <class T>
void xavier_uniform(Mat<T>& w, Rng& rng) {
    const double a = std::sqrt(6.0 / static_cast<double>(w.shape()[0] + w.shape()[1]));
    fill_uniform(w, rng, static_cast<T>(-a), static_cast<T>(a));
}
template <class T>
void xavier_normal(Mat<T>& w, Rng& rng) {
    fill_normal(w, rng, T(0), static_cast<T>(std::sqrt(2.0 / static_cast<double>(w.shape()[0] + w.shape()[1]))));
}
template <class T>
void he_normal(Mat<T>& w, Rng& rng) {
    fill_normal(w, rng, T(0), static_cast<T>(std::sqrt(2.0 / static_cast<double>(w.shape()[1]))));
}
template <class T>
void he_uniform(Mat<T>& w, Rng& rng) {
    const double a = std::sqrt(6.0 / static_cast<double>(w.shape()[1]));
    fill_uniform(w, rng, static_cast<T>(-a), static_cast<T>(a));
}

#define AD_INST(T)                                                \
    template void fill_normal<T>(Mat<T>&, Rng&, T, T);            \
    template void fill_uniform<T>(Mat<T>&, Rng&, T, T);           \
    template void xavier_uniform<T>(Mat<T>&, Rng&);               \
    template void xavier_normal<T>(Mat<T>&, Rng&);                \
    template void he_normal<T>(Mat<T>&, Rng&);                    \
    template void he_uniform<T>(Mat<T>&, Rng&);
AD_INST(double)
AD_INST(float)

}  // namespace ad
