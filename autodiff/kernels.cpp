#include "autodiff/kernels.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace ad::kernels {

template <class T>
void softmax_rows(const T* x, std::size_t R, std::size_t C, T* p, T* lse) {
    for (std::size_t i = 0; i < R; ++i) {
        const T* xi = x + i * C;
        T m = -std::numeric_limits<T>::infinity();
        for (std::size_t j = 0; j < C; ++j) m = std::max(m, xi[j]);
        if (!std::isfinite(m)) m = T(0);  // all -inf (or a non-finite row): no shift
        T s = 0;
        if (p) {
            T* pi = p + i * C;
            for (std::size_t j = 0; j < C; ++j) {
                pi[j] = std::exp(xi[j] - m);
                s += pi[j];
            }
            const T inv = T(1) / s;
            for (std::size_t j = 0; j < C; ++j) pi[j] *= inv;
        } else {
            for (std::size_t j = 0; j < C; ++j) s += std::exp(xi[j] - m);
        }
        lse[i] = m + std::log(s);
    }
}

template void softmax_rows<double>(const double*, std::size_t, std::size_t, double*, double*);
template void softmax_rows<float>(const float*, std::size_t, std::size_t, float*, float*);

}  // namespace ad::kernels
