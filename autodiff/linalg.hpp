// The one dense linear-algebra layer of alignsim, below theory/, models/ and sim/run (the probes):
// small symmetric eigenproblems, SVD, QR and matrix functions on ad::Mat<double> through LAPACK
// (xtensor-blas), and the hot routines of the probes on raw row-major storage (syrk, Cholesky
// factor and solve through LAPACK potrf / potrs). The L-BFGS minimiser is autodiff/lbfgs.hpp.
// xtensor-blas and the LAPACK prototypes stay inside linalg.cpp.
#pragma once
#include <initializer_list>
#include <vector>

#include "autodiff/tensor.hpp"

namespace ad::la {

using Mat = ad::Mat<double>;

// op(A) op(B) through BLAS gemm.
Mat mm(const Mat& A, const Mat& B, bool ta = false, bool tb = false);
Mat mm3(const Mat& A, const Mat& B, const Mat& C);  // A B C
Mat transpose(const Mat& A);
Mat eye(std::size_t n);
Mat zeros(std::size_t r, std::size_t c);
double trace(const Mat& A);
double frob2(const Mat& A);                       // squared Frobenius norm
Mat rows(const Mat& A, std::size_t r0, std::size_t r1);  // rows [r0, r1)
Mat cols(const Mat& A, std::size_t c0, std::size_t c1);  // columns [c0, c1)
Mat hcat(const Mat& A, const Mat& B);
Mat vcat(const Mat& A, const Mat& B);
Mat symmetrize(const Mat& A);                     // (A + A^T) / 2
// The canonical orthonormal basis of the row space of Q (g x n, orthonormal rows): the
// Gram-Schmidt basis of the projections P e_1, P e_2, ... of the coordinate vectors (P = Q^T Q),
// skipping those (nearly) in the span of the earlier ones. It depends on the space only, not on
// the basis Q (so not on how an SVD picked it among tied singular values), and row k's coordinate
// j_k (the k-th coordinate vector kept) is positive.
Mat canonical_basis(const Mat& Q);

struct Eig {
    std::vector<double> w;  // ascending
    Mat V;                  // columns are eigenvectors
};
Eig eigh(const Mat& S);  // symmetric S

struct Svd {
    Mat U;                  // m x k (thin) or m x m (full)
    std::vector<double> s;  // descending, min(m, n)
    Mat Vt;                 // k x n (thin) or n x n (full)
};
Svd svd(const Mat& A, bool full = false);

// S^power for symmetric positive definite S (eigenvalues floored at tiny * max).
Mat sym_pow(const Mat& S, double power);
// Pseudo-inverse of a symmetric positive semi-definite S: eigenvalues below rtol * max are zero.
Mat pinv_sym(const Mat& S, double rtol = 1e-12);
// Solve S X = B for symmetric positive definite S (via eigen-decomposition).
Mat solve_spd(const Mat& S, const Mat& B);
// Thin QR of a tall A (m x n, m >= n): Q with orthonormal columns and R with R_ii >= 0.
void qr_thin(const Mat& A, Mat& Q, Mat& R);
// Orthonormal basis (d x r) of the row space of A (p x d); rank by singular values > rtol * max.
Mat row_basis(const Mat& A, double rtol = 1e-10);

// ---- raw row-major storage (blocks of larger buffers; no temporaries beyond `work`) ----

// C = alpha A^T A + beta C for A rows x m (leading dimension lda), C m x m (ldc), through BLAS
// syrk (half the arithmetic of gemm); both triangles of C are written (the lower mirrors the upper).
void syrk_tn(std::size_t m, std::size_t rows, double alpha, const double* A, std::size_t lda, double beta, double* C,
             std::size_t ldc);

// In-place Cholesky factor of the leading m x m block of a symmetric positive definite A (its
// lower triangle becomes L with A = L L^T; the upper triangle is left alone). False when A is not
// numerically positive definite (LAPACK potrf).
bool cholesky(double* A, std::size_t m, std::size_t lda);
// B := A^{-1} B for the factor L of cholesky() (m x m, lda) and B m x k (ldb), through LAPACK
// potrs. `work` is scratch (grown to m k, reused).
void cholesky_solve(const double* L, std::size_t m, std::size_t lda, double* B, std::size_t k, std::size_t ldb,
                    std::vector<double>& work);
// X = (A + j base I)^{-1} B for the first j of `jitters` at which A + j base I has a Cholesky
// factor (A m x m with leading dimension lda, B and X m x k with ldb; A is not modified, X may
// be B). False, X untouched, when none has. `work` is scratch (grown once, reused).
bool solve_spd_jittered(const double* A, std::size_t m, std::size_t lda, const double* B, std::size_t k,
                        std::size_t ldb, double* X, double base, std::initializer_list<double> jitters,
                        std::vector<double>& work);

}  // namespace ad::la
