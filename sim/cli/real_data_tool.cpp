// real_data_tool: the pictures and the table of docs/real_data.md (not installed; run by
// scripts/real_samples.sh).
//
//   real_data_tool samples OUT [--n N] [--seed S] [--path DIR]
//       N test scenes: OUT.dat holds, per scene, six gnuplot matrix blocks (the clean shared
//       garment, the clean modality-1-only and modality-2-only garments, x1, x2, and x2 without
//       speckle) and OUT.labels one line per scene: "y_shared|y1|y2" as class names.
//   real_data_tool scores [--n-train N] [--n-test M] [--seed S] [--path DIR]
//       Markdown tables: the best possible accuracy of each target (every garment read
//       perfectly) and the linear probe's test accuracy on the raw pixels of x1, x2 and of the
//       clean garments (the shared one alone, the modality-1-only one alone).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "autodiff/blas.hpp"
#include "autodiff/random.hpp"
#include "sim/data/fashion_mnist.hpp"
#include "sim/run/probe_logistic.hpp"

namespace {

struct Args {
    std::string mode, out, path = sim::kFashionMnistPath;
    std::size_t n = 6, n_train = 20000, n_test = 10000;
    std::uint64_t seed = 1;
};

Args parse(int argc, char** argv) {
    Args a;
    if (argc < 2) throw std::invalid_argument("usage: real_data_tool samples OUT [--n N] | scores [--n-train N] [--n-test M]");
    a.mode = argv[1];
    int i = 2;
    if (a.mode == "samples") {
        if (argc < 3) throw std::invalid_argument("samples needs an output prefix");
        a.out = argv[2];
        i = 3;
    } else if (a.mode != "scores") {
        throw std::invalid_argument("unknown mode '" + a.mode + "' (samples or scores)");
    }
    for (; i < argc; ++i) {
        const std::string k = argv[i];
        if (i + 1 >= argc) throw std::invalid_argument(k + " needs a value");
        const std::string v = argv[++i];
        if (k == "--n") a.n = std::stoul(v);
        else if (k == "--n-train") a.n_train = std::stoul(v);
        else if (k == "--n-test") a.n_test = std::stoul(v);
        else if (k == "--seed") a.seed = std::stoull(v);
        else if (k == "--path") a.path = v;
        else throw std::invalid_argument("unknown option " + k);
    }
    return a;
}

void block(std::ofstream& f, const float* p, std::size_t rows, std::size_t cols, std::size_t ld) {
    // gnuplot's "matrix" reads row 0 at y = 0 (the bottom): write the image upside down so
    // that it shows the right way up.
    for (std::size_t r = rows; r-- > 0;) {
        for (std::size_t c = 0; c < cols; ++c) f << (c ? " " : "") << p[r * ld + c];
        f << "\n";
    }
    f << "\n\n";
}

int samples(const Args& a) {
    const sim::FashionMnist d = sim::load_fashion_mnist(a.path);
    const std::uint64_t seed = ad::derive_seed(a.seed, "fashion_mnist/test");
    const sim::FashionSplit s = sim::make_fashion_split(d.test, a.n, 0.5, seed);
    sim::SensorOptions clean;
    clean.noise = false;
    const sim::FashionSplit q = sim::make_fashion_split(d.test, a.n, 0.5, seed, clean);  // the same garments
    const std::size_t D = 20;
    const ad::Mat<float> c0 = sim::clean_views(d.test.images, s.shared_image, D);
    const ad::Mat<float> c1 = sim::clean_views(d.test.images, s.image1, D);
    const ad::Mat<float> c2 = sim::clean_views(d.test.images, s.image2, D);
    std::ofstream f(a.out + ".dat"), l(a.out + ".labels");
    if (!f || !l) throw std::runtime_error("cannot write " + a.out + ".dat / .labels");
    for (std::size_t i = 0; i < s.size(); ++i) {
        block(f, c0.data() + i * D * D, D, D, D);
        block(f, c1.data() + i * D * D, D, D, D);
        block(f, c2.data() + i * D * D, D, D, D);
        block(f, s.x1.data() + i * 2 * D * D, D, 2 * D, 2 * D);
        block(f, s.x2.data() + i * 2 * D * D, D, 2 * D, 2 * D);
        block(f, q.x2.data() + i * 2 * D * D, D, 2 * D, 2 * D);
        l << sim::kFashionClassNames[s.y_shared[i]] << "|" << sim::kFashionClassNames[s.y1[i]] << "|"
          << sim::kFashionClassNames[s.y2[i]] << "\n";
    }
    return 0;
}

int scores(const Args& a) {
    using clk = std::chrono::steady_clock;
    const auto t0 = clk::now();
    const sim::FashionMnist d = sim::load_fashion_mnist(a.path);
    sim::FashionScenes sc = sim::make_fashion_scenes(d, a.n_train, a.n_test, 0.5, a.seed);
    const double t_build = std::chrono::duration<double>(clk::now() - t0).count();
    // Targets: y_shared, y1, y2, then y_mix at rho = 0.25, 0.5, 0.75 (y_mix is y1 at rho = 0
    // and y_shared at rho = 1, exactly).
    const std::vector<double> rhos{0.25, 0.5, 0.75};
    auto targets = [&](sim::FashionSplit& s) {
        std::vector<std::vector<int>> y{s.y_shared, s.y1, s.y2};
        for (double r : rhos) {
            sim::set_redundancy(s, r);
            y.push_back(s.y_mix);
        }
        return y;
    };
    const auto ytr = targets(sc.train), yte = targets(sc.test);
    struct View {
        const char* name;
        ad::Mat<float> tr, te;
    };
    std::vector<View> views;
    views.push_back({"x1 (optical: S and G1)", sc.train.x1, sc.test.x1});
    views.push_back({"x2 (radar: S and G2)", sc.train.x2, sc.test.x2});
    views.push_back({"S alone (clean)", sim::clean_views(d.train.images, sc.train.shared_image),
                     sim::clean_views(d.test.images, sc.test.shared_image)});
    views.push_back({"G1 alone (clean)", sim::clean_views(d.train.images, sc.train.image1),
                     sim::clean_views(d.test.images, sc.test.image1)});
    std::printf("Linear probe (multinomial logistic regression, lambda on a validation split), test accuracy;\n"
                "%zu train scenes, %zu test scenes, seed %llu (scenes built in %.1f s).\n\n",
                a.n_train, a.n_test, static_cast<unsigned long long>(a.seed), t_build);
    std::printf("| view | y_shared | y1 | y2 | y_mix rho=0.25 | y_mix rho=0.5 | y_mix rho=0.75 | probe time |\n");
    std::printf("|---|---|---|---|---|---|---|---|\n");
    for (const View& v : views) {
        const auto t1 = clk::now();
        const sim::LogisticProbeResult r = sim::logistic_probe(v.tr, ytr, v.te, yte, sim::kFashionClasses);
        const double secs = std::chrono::duration<double>(clk::now() - t1).count();
        std::printf("| %s |", v.name);
        for (double acc : r.accuracy) std::printf(" %.3f |", acc);
        std::printf(" %.1f s |\n", secs);
    }
    std::printf("\nBest possible accuracy (every garment a view shows read perfectly):\n\n");
    std::printf("| view | y_shared | y1 | y2 | y_mix rho=0.25 | y_mix rho=0.5 | y_mix rho=0.75 |\n");
    std::printf("|---|---|---|---|---|---|---|\n");
    const char* names[4] = {"x1 (S and G1)", "x2 (S and G2)", "S alone", "G1 alone"};
    for (int v = 0; v < 4; ++v) {
        std::printf("| %s |", names[v]);
        for (int t = 0; t < 3; ++t) {
            const sim::BestScores b = sim::best_scores(0.5);
            const auto& row = v == 0 ? b.x1 : v == 1 ? b.x2 : v == 2 ? b.shared : b.specific1;
            std::printf(" %.3f |", row[static_cast<std::size_t>(t)]);
        }
        for (double rho : rhos) {
            const sim::BestScores b = sim::best_scores(rho);
            const auto& row = v == 0 ? b.x1 : v == 1 ? b.x2 : v == 2 ? b.shared : b.specific1;
            std::printf(" %.3f |", row[3]);
        }
        std::printf("\n");
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    ad::blas::ensure_fast_kernel(argc, argv);
    ad::blas::set_threads(1);
    try {
        const Args a = parse(argc, argv);
        return a.mode == "samples" ? samples(a) : scores(a);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "real_data_tool: error: %s\n", e.what());
        return 2;
    }
}
