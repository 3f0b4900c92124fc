// Private dense linear algebra of the theory module: small symmetric eigenproblems, SVD, QR and
// matrix functions on ad::Mat<double>, through LAPACK (xtensor-blas). Only theory/*.cpp and the
// theory tests include this header; xtensor-blas itself stays inside linalg.cpp.
#pragma once
#include <vector>

#include "autodiff/tensor.hpp"

namespace theory::la {

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

}  // namespace theory::la
