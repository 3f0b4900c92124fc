#include "sim/data/export.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "sim/data/samples.hpp"
#include "sim/io/files.hpp"
#include "sim/io/meta.hpp"
#include "sim/io/npy.hpp"

namespace sim {

namespace {

// data.kind = "fashion_mnist": both modalities (float32, as trained on), every target (int64
// class indices) and what each scene is made of, under the linear export's names where they apply.
nlohmann::json export_fashion(const Config& cfg, const std::string& dir) {
    namespace fs = std::filesystem;
    const FashionSample smp = fashion_sample(cfg);
    nlohmann::json files = nlohmann::json::array();
    auto entry = [&](const std::string& name, std::vector<std::size_t> shape, const char* dtype, const std::string& meaning) {
        files.push_back({{"file", name}, {"shape", shape}, {"dtype", dtype}, {"meaning", meaning}});
    };
    const std::size_t side = SensorOptions{}.side;
    const std::string img = " (rows are scenes; each row a " + std::to_string(side) + " x " + std::to_string(2 * side) +
                            " image in row-major order: columns 0.." + std::to_string(side - 1) + " the shared garment, " +
                            std::to_string(side) + ".." + std::to_string(2 * side - 1) + " the modality's own)";
    for (int split = 0; split < 2; ++split) {
        const FashionSplit& s = split == 0 ? smp.scenes->train : smp.scenes->test;
        const auto& y = split == 0 ? smp.y_train : smp.y_test;
        const std::string p = split == 0 ? "train_" : "test_";
        const std::string of = std::string(" (") + (split == 0 ? "train" : "test") + " split, " +
                               (split == 0 ? "garments from the dataset's train images" : "garments from its test images") + ")";
        const std::size_t n = s.size();
        write_npy((fs::path(dir) / (p + "x1.npy")).string(), s.x1);
        entry(p + "x1.npy", {n, s.x1.shape()[1]}, "float32", "modality 1, optical: [optical(S) | optical(G1)]" + of + img);
        write_npy((fs::path(dir) / (p + "x2.npy")).string(), s.x2);
        entry(p + "x2.npy", {n, s.x2.shape()[1]}, "float32", "modality 2, radar: [radar(S) | radar(G2)]" + of + img);
        std::vector<std::int64_t> all(n * 4);
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t t = 0; t < 4; ++t) all[i * 4 + t] = y[t][i];
        write_npy_int((fs::path(dir) / (p + "y.npy")).string(), all, {n, 4});
        entry(p + "y.npy", {n, 4}, "int64", "all targets, columns y_shared, y1, y2, y_mix (classes 0..9)" + of);
        for (int t = 0; t < theory::kNumTargets; ++t) {
            const std::string name = theory::kTargetNames[t];
            write_npy_int((fs::path(dir) / (p + name + ".npy")).string(),
                          std::vector<std::int64_t>(y[static_cast<std::size_t>(t)].begin(), y[static_cast<std::size_t>(t)].end()), {n});
            entry(p + name + ".npy", {n}, "int64", "target " + name + " (column " + std::to_string(t) + " of " + p + "y.npy)" + of);
        }
        std::vector<std::int64_t> garments(n * 3);
        for (std::size_t i = 0; i < n; ++i) {
            garments[i * 3] = s.shared_image[i];
            garments[i * 3 + 1] = s.image1[i];
            garments[i * 3 + 2] = s.image2[i];
        }
        write_npy_int((fs::path(dir) / (p + "garments.npy")).string(), garments, {n, 3});
        entry(p + "garments.npy", {n, 3}, "int64",
              "indices of the garments S, G1, G2 of each scene in the dataset's " +
                  std::string(split == 0 ? "train" : "test (t10k)") + " images" + of);
        write_npy_vector((fs::path(dir) / (p + "mix_coin.npy")).string(), s.mix_coin);
        entry(p + "mix_coin.npy", {n}, "float32", "the coin u of y_mix: y_mix = y_shared if u < clamp(10 rho - y1, 0, 1), else y1" + of);
    }
    nlohmann::json man;
    man["files"] = files;
    man["config"] = cfg.to_json();
    man["meta"] = run_metadata();
    man["sample_seed"] = sample_seed(cfg);
    man["targets"] = {"y_shared", "y1", "y2", "y_mix"};
    man["classes"] = std::vector<std::string>(kFashionClassNames, kFashionClassNames + kFashionClasses);
    man["labels"] = "targets are int64 class indices 0..9 (the names in 'classes'); x1 and x2 are float32";
    man["fashion_mnist"] = {{"path", cfg.s("data.path")},
                            {"redundancy", smp.rho},
                            {"side", side},
                            {"construction", "docs/real_data.md: x1 = [optical(S) | optical(G1)], x2 = [radar(S) | radar(G2)]; "
                                             "S, G1, G2 drawn uniformly with replacement from the split's images"}};
    return man;
}

Mat column(const Mat& y, std::size_t j) {
    Mat c({y.shape()[0], std::size_t(1)});
    for (std::size_t r = 0; r < y.shape()[0]; ++r) c(r, 0) = y(r, j);
    return c;
}

}  // namespace

nlohmann::json export_samples(const Config& cfg, const std::string& dir) {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (fs::exists(dir) && !fs::is_directory(dir))
        throw ConfigError("cannot create output directory '" + dir + "': it is a file");
    if (ec && ec == std::errc::not_a_directory) throw ConfigError("cannot create output directory '" + dir + "': " + ec.message());
    if (ec || !fs::is_directory(dir))
        throw std::runtime_error("cannot create output directory '" + dir + "'" + (ec ? ": " + ec.message() : ""));
    // an earlier export's manifest goes first: a manifest.json always describes complete files
    fs::remove(fs::path(dir) / "manifest.json", ec);

    if (cfg.s("data.kind") == "fashion_mnist") {
        const nlohmann::json man = export_fashion(cfg, dir);
        const std::string mpath = (fs::path(dir) / "manifest.json").string();
        std::ofstream out(mpath);
        if (!out) throw std::runtime_error("cannot write '" + mpath + "'");
        out << man.dump(2) << "\n";
        if (!out) throw std::runtime_error("error writing '" + mpath + "'");
        return man;
    }
    const DataModel dm = make_data_model(cfg);
    const Samples smp = make_samples(cfg, dm);
    const theory::Model& m = dm.linear;

    nlohmann::json files = nlohmann::json::array();
    // A write that fails (a full disk) names the file and what is left: the files before it are
    // complete (each is written atomically) and manifest.json, written last, is absent.
    auto failed = [&](const WriteError& e) {
        return std::runtime_error(std::string(e.what()) + "; the " + std::to_string(files.size()) +
                                  " file(s) before it are complete, the export is not (no manifest.json)");
    };
    auto put = [&](const std::string& name, const Mat& a, const std::string& meaning) {
        try {
            write_npy((fs::path(dir) / name).string(), a);
        } catch (const WriteError& e) {
            throw failed(e);
        }
        files.push_back({{"file", name}, {"shape", {a.shape()[0], a.shape()[1]}}, {"meaning", meaning}});
    };
    auto put_vec = [&](const std::string& name, const std::vector<double>& v, const std::string& meaning) {
        try {
            write_npy_vector((fs::path(dir) / name).string(), v);
        } catch (const WriteError& e) {
            throw failed(e);
        }
        files.push_back({{"file", name}, {"shape", {v.size()}}, {"meaning", meaning}});
    };

    for (const char* split : {"train", "test"}) {
        const Split& s = std::string(split) == "train" ? smp.train : smp.test;
        const std::string p = std::string(split) + "_";
        const std::string of = std::string(" (") + split + " split; rows are samples)";
        put(p + "x1.npy", s.x1, "modality 1 observations x1" + of);
        put(p + "x2.npy", s.x2, "modality 2 observations x2" + of);
        put(p + "s.npy", s.s, "shared latents s" + of);
        put(p + "u1.npy", s.u1, "latents u1 specific to modality 1" + of);
        put(p + "u2.npy", s.u2, "latents u2 specific to modality 2" + of);
        put(p + "y.npy", s.y, "all targets, columns y_shared, y1, y2, y_mix" + of);
        for (int t = 0; t < theory::kNumTargets; ++t) {
            const std::string name = theory::kTargetNames[t];
            const Mat col = column(s.y, static_cast<std::size_t>(t));
            put_vec(p + name + ".npy", std::vector<double>(col.data(), col.data() + col.size()),
                "target " + name + " (column " + std::to_string(t) + " of " + p + "y.npy)" + of);
        }
    }
    put("A1.npy", m.A1, "shared mixing of modality 1 (d1 x k_shared)");
    put("B1.npy", m.B1, "specific mixing of modality 1 (d1 x k1)");
    put("A2.npy", m.A2, "shared mixing of modality 2 (d2 x k_shared)");
    put("B2.npy", m.B2, "specific mixing of modality 2 (d2 x k2)");
    put("c_s.npy", m.c_s, "unit loading vector of y_shared on s (k_shared x 1)");
    put("c_1.npy", m.c_1, "unit loading vector of y1 on u1 (k1 x 1)");
    put("c_2.npy", m.c_2, "unit loading vector of y2 on u2 (k2 x 1)");
    put("G.npy", m.G, "loadings of the targets (rows y_shared, y1, y2, y_mix) on v = [s; u1; u2]: y = G v + target_noise * eta");
    put_vec("noise.npy", {m.spec.noise1, m.spec.noise2, m.spec.target_noise},
            "noise standard deviations [sigma1, sigma2, sigma_y]");
    if (dm.kind == "nonlinear") {
        const double gain = std::sqrt(2.0 / (1.0 + dm.slope * dm.slope));
        for (int mod = 1; mod <= 2; ++mod) {
            const auto& layers = mod == 1 ? dm.h1 : dm.h2;
            for (std::size_t l = 0; l < layers.size(); ++l)
                put("h" + std::to_string(mod) + "_layer" + std::to_string(l) + ".npy", layers[l],
                    "nonlinear map h" + std::to_string(mod) + ", layer " + std::to_string(l) +
                        " (orthogonal): x <- leaky_relu(gain * W x, slope), applied in layer order to A s + B u before the noise");
        }
        (void)gain;
    }

    nlohmann::json man;
    man["files"] = files;
    man["config"] = cfg.to_json();
    man["meta"] = run_metadata();
    man["sample_seed"] = sample_seed(cfg);
    man["targets"] = {"y_shared", "y1", "y2", "y_mix"};
    if (dm.kind == "nonlinear") {
        man["nonlinear"] = {{"slope", dm.slope},
                            {"gain", std::sqrt(2.0 / (1.0 + dm.slope * dm.slope))},
                            {"depth", dm.h1.size()},
                            {"formula", "x_i = h_i(A_i s + B_i u_i) + sigma_i eps_i; h_i = layers of x <- leaky_relu(gain * W x)"}};
    }
    const std::string mpath = (fs::path(dir) / "manifest.json").string();
    try {
        write_file_atomic(mpath, man.dump(2) + "\n");
    } catch (const WriteError& e) {
        throw std::runtime_error(std::string(e.what()) + "; the " + std::to_string(files.size()) +
                                 " data files are complete, the export lacks only its manifest.json");
    }
    return man;
}

}  // namespace sim
