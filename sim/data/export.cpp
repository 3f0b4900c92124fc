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
