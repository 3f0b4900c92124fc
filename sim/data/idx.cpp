#include "sim/data/idx.hpp"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <sstream>

namespace sim {
namespace {

// Claimed sizes above this are treated as a corrupt header rather than allocated (the largest
// real IDX file, MNIST-style 60000 x 28 x 28, is 47 MB).
constexpr std::uint64_t kMaxBytes = std::uint64_t(1) << 32;

[[noreturn]] void fail(const std::string& path, const std::string& problem) {
    throw IdxError("'" + path + "': " + problem);
}

// A file read through zlib: gzread decompresses gzip and passes anything else through unchanged.
class Reader {
public:
    explicit Reader(const std::string& path) : path_(path) {
        std::error_code ec;
        const auto st = std::filesystem::status(path, ec);
        if (!std::filesystem::exists(st)) fail(path, "no such file");
        if (std::filesystem::is_directory(st)) fail(path, "is a directory, not an IDX file");
        errno = 0;
        f_ = gzopen(path.c_str(), "rb");
        if (!f_) fail(path, std::string("cannot open: ") + (errno ? std::strerror(errno) : "out of memory"));
        gzbuffer(f_, 1 << 18);
    }
    ~Reader() {
        if (f_) gzclose(f_);
    }
    Reader(const Reader&) = delete;
    Reader& operator=(const Reader&) = delete;

    // Reads up to n bytes; returns how many were read (fewer only at the end of the data).
    // Throws on a decompression error (corrupt or truncated gzip stream) or a read error.
    std::size_t read(void* buf, std::size_t n) {
        std::size_t got = 0;
        auto* p = static_cast<unsigned char*>(buf);
        while (got < n) {
            const unsigned chunk = static_cast<unsigned>(std::min<std::size_t>(n - got, 1u << 30));
            const int r = gzread(f_, p + got, chunk);
            if (r < 0) check_stream();
            if (r <= 0) break;
            got += static_cast<std::size_t>(r);
        }
        if (got < n) check_stream();
        return got;
    }
    // Throws if zlib recorded an error (a short read alone is not one).
    void check_stream() {
        int err = Z_OK;
        const char* msg = gzerror(f_, &err);
        if (err == Z_OK) return;
        if (err == Z_BUF_ERROR) fail(path_, "truncated gzip stream (unexpected end of file)");
        if (err == Z_ERRNO) fail(path_, std::string("read error: ") + std::strerror(errno));
        fail(path_, std::string("corrupt gzip data (zlib: ") + (msg && *msg ? msg : "unknown error") + ")");
    }
    // After the last expected byte: nothing may follow. Reading past the end also makes zlib
    // check the gzip trailer (CRC-32 and length), so a corrupt stream is caught here.
    void expect_end(const char* what) {
        unsigned char extra[64];
        const std::size_t n = read(extra, sizeof extra);
        check_stream();
        if (n > 0) fail(path_, std::string("unexpected bytes after the last ") + what + " (file longer than its header says)");
    }
    const std::string& path() const { return path_; }

private:
    std::string path_;
    gzFile f_ = nullptr;
};

std::uint32_t be32(const unsigned char* b) {
    return (std::uint32_t(b[0]) << 24) | (std::uint32_t(b[1]) << 16) | (std::uint32_t(b[2]) << 8) | std::uint32_t(b[3]);
}

std::string hex(std::uint32_t v) {
    char s[16];
    std::snprintf(s, sizeof s, "0x%08x", v);
    return s;
}

// Reads the magic number and the sizes of an unsigned-byte IDX file of `dims` dimensions.
std::vector<std::uint32_t> read_header(Reader& r, unsigned dims) {
    const std::string& path = r.path();
    unsigned char magic[4];
    const std::size_t got = r.read(magic, 4);
    if (got == 0) fail(path, "empty file");
    if (got < 4) fail(path, "truncated: " + std::to_string(got) + " bytes, shorter than an IDX magic number");
    const std::uint32_t m = be32(magic);
    const std::uint32_t want = 0x00000800u | dims;
    const char* kind = dims == 3 ? "an idx3-ubyte image file" : "an idx1-ubyte label file";
    if (m != want) {
        std::string why = "wrong magic number " + hex(m) + ", expected " + hex(want) + " for " + kind;
        if (m == 0x00000801u) why += " (this is a label file)";
        else if (m == 0x00000803u) why += " (this is an image file)";
        else if (magic[0] != 0 || magic[1] != 0) why += " (not an IDX file)";
        else if (magic[2] != 0x08) why += " (element type " + hex(magic[2]).substr(8) + ", only unsigned bytes 0x08 are read)";
        fail(path, why);
    }
    std::vector<unsigned char> raw(4 * dims);
    const std::size_t g = r.read(raw.data(), raw.size());
    if (g < raw.size())
        fail(path, "truncated header: " + std::to_string(4 + g) + " bytes, the header needs " + std::to_string(4 + raw.size()));
    std::vector<std::uint32_t> sizes(dims);
    for (unsigned d = 0; d < dims; ++d) sizes[d] = be32(raw.data() + 4 * d);
    return sizes;
}

// Reads exactly n payload bytes, growing the buffer as data arrives (a corrupt header cannot
// make us allocate more than the file holds, beyond one chunk).
void read_payload(Reader& r, std::vector<std::uint8_t>& out, std::uint64_t n, const std::string& claim,
                  std::size_t header_bytes) {
    out.clear();
    const std::size_t chunk = std::size_t(1) << 24;
    std::size_t have = 0;
    while (have < n) {
        const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(chunk, n - have));
        out.resize(have + want);
        const std::size_t got = r.read(out.data() + have, want);
        have += got;
        if (got < want)
            fail(r.path(), "truncated: the header says " + claim + " (" + std::to_string(header_bytes + n) +
                               " bytes), the data ends after " + std::to_string(header_bytes + have) + " bytes");
    }
}

}  // namespace

IdxImages read_idx_images(const std::string& path) {
    Reader r(path);
    const auto s = read_header(r, 3);
    IdxImages im;
    im.count = s[0];
    im.rows = s[1];
    im.cols = s[2];
    if (im.count == 0) fail(path, "holds no images (count 0)");
    if (im.rows == 0 || im.cols == 0)
        fail(path, "zero-sized images (" + std::to_string(im.rows) + " x " + std::to_string(im.cols) + ")");
    // rows x cols fits in 64 bits (each is below 2^32); count x that need not (found by
    // tests/fuzz/fuzz_idx: a header whose product wrapped to 0 was accepted with no pixels)
    const std::uint64_t per_image = std::uint64_t(im.rows) * im.cols;
    const std::string claim = std::to_string(im.count) + " images of " + std::to_string(im.rows) + " x " + std::to_string(im.cols);
    if (per_image > kMaxBytes || std::uint64_t(im.count) > kMaxBytes / per_image)
        fail(path, "implausible header: " + claim + " is more than 4 GiB (corrupt file?)");
    const std::uint64_t bytes = std::uint64_t(im.count) * per_image;
    read_payload(r, im.pixels, bytes, claim, 16);
    r.expect_end("image");
    return im;
}

std::vector<std::uint8_t> read_idx_labels(const std::string& path, int max_label) {
    Reader r(path);
    const auto s = read_header(r, 1);
    if (s[0] == 0) fail(path, "holds no labels (count 0)");
    std::vector<std::uint8_t> labels;
    read_payload(r, labels, s[0], std::to_string(s[0]) + " labels", 8);
    r.expect_end("label");
    for (std::size_t i = 0; i < labels.size(); ++i)
        if (labels[i] > max_label)
            fail(path, "label " + std::to_string(labels[i]) + " of item " + std::to_string(i) + " is out of range 0.." +
                           std::to_string(max_label));
    return labels;
}

LabelledImages read_idx_split(const std::string& dir, const std::string& prefix, int max_label, std::size_t rows,
                              std::size_t cols) {
    auto pick = [&](const std::string& stem) {
        const std::filesystem::path base = std::filesystem::path(dir) / stem;
        const std::string gz = base.string() + ".gz";
        std::error_code ec;
        if (std::filesystem::exists(gz, ec)) return gz;
        if (std::filesystem::exists(base, ec)) return base.string();
        if (!std::filesystem::exists(dir, ec)) fail(dir, "no such directory (expected it to hold " + stem + "[.gz])");
        if (!std::filesystem::is_directory(dir, ec)) fail(dir, "is not a directory (expected one holding " + stem + "[.gz])");
        fail(gz, "no such file (nor " + stem + " without .gz)");
    };
    LabelledImages out;
    out.images_path = pick(prefix + "-images-idx3-ubyte");
    out.labels_path = pick(prefix + "-labels-idx1-ubyte");
    out.images = read_idx_images(out.images_path);
    if ((rows && out.images.rows != rows) || (cols && out.images.cols != cols))
        fail(out.images_path, "images are " + std::to_string(out.images.rows) + " x " + std::to_string(out.images.cols) +
                                  ", expected " + std::to_string(rows) + " x " + std::to_string(cols));
    out.labels = read_idx_labels(out.labels_path, max_label);
    if (out.labels.size() != out.images.count)
        fail(out.labels_path, "holds " + std::to_string(out.labels.size()) + " labels but '" + out.images_path + "' holds " +
                                  std::to_string(out.images.count) + " images (they must pair up)");
    return out;
}

}  // namespace sim
