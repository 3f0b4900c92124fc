// NumPy .npy files (format version 1.0): float64, C order, 2-D. Enough for numpy.load to read
// what `alignsim export` writes, and for the tests to read it back.
#pragma once
#include <string>
#include <vector>

#include "autodiff/tensor.hpp"

namespace sim {

// Writes m as a little-endian '<f8' array of shape (rows, cols). Throws std::runtime_error.
void write_npy(const std::string& path, const ad::Mat<double>& m);
// Writes a 1-D array of shape (n,).
void write_npy_vector(const std::string& path, const std::vector<double>& v);

struct NpyArray {
    std::string descr;               // e.g. "<f8"
    bool fortran_order = false;
    std::vector<std::size_t> shape;  // as in the header
    std::vector<double> data;        // row-major values (only '<f8' is read)
};
// Reads a .npy file written by write_npy (or by numpy with dtype float64). Throws
// std::runtime_error naming the file on a malformed header.
NpyArray read_npy(const std::string& path);
// The same from the bytes of a file (path names it in errors).
NpyArray parse_npy(const std::string& bytes, const std::string& path);

}  // namespace sim
