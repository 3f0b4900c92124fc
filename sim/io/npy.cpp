#include "sim/io/npy.hpp"

#include <cctype>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "sim/io/files.hpp"

namespace sim {

namespace {

bool little_endian() {
    const std::uint16_t one = 1;
    unsigned char b;
    std::memcpy(&b, &one, 1);
    return b == 1;
}

void write_raw(const std::string& path, const std::vector<std::size_t>& shape, const void* data, std::size_t count,
               const char* descr, std::size_t elem) {
    if (!little_endian()) throw std::runtime_error("write_npy: big-endian hosts are not supported");
    std::string dict = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': (";
    for (std::size_t i = 0; i < shape.size(); ++i) {
        dict += std::to_string(shape[i]);
        if (shape.size() == 1 || i + 1 < shape.size()) dict += ",";
        if (i + 1 < shape.size()) dict += " ";
    }
    dict += "), }";
    // magic (6) + version (2) + header length (2) + dict + padding + '\n', a multiple of 64
    std::size_t total = 10 + dict.size() + 1;
    const std::size_t pad = (64 - total % 64) % 64;
    dict.append(pad, ' ');
    dict += '\n';
    const std::uint16_t hlen = static_cast<std::uint16_t>(dict.size());
    AtomicFile out(path);
    out.write("\x93NUMPY", 6);
    const char ver[2] = {1, 0};
    out.write(ver, 2);
    const unsigned char hl[2] = {static_cast<unsigned char>(hlen & 0xff), static_cast<unsigned char>(hlen >> 8)};
    out.write(hl, 2);
    out.write(dict.data(), dict.size());
    out.write(data, count * elem);
    out.commit();
}

}  // namespace

void write_npy(const std::string& path, const ad::Mat<double>& m) {
    write_raw(path, {m.shape()[0], m.shape()[1]}, m.data(), m.size(), "<f8", sizeof(double));
}

void write_npy_vector(const std::string& path, const std::vector<double>& v) {
    write_raw(path, {v.size()}, v.data(), v.size(), "<f8", sizeof(double));
}

void write_npy(const std::string& path, const ad::Mat<float>& m) {
    static_assert(sizeof(float) == 4, "float32 expected");
    write_raw(path, {m.shape()[0], m.shape()[1]}, m.data(), m.size(), "<f4", sizeof(float));
}

void write_npy_vector(const std::string& path, const std::vector<float>& v) {
    write_raw(path, {v.size()}, v.data(), v.size(), "<f4", sizeof(float));
}

void write_npy_int(const std::string& path, const std::vector<std::int64_t>& data, const std::vector<std::size_t>& shape) {
    std::size_t count = 1;
    for (auto d : shape) count *= d;
    if (shape.empty() || count != data.size()) throw std::invalid_argument("write_npy_int: shape does not match the data");
    write_raw(path, shape, data.data(), data.size(), "<i8", sizeof(std::int64_t));
}

NpyArray read_npy(const std::string& path) {
    std::string bytes;
    if (!read_file(path, bytes)) throw std::runtime_error("cannot read '" + path + "'");
    return parse_npy(bytes, path);
}

namespace {

// The value of 'key' in the header dict ({'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }):
// the position just after "'key':" and its spaces, or npos.
std::size_t value_of(const std::string& header, const std::string& key) {
    std::size_t k = header.find("'" + key + "'");
    if (k == std::string::npos) return k;
    k += key.size() + 2;
    while (k < header.size() && header[k] == ' ') ++k;
    if (k >= header.size() || header[k] != ':') return std::string::npos;
    ++k;
    while (k < header.size() && header[k] == ' ') ++k;
    return k;
}

}  // namespace

NpyArray parse_npy(const std::string& bytes, const std::string& path) {
    auto bad = [&](const std::string& why) { return std::runtime_error("'" + path + "': not a readable .npy file: " + why); };
    if (bytes.size() < 6 || bytes.compare(0, 6, "\x93NUMPY") != 0) throw bad("bad magic");
    if (bytes.size() < 10) throw bad("truncated header");
    const auto byte = [&](std::size_t i) { return static_cast<std::size_t>(static_cast<unsigned char>(bytes[i])); };
    std::size_t pos = 0, hlen = 0;
    if (byte(6) == 1) {
        hlen = byte(8) | (byte(9) << 8);
        pos = 10;
    } else if (byte(6) == 2 || byte(6) == 3) {
        if (bytes.size() < 12) throw bad("truncated header");
        hlen = byte(8) | (byte(9) << 8) | (byte(10) << 16) | (byte(11) << 24);
        pos = 12;
    } else {
        throw bad("unknown version " + std::to_string(byte(6)));
    }
    if (hlen > bytes.size() - pos) throw bad("truncated header");
    const std::string header = bytes.substr(pos, hlen);
    pos += hlen;

    NpyArray a;
    std::size_t v = value_of(header, "descr");
    if (v == std::string::npos) throw bad("no 'descr' in the header");
    const char q = v < header.size() ? header[v] : '\0';
    const std::size_t q2 = (q == '\'' || q == '"') ? header.find(q, v + 1) : std::string::npos;
    if (q2 == std::string::npos) throw bad("malformed 'descr'");
    a.descr = header.substr(v + 1, q2 - v - 1);

    v = value_of(header, "fortran_order");
    if (v == std::string::npos) throw bad("no 'fortran_order' in the header");
    if (header.compare(v, 4, "True") == 0) a.fortran_order = true;
    else if (header.compare(v, 5, "False") == 0) a.fortran_order = false;
    else throw bad("malformed 'fortran_order'");

    v = value_of(header, "shape");
    if (v == std::string::npos) throw bad("no 'shape' in the header");
    if (v >= header.size() || header[v] != '(') throw bad("malformed 'shape'");
    const std::size_t close = header.find(')', v);
    if (close == std::string::npos) throw bad("malformed 'shape'");
    // "(3, 2)", "(4,)", "()": integers separated by commas, a trailing comma allowed
    std::size_t i = v + 1;
    while (true) {
        while (i < close && header[i] == ' ') ++i;
        if (i == close) break;
        if (!std::isdigit(static_cast<unsigned char>(header[i]))) throw bad("malformed 'shape'");
        std::size_t d = 0;
        while (i < close && std::isdigit(static_cast<unsigned char>(header[i]))) {
            const std::size_t digit = static_cast<std::size_t>(header[i] - '0');
            if (d > (SIZE_MAX - digit) / 10) throw bad("a dimension of 'shape' is too large");
            d = d * 10 + digit;
            ++i;
        }
        a.shape.push_back(d);
        while (i < close && header[i] == ' ') ++i;
        if (i == close) break;
        if (header[i] != ',') throw bad("malformed 'shape'");
        ++i;
    }
    if (a.descr != "<f8" && a.descr != "<f4" && a.descr != "<i8")
        throw bad("dtype '" + a.descr + "' (<f8, <f4 and <i8 are read)");
    const std::size_t elem = a.descr == "<f4" ? sizeof(float) : 8;
    if (a.fortran_order) throw bad("Fortran order");
    if (!little_endian()) throw bad("big-endian hosts are not supported");
    std::size_t count = 1;
    for (auto d : a.shape) {
        if (d != 0 && count > SIZE_MAX / sizeof(double) / d) throw bad("'shape' is too large");
        count *= d;
    }
    if (count > (bytes.size() - pos) / elem) throw bad("truncated data");
    a.data.resize(count);
    if (count) {
        const char* src = bytes.data() + pos;
        if (a.descr == "<f8") {
            std::memcpy(a.data.data(), src, count * sizeof(double));
        } else if (a.descr == "<f4") {
            for (std::size_t k = 0; k < count; ++k) {
                float f;
                std::memcpy(&f, src + k * sizeof(float), sizeof(float));
                a.data[k] = f;
            }
        } else {
            for (std::size_t k = 0; k < count; ++k) {
                std::int64_t v;
                std::memcpy(&v, src + k * sizeof(std::int64_t), sizeof(std::int64_t));
                a.data[k] = static_cast<double>(v);
            }
        }
    }
    return a;
}

}  // namespace sim
