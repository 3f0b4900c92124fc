// The raw-storage half of autodiff/linalg.hpp: syrk and the Cholesky factor and solve, straight
// on OpenBLAS's CBLAS and LAPACK (xtensor-blas, used by linalg.cpp, brings a CBLAS header of its
// own that cannot share a translation unit with OpenBLAS's).
#include <cblas.h>

#include <algorithm>
#include <cstddef>

#include "autodiff/linalg.hpp"

// LAPACK (shipped by OpenBLAS), LP64, with the hidden lengths of the character arguments.
extern "C" {
void dpotrf_(const char* uplo, const int* n, double* a, const int* lda, int* info, std::size_t uplo_len);
void dpotrs_(const char* uplo, const int* n, const int* nrhs, const double* a, const int* lda, double* b,
             const int* ldb, int* info, std::size_t uplo_len);
}

namespace ad::la {

// Row-major storage read as column-major is the transpose: the row-major lower triangle is LAPACK's
// upper one ('U'), and A = L L^T in row-major is A = U^T U in LAPACK's terms.
void syrk_tn(std::size_t m, std::size_t rows, double alpha, const double* A, std::size_t lda, double beta, double* C,
             std::size_t ldc) {
    if (m == 0) return;
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, static_cast<int>(m), static_cast<int>(rows), alpha, A,
                static_cast<int>(lda), beta, C, static_cast<int>(ldc));
    for (std::size_t i = 1; i < m; ++i)
        for (std::size_t j = 0; j < i; ++j) C[i * ldc + j] = C[j * ldc + i];
}

bool cholesky(double* A, std::size_t m, std::size_t lda) {
    if (m == 0) return true;
    const int n = static_cast<int>(m), ld = static_cast<int>(lda);
    int info = 0;
    dpotrf_("U", &n, A, &ld, &info, 1);
    return info == 0;
}

namespace {
// B := (L L^T)^{-1} B through potrs on a column-major copy of B (tmp, m x k).
void potrs_rows(const double* L, std::size_t m, std::size_t lda, double* B, std::size_t k, std::size_t ldb,
                double* tmp) {
    if (m == 0 || k == 0) return;
    for (std::size_t i = 0; i < m; ++i)
        for (std::size_t c = 0; c < k; ++c) tmp[c * m + i] = B[i * ldb + c];
    const int n = static_cast<int>(m), nrhs = static_cast<int>(k), ld = static_cast<int>(lda), ldt = n;
    int info = 0;
    dpotrs_("U", &n, &nrhs, L, &ld, tmp, &ldt, &info, 1);
    for (std::size_t i = 0; i < m; ++i)
        for (std::size_t c = 0; c < k; ++c) B[i * ldb + c] = tmp[c * m + i];
}
}  // namespace

void cholesky_solve(const double* L, std::size_t m, std::size_t lda, double* B, std::size_t k, std::size_t ldb,
                    std::vector<double>& work) {
    if (work.size() < m * k) work.resize(m * k);
    potrs_rows(L, m, lda, B, k, ldb, work.data());
}

bool solve_spd_jittered(const double* A, std::size_t m, std::size_t lda, const double* B, std::size_t k,
                        std::size_t ldb, double* X, double base, std::initializer_list<double> jitters,
                        std::vector<double>& work) {
    if (work.size() < m * m + m * k) work.resize(m * m + m * k);
    double* L = work.data();
    for (double jitter : jitters) {
        for (std::size_t i = 0; i < m; ++i) {
            std::copy(A + i * lda, A + i * lda + i + 1, L + i * m);  // the lower triangle is all potrf reads
            L[i * m + i] += jitter * base;
        }
        if (!cholesky(L, m, m)) continue;
        if (X != B)
            for (std::size_t i = 0; i < m; ++i) std::copy(B + i * ldb, B + i * ldb + k, X + i * ldb);
        potrs_rows(L, m, m, X, k, ldb, L + m * m);
        return true;
    }
    return false;
}

}  // namespace ad::la
