#include "sim/io/npy.hpp"

#include <cstdint>
#include <cstring>
#include <fstream>
#include <stdexcept>

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
    std::ofstream out(path, std::ios::binary);
    if (!out) throw std::runtime_error("cannot write '" + path + "'");
    out.write("\x93NUMPY", 6);
    const char ver[2] = {1, 0};
    out.write(ver, 2);
    const unsigned char hl[2] = {static_cast<unsigned char>(hlen & 0xff), static_cast<unsigned char>(hlen >> 8)};
    out.write(reinterpret_cast<const char*>(hl), 2);
    out.write(dict.data(), static_cast<std::streamsize>(dict.size()));
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(count * elem));
    if (!out) throw std::runtime_error("error writing '" + path + "'");
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
    auto bad = [&](const std::string& why) { return std::runtime_error("'" + path + "': not a readable .npy file: " + why); };
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read '" + path + "'");
    char magic[6];
    in.read(magic, 6);
    if (!in || std::memcmp(magic, "\x93NUMPY", 6) != 0) throw bad("bad magic");
    unsigned char ver[2];
    in.read(reinterpret_cast<char*>(ver), 2);
    std::size_t hlen = 0;
    if (ver[0] == 1) {
        unsigned char h[2];
        in.read(reinterpret_cast<char*>(h), 2);
        hlen = h[0] | (static_cast<std::size_t>(h[1]) << 8);
    } else if (ver[0] == 2 || ver[0] == 3) {
        unsigned char h[4];
        in.read(reinterpret_cast<char*>(h), 4);
        hlen = h[0] | (static_cast<std::size_t>(h[1]) << 8) | (static_cast<std::size_t>(h[2]) << 16) |
               (static_cast<std::size_t>(h[3]) << 24);
    } else {
        throw bad("unknown version");
    }
    std::string header(hlen, '\0');
    in.read(header.data(), static_cast<std::streamsize>(hlen));
    if (!in) throw bad("truncated header");
    NpyArray a;
    auto field = [&](const std::string& key) -> std::string {
        const auto k = header.find("'" + key + "'");
        if (k == std::string::npos) throw bad("no '" + key + "' in header");
        const auto colon = header.find(':', k);
        if (colon == std::string::npos) throw bad("malformed header");
        return header.substr(colon + 1);
    };
    {
        std::string d = field("descr");
        const auto q1 = d.find('\'');
        const auto q2 = d.find('\'', q1 + 1);
        if (q1 == std::string::npos || q2 == std::string::npos) throw bad("malformed descr");
        a.descr = d.substr(q1 + 1, q2 - q1 - 1);
    }
    {
        std::string f = field("fortran_order");
        const auto p = f.find_first_not_of(' ');
        a.fortran_order = f.compare(p, 4, "True") == 0;
    }
    {
        std::string s = field("shape");
        const auto o = s.find('('), c = s.find(')');
        if (o == std::string::npos || c == std::string::npos) throw bad("malformed shape");
        std::string body = s.substr(o + 1, c - o - 1);
        std::size_t pos = 0;
        while (pos < body.size()) {
            const auto comma = body.find(',', pos);
            std::string tok = body.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
            const auto b = tok.find_first_not_of(' ');
            if (b != std::string::npos) a.shape.push_back(static_cast<std::size_t>(std::stoull(tok.substr(b))));
            if (comma == std::string::npos) break;
            pos = comma + 1;
        }
    }
    if (a.descr != "<f8" && a.descr != "<f4" && a.descr != "<i8")
        throw bad("dtype '" + a.descr + "' (<f8, <f4 and <i8 are read)");
    if (a.fortran_order) throw bad("Fortran order");
    std::size_t count = 1;
    for (auto d : a.shape) count *= d;
    a.data.resize(count);
    if (a.descr == "<f8") {
        in.read(reinterpret_cast<char*>(a.data.data()), static_cast<std::streamsize>(count * sizeof(double)));
    } else if (a.descr == "<f4") {
        std::vector<float> f(count);
        in.read(reinterpret_cast<char*>(f.data()), static_cast<std::streamsize>(count * sizeof(float)));
        for (std::size_t i = 0; i < count; ++i) a.data[i] = f[i];
    } else {
        std::vector<std::int64_t> v(count);
        in.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(count * sizeof(std::int64_t)));
        for (std::size_t i = 0; i < count; ++i) a.data[i] = static_cast<double>(v[i]);
    }
    if (!in) throw bad("truncated data");
    return a;
}

}  // namespace sim
