// Real images: the IDX reader on tiny files written here (valid plain and gzipped, and every way
// a file can be bad), the Fashion-MNIST dataset itself, the two-modality scenes (determinism,
// geometry, noise models, y_mix, the best-score formulas against the scenes), the logistic
// probe on synthetic data with known answers, and the chance-level properties on a
// subset of real scenes.
// Budget: well under a minute on one core.
#include <boost/test/unit_test.hpp>

#include <zlib.h>

#include <tbb/global_control.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "autodiff/blas.hpp"
#include "autodiff/random.hpp"
#include <nlohmann/json.hpp>

#include "sim/data/fashion_mnist.hpp"
#include "sim/data/idx.hpp"
#include "sim/data/samples.hpp"
#include "sim/run/probe_knn.hpp"
#include "sim/run/probe_logistic.hpp"
#include "sim/run/real.hpp"
#include "sim/run/run.hpp"

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
    write_plain(t / "afile", {});
    expect_idx_error([&] { sim::read_idx_split(t / "afile", "train", 9); }, t / "afile", "is not a directory");
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

BOOST_AUTO_TEST_CASE(the_installed_dataset_is_fashion_mnist) {
    // dataset-fashion-mnist (scripts/setup.sh): 60000 + 10000 images of 28 x 28, 10 balanced classes.
    const sim::FashionMnist d = sim::load_fashion_mnist();
    BOOST_TEST(d.train.images.count == 60000u);
    BOOST_TEST(d.test.images.count == 10000u);
    BOOST_TEST(d.train.images.rows == 28u);
    for (const auto* s : {&d.train, &d.test}) {
        std::vector<std::size_t> count(10, 0);
        for (auto l : s->labels) ++count[l];
        for (std::size_t c : count) BOOST_TEST(c == s->labels.size() / 10);
    }
}

// ---------------------------------------------------------------------------------------------
// Scenes

namespace {

const sim::FashionMnist& dataset() {
    static const sim::FashionMnist d = sim::load_fashion_mnist();
    return d;
}

// A tiny synthetic source: m random 28 x 28 images, labels i % 10.
sim::LabelledImages tiny_source(std::size_t m, std::uint64_t seed) {
    sim::LabelledImages s;
    s.images.count = m;
    s.images.rows = s.images.cols = 28;
    ad::Rng rng(seed);
    s.images.pixels.resize(m * 784);
    for (auto& p : s.images.pixels) p = static_cast<std::uint8_t>(rng() % 256);
    for (std::size_t i = 0; i < m; ++i) s.labels.push_back(static_cast<std::uint8_t>(i % 10));
    return s;
}

}  // namespace

BOOST_AUTO_TEST_CASE(scenes_are_deterministic_whatever_the_threads) {
    const auto& d = dataset();
    const sim::FashionSplit a = sim::make_fashion_split(d.train, 700, 0.5, 11);
    sim::FashionSplit b;
    {
        tbb::global_control one(tbb::global_control::max_allowed_parallelism, 1);
        b = sim::make_fashion_split(d.train, 700, 0.5, 11);
    }
    const sim::FashionSplit c = sim::make_fashion_split(d.train, 700, 0.5, 12);
    BOOST_TEST(std::equal(a.x1.begin(), a.x1.end(), b.x1.begin()));
    BOOST_TEST(std::equal(a.x2.begin(), a.x2.end(), b.x2.begin()));
    BOOST_TEST((a.shared_image == b.shared_image && a.image1 == b.image1 && a.image2 == b.image2));
    BOOST_TEST((a.y_mix == b.y_mix));
    BOOST_TEST(a.shared_image != c.shared_image);
    BOOST_TEST(!std::equal(a.x1.begin(), a.x1.end(), c.x1.begin()));
    BOOST_TEST(a.x1.shape()[1] == 800u);
    for (float v : a.x1) BOOST_TEST_REQUIRE(std::isfinite(v));
    for (float v : a.x2) BOOST_TEST_REQUIRE(std::isfinite(v));
}

BOOST_AUTO_TEST_CASE(train_scenes_from_train_images_test_scenes_from_test_images) {
    const auto& d = dataset();
    const sim::FashionScenes sc = sim::make_fashion_scenes(d, 3000, 3000, 0.5, 5);
    for (const auto* s : {&sc.train, &sc.test}) {
        const sim::LabelledImages& src = s == &sc.train ? d.train : d.test;
        for (std::size_t i = 0; i < s->size(); ++i) {
            BOOST_TEST_REQUIRE(s->shared_image[i] < src.images.count);
            BOOST_TEST_REQUIRE(s->y_shared[i] == src.labels[s->shared_image[i]]);
            BOOST_TEST_REQUIRE(s->y1[i] == src.labels[s->image1[i]]);
            BOOST_TEST_REQUIRE(s->y2[i] == src.labels[s->image2[i]]);
        }
    }
    // The test scenes are the test images: noise-free, the x1 panel of a test scene's shared
    // garment equals the optical view of that test image (and not of the train image with the
    // same index).
    sim::SensorOptions clean;
    clean.noise = false;
    const sim::FashionSplit t = sim::make_fashion_split(d.test, 5, 0.5, 1, clean);
    sim::LabelledImages one = d.test;
    one.images.count = 1;
    one.images.pixels.assign(d.test.images.image(t.shared_image[0]), d.test.images.image(t.shared_image[0]) + 784);
    one.labels = {d.test.labels[t.shared_image[0]]};
    const sim::FashionSplit u = sim::make_fashion_split(one, 1, 0.5, 1, clean);  // every garment is that image
    for (std::size_t r = 0; r < 20; ++r)
        for (std::size_t c = 0; c < 20; ++c) BOOST_TEST_REQUIRE(t.x1(0, r * 40 + c) == u.x1(0, r * 40 + c));
}

BOOST_AUTO_TEST_CASE(panels_show_the_shared_garment_left_and_the_own_garment_right) {
    // On a source of 7 images, many scenes share images: a panel is a function of its garment
    // alone (noise-free), left = the shared garment in both modalities, right = the modality's own.
    const sim::LabelledImages src = tiny_source(7, 3);
    sim::SensorOptions clean;
    clean.noise = false;
    const sim::FashionSplit s = sim::make_fashion_split(src, 200, 0.5, 4, clean);
    auto panel = [](const ad::Mat<float>& x, std::size_t i, int side) {
        std::vector<float> p;
        for (std::size_t r = 0; r < 20; ++r)
            for (std::size_t c = 0; c < 20; ++c) p.push_back(x(i, r * 40 + side * 20 + c));
        return p;
    };
    std::size_t checked = 0;
    for (std::size_t i = 0; i < s.size(); ++i)
        for (std::size_t j = 0; j < s.size(); ++j) {
            if (s.shared_image[i] == s.image1[j]) {
                BOOST_TEST_REQUIRE((panel(s.x1, i, 0) == panel(s.x1, j, 1)));
                ++checked;
            }
            if (s.shared_image[i] == s.image2[j]) {
                BOOST_TEST_REQUIRE((panel(s.x2, i, 0) == panel(s.x2, j, 1)));
                ++checked;
            }
            if (s.shared_image[i] != s.shared_image[j]) {
                BOOST_TEST_REQUIRE((panel(s.x1, i, 0) != panel(s.x1, j, 0)));
                BOOST_TEST_REQUIRE((panel(s.x2, i, 0) != panel(s.x2, j, 0)));
            }
        }
    BOOST_TEST(checked > 1000u);
}

BOOST_AUTO_TEST_CASE(sensor_noise_has_the_documented_distributions) {
    // Same seed with and without noise: the same garments. x1 - clean x1 ~ N(0, 0.1^2) and
    // x2 - clean x2 = log10(G), G ~ Gamma(4, 1/4): mean (psi(4) - ln 4) / ln 10, variance
    // psi'(4) / ln(10)^2.
    const auto& d = dataset();
    sim::SensorOptions clean;
    clean.noise = false;
    const std::size_t n = 2000;
    const sim::FashionSplit a = sim::make_fashion_split(d.train, n, 0.5, 8);
    const sim::FashionSplit b = sim::make_fashion_split(d.train, n, 0.5, 8, clean);
    BOOST_REQUIRE((a.shared_image == b.shared_image && a.image1 == b.image1 && a.image2 == b.image2));
    const double ln10 = std::log(10.0);
    const double psi4 = 1.0 + 0.5 + 1.0 / 3.0 - 0.5772156649015329;           // digamma(4)
    const double tri4 = 3.14159265358979 * 3.14159265358979 / 6 - 1.0 - 0.25 - 1.0 / 9;  // trigamma(4)
    struct Want {
        const ad::Mat<float>&a, &b;
        double mean, sd;
    };
    for (const Want& w : {Want{a.x1, b.x1, 0.0, 0.1}, Want{a.x2, b.x2, (psi4 - std::log(4.0)) / ln10, std::sqrt(tri4) / ln10}}) {
        double s = 0, s2 = 0, s3 = 0;
        const std::size_t m = w.a.size();
        for (std::size_t k = 0; k < m; ++k) {
            const double e = double(w.a.data()[k]) - double(w.b.data()[k]) - w.mean;
            s += e;
            s2 += e * e;
            s3 += e * e * e;
        }
        const double mean = s / m, var = s2 / m;
        BOOST_TEST(std::abs(mean) < 5 * w.sd / std::sqrt(double(m)), "mean " << mean + w.mean << " want " << w.mean);
        BOOST_TEST(std::abs(std::sqrt(var) / w.sd - 1) < 0.01, "sd " << std::sqrt(var) << " want " << w.sd);
        // The optical noise is symmetric, the log-speckle skewed to the left.
        const double skew = s3 / m / std::pow(var, 1.5);
        if (w.mean == 0.0) BOOST_TEST(std::abs(skew) < 0.02);
        else BOOST_TEST(skew < -0.5);
    }
}

namespace {

// Affine least squares of each column of Y on X (rows [0, m) fit, [m, n) test, a tiny ridge
// for the black corners), scored as one R^2 over all columns: 1 - SSE / SST on the test rows.
double linear_r2(const ad::Mat<double>& X, const ad::Mat<double>& Y, std::size_t m) {
    const std::size_t n = X.shape()[0], p = X.shape()[1], q = Y.shape()[1];
    std::vector<double> mx(p, 0.0), my(q, 0.0);
    for (std::size_t i = 0; i < m; ++i) {
        for (std::size_t j = 0; j < p; ++j) mx[j] += X(i, j) / m;
        for (std::size_t j = 0; j < q; ++j) my[j] += Y(i, j) / m;
    }
    ad::Mat<double> Xc({m, p}), Yc({m, q});
    for (std::size_t i = 0; i < m; ++i) {
        for (std::size_t j = 0; j < p; ++j) Xc(i, j) = X(i, j) - mx[j];
        for (std::size_t j = 0; j < q; ++j) Yc(i, j) = Y(i, j) - my[j];
    }
    ad::Mat<double> S({p, p}), B({p, q});
    ad::blas::gemm(Xc, true, Xc, false, S);
    ad::blas::gemm(Xc, true, Yc, false, B);
    double tr = 0;
    for (std::size_t j = 0; j < p; ++j) tr += S(j, j);
    for (std::size_t j = 0; j < p; ++j) S(j, j) += 1e-8 * tr / p;
    for (std::size_t j = 0; j < p; ++j) {  // Cholesky, in place (lower triangle)
        for (std::size_t k = 0; k < j; ++k) S(j, j) -= S(j, k) * S(j, k);
        S(j, j) = std::sqrt(S(j, j));
        for (std::size_t i = j + 1; i < p; ++i) {
            for (std::size_t k = 0; k < j; ++k) S(i, j) -= S(i, k) * S(j, k);
            S(i, j) /= S(j, j);
        }
    }
    for (std::size_t c = 0; c < q; ++c) {  // B <- S^-1 B
        for (std::size_t i = 0; i < p; ++i) {
            for (std::size_t k = 0; k < i; ++k) B(i, c) -= S(i, k) * B(k, c);
            B(i, c) /= S(i, i);
        }
        for (std::size_t i = p; i-- > 0;) {
            for (std::size_t k = i + 1; k < p; ++k) B(i, c) -= S(k, i) * B(k, c);
            B(i, c) /= S(i, i);
        }
    }
    std::vector<double> mt(q, 0.0);
    for (std::size_t i = m; i < n; ++i)
        for (std::size_t c = 0; c < q; ++c) mt[c] += Y(i, c) / (n - m);
    double sse = 0, sst = 0;
    for (std::size_t i = m; i < n; ++i)
        for (std::size_t c = 0; c < q; ++c) {
            double f = my[c];
            for (std::size_t j = 0; j < p; ++j) f += (X(i, j) - mx[j]) * B(j, c);
            sse += (Y(i, c) - f) * (Y(i, c) - f);
            sst += (Y(i, c) - mt[c]) * (Y(i, c) - mt[c]);
        }
    return 1 - sse / sst;
}

}  // namespace

BOOST_AUTO_TEST_CASE(radar_is_not_a_linear_function_of_optical) {
    // Noise-free: the optical panel of the shared garment is a linear function of the garment
    // (blur and resampling), so a linear map from the clean garment explains all of it. Neither
    // sensor's panel is a linear function of the other's: a linear map leaves a good part of
    // the variance unexplained, in both directions.
    const auto& d = dataset();
    sim::SensorOptions clean;
    clean.noise = false;
    const std::size_t n = 4000, m = 3000;
    const sim::FashionSplit s = sim::make_fashion_split(d.train, n, 0.5, 9, clean);
    const ad::Mat<float> g = sim::clean_views(d.train.images, s.shared_image);
    auto left = [&](const ad::Mat<float>& x) {
        ad::Mat<double> p({n, 400});
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t k = 0; k < 400; ++k) p(i, k) = x(i, (k / 20) * 40 + k % 20);
        return p;
    };
    ad::Mat<double> gd({n, 400});
    std::copy(g.begin(), g.end(), gd.begin());
    const ad::Mat<double> o = left(s.x1), r = left(s.x2);
    const double optical = linear_r2(gd, o, m), radar = linear_r2(o, r, m), back = linear_r2(r, o, m);
    BOOST_TEST_MESSAGE("R^2 optical | garment " << optical << ", radar | optical " << radar << ", optical | radar " << back);
    BOOST_TEST(optical > 0.999);
    BOOST_TEST(radar < 0.9);
    BOOST_TEST(back < 0.9);
}

BOOST_AUTO_TEST_CASE(y_mix_follows_its_definition) {
    const auto& d = dataset();
    sim::FashionSplit s = sim::make_fashion_split(d.train, 20000, 1.0, 10);
    BOOST_TEST((s.y_mix == s.y_shared));
    sim::set_redundancy(s, 0.0);
    BOOST_TEST((s.y_mix == s.y1));
    for (int k = 1; k < 10; ++k) {  // rho = k / 10: the shared class exactly when y1 < k
        sim::set_redundancy(s, k / 10.0);
        for (std::size_t i = 0; i < s.size(); ++i) BOOST_TEST_REQUIRE(s.y_mix[i] == (s.y1[i] < k ? s.y_shared[i] : s.y1[i]));
    }
    // rho = 0.25: classes 0 and 1 send y_mix to y_shared, class 2 half of the time, by the coin.
    sim::set_redundancy(s, 0.25);
    std::size_t n2 = 0, shared2 = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s.y1[i] < 2) BOOST_TEST_REQUIRE(s.y_mix[i] == s.y_shared[i]);
        else if (s.y1[i] > 2) BOOST_TEST_REQUIRE(s.y_mix[i] == s.y1[i]);
        else if (s.y_shared[i] != 2) {
            ++n2;
            shared2 += s.y_mix[i] == s.y_shared[i];
        }
    }
    BOOST_TEST(std::abs(double(shared2) / n2 - 0.5) < 5 * 0.5 / std::sqrt(double(n2)));
    BOOST_CHECK_THROW(sim::set_redundancy(s, 1.5), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(best_scores_are_what_the_bayes_rules_reach_on_the_scenes) {
    // The closed forms of best_scores against Monte Carlo on the scenes: the Bayes rule that
    // knows the classes a view shows, estimated on one half of the scenes (a plug-in table) and
    // scored on the other half.
    const auto& d = dataset();
    sim::FashionSplit s = sim::make_fashion_split(d.train, 40000, 0.5, 13);
    const std::size_t half = s.size() / 2;
    for (double rho : {0.0, 0.25, 0.5, 0.8, 1.0}) {
        sim::set_redundancy(s, rho);
        const sim::BestScores b = sim::best_scores(rho);
        // key(i): what a view knows; score of the plug-in rule key -> most frequent target value.
        auto plug_in = [&](auto key, const std::vector<int>& y) {
            std::vector<std::vector<std::size_t>> count(100, std::vector<std::size_t>(10, 0));
            for (std::size_t i = 0; i < half; ++i) ++count[key(i)][static_cast<std::size_t>(y[i])];
            std::size_t hit = 0;
            for (std::size_t i = half; i < s.size(); ++i) {
                const auto& c = count[key(i)];
                hit += static_cast<int>(std::max_element(c.begin(), c.end()) - c.begin()) == y[i];
            }
            return double(hit) / double(s.size() - half);
        };
        auto x1 = [&](std::size_t i) { return static_cast<std::size_t>(s.y_shared[i] * 10 + s.y1[i]); };
        auto x2 = [&](std::size_t i) { return static_cast<std::size_t>(s.y_shared[i] * 10 + s.y2[i]); };
        auto sh = [&](std::size_t i) { return static_cast<std::size_t>(s.y_shared[i]); };
        auto g1 = [&](std::size_t i) { return static_cast<std::size_t>(s.y1[i]); };
        const double se = 0.5 / std::sqrt(double(s.size() - half));
        for (int t = 0; t < 4; ++t) {
            const std::vector<int>& y = s.target(t);
            const double got[4] = {plug_in(x1, y), plug_in(x2, y), plug_in(sh, y), plug_in(g1, y)};
            const double want[4] = {b.x1[t], b.x2[t], b.shared[t], b.specific1[t]};
            for (int v = 0; v < 4; ++v)
                BOOST_TEST(std::abs(got[v] - want[v]) < 5 * se + 0.003,
                           "rho " << rho << " target " << t << " view " << v << ": " << got[v] << " vs " << want[v]);
        }
    }
    // The formulas at a glance: shared content alone carries a fraction rho of y_mix above chance.
    const sim::BestScores b = sim::best_scores(0.5);
    BOOST_TEST(b.shared[3] == 0.55, boost::test_tools::tolerance(1e-12));
    BOOST_TEST(b.x1[3] == 1.0, boost::test_tools::tolerance(1e-12));
    BOOST_TEST(sim::best_scores(0.25).x1[3] == 1 - 0.09 * 0.5, boost::test_tools::tolerance(1e-12));
}

// ---------------------------------------------------------------------------------------------
// The logistic probe on synthetic data with known answers

namespace {

// n points of K Gaussian classes N(mu_c, I) in d dimensions, classes uniform; returns X, y and
// the Bayes classifier's predictions (nearest mean).
struct Blobs {
    ad::Mat<double> X;
    std::vector<int> y, bayes;
};
Blobs blobs(const ad::Mat<double>& mu, std::size_t n, ad::Rng& rng) {
    const std::size_t K = mu.shape()[0], d = mu.shape()[1];
    Blobs b;
    b.X.resize(ad::Shape{n, d});
    for (std::size_t i = 0; i < n; ++i) {
        const int c = static_cast<int>(rng() % K);
        b.y.push_back(c);
        for (std::size_t j = 0; j < d; ++j) b.X(i, j) = mu(static_cast<std::size_t>(c), j) + ad::normal(rng);
        double best = 1e300;
        int arg = 0;
        for (std::size_t k = 0; k < K; ++k) {
            double dist = 0;
            for (std::size_t j = 0; j < d; ++j) dist += (b.X(i, j) - mu(k, j)) * (b.X(i, j) - mu(k, j));
            if (dist < best) {
                best = dist;
                arg = static_cast<int>(k);
            }
        }
        b.bayes.push_back(arg);
    }
    return b;
}
double agree(const std::vector<int>& a, const std::vector<int>& b) {
    std::size_t h = 0;
    for (std::size_t i = 0; i < a.size(); ++i) h += a[i] == b[i];
    return double(h) / double(a.size());
}

}  // namespace

BOOST_AUTO_TEST_CASE(logistic_probe_reaches_the_bayes_accuracy_on_gaussian_classes) {
    // Gaussian classes with a shared covariance: the posterior log-odds are affine, so the
    // logistic model is well specified and its accuracy must reach the Bayes rule's (here
    // 0.67 to 0.87, far from separable), on the same test points, within a point, for every seed.
    for (std::uint64_t seed = 1; seed <= 8; ++seed) {
        ad::Rng rng(seed);
        const std::size_t K = 4, d = 6;
        ad::Mat<double> mu({K, d});
        for (auto& v : mu) v = 0.9 * ad::normal(rng);
        const Blobs tr = blobs(mu, 6000, rng), te = blobs(mu, 6000, rng);
        const sim::LogisticProbeResult r = sim::logistic_probe(tr.X, {tr.y}, te.X, {te.y}, K);
        const double bayes = agree(te.bayes, te.y);
        BOOST_TEST(bayes < 0.9);
        BOOST_TEST_MESSAGE("seed " << seed << ": probe " << r.accuracy[0] << " Bayes " << bayes);
        BOOST_TEST(std::abs(r.accuracy[0] - bayes) < 0.01, "seed " << seed << ": probe " << r.accuracy[0] << " Bayes " << bayes);
    }
}

BOOST_AUTO_TEST_CASE(knn_probe_reads_hidden_classes_that_the_linear_probe_misses) {
    // Classes as rings around the origin (the band of the radius, 3 classes of equal mass) in
    // 2 dimensions plus 2 noise columns: no affine rule reads them (the logistic probe stays near
    // the commonest class), the kNN probe reads them; labels independent of X stay at chance.
    // Every seed, with margins of several standard errors.
    for (std::uint64_t seed = 1; seed <= 6; ++seed) {
        ad::Rng rng(700 + seed);
        auto draw = [&](std::size_t n, ad::Mat<double>& X, std::vector<int>& y, std::vector<int>& noise) {
            X.resize(ad::Shape{n, 4});
            y.resize(n);
            noise.resize(n);
            for (std::size_t i = 0; i < n; ++i) {
                for (std::size_t j = 0; j < 4; ++j) X(i, j) = ad::normal(rng);
                const double r2 = X(i, 0) * X(i, 0) + X(i, 1) * X(i, 1);  // chi-square(2): P(r2 < t) = 1 - exp(-t / 2)
                y[i] = r2 < 2 * std::log(1.5) ? 0 : (r2 < 2 * std::log(3.0) ? 1 : 2);
                noise[i] = static_cast<int>(rng() % 3);
            }
        };
        ad::Mat<double> Xtr, Xte;
        std::vector<int> ytr, yte, ntr, nte;
        draw(4000, Xtr, ytr, ntr);
        draw(2000, Xte, yte, nte);
        const auto knn = sim::knn_probe(Xtr, {ytr, ntr}, Xte, {yte, nte}, 3);
        const auto lin = sim::logistic_probe(Xtr, {ytr}, Xte, {yte}, 3);
        const double se = std::sqrt(0.25 / 2000);
        BOOST_TEST(knn[0] > 0.8, "seed " << seed << ": kNN " << knn[0]);
        BOOST_TEST(lin.accuracy[0] < 0.45, "seed " << seed << ": logistic " << lin.accuracy[0]);
        BOOST_TEST(std::abs(knn[1] - 1.0 / 3) < 5 * se, "seed " << seed << ": kNN on noise " << knn[1]);
    }
}

BOOST_AUTO_TEST_CASE(knn_probe_equals_brute_force_voting) {
    // Against a direct implementation: standardise, sort all distances, vote among the k nearest
    // (ties between classes to the smaller total distance); several k, odd and even.
    ad::Rng rng(77);
    const std::size_t n = 300, m = 120, d = 3, K = 4;
    ad::Mat<double> Xtr({n, d}), Xte({m, d});
    for (auto& v : Xtr) v = 2.0 * ad::normal(rng) + 1.0;
    for (auto& v : Xte) v = 2.0 * ad::normal(rng) + 1.0;
    std::vector<int> ytr(n), yte(m);
    for (std::size_t i = 0; i < n; ++i) ytr[i] = (Xtr(i, 0) > 1.0) + 2 * (Xtr(i, 1) * Xtr(i, 2) > 1.0);
    for (std::size_t i = 0; i < m; ++i) yte[i] = (Xte(i, 0) > 1.0) + 2 * (Xte(i, 1) * Xte(i, 2) > 1.0);
    std::vector<double> mu(d, 0), sd(d, 0);
    for (std::size_t j = 0; j < d; ++j) {
        for (std::size_t i = 0; i < n; ++i) mu[j] += Xtr(i, j) / double(n);
        for (std::size_t i = 0; i < n; ++i) sd[j] += (Xtr(i, j) - mu[j]) * (Xtr(i, j) - mu[j]) / double(n);
        sd[j] = std::sqrt(sd[j]);
    }
    for (std::size_t k : {1, 4, 7, 20}) {
        std::size_t hit = 0;
        for (std::size_t q = 0; q < m; ++q) {
            std::vector<std::pair<double, std::size_t>> dist;
            for (std::size_t i = 0; i < n; ++i) {
                double s = 0;
                for (std::size_t j = 0; j < d; ++j) {
                    const double a = (Xte(q, j) - mu[j]) / sd[j], b = (Xtr(i, j) - mu[j]) / sd[j];
                    s += (a - b) * (a - b);
                }
                dist.push_back({s, i});
            }
            std::sort(dist.begin(), dist.end());
            std::vector<double> votes(K, 0), tot(K, 0);
            for (std::size_t j = 0; j < k; ++j) {
                votes[std::size_t(ytr[dist[j].second])] += 1;
                tot[std::size_t(ytr[dist[j].second])] += dist[j].first;
            }
            std::size_t best = 0;
            for (std::size_t c = 1; c < K; ++c)
                if (votes[c] > votes[best] || (votes[c] == votes[best] && votes[c] > 0 && tot[c] < tot[best])) best = c;
            hit += int(best) == yte[q];
        }
        const auto acc = sim::knn_probe(Xtr, {ytr}, Xte, {yte}, K, k);
        BOOST_TEST(acc[0] == double(hit) / double(m), "k = " << k);
    }
    BOOST_CHECK_THROW(sim::knn_probe(Xtr, {ytr}, Xte, {yte}, K, 0), std::invalid_argument);
    BOOST_CHECK_THROW(sim::knn_probe(Xtr, {ytr}, Xte, {yte}, K, n + 1), std::invalid_argument);
    BOOST_CHECK_THROW(sim::knn_probe(Xtr, {ytr}, Xte, {yte}, 2), std::invalid_argument);  // labels out of range
}

BOOST_AUTO_TEST_CASE(logistic_probe_separates_separable_classes_and_stays_at_chance_on_noise) {
    for (std::uint64_t seed = 1; seed <= 8; ++seed) {
        ad::Rng rng(100 + seed);
        const std::size_t K = 5, d = 8;
        ad::Mat<double> mu({K, d}, 0.0);
        for (std::size_t k = 0; k < K; ++k) mu(k, k) = 12.0;  // 12 sd apart: separable in practice
        const Blobs tr = blobs(mu, 2000, rng), te = blobs(mu, 2000, rng);
        BOOST_REQUIRE(agree(te.bayes, te.y) == 1.0);
        // Labels independent of X: chance (the test frequency of the commonest training class).
        std::vector<int> noise_tr(tr.y.size()), noise_te(te.y.size());
        for (auto& v : noise_tr) v = static_cast<int>(rng() % K);
        for (auto& v : noise_te) v = static_cast<int>(rng() % K);
        const sim::LogisticProbeResult r = sim::logistic_probe(tr.X, {tr.y, noise_tr}, te.X, {te.y, noise_te}, K);
        BOOST_TEST(r.accuracy[0] == 1.0, "seed " << seed);
        const double se = std::sqrt(0.2 * 0.8 / 2000);
        BOOST_TEST(std::abs(r.accuracy[1] - 0.2) < 5 * se, "seed " << seed << ": " << r.accuracy[1]);
        BOOST_TEST(std::abs(r.chance[1] - 0.2) < 5 * se);
    }
}

BOOST_AUTO_TEST_CASE(logistic_fit_is_the_penalised_optimum) {
    // The first-order conditions, computed here from the returned model on the original
    // features: d/dW [mean CE + lambda/2 sum_j (sd_j W_j)^2] = X^T (P - Y) / n + lambda sd^2 W = 0,
    // d/db = colsum(P - Y) / n = 0. Features of very different scales and offsets, two targets
    // with their own lambdas.
    ad::Rng rng(21);
    const std::size_t n = 1500, d = 5, K = 3;
    ad::Mat<double> X({n, d});
    std::vector<int> ya(n), yb(n);
    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t j = 0; j < d; ++j) X(i, j) = (j + 1) * 100.0 * ad::normal(rng) + 50.0 * j;
        ya[i] = X(i, 0) + 0.01 * X(i, 1) + 200 * ad::normal(rng) > 0 ? 1 : (X(i, 2) > 0 ? 2 : 0);
        yb[i] = static_cast<int>(rng() % K);
    }
    sim::LogisticProbeOptions o;
    o.grad_tol = 1e-9;
    o.max_iter = 2000;
    const std::vector<double> lambda{0.01, 0.3};
    const sim::LogisticModel m = sim::fit_logistic(X, {ya, yb}, K, lambda, o);
    std::vector<double> sd(d, 0.0), mu(d, 0.0);
    for (std::size_t j = 0; j < d; ++j) {
        for (std::size_t i = 0; i < n; ++i) mu[j] += X(i, j) / n;
        for (std::size_t i = 0; i < n; ++i) sd[j] += (X(i, j) - mu[j]) * (X(i, j) - mu[j]) / n;
        sd[j] = std::sqrt(sd[j]);
    }
    const std::vector<int>* ys[2] = {&ya, &yb};
    for (std::size_t t = 0; t < 2; ++t) {
        std::vector<double> gW(d * K, 0.0), gb(K, 0.0);
        for (std::size_t i = 0; i < n; ++i) {
            std::vector<double> z(K);
            for (std::size_t c = 0; c < K; ++c) {
                z[c] = m.b[t * K + c];
                for (std::size_t j = 0; j < d; ++j) z[c] += X(i, j) * m.W(j, t * K + c);
            }
            const double mx = *std::max_element(z.begin(), z.end());
            double s = 0;
            for (double& v : z) s += (v = std::exp(v - mx));
            for (std::size_t c = 0; c < K; ++c) {
                const double r = z[c] / s - (static_cast<int>(c) == (*ys[t])[i] ? 1.0 : 0.0);
                gb[c] += r / n;
                for (std::size_t j = 0; j < d; ++j) gW[j * K + c] += X(i, j) * r / n;
            }
        }
        for (std::size_t j = 0; j < d; ++j)
            for (std::size_t c = 0; c < K; ++c) {
                // In standardised units (the gradient with respect to sd_j W_j).
                const double g = (gW[j * K + c] + lambda[t] * sd[j] * sd[j] * m.W(j, t * K + c)) / sd[j];
                BOOST_TEST(std::abs(g) < 1e-7, "target " << t << " dW(" << j << "," << c << ") = " << g);
            }
        for (std::size_t c = 0; c < K; ++c) BOOST_TEST(std::abs(gb[c]) < 1e-7);
    }
    BOOST_TEST(m.grad_max < 1e-7);
    // The probe on random labels with lambda = 0.3 is nearly constant, on ya it is not.
    double wa = 0, wb = 0;
    for (std::size_t j = 0; j < d; ++j)
        for (std::size_t c = 0; c < K; ++c) {
            wa += std::abs(m.W(j, c) * sd[j]);
            wb += std::abs(m.W(j, K + c) * sd[j]);
        }
    BOOST_TEST(wb < 0.2 * wa);
}

BOOST_AUTO_TEST_CASE(logistic_probe_is_invariant_deterministic_and_checks_its_input) {
    ad::Rng rng(31);
    const std::size_t K = 3, d = 4;
    ad::Mat<double> mu({K, d});
    for (auto& v : mu) v = ad::normal(rng);
    const Blobs tr = blobs(mu, 3000, rng), te = blobs(mu, 1000, rng);
    const sim::LogisticProbeResult a = sim::logistic_probe(tr.X, {tr.y}, te.X, {te.y}, K);
    const sim::LogisticProbeResult again = sim::logistic_probe(tr.X, {tr.y}, te.X, {te.y}, K);
    BOOST_TEST(a.accuracy[0] == again.accuracy[0]);
    BOOST_TEST(a.lambda[0] == again.lambda[0]);
    BOOST_TEST(a.iterations == again.iterations);
    // Features rescaled and shifted: the standardised problem is the same.
    ad::Mat<double> Xs = tr.X, Ts = te.X;
    for (auto* m : {&Xs, &Ts})
        for (std::size_t i = 0; i < m->shape()[0]; ++i) {
            (*m)(i, 0) = 1000.0 * (*m)(i, 0) + 5000.0;
            (*m)(i, 2) = 1e-3 * (*m)(i, 2) - 7.0;
        }
    const sim::LogisticProbeResult s = sim::logistic_probe(Xs, {tr.y}, Ts, {te.y}, K);
    BOOST_TEST(std::abs(s.accuracy[0] - a.accuracy[0]) <= 2.0 / 1000);
    // float32 data: the same accuracy up to a few borderline points.
    ad::Mat<float> Xf(tr.X.shape()), Tf(te.X.shape());
    std::copy(tr.X.begin(), tr.X.end(), Xf.begin());
    std::copy(te.X.begin(), te.X.end(), Tf.begin());
    const sim::LogisticProbeResult f = sim::logistic_probe(Xf, {tr.y}, Tf, {te.y}, K);
    BOOST_TEST(std::abs(f.accuracy[0] - a.accuracy[0]) <= 3.0 / 1000);
    // Two targets at once equal each alone (the objective is separable).
    std::vector<int> other(tr.y.size()), other_te(te.y.size());
    for (std::size_t i = 0; i < other.size(); ++i) other[i] = tr.X(i, 1) > 0 ? 1 : 0;
    for (std::size_t i = 0; i < other_te.size(); ++i) other_te[i] = te.X(i, 1) > 0 ? 1 : 0;
    const sim::LogisticProbeResult both = sim::logistic_probe(tr.X, {tr.y, other}, te.X, {te.y, other_te}, K);
    const sim::LogisticProbeResult alone = sim::logistic_probe(tr.X, {other}, te.X, {other_te}, K);
    BOOST_TEST(std::abs(both.accuracy[0] - a.accuracy[0]) <= 2.0 / 1000);
    BOOST_TEST(std::abs(both.accuracy[1] - alone.accuracy[0]) <= 2.0 / 1000);
    BOOST_TEST(both.accuracy[1] > 0.97);
    // Bad input.
    BOOST_CHECK_THROW(sim::logistic_probe(tr.X, {te.y}, te.X, {te.y}, K), std::invalid_argument);
    std::vector<int> bad = tr.y;
    bad[5] = 3;
    BOOST_CHECK_THROW(sim::logistic_probe(tr.X, {bad}, te.X, {te.y}, K), std::invalid_argument);
    BOOST_CHECK_THROW(sim::logistic_probe(tr.X, {tr.y}, ad::Mat<double>({10, 3}), {std::vector<int>(10, 0)}, K),
                      std::invalid_argument);
    sim::LogisticProbeOptions o;
    o.val_fraction = 1.0;
    BOOST_CHECK_THROW(sim::logistic_probe(tr.X, {tr.y}, te.X, {te.y}, K, o), std::invalid_argument);
    BOOST_CHECK_THROW(sim::fit_logistic(tr.X, {tr.y}, K, {-1.0}), std::invalid_argument);
}

// ---------------------------------------------------------------------------------------------
// The properties on real scenes

BOOST_AUTO_TEST_CASE(raw_pixels_chance_where_a_modality_does_not_see_the_garment) {
    // A linear probe on raw x2 predicts y1 at chance and one on raw x1 predicts y2 at chance
    // (the classes are uniform and independent of what the other modality shows, so the test
    // accuracy is Binomial(n, 0.1) / n for any probe); raw x1 predicts y_shared and y1, raw x2
    // y_shared and y2, well above chance. Subsets of 2000 + 1000 scenes, 8 seeds.
    const auto& d = dataset();
    sim::LogisticProbeOptions o;
    o.grid = {0.1, 0.01};
    const double band = 4.5 * std::sqrt(0.1 * 0.9 / 1000);
    for (std::uint64_t seed = 1; seed <= 8; ++seed) {
        const sim::FashionScenes sc = sim::make_fashion_scenes(d, 2000, 1000, 0.5, seed);
        const auto r1 = sim::logistic_probe(sc.train.x1, {sc.train.y_shared, sc.train.y1, sc.train.y2}, sc.test.x1,
                                            {sc.test.y_shared, sc.test.y1, sc.test.y2}, 10, o);
        const auto r2 = sim::logistic_probe(sc.train.x2, {sc.train.y_shared, sc.train.y1, sc.train.y2}, sc.test.x2,
                                            {sc.test.y_shared, sc.test.y1, sc.test.y2}, 10, o);
        BOOST_TEST_MESSAGE("seed " << seed << ": x1 -> " << r1.accuracy[0] << " " << r1.accuracy[1] << " " << r1.accuracy[2]
                                   << ", x2 -> " << r2.accuracy[0] << " " << r2.accuracy[1] << " " << r2.accuracy[2]);
        BOOST_TEST(std::abs(r2.accuracy[1] - 0.1) < band, "seed " << seed << ": y1 from x2 " << r2.accuracy[1]);
        BOOST_TEST(std::abs(r1.accuracy[2] - 0.1) < band, "seed " << seed << ": y2 from x1 " << r1.accuracy[2]);
        BOOST_TEST(r1.accuracy[0] > 0.6, "seed " << seed << ": y_shared from x1 " << r1.accuracy[0]);
        BOOST_TEST(r1.accuracy[1] > 0.6, "seed " << seed << ": y1 from x1 " << r1.accuracy[1]);
        BOOST_TEST(r2.accuracy[0] > 0.5, "seed " << seed << ": y_shared from x2 " << r2.accuracy[0]);
        BOOST_TEST(r2.accuracy[2] > 0.5, "seed " << seed << ": y2 from x2 " << r2.accuracy[2]);
    }
}

// ---------------------------------------------------------------------------------------------
// Training on real scenes (data.kind = "fashion_mnist", sim/run/real.hpp)

namespace {
// A small real-data run: 4000 + 1000 scenes, MLP 800 -> 128 -> 32, InfoNCE + a y1 task.
sim::Config small_real(std::int64_t seed, double lambda) {
    sim::Config c;
    c.set("data.kind", std::string("fashion_mnist"));
    c.set("data.n_train", std::int64_t(4000));
    c.set("data.n_test", std::int64_t(1000));
    c.set("model.encoder", std::string("mlp"));
    c.set("model.hidden", std::vector<std::int64_t>{128});
    c.set("model.dim", std::int64_t(32));
    c.set("objective.alignment", std::string("infonce"));
    c.set("objective.task", std::string("y1"));
    c.set("objective.lambda", lambda);
    c.set("train.steps", std::int64_t(300));
    c.set("train.batch", std::int64_t(256));
    c.set("train.lr", 0.001);
    c.set("train.seed", seed);
    c.set("eval.baselines", false);
    return c;
}
}  // namespace

BOOST_AUTO_TEST_CASE(alignment_removes_what_only_modality_1_sees) {
    // Task y1 + lambda x InfoNCE on 4000 scenes, 8 seeds (each its own scenes and initialisation):
    // with lambda = 0.01 the task keeps y1 in z1 (about 0.76 by the logistic probe), with lambda
    // = 100 alignment removes most of it (about 0.3; G1 is what only modality 1 sees), while
    // y_shared, which both modalities see, stays well above chance (about 0.7) at both, and y2,
    // which x1 does not show, is at chance. Measured on the development machine: y1 0.75-0.78
    // against 0.25-0.36, y_shared 0.65-0.75. About 2 s per seed.
    const double band = 4.5 * std::sqrt(0.1 * 0.9 / 1000);
    for (std::int64_t seed = 1; seed <= 8; ++seed) {
        const sim::RunResult lo = sim::run(small_real(seed, 0.01)), hi = sim::run(small_real(seed, 100.0));
        BOOST_TEST_REQUIRE(lo.status == "ok");
        BOOST_TEST_REQUIRE(hi.status == "ok");
        const auto& a = lo.learned_accuracy;
        const auto& b = hi.learned_accuracy;
        BOOST_TEST_MESSAGE("seed " << seed << ": y1 " << a.at("y1").z1 << " -> " << b.at("y1").z1 << ", y_shared "
                                   << a.at("y_shared").z1 << " -> " << b.at("y_shared").z1 << ", y2 " << a.at("y2").z1
                                   << " -> " << b.at("y2").z1);
        BOOST_TEST(a.at("y1").z1 > 0.6, "seed " << seed << ": y1 from z1 at lambda 0.01: " << a.at("y1").z1);
        BOOST_TEST(b.at("y1").z1 < 0.5, "seed " << seed << ": y1 from z1 at lambda 100: " << b.at("y1").z1);
        BOOST_TEST(a.at("y1").z1 - b.at("y1").z1 > 0.25, "seed " << seed << ": y1 falls by " << a.at("y1").z1 - b.at("y1").z1);
        for (const auto* r : {&lo, &hi}) {
            BOOST_TEST(r->learned_accuracy.at("y_shared").z1 > 0.5, "seed " << seed << ": y_shared from z1 "
                                                                          << r->learned_accuracy.at("y_shared").z1);
            BOOST_TEST(std::abs(r->learned_accuracy.at("y2").z1 - 0.1) < band,
                       "seed " << seed << ": y2 from z1 " << r->learned_accuracy.at("y2").z1);
        }
        BOOST_TEST(lo.learned_r2.empty());  // class targets: accuracy, no R^2
    }
}

BOOST_AUTO_TEST_CASE(a_real_run_reports_its_baselines_and_rows) {
    // One short run with the baselines: the rows of results.csv (accuracy of every target from z1,
    // z2, and the baselines x1, x2, x1_supervised), the JSON keys of train --json, and properties
    // of the baselines: raw x2 reads y1 at chance and raw x1 y2; raw x1 and the supervised model
    // read y_shared and y1 well above it; at rho = 0 y_mix is y1 and shares its baselines. A second
    // run on the same sample (another lambda) gets the same baselines from the cache; one with
    // another learning-rate schedule trains its supervised baselines again, and only those.
    sim::Config c = small_real(3, 1.0);
    c.set("data.n_train", std::int64_t(2000));
    c.set("train.steps", std::int64_t(100));
    c.set("model.hidden", std::vector<std::int64_t>{32});
    c.set("model.dim", std::int64_t(8));
    c.set("data.redundancy", 0.0);
    c.set("eval.baselines", true);
    const sim::RunResult r = sim::run(c);
    BOOST_TEST_REQUIRE(r.status == "ok");
    const auto keys = sim::result_row_keys(c);
    BOOST_TEST(keys.size() == 20u);  // 4 targets x (z1, z2, x1, x2, x1_supervised)
    for (const auto& k : keys) {
        BOOST_TEST(k.metric == "accuracy");
        BOOST_TEST(k.probe == "linear");
        BOOST_TEST(k.kind == "target");
        const double v = sim::row_values(r, k).learned;
        BOOST_TEST((v >= 0 && v <= 1), k.name << " " << k.rep << ": " << v);
    }
    const double band = 4.5 * std::sqrt(0.1 * 0.9 / 1000);
    const auto& b = r.baseline_accuracy;
    BOOST_TEST(std::abs(b.at("y1").at("x2") - 0.1) < band);
    BOOST_TEST(std::abs(b.at("y2").at("x1") - 0.1) < band);
    BOOST_TEST(std::abs(b.at("y2").at("x1_supervised") - 0.1) < band);
    for (const char* t : {"y_shared", "y1"}) {
        BOOST_TEST(b.at(t).at("x1") > 0.6, t);
        BOOST_TEST(b.at(t).at("x1_supervised") > 0.5, t);
    }
    for (const auto& rep : sim::baseline_reps()) BOOST_TEST(b.at("y_mix").at(rep) == b.at("y1").at(rep), rep);
    BOOST_TEST(r.learned_accuracy.at("y_mix").z1 == r.learned_accuracy.at("y1").z1);
    const nlohmann::json j = r.to_json();
    for (const char* t : {"y_shared", "y1", "y2", "y_mix"}) {
        for (const char* z : {"z1", "z2"}) BOOST_TEST(j["learned"]["accuracy"][t][z].is_number(), t << " " << z);
        for (const auto& rep : sim::baseline_reps()) BOOST_TEST(j["baseline"]["accuracy"][t][rep].is_number(), t << " " << rep);
    }
    BOOST_TEST(j["baseline"]["supervised_model"].get<std::string>().find("x1 alone") != std::string::npos);
    // Another lambda on the same sample: the same baselines, all from the cache.
    const std::size_t computed = sim::fashion_baselines_computed();
    c.set("objective.lambda", 10.0);
    const sim::RunResult r2 = sim::run(c);
    BOOST_TEST(r2.baseline_accuracy == r.baseline_accuracy);
    BOOST_TEST(sim::fashion_baselines_computed() == computed);
    // Another schedule: the supervised model of each distinct label set (y_mix is y1 here) again,
    // the raw-pixel probes from the cache.
    c.set("train.schedule", std::string("constant"));
    BOOST_TEST_REQUIRE(sim::run(c).status == "ok");
    BOOST_TEST(sim::fashion_baselines_computed() == computed + 3);
    // Without baselines: only the z rows.
    c.set("eval.baselines", false);
    BOOST_TEST(sim::result_row_keys(c).size() == 8u);
}

BOOST_AUTO_TEST_SUITE_END()
