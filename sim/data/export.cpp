#include "sim/data/export.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "sim/data/samples.hpp"
#include "sim/io/files.hpp"
#include "sim/io/meta.hpp"
#include "sim/io/npy.hpp"
#include "sim/io/owned_dir.hpp"

namespace sim {

namespace {

// The files of one export and their manifest entries. Each file is written atomically; a write that
// fails (a full disk) names the file and what is left: the files before it are complete and
// manifest.json, written last, is absent.
class Export {
public:
    explicit Export(std::string dir) : dir_(std::move(dir)) {}

    void put(const std::string& name, const ad::Mat<double>& a, const std::string& meaning) {
        write(name, {a.shape()[0], a.shape()[1]}, "float64", meaning, [&](const std::string& path) { write_npy(path, a); });
    }
    void put(const std::string& name, const ad::Mat<float>& a, const std::string& meaning) {
        write(name, {a.shape()[0], a.shape()[1]}, "float32", meaning, [&](const std::string& path) { write_npy(path, a); });
    }
    void put(const std::string& name, const std::vector<double>& v, const std::string& meaning) {
        write(name, {v.size()}, "float64", meaning, [&](const std::string& path) { write_npy_vector(path, v); });
    }
    void put(const std::string& name, const std::vector<float>& v, const std::string& meaning) {
        write(name, {v.size()}, "float32", meaning, [&](const std::string& path) { write_npy_vector(path, v); });
    }
    void put(const std::string& name, const std::vector<std::int64_t>& v, std::vector<std::size_t> shape,
             const std::string& meaning) {
        write(name, shape, "int64", meaning, [&](const std::string& path) { write_npy_int(path, v, shape); });
    }

    // The manifest's keys common to every data kind.
    nlohmann::json manifest(const Config& cfg) const {
        nlohmann::json man;
        man["files"] = files_;
        man["config"] = cfg.to_json();
        man["meta"] = run_metadata();
        man["sample_seed"] = sample_seed(cfg);
        man["targets"] = {"y_shared", "y1", "y2", "y_mix"};
        return man;
    }
    void finish(const nlohmann::json& man) const {
        const std::string mpath = (std::filesystem::path(dir_) / "manifest.json").string();
        try {
            write_file_atomic(mpath, man.dump(2) + "\n");
        } catch (const WriteError& e) {
            throw std::runtime_error(std::string(e.what()) + "; the " + std::to_string(files_.size()) +
                                     " data files are complete, the export lacks only its manifest.json");
        }
    }

    std::size_t written() const { return files_.size(); }

private:
    template <class Write>
    void write(const std::string& name, std::vector<std::size_t> shape, const char* dtype, const std::string& meaning,
               Write&& to) {
        try {
            to((std::filesystem::path(dir_) / name).string());
        } catch (const WriteError& e) {
            throw std::runtime_error(std::string(e.what()) + "; the " + std::to_string(files_.size()) +
                                     " file(s) before it are complete, the export is not (no manifest.json)");
        }
        files_.push_back({{"file", name}, {"shape", std::move(shape)}, {"dtype", dtype}, {"meaning", meaning}});
    }

    std::string dir_;
    nlohmann::json files_ = nlohmann::json::array();
};

// data.kind = "fashion_mnist": both modalities (float32, as trained on), every target (int64
// class indices) and what each scene is made of, under the linear export's names where they apply.
nlohmann::json export_fashion(const Config& cfg, Export& out) {
    const FashionSample smp = fashion_sample(cfg);
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
        out.put(p + "x1.npy", s.x1, "modality 1, optical: [optical(S) | optical(G1)]" + of + img);
        out.put(p + "x2.npy", s.x2, "modality 2, radar: [radar(S) | radar(G2)]" + of + img);
        std::vector<std::int64_t> all(n * 4);
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t t = 0; t < 4; ++t) all[i * 4 + t] = y[t][i];
        out.put(p + "y.npy", all, {n, 4}, "all targets, columns y_shared, y1, y2, y_mix (classes 0..9)" + of);
        for (int t = 0; t < theory::kNumTargets; ++t) {
            const std::string name = theory::kTargetNames[t];
            const auto& yt = y[static_cast<std::size_t>(t)];
            out.put(p + name + ".npy", std::vector<std::int64_t>(yt.begin(), yt.end()), {n},
                    "target " + name + " (column " + std::to_string(t) + " of " + p + "y.npy)" + of);
        }
        std::vector<std::int64_t> garments(n * 3);
        for (std::size_t i = 0; i < n; ++i) {
            garments[i * 3] = s.shared_image[i];
            garments[i * 3 + 1] = s.image1[i];
            garments[i * 3 + 2] = s.image2[i];
        }
        out.put(p + "garments.npy", garments, {n, 3},
                "indices of the garments S, G1, G2 of each scene in the dataset's " +
                    std::string(split == 0 ? "train" : "test (t10k)") + " images" + of);
        out.put(p + "mix_coin.npy", s.mix_coin,
                "the coin u of y_mix: y_mix = y_shared if u < clamp(10 rho - y1, 0, 1), else y1" + of);
    }
    nlohmann::json man = out.manifest(cfg);
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

// data.kind = "linear" or "nonlinear": samples with their latents, and the model's parameters.
nlohmann::json export_synthetic(const Config& cfg, Export& out) {
    const DataModel dm = make_data_model(cfg);
    const Samples smp = make_samples(cfg, dm);
    const theory::Model& m = dm.linear;
    for (const char* split : {"train", "test"}) {
        const Split& s = std::string(split) == "train" ? smp.train : smp.test;
        const std::string p = std::string(split) + "_";
        const std::string of = std::string(" (") + split + " split; rows are samples)";
        out.put(p + "x1.npy", s.x1, "modality 1 observations x1" + of);
        out.put(p + "x2.npy", s.x2, "modality 2 observations x2" + of);
        out.put(p + "s.npy", s.s, "shared latents s" + of);
        out.put(p + "u1.npy", s.u1, "latents u1 specific to modality 1" + of);
        out.put(p + "u2.npy", s.u2, "latents u2 specific to modality 2" + of);
        out.put(p + "y.npy", s.y, "all targets, columns y_shared, y1, y2, y_mix" + of);
        for (int t = 0; t < theory::kNumTargets; ++t) {
            const std::string name = theory::kTargetNames[t];
            const Mat col = column(s.y, static_cast<std::size_t>(t));
            out.put(p + name + ".npy", std::vector<double>(col.data(), col.data() + col.size()),
                    "target " + name + " (column " + std::to_string(t) + " of " + p + "y.npy)" + of);
        }
    }
    out.put("A1.npy", m.A1, "shared mixing of modality 1 (d1 x k_shared)");
    out.put("B1.npy", m.B1, "specific mixing of modality 1 (d1 x k1)");
    out.put("A2.npy", m.A2, "shared mixing of modality 2 (d2 x k_shared)");
    out.put("B2.npy", m.B2, "specific mixing of modality 2 (d2 x k2)");
    out.put("c_s.npy", m.c_s, "unit loading vector of y_shared on s (k_shared x 1)");
    out.put("c_1.npy", m.c_1, "unit loading vector of y1 on u1 (k1 x 1)");
    out.put("c_2.npy", m.c_2, "unit loading vector of y2 on u2 (k2 x 1)");
    out.put("G.npy", m.G, "loadings of the targets (rows y_shared, y1, y2, y_mix) on v = [s; u1; u2]: y = G v + target_noise * eta");
    out.put("noise.npy", std::vector<double>{m.spec.noise1, m.spec.noise2, m.spec.target_noise},
            "noise standard deviations [sigma1, sigma2, sigma_y]");
    if (dm.kind == "nonlinear") {
        for (int mod = 1; mod <= 2; ++mod) {
            const auto& layers = mod == 1 ? dm.h1 : dm.h2;
            for (std::size_t l = 0; l < layers.size(); ++l)
                out.put("h" + std::to_string(mod) + "_layer" + std::to_string(l) + ".npy", layers[l],
                    "nonlinear map h" + std::to_string(mod) + ", layer " + std::to_string(l) +
                        " (orthogonal): x <- leaky_relu(gain * W x, slope), applied in layer order to A s + B u before the noise");
        }
    }

    nlohmann::json man = out.manifest(cfg);
    if (dm.kind == "nonlinear") {
        man["nonlinear"] = {{"slope", dm.slope},
                            {"gain", std::sqrt(2.0 / (1.0 + dm.slope * dm.slope))},
                            {"depth", dm.h1.size()},
                            {"formula", "x_i = h_i(A_i s + B_i u_i) + sigma_i eps_i; h_i = layers of x <- leaky_relu(gain * W x)"}};
    }
    return man;
}

}  // namespace

bool is_export_file(const std::string& name) {
    auto ends = [&](const std::string& x) { return name.size() >= x.size() && name.compare(name.size() - x.size(), x.size(), x) == 0; };
    std::string n = name;
    if (ends(".npy.tmp")) n = name.substr(0, name.size() - 4);
    else if (!ends(".npy")) return false;
    const std::string stem = n.substr(0, n.size() - 4);
    if (stem.rfind("train_", 0) == 0 || stem.rfind("test_", 0) == 0) return true;
    for (const char* p : {"A1", "B1", "A2", "B2", "c_s", "c_1", "c_2", "G", "noise"})
        if (stem == p) return true;
    return stem.rfind("h1_layer", 0) == 0 || stem.rfind("h2_layer", 0) == 0;
}

nlohmann::json export_samples(const Config& cfg, const std::string& dir) {
    namespace fs = std::filesystem;
    // the directory is an export's or new; its lock keeps a sweep, a plot or another export out
    ClaimedDir claimed;
    try {
        claimed = claim_dir(dir, kKindExport, "export", is_export_file);
    } catch (const BadInput& e) {
        throw ConfigError(e.what());
    }
    std::error_code ec;
    // an earlier export's manifest goes first: a manifest.json always describes complete files
    if (claimed.kind == kKindExport) fs::remove(fs::path(dir) / "manifest.json", ec);

    Export out(dir);
    nlohmann::json man;
    try {
        man = cfg.s("data.kind") == "fashion_mnist" ? export_fashion(cfg, out) : export_synthetic(cfg, out);
    } catch (...) {
        if (out.written() == 0) release_new_dir(dir, claimed);  // a failed start leaves nothing behind
        throw;
    }
    man["kind"] = kKindExport;
    out.finish(man);
    return man;
}

}  // namespace sim
