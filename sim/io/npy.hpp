// NumPy .npy files (format version 1.0), C order: float64 ('<f8'), float32 ('<f4') and int64
// ('<i8') arrays. Enough for numpy.load to read what `alignsim export` writes, and for the tests
// to read it back.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "autodiff/tensor.hpp"

namespace sim {

// Writes m as a little-endian '<f8' array of shape (rows, cols). Throws std::runtime_error.
void write_npy(const std::string& path, const ad::Mat<double>& m);
// Writes a 1-D array of shape (n,).
void write_npy_vector(const std::string& path, const std::vector<double>& v);
// Writes m as a little-endian '<f4' (float32) array of shape (rows, cols), from its own storage.
void write_npy(const std::string& path, const ad::Mat<float>& m);
// Writes a float32 vector of shape (n,).
void write_npy_vector(const std::string& path, const std::vector<float>& v);
// Writes integers as a little-endian '<i8' (int64, numpy's default integer) array of the given
// shape (1-D or 2-D; the product must be data.size()).
void write_npy_int(const std::string& path, const std::vector<std::int64_t>& data, const std::vector<std::size_t>& shape);

struct NpyArray {
    std::string descr;               // "<f8", "<f4" or "<i8"
    bool fortran_order = false;
    std::vector<std::size_t> shape;  // as in the header
    std::vector<double> data;        // row-major values, converted to double
};
// Reads a .npy file of '<f8', '<f4' or '<i8' elements (what write_npy* writes, or numpy with
// those dtypes). Throws std::runtime_error naming the file on a malformed header.
NpyArray read_npy(const std::string& path);
// The same from the bytes of a file (path names it in errors).
NpyArray parse_npy(const std::string& bytes, const std::string& path);

}  // namespace sim
