// Seeded randomness: explicit engines only (never a global one), and stream derivation so that
// every run, cell and purpose gets its own reproducible engine whatever the thread count.
#pragma once
#include <cstdint>
#include <random>

#include "autodiff/tensor.hpp"

namespace ad {

using Rng = std::mt19937_64;

// SplitMix64 finaliser: a well-mixed 64-bit hash.
std::uint64_t mix64(std::uint64_t x);
// A seed for the sub-stream `stream` of `seed` (e.g. derive_seed(run_seed, "init")).
std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t stream);
std::uint64_t derive_seed(std::uint64_t seed, const char* stream);

// Standard normal draws by Box-Muller on the engine's raw output (identical on every platform,
// unlike std::normal_distribution).
double normal(Rng& rng);
double uniform01(Rng& rng);  // in (0, 1)
template <class T> void fill_normal(Mat<T>& m, Rng& rng, T mean = T(0), T sd = T(1));
template <class T> void fill_uniform(Mat<T>& m, Rng& rng, T lo, T hi);

// Initialisation of a fan_out x fan_in weight matrix (rows = outputs).
template <class T> void xavier_uniform(Mat<T>& w, Rng& rng);  // U(+-sqrt(6 / (in + out)))
template <class T> void xavier_normal(Mat<T>& w, Rng& rng);   // N(0, 2 / (in + out))
template <class T> void he_normal(Mat<T>& w, Rng& rng);       // N(0, 2 / in)
template <class T> void he_uniform(Mat<T>& w, Rng& rng);      // U(+-sqrt(6 / in))

}  // namespace ad
