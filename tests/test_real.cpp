// Real images: the IDX reader on tiny files written here (valid plain and gzipped, and every way
// a file can be bad).
#include <boost/test/unit_test.hpp>

#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "sim/data/idx.hpp"

namespace fs = std::filesystem;
using Bytes = std::vector<unsigned char>;

namespace {

// A scratch directory, removed at the end of the test.
struct TempDir {
    fs::path dir;
    explicit TempDir(const std::string& tag) {
        dir = fs::temp_directory_path() / ("alignsim_real_" + tag + "_" + std::to_string(::getpid()));
        fs::remove_all(dir);
        fs::create_directories(dir);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
    std::string operator/(const std::string& name) const { return (dir / name).string(); }
};

void be32(Bytes& b, std::uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<unsigned char>(v >> s));
}
Bytes idx_images(std::uint32_t count, std::uint32_t rows, std::uint32_t cols, std::uint32_t magic = 0x803) {
    Bytes b;
    be32(b, magic);
    be32(b, count);
    be32(b, rows);
    be32(b, cols);
    for (std::uint32_t i = 0; i < count * rows * cols; ++i) b.push_back(static_cast<unsigned char>((i * 37 + i / 7) % 256));
    return b;
}
Bytes idx_labels(const std::vector<int>& labels, std::uint32_t magic = 0x801) {
    Bytes b;
    be32(b, magic);
    be32(b, static_cast<std::uint32_t>(labels.size()));
    for (int l : labels) b.push_back(static_cast<unsigned char>(l));
    return b;
}
void write_plain(const std::string& path, const Bytes& b) {
    std::ofstream f(path, std::ios::binary);
    f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}
void write_gz(const std::string& path, const Bytes& b) {
    gzFile f = gzopen(path.c_str(), "wb9");
    BOOST_REQUIRE(f);
    BOOST_REQUIRE_EQUAL(gzwrite(f, b.data(), static_cast<unsigned>(b.size())), static_cast<int>(b.size()));
    BOOST_REQUIRE_EQUAL(gzclose(f), Z_OK);
}
Bytes read_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return Bytes(std::istreambuf_iterator<char>(f), {});
}

// Runs f, which must throw an IdxError whose one-line message names `file` and contains `what`.
template <class F>
void expect_idx_error(F f, const std::string& file, const std::string& what) {
    try {
        f();
        BOOST_ERROR("no error for " << file << " (expected '" << what << "')");
    } catch (const sim::IdxError& e) {
        const std::string m = e.what();
        BOOST_TEST(m.find(file) != std::string::npos, "message '" << m << "' does not name " << file);
        BOOST_TEST(m.find(what) != std::string::npos, "message '" << m << "' does not say '" << what << "'");
        BOOST_TEST(m.find('\n') == std::string::npos, "message '" << m << "' is not one line");
    }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(real)

// ---------------------------------------------------------------------------------------------
// The IDX reader

BOOST_AUTO_TEST_CASE(idx_valid_files_plain_and_gzipped_read_the_same) {
    TempDir t("valid");
    const Bytes im = idx_images(4, 3, 5);
    const Bytes lb = idx_labels({3, 0, 9, 7});
    write_plain(t / "a-images-idx3-ubyte", im);
    write_plain(t / "a-labels-idx1-ubyte", lb);
    write_gz(t / "b-images-idx3-ubyte.gz", im);
    write_gz(t / "b-labels-idx1-ubyte.gz", lb);
    for (const char* prefix : {"a", "b"}) {
        const sim::LabelledImages s = sim::read_idx_split(t.dir.string(), prefix, 9, 3, 5);
        BOOST_TEST(s.images.count == 4u);
        BOOST_TEST(s.images.rows == 3u);
        BOOST_TEST(s.images.cols == 5u);
        BOOST_TEST(std::equal(s.images.pixels.begin(), s.images.pixels.end(), im.begin() + 16, im.end()));
        BOOST_TEST((s.labels == std::vector<std::uint8_t>{3, 0, 9, 7}));
        BOOST_TEST(s.images.image(2)[1] == im[16 + 2 * 15 + 1]);
    }
    // The gzipped name is preferred when both exist.
    write_gz(t / "a-images-idx3-ubyte.gz", idx_images(4, 3, 5));
    BOOST_TEST(sim::read_idx_split(t.dir.string(), "a", 9).images_path == t / "a-images-idx3-ubyte.gz");
    // A bad data file is bad input: the command turns a ConfigError into exit status 2.
    BOOST_CHECK_THROW(sim::read_idx_labels(t / "missing"), sim::ConfigError);
}

BOOST_AUTO_TEST_CASE(idx_missing_truncated_and_wrong_magic) {
    TempDir t("bad");
    expect_idx_error([&] { sim::read_idx_images(t / "nope-images-idx3-ubyte"); }, t / "nope-images-idx3-ubyte", "no such file");
    expect_idx_error([&] { sim::read_idx_images(t.dir.string()); }, t.dir.string(), "is a directory");
    expect_idx_error([&] { sim::read_idx_split(t / "nodir", "train", 9); }, t / "nodir", "no such directory");
    expect_idx_error([&] { sim::read_idx_split(t.dir.string(), "train", 9); }, t / "train-images-idx3-ubyte.gz", "no such file");

    const Bytes im = idx_images(6, 4, 4);
    write_plain(t / "empty", {});
    expect_idx_error([&] { sim::read_idx_images(t / "empty"); }, t / "empty", "empty file");
    write_plain(t / "short_header", Bytes(im.begin(), im.begin() + 10));
    expect_idx_error([&] { sim::read_idx_images(t / "short_header"); }, t / "short_header", "truncated header");
    for (bool gz : {false, true}) {  // payload cut short: 6 images claimed, 5.5 present
        const std::string p = t / (gz ? "short.gz" : "short");
        const Bytes cut(im.begin(), im.end() - 8);
        gz ? write_gz(p, cut) : write_plain(p, cut);
        expect_idx_error([&] { sim::read_idx_images(p); }, p, "truncated: the header says 6 images of 4 x 4 (112 bytes), the data ends after 104 bytes");
    }
    Bytes longer = im;
    longer.push_back(1);
    write_plain(t / "long", longer);
    expect_idx_error([&] { sim::read_idx_images(t / "long"); }, t / "long", "unexpected bytes after the last image");

    write_plain(t / "labels_as_images", idx_labels({1, 2}));
    expect_idx_error([&] { sim::read_idx_images(t / "labels_as_images"); }, t / "labels_as_images",
                     "wrong magic number 0x00000801, expected 0x00000803 for an idx3-ubyte image file (this is a label file)");
    write_plain(t / "images_as_labels", im);
    expect_idx_error([&] { sim::read_idx_labels(t / "images_as_labels"); }, t / "images_as_labels", "(this is an image file)");
    write_plain(t / "text", Bytes{'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd', '\n'});
    expect_idx_error([&] { sim::read_idx_images(t / "text"); }, t / "text", "(not an IDX file)");
    write_plain(t / "ints", idx_images(1, 2, 2, 0x0C03));  // element type int32
    expect_idx_error([&] { sim::read_idx_images(t / "ints"); }, t / "ints", "only unsigned bytes");
    write_plain(t / "zero", idx_images(3, 0, 4));
    expect_idx_error([&] { sim::read_idx_images(t / "zero"); }, t / "zero", "zero-sized images");
    Bytes huge;
    be32(huge, 0x803);
    for (int k = 0; k < 3; ++k) be32(huge, 100000);
    write_plain(t / "huge", huge);
    expect_idx_error([&] { sim::read_idx_images(t / "huge"); }, t / "huge", "implausible header");
}

BOOST_AUTO_TEST_CASE(idx_label_range_count_mismatch_and_image_size) {
    TempDir t("labels");
    write_plain(t / "x-images-idx3-ubyte", idx_images(4, 28, 28));
    write_plain(t / "x-labels-idx1-ubyte", idx_labels({1, 2, 10, 3}));
    expect_idx_error([&] { sim::read_idx_split(t.dir.string(), "x", 9); }, t / "x-labels-idx1-ubyte",
                     "label 10 of item 2 is out of range 0..9");
    write_plain(t / "x-labels-idx1-ubyte", idx_labels({1, 2, 3}));
    expect_idx_error([&] { sim::read_idx_split(t.dir.string(), "x", 9); }, t / "x-labels-idx1-ubyte",
                     "holds 3 labels but '" + (t / "x-images-idx3-ubyte") + "' holds 4 images");
    write_plain(t / "y-images-idx3-ubyte", idx_images(3, 28, 20));
    write_plain(t / "y-labels-idx1-ubyte", idx_labels({1, 2, 3}));
    expect_idx_error([&] { sim::read_idx_split(t.dir.string(), "y", 9, 28, 28); }, t / "y-images-idx3-ubyte",
                     "images are 28 x 20, expected 28 x 28");
    BOOST_TEST(sim::read_idx_split(t.dir.string(), "y", 9).images.cols == 20u);
}

BOOST_AUTO_TEST_CASE(idx_corrupt_gzip) {
    TempDir t("gzip");
    // Compressible content (deflate blocks, not stored ones) of a few kB.
    const Bytes im = idx_images(40, 28, 28);
    write_gz(t / "ok.gz", im);
    const Bytes gz = read_file(t / "ok.gz");
    BOOST_REQUIRE(gz.size() > 200);
    BOOST_TEST(sim::read_idx_images(t / "ok.gz").count == 40u);
    // Flipped bytes inside the deflate stream: a decoding error or, at the end, a CRC mismatch.
    for (std::size_t at : {gz.size() / 3, gz.size() / 2, 2 * gz.size() / 3}) {
        Bytes bad = gz;
        for (std::size_t k = 0; k < 4; ++k) bad[at + k] ^= 0x5a;
        const std::string p = t / ("flip" + std::to_string(at) + ".gz");
        write_plain(p, bad);
        expect_idx_error([&] { sim::read_idx_images(p); }, p, "corrupt gzip data (zlib: ");
    }
    {  // the trailer's CRC-32
        Bytes bad = gz;
        bad[bad.size() - 6] ^= 0x01;
        write_plain(t / "crc.gz", bad);
        expect_idx_error([&] { sim::read_idx_images(t / "crc.gz"); }, t / "crc.gz", "incorrect data check");
    }
    {  // the stream cut in the middle
        write_plain(t / "cut.gz", Bytes(gz.begin(), gz.begin() + static_cast<std::ptrdiff_t>(gz.size() / 2)));
        expect_idx_error([&] { sim::read_idx_images(t / "cut.gz"); }, t / "cut.gz", "truncated gzip stream");
    }
    {  // the stream without its trailer
        write_plain(t / "notrailer.gz", Bytes(gz.begin(), gz.end() - 8));
        expect_idx_error([&] { sim::read_idx_images(t / "notrailer.gz"); }, t / "notrailer.gz", "truncated gzip stream");
    }
}

BOOST_AUTO_TEST_SUITE_END()
