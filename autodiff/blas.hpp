// Thin BLAS layer: gemm on raw storage (never a temporary), and the OpenBLAS kernel in use.
#pragma once
#include <optional>
#include <string>

#include "autodiff/tensor.hpp"

namespace ad::blas {

// C = alpha * op(A) op(B) + beta * C, with op(A) m x k and op(B) k x n, all row-major Mats.
template <class T>
void gemm(const Mat<T>& A, bool transpose_a, const Mat<T>& B, bool transpose_b, Mat<T>& C,
          T alpha = T(1), T beta = T(0));

// The same on raw row-major storage with leading dimensions (blocks of larger matrices).
template <class T>
void gemm_raw(bool transpose_a, bool transpose_b, std::size_t m, std::size_t n, std::size_t k, T alpha,
              const T* A, std::size_t lda, const T* B, std::size_t ldb, T beta, T* C, std::size_t ldc);

// OpenBLAS's name for the kernel it loaded (openblas_get_corename), e.g. "SkylakeX".
std::string core_name();
void set_threads(int n);
// n BLAS threads while the guard lives, one again after (alignsim's setting: parallelism is across
// runs, not inside BLAS). n <= 1 changes nothing.
class ScopedThreads {
public:
    explicit ScopedThreads(int n) : on_(n > 1) {
        if (on_) set_threads(n);
    }
    ~ScopedThreads() {
        if (on_) set_threads(1);
    }
    ScopedThreads(const ScopedThreads&) = delete;
    ScopedThreads& operator=(const ScopedThreads&) = delete;

private:
    bool on_;
};

// Cores that OpenBLAS 0.3.21 falls back to when it does not recognise a CPU.
bool is_fallback_core(const std::string& core);

struct CpuFeatures {
    bool avx512f = false, avx512bw = false, avx512vl = false, avx512dq = false;
    bool avx2 = false, fma = false;
};
CpuFeatures cpu_features();

// The OPENBLAS_CORETYPE to load with, or nothing when the current kernel should stay: the
// environment already chose one (env non-empty), or the loaded kernel is not a fallback, or the
// CPU has nothing better than the fallback.
std::optional<std::string> preferred_coretype(const std::string& loaded_core, const char* env,
                                              const CpuFeatures& cpu);

// Called first thing in main(): if OpenBLAS fell back to a slow generic kernel on a CPU that
// supports a fast one, set OPENBLAS_CORETYPE and re-execute the program (the variable is read
// only when the library loads). Never overrides a value the environment sets. Returns normally
// when no re-execution is needed or possible.
void ensure_fast_kernel(int argc, char** argv);

}  // namespace ad::blas
