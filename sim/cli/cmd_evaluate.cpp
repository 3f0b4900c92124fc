// alignsim evaluate [CONFIG] [--set key=value]... --weights W1.npy [W2.npy] [--json]: the closed-form
// certificate of given linear encoders (z_i = W_i x_i, W_i p x d_i as .npy) on the configured
// linear-Gaussian model: what they keep of each target and block, and how far each alignment
// objective is from its optimum (sim/run/evaluate.hpp; the same as alignsim.evaluate in Python).
#include <cmath>
#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "sim/cli/commands.hpp"
#include "sim/io/meta.hpp"
#include "sim/io/npy.hpp"
#include "sim/run/evaluate.hpp"

namespace sim {

namespace {

theory::Mat read_encoder(const std::string& path, const char* name) {
    NpyArray a;
    try {
        a = read_npy(path);
    } catch (const std::exception& e) {
        throw ConfigError(std::string("--weights: ") + e.what());
    }
    if (a.shape.size() != 2)
        throw ConfigError(std::string("--weights: ") + path + ": " + name + " must be a 2-D array (p x d), got " +
                          std::to_string(a.shape.size()) + " dimensions");
    theory::Mat W = theory::Mat::from_shape({a.shape[0], a.shape[1]});
    std::copy(a.data.begin(), a.data.end(), W.begin());
    return W;
}

std::string num(const nlohmann::json& v) {
    if (!v.is_number()) return "     n/a";
    char b[64];
    std::snprintf(b, sizeof b, "%9.4f", v.get<double>());
    return b;
}

}  // namespace

int cmd_evaluate(const ConfigArgs& a, const std::vector<std::string>& weights) {
    if (weights.empty() || weights.size() > 2) throw ConfigError("--weights takes W1.npy and optionally W2.npy");
    const Config cfg = load_config(a);
    LinearEncoders enc;
    enc.W1 = read_encoder(weights[0], "W1");
    if (weights.size() == 2) enc.W2 = read_encoder(weights[1], "W2");
    nlohmann::json j = evaluate_linear(cfg, enc);
    if (a.json) {
        j["config"] = cfg.to_json();
        j["meta"] = run_metadata();
        std::cout << j.dump(2) << "\n";
        return 0;
    }
    const bool two = enc.W2.has_value();
    std::printf("population R^2 (closed form, linear probe)\n%-10s %9s%s\n", "", "z1", two ? "        z2" : "");
    for (const char* k : {"y_shared", "y1", "y2", "y_mix", "s", "u1", "u2"}) {
        const auto& e = j["r2"][k];
        std::printf("%-10s %s%s\n", k, num(e["z1"]).c_str(), two ? (" " + num(e["z2"])).c_str() : "");
    }
    std::printf("\ninformation (nats)\n");
    for (const char* k : {"s", "u1", "u2"}) {
        const auto& e = j["info_nats"][k];
        std::printf("%-10s %s%s\n", k, num(e["z1"]).c_str(), two ? (" " + num(e["z2"])).c_str() : "");
    }
    std::printf("\nprincipal angles to the cca optimum (rad), z1:");
    for (const auto& x : j["principal_angles_to_cca"]["z1"]) std::printf(" %.4f", x.get<double>());
    if (two) {
        std::printf("; z2:");
        for (const auto& x : j["principal_angles_to_cca"]["z2"]) std::printf(" %.4f", x.get<double>());
    }
    std::printf("\n\n%-12s %12s %12s %12s\n", "objective", "value", "optimum", "gap");
    for (const auto& [k, v] : j["objective"].items())
        std::printf("%-12s %12.6g %12.6g %12.3g\n", k.c_str(), v["value"].get<double>(), v["optimum"].get<double>(),
                    v["gap"].get<double>());
    return 0;
}

}  // namespace sim
