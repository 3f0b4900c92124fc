// IDX files (the MNIST / Fashion-MNIST format), plain or gzipped, read through zlib.
//
// An IDX file is a 4-byte magic number (two zero bytes, a type code, the number of dimensions),
// one big-endian 32-bit size per dimension, then the data in C order. Only unsigned bytes (type
// 0x08) are read: images are idx3-ubyte (count x rows x cols), labels idx1-ubyte (count).
// Every problem with a file (missing, unreadable, truncated, corrupt gzip, wrong magic number or
// dimensions, trailing bytes, labels out of range, images and labels that do not pair) throws
// IdxError, one line that names the file and the problem. IdxError is a ConfigError: a bad data
// file is bad input (the command exits with status 2).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "sim/config/config.hpp"

namespace sim {

struct IdxError : ConfigError {
    using ConfigError::ConfigError;
};

struct IdxImages {
    std::size_t count = 0, rows = 0, cols = 0;
    std::vector<std::uint8_t> pixels;  // count * rows * cols, image after image, row-major
    const std::uint8_t* image(std::size_t i) const { return pixels.data() + i * rows * cols; }
    std::size_t pixels_per_image() const { return rows * cols; }
};

// Reads an idx3-ubyte file (magic 0x00000803). Throws IdxError.
IdxImages read_idx_images(const std::string& path);
// Reads an idx1-ubyte file (magic 0x00000801) whose labels must lie in 0..max_label. Throws IdxError.
std::vector<std::uint8_t> read_idx_labels(const std::string& path, int max_label = 255);

// One split of an image-classification dataset: images and their labels, checked to pair up.
struct LabelledImages {
    IdxImages images;
    std::vector<std::uint8_t> labels;
    std::string images_path, labels_path;  // the files read
};

// Reads <dir>/<prefix>-images-idx3-ubyte and <dir>/<prefix>-labels-idx1-ubyte, each with or
// without a ".gz" suffix (the gzipped name is tried first), and checks that they pair up (same
// count), that images are rows x cols when rows, cols > 0 are given, and that labels lie in
// 0..max_label. Throws IdxError (naming the expected file when neither name exists).
LabelledImages read_idx_split(const std::string& dir, const std::string& prefix, int max_label,
                              std::size_t rows = 0, std::size_t cols = 0);

}  // namespace sim
