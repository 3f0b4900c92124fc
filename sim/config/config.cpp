#include "sim/config/config.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cmath>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "sim/config/toml_parse.hpp"
#include "models/registry.hpp"
#include "sim/io/files.hpp"
#include "sim/io/owned_dir.hpp"
#include <filesystem>
#include "theory/model.hpp"

namespace sim {

namespace {
using I = std::int64_t;
using IL = std::vector<std::int64_t>;
// objective.task: "none" or a target (theory/model.hpp).
std::vector<std::string> task_choices() {
    std::vector<std::string> c{"none"};
    for (const char* t : theory::kTargetNames) c.push_back(t);
    return c;
}
// The keys of the generative model that data.kind = "fashion_mnist" has no use for (its
// modalities are fixed sensor views of real images): they must keep their defaults.
const std::vector<std::string> kModelOnlyKeys{"data.d1",     "data.d2",     "data.k_shared", "data.k1",
                                              "data.k2",     "data.a1",     "data.a2",       "data.b1",
                                              "data.b2",     "data.noise1", "data.noise2",   "data.mixing",
                                              "data.target_noise", "data.depth", "data.slope"};
}  // namespace

std::string printable(const std::string& s, std::size_t max, bool escape_non_ascii) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (out.size() >= max) {
            out += "...";
            break;
        }
        const unsigned char ch = static_cast<unsigned char>(s[i]);
        if (ch == '\n') out += "\\n";
        else if (ch == '\r') out += "\\r";
        else if (ch == '\t') out += "\\t";
        else if (ch < 0x20 || ch == 0x7f || (escape_non_ascii && ch >= 0x80)) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", ch);
            out += buf;
        } else out += static_cast<char>(ch);
    }
    return out;
}

std::string training_dtype(const Config& c) {
    const std::string& d = c.s("train.dtype");
    if (d != "auto") return d;
    return c.s("data.kind") == "fashion_mnist" ? "float32" : "float64";
}

std::size_t input_dim(const Config& c, int modality) {
    if (c.s("data.kind") == "fashion_mnist") return kFashionMnistInputs;
    return static_cast<std::size_t>(c.i(modality == 1 ? "data.d1" : "data.d2"));
}

namespace {

// The bound of every numeric key (KeySpec::int_max, KeySpec::max): what the machine can hold or
// do, so that a value is never narrowed or taken when it cannot be honoured.
std::vector<KeySpec> with_bounds(std::vector<KeySpec> s) {
    constexpr I kI64 = INT64_MAX;
    const std::string dims = "the closed forms diagonalise d x d matrices, O(d^3)";
    const std::string scale = "larger scales overflow the covariances' eigen-decompositions";
    const std::map<std::string, std::pair<double, std::string>> b{
        {"data.d1", {4096, dims}},
        {"data.d2", {4096, dims}},
        {"data.k_shared", {4096, dims}},
        {"data.k1", {4096, dims}},
        {"data.k2", {4096, dims}},
        {"data.a1", {1e6, scale}},
        {"data.a2", {1e6, scale}},
        {"data.b1", {1e6, scale}},
        {"data.b2", {1e6, scale}},
        {"data.noise1", {1e6, scale}},
        {"data.noise2", {1e6, scale}},
        {"data.target_noise", {1e6, scale}},
        {"data.seed", {double(kI64), "a 64-bit seed"}},
        {"data.n_train", {1e9, "samples are held in memory; the run's memory estimate must also fit"}},
        {"data.n_test", {1e9, "samples are held in memory; the run's memory estimate must also fit"}},
        {"data.sample_seed", {double(kI64), "a 64-bit seed"}},
        {"data.depth", {1024, "each layer is a d x d orthogonal matrix held in memory"}},
        {"model.dim", {4096, "at most min(data.d1, data.d2) anyway"}},
        {"model.hidden", {65536, "each width: a layer's weights are held in memory"}},
        {"objective.temperature", {1e6, "the similarities / temperature must stay finite"}},
        {"objective.lambda", {1e12, "task + lambda x alignment must stay finite in float32"}},
        {"objective.cca_penalty", {1e12, "the loss must stay finite in float32"}},
        {"objective.vicreg_invariance", {1e12, "the loss must stay finite in float32"}},
        {"objective.vicreg_variance", {1e12, "the loss must stay finite in float32"}},
        {"objective.vicreg_covariance", {1e12, "the loss must stay finite in float32"}},
        {"objective.vicreg_gamma", {1e6, "the hinge's squared margins must stay finite in float32"}},
        {"objective.barlow_offdiag", {1e12, "the loss must stay finite in float32"}},
        {"objective.siglip_temperature", {1e6, "the logits t cos + b must stay finite in float32"}},
        {"objective.siglip_bias", {1e6, "the logits t cos + b must stay finite in float32"}},
        {"model.cnn_channels", {4096, "each layer's filters are held in memory"}},
        {"model.cnn_kernels", {4096, "a kernel larger than the 20 x 40 image is refused anyway"}},
        {"model.cnn_strides", {4096, "a stride larger than the image is refused anyway"}},
        {"train.lr", {1e300, "a finite rate; a step too large for the parameters ends the run diverged, a status, not a crash"}},
        {"train.steps", {1000000000, "a billion steps take weeks"}},
        {"train.batch", {1000000000, "at most data.n_train anyway"}},
        {"train.weight_decay", {1e6, "larger decays overflow the parameters"}},
        {"train.clip", {1e300, "a finite threshold"}},
        {"train.seed", {double(kI64), "a 64-bit seed"}},
        {"train.polish", {10000000, "each evaluation is a full pass over the training set"}},
        {"theory.lambda_min", {1e12, "the trade-off's weights must stay finite"}},
        {"theory.lambda_max", {1e12, "the trade-off's weights must stay finite"}},
        {"theory.lambda_points", {100000, "each point solves the closed forms again"}},
    };
    for (auto& k : s) {
        const auto it = b.find(k.key);
        if (it == b.end()) continue;
        if (k.kind == Kind::Int || k.kind == Kind::IntList)
            k.int_max = it->second.first >= 9.2e18 ? kI64 : static_cast<I>(it->second.first);
        else k.max = it->second.first;
        k.bound_why = it->second.second;
    }
    return s;
}

}  // namespace

std::string bound_text(const KeySpec& k) {
    std::ostringstream os;
    if ((k.kind == Kind::Int || k.kind == Kind::IntList) && k.int_max != INT64_MAX) os << "at most " << k.int_max;
    else if (k.kind == Kind::Float && std::isfinite(k.max)) os << "at most " << k.max;
    else return "";
    if (!k.bound_why.empty()) os << " (" << k.bound_why << ")";
    return os.str();
}

const std::vector<KeySpec>& schema() {
    static const std::vector<KeySpec> raw{
        // data: the generative model (spec section 1) and the samples drawn from it
        {"data.kind", Kind::String, std::string("linear"), "generative model: linear, nonlinear (spec section 6), or fashion_mnist (two sensors' views of real garment images, docs/real_data.md; the model keys d1 ... slope do not apply)", {"linear", "nonlinear", "fashion_mnist"}},
        {"data.path", Kind::String, std::string(kFashionMnistPath), "fashion_mnist: directory of the dataset's IDX files ({train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]; Debian's dataset-fashion-mnist)", {}},
        {"data.d1", Kind::Int, I(16), "dimension of modality 1", {}},
        {"data.d2", Kind::Int, I(16), "dimension of modality 2", {}},
        {"data.k_shared", Kind::Int, I(2), "number of shared latents s", {}},
        {"data.k1", Kind::Int, I(2), "number of latents u1 specific to modality 1", {}},
        {"data.k2", Kind::Int, I(2), "number of latents u2 specific to modality 2", {}},
        {"data.a1", Kind::Float, 1.0, "shared strength a1", {}},
        {"data.a2", Kind::Float, 1.0, "shared strength a2", {}},
        {"data.b1", Kind::Float, 1.0, "specific strength b1", {}},
        {"data.b2", Kind::Float, 1.0, "specific strength b2", {}},
        {"data.noise1", Kind::Float, 0.5, "noise standard deviation sigma1", {}},
        {"data.noise2", Kind::Float, 0.5, "noise standard deviation sigma2", {}},
        {"data.mixing", Kind::String, std::string("orthogonal"), "mixing matrices: orthogonal or gaussian", {"orthogonal", "gaussian"}},
        {"data.redundancy", Kind::Float, 0.5, "rho: shared share of y_mix, in [0, 1]", {}},
        {"data.target_noise", Kind::Float, 0.0, "target noise standard deviation sigma_y", {}},
        {"data.seed", Kind::Int, I(0), "seed of the model's parameters (mixing matrices, loadings, nonlinear maps)", {}},
        {"data.n_train", Kind::Int, I(20000), "training samples", {}},
        {"data.n_test", Kind::Int, I(10000), "held-out test samples", {}},
        {"data.sample_seed", Kind::Int, I(-1), "seed of the samples; -1: derived from data.seed and train.seed", {}},
        {"data.depth", Kind::Int, I(3), "nonlinear model: layers of the random invertible network", {}},
        {"data.slope", Kind::Float, 0.2, "nonlinear model: leaky-ReLU negative slope, in (0, 1]", {}},
        // model: the encoders
        {"model.dim", Kind::Int, I(2), "p: dimension of the representations z1, z2", {}},
        {"model.encoder", Kind::String, std::string("linear"), "encoder: linear, mlp, or cnn (convolutional, data.kind = fashion_mnist only: each modality as a 20 x 40 image)", models::encoder_names()},
        {"model.hidden", Kind::IntList, IL{64, 64}, "MLP hidden widths", {}},
        {"model.activation", Kind::String, std::string("relu"), "MLP activation", {"relu", "leaky_relu", "tanh", "sigmoid", "softplus"}},
        {"model.cnn_channels", Kind::IntList, IL{16, 32}, "cnn: filters of each convolution layer (each followed by a ReLU and the pooling; then a dense layer to model.dim)", {}},
        {"model.cnn_kernels", Kind::IntList, IL{5, 3}, "cnn: kernel size of each convolution layer (zero padding kernel / 2)", {}},
        {"model.cnn_strides", Kind::IntList, IL{1, 1}, "cnn: stride of each convolution layer", {}},
        {"model.cnn_pooling", Kind::String, std::string("max"), "cnn: 2 x 2 pooling of stride 2 after each convolution layer while the image is at least 2 x 2: max, avg or none", {"max", "avg", "none"}},
        // objective: alignment + task
        {"objective.alignment", Kind::String, std::string("infonce"), "alignment loss: infonce (CLIP), regression (to a frozen encoder), cca, spectral, vicreg, barlow_twins, siglip, or none", models::alignment_loss_names()},
        {"objective.temperature", Kind::Float, 0.1, "InfoNCE temperature tau", {}},
        {"objective.similarity", Kind::String, std::string("cosine"), "InfoNCE similarity", {"cosine", "dot"}},
        {"objective.target_encoder", Kind::String, std::string("cca"), "frozen W2 of regression alignment and of the trade-off", {"cca", "random"}},
        {"objective.task", Kind::String, std::string("none"), "supervised target of the task head on z1", task_choices()},
        {"objective.lambda", Kind::Float, 1.0, "weight of the alignment loss: task + lambda * alignment", {}},
        {"objective.cca_penalty", Kind::Float, 1.0, "weight of the whitening penalty of the cca loss (the batch covariance's distance to I)", {}},
        {"objective.spectral_centering", Kind::String, std::string("none"), "spectral loss on raw codes (none: HaoChen et al.; with a bias the constant takes one of the p dimensions) or on batch-centred codes (batch)", {"none", "batch"}},
        {"objective.vicreg_invariance", Kind::Float, 25.0, "VICReg: weight of the invariance term (mean squared difference of the codes)", {}},
        {"objective.vicreg_variance", Kind::Float, 25.0, "VICReg: weight of the variance hinge (mean of relu(gamma - std) per code coordinate)", {}},
        {"objective.vicreg_covariance", Kind::Float, 1.0, "VICReg: weight of the covariance term (squared off-diagonal batch covariances / p)", {}},
        {"objective.vicreg_gamma", Kind::Float, 1.0, "VICReg: target standard deviation gamma of the variance hinge", {}},
        {"objective.barlow_offdiag", Kind::Float, 5e-3, "Barlow Twins: weight of the off-diagonal cross-correlations (the diagonal is pushed to 1 with weight 1)", {}},
        {"objective.siglip_temperature", Kind::Float, 10.0, "SigLIP: initial temperature t of the logits t cos(z1_i, z2_j) + b (learned, as log t)", {}},
        {"objective.siglip_bias", Kind::Float, -10.0, "SigLIP: initial bias b of the logits (learned)", {}},
        // train
        {"train.optimizer", Kind::String, std::string("adam"), "optimiser", {"sgd", "adam", "adamw"}},
        {"train.lr", Kind::Float, 0.01, "learning rate", {}},
        {"train.steps", Kind::Int, I(2000), "optimisation steps", {}},
        {"train.batch", Kind::Int, I(256), "minibatch size", {}},
        {"train.weight_decay", Kind::Float, 0.0, "weight decay (L2 for sgd/adam, decoupled for adamw)", {}},
        {"train.momentum", Kind::Float, 0.9, "sgd momentum", {}},
        {"train.clip", Kind::Float, 0.0, "gradient-norm clipping threshold (0: off)", {}},
        {"train.seed", Kind::Int, I(0), "seed of initialisation and minibatches", {}},
        {"train.dtype", Kind::String, std::string("auto"), "training precision: auto (float32 for data.kind = fashion_mnist, float64 otherwise), float64 or float32", {"auto", "float64", "float32"}},
        {"train.schedule", Kind::String, std::string("hold_decay"), "learning-rate schedule: hold_decay (train.lr for the first 70% of the steps, then linearly down to 1% of it at the last step) or constant", {"hold_decay", "constant"}},
        {"train.warmup", Kind::Float, 0.1, "with a task and an alignment loss: the fraction of the steps that train the alignment alone, after which the task head starts from the least-squares fit on the training set (0: none)", {}},
        {"train.tolerance", Kind::Float, 1e-3, "largest relative gap to the closed-form optimum of the training objective (on the training set) of a run that ends ok; a larger gap ends not_converged (linear data, linear encoders, objectives with a closed form)", {}},
        {"train.polish", Kind::Int, I(1000), "when the gap exceeds train.tolerance after the steps: full-batch L-BFGS evaluations at most to close it (to a tenth of the tolerance; 0: no polishing)", {}},
        // eval: how the representations are read
        {"eval.nonlinear_probe", Kind::String, std::string("auto"), "also read every target and block with the nonlinear probe (kernel ridge on random Fourier features; results.csv rows with probe = nonlinear): on, off, or auto (on for MLP encoders or nonlinear data; off for linear encoders on linear data, whose Gaussian codes a linear probe reads completely)", {"auto", "on", "off"}},
        {"eval.baselines", Kind::Bool, true, "fashion_mnist: also report the baselines (rows with rep x1, x2, x1_supervised): the same logistic probe on the raw pixels of x1 and x2, and a supervised MLP on x1 alone per target; computed once per sample in a process", {}},
        // theory
        {"theory.lambda_min", Kind::Float, 1e-3, "smallest lambda of the trade-off curve", {}},
        {"theory.lambda_max", Kind::Float, 1e3, "largest lambda of the trade-off curve", {}},
        {"theory.lambda_points", Kind::Int, I(25), "points of the trade-off curve (log grid)", {}},
    };
    static const std::vector<KeySpec> s = with_bounds(raw);
    return s;
}

const KeySpec* find_key(const std::string& key) {
    for (const auto& k : schema())
        if (k.key == key) return &k;
    return nullptr;
}

std::string kind_name(Kind k) {
    switch (k) {
        case Kind::Int: return "an integer";
        case Kind::Float: return "a number";
        case Kind::Bool: return "a boolean";
        case Kind::String: return "a string";
        case Kind::IntList: return "a list of integers";
    }
    return "?";
}

std::string value_to_string(const Value& v) {
    std::ostringstream os;
    std::visit(
        [&](const auto& x) {
            using X = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<X, std::string>) os << x;
            else if constexpr (std::is_same_v<X, bool>) os << (x ? "true" : "false");
            else if constexpr (std::is_same_v<X, IL>) {
                os << "[";
                for (std::size_t i = 0; i < x.size(); ++i) os << (i ? ", " : "") << x[i];
                os << "]";
            } else if constexpr (std::is_same_v<X, double>) {
                os.precision(17);
                os << x;
            } else os << x;
        },
        v);
    return os.str();
}

namespace {

std::string unknown_key_message(const std::string& key) {
    std::string msg = "unknown config key '" + printable(key, 100) + "'";
    // suggest a key with the same last component, if any
    const auto dot = key.rfind('.');
    const std::string leaf = dot == std::string::npos ? key : key.substr(dot + 1);
    for (const auto& k : schema()) {
        const auto d = k.key.rfind('.');
        if (k.key.substr(d + 1) == leaf) return msg + " (did you mean '" + k.key + "'?)";
    }
    return msg;
}

// Converts a TOML node to the schema's kind for key, or throws.
Value convert(const KeySpec& spec, const toml::node& n, const std::string& origin) {
    auto bad = [&](const std::string& got) {
        return ConfigError(origin + ": '" + spec.key + "' must be " + kind_name(spec.kind) + ", got " + got);
    };
    auto describe = [&]() -> std::string {
        switch (n.type()) {
            case toml::node_type::string: return "the string \"" + printable(std::string(*n.value<std::string>()), 100) + "\"";
            case toml::node_type::integer: return "the integer " + std::to_string(*n.value<I>());
            case toml::node_type::floating_point: {
                std::ostringstream os;
                os << "the number " << *n.value<double>();
                return os.str();
            }
            case toml::node_type::boolean: return *n.value<bool>() ? "true" : "false";
            case toml::node_type::array: return "an array";
            case toml::node_type::table: return "a table";
            default: return "a value of another type";
        }
    };
    switch (spec.kind) {
        case Kind::Int:
            if (n.is_integer()) return *n.value<I>();
            if (n.is_floating_point()) {
                const double d = *n.value<double>();
                if (std::floor(d) == d && std::abs(d) < 9e15) return static_cast<I>(d);
            }
            throw bad(describe());
        case Kind::Float:
            if (n.is_floating_point()) return *n.value<double>();
            if (n.is_integer()) return static_cast<double>(*n.value<I>());
            throw bad(describe());
        case Kind::Bool:
            if (n.is_boolean()) return *n.value<bool>();
            throw bad(describe());
        case Kind::String: {
            if (!n.is_string()) throw bad(describe());
            std::string v(*n.value<std::string>());
            if (!spec.choices.empty() &&
                std::find(spec.choices.begin(), spec.choices.end(), v) == spec.choices.end()) {
                std::string all;
                for (const auto& c : spec.choices) all += (all.empty() ? "" : ", ") + c;
                throw ConfigError(origin + ": '" + spec.key + "' must be one of " + all + ", got \"" + printable(v, 100) + "\"");
            }
            return v;
        }
        case Kind::IntList: {
            const toml::array* a = n.as_array();
            if (!a) throw bad(describe());
            IL out;
            for (const auto& e : *a) {
                if (!e.is_integer()) throw bad("an array with a non-integer element");
                out.push_back(*e.value<I>());
            }
            return out;
        }
    }
    throw bad(describe());
}

void check_finite(const std::string& key, const Value& v, const std::string& origin) {
    if (auto d = std::get_if<double>(&v); d && !std::isfinite(*d))
        throw ConfigError(origin + ": '" + key + "' must be finite");
}

}  // namespace

// Whether s is valid UTF-8 (shortest forms, no surrogates, at most U+10FFFF) without control
// characters: what a free-form string key (data.path) may hold, so that the config prints as one
// line and as JSON (nlohmann::json refuses invalid UTF-8).
static bool plain_text(const std::string& s) {
    std::size_t i = 0;
    const std::size_t n = s.size();
    while (i < n) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            if (c < 0x20 || c == 0x7f) return false;
            ++i;
            continue;
        }
        std::size_t len = 0;
        std::uint32_t cp = 0;
        if (c >= 0xc2 && c <= 0xdf) len = 2, cp = c & 0x1f;
        else if (c >= 0xe0 && c <= 0xef) len = 3, cp = c & 0x0f;
        else if (c >= 0xf0 && c <= 0xf4) len = 4, cp = c & 0x07;
        else return false;
        if (i + len > n) return false;
        for (std::size_t k = 1; k < len; ++k) {
            const unsigned char d = static_cast<unsigned char>(s[i + k]);
            if ((d & 0xc0) != 0x80) return false;
            cp = (cp << 6) | (d & 0x3f);
        }
        if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
            return false;
        if (cp >= 0x80 && cp < 0xa0) return false;  // C1 controls
        i += len;
    }
    return true;
}

void read_config_text(const std::string& path, std::string& text) {
    // a FIFO or a device would block or never end: only regular files are configs
    const std::string why = not_a_regular_file(path);
    if (!why.empty()) throw ConfigError("cannot read config file '" + printable(path, 100) + "': " + why);
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (!ec && size > (std::uintmax_t(16) << 20))
        throw ConfigError("config file '" + printable(path, 100) + "' is " + std::to_string(size) +
                          " bytes, more than the 16 MiB a config can be");
    if (!read_file(path, text)) throw ConfigError("cannot read config file '" + printable(path, 100) + "'");
}

Config::Config() {
    for (const auto& k : schema()) values_[k.key] = k.def;
}

void Config::set(const std::string& key, const Value& v) {
    const KeySpec* spec = find_key(key);
    if (!spec) throw ConfigError(unknown_key_message(key));
    Value x = v;
    if (spec->kind == Kind::Float && std::holds_alternative<I>(x)) x = static_cast<double>(std::get<I>(x));
    const bool ok = (spec->kind == Kind::Int && std::holds_alternative<I>(x)) ||
                    (spec->kind == Kind::Float && std::holds_alternative<double>(x)) ||
                    (spec->kind == Kind::Bool && std::holds_alternative<bool>(x)) ||
                    (spec->kind == Kind::String && std::holds_alternative<std::string>(x)) ||
                    (spec->kind == Kind::IntList && std::holds_alternative<IL>(x));
    if (!ok) throw ConfigError("'" + key + "' must be " + kind_name(spec->kind) + ", got '" + printable(value_to_string(v), 100) + "'");
    if (spec->kind == Kind::String && !spec->choices.empty()) {
        const auto& sv = std::get<std::string>(x);
        if (std::find(spec->choices.begin(), spec->choices.end(), sv) == spec->choices.end()) {
            std::string all;
            for (const auto& c : spec->choices) all += (all.empty() ? "" : ", ") + c;
            throw ConfigError("'" + key + "' must be one of " + all + ", got \"" + printable(sv, 100) + "\"");
        }
    }
    if (spec->kind == Kind::String && spec->choices.empty() && !plain_text(std::get<std::string>(x)))
        throw ConfigError("'" + key + "' must be UTF-8 text without control characters, got \"" +
                          printable(std::get<std::string>(x), 100, true) + "\"");
    check_finite(key, x, "config");
    values_[key] = x;
}

void Config::set_grid_axis(const std::string& key, std::vector<Value> vals) {
    auto it = std::find_if(grid_.begin(), grid_.end(), [&](const GridAxis& a) { return a.key == key; });
    if (it != grid_.end()) it->values = std::move(vals);
    else grid_.push_back({key, std::move(vals)});
    std::sort(grid_.begin(), grid_.end(), [](const GridAxis& a, const GridAxis& b) { return a.key < b.key; });
}

void Config::merge_toml(const std::string& text, const std::string& origin) {
    const toml::table root = parse_toml(text, origin);
    for (auto&& [sect_key, sect_node] : root) {
        const std::string sect(sect_key.str());
        const toml::table* tbl = sect_node.as_table();
        if (!tbl && sect == "experiment")
            throw ConfigError(origin + ": holds [[experiment]] tables, a sweep file: run it with alignsim sweep " +
                              printable(origin, 100) + " --out DIR");
        if (!tbl) {
            throw ConfigError(origin + ": top-level key '" + sect +
                              "' is not a section; write keys inside [data], [model], [objective], [train], [eval], [theory] or [grid]");
        }
        if (sect == "grid") {
            for (auto&& [k, node] : *tbl) {
                const std::string key(k.str());
                const toml::array* arr = node.as_array();
                if (key == "seeds") {
                    if (!arr) throw ConfigError(origin + ": 'grid.seeds' must be a list of integers");
                    std::vector<I> seeds;
                    for (const auto& e : *arr) {
                        if (!e.is_integer()) throw ConfigError(origin + ": 'grid.seeds' must be a list of integers");
                        seeds.push_back(*e.value<I>());
                    }
                    if (seeds.empty()) throw ConfigError(origin + ": 'grid.seeds' is empty");
                    seeds_ = seeds;
                    continue;
                }
                const KeySpec* spec = find_key(key);
                if (!spec) throw ConfigError(origin + ": grid axis: " + unknown_key_message(key));
                if (!arr) throw ConfigError(origin + ": grid axis '" + key + "' must be a list of values");
                if (arr->empty()) throw ConfigError(origin + ": grid axis '" + key + "' is empty");
                std::vector<Value> vals;
                for (const auto& e : *arr) {
                    Value v = convert(*spec, e, origin + ": grid axis");
                    check_finite(key, v, origin);
                    vals.push_back(v);
                }
                set_grid_axis(key, std::move(vals));
            }
            continue;
        }
        for (auto&& [k, node] : *tbl) {
            const std::string key = sect + "." + std::string(k.str());
            const KeySpec* spec = find_key(key);
            if (!spec) throw ConfigError(origin + ": " + unknown_key_message(key));
            Value v = convert(*spec, node, origin);
            check_finite(key, v, origin);
            values_[key] = v;
        }
    }
}

Config Config::from_file(const std::string& path) {
    std::string text;
    read_config_text(path, text);
    Config c;
    c.merge_toml(text, path);
    return c;
}

void Config::set_from_cli(const std::string& assignment) {
    const auto eq = assignment.find('=');
    if (eq == std::string::npos || eq == 0)
        throw ConfigError("--set expects key=value, got '" + printable(assignment, 100) + "'");
    const std::string key = assignment.substr(0, eq);
    std::string val = assignment.substr(eq + 1);
    const std::string origin = "--set " + printable(key, 100);
    // the value alone, as TOML: exactly one value, nothing after it (no line break can smuggle in
    // other keys or sections)
    toml::table t;
    bool parsed = true;
    try {
        t = toml::parse("v = " + val);
    } catch (const toml::parse_error&) {
        parsed = false;
    }
    if (parsed && (t.size() != 1 || !t.contains("v"))) {
        throw ConfigError(origin + ": '" + printable(val, 100) + "' is not one value");
    }
    if (key.rfind("grid.", 0) == 0) {
        const std::string axis = key.substr(5);
        if (!parsed) throw ConfigError(origin + ": cannot read '" + printable(val, 100) + "' as a list");
        toml::table grid;
        grid.insert(axis, *t.get("v"));
        toml::table root;
        root.insert("grid", std::move(grid));
        std::ostringstream os;
        os << toml::toml_formatter(root);
        merge_toml(os.str(), origin);
        return;
    }
    const KeySpec* spec = find_key(key);
    if (!spec) throw ConfigError(unknown_key_message(key));
    if (!parsed) {
        if (spec->kind == Kind::String) {
            set(key, val);  // a bare word
            return;
        }
        throw ConfigError(origin + ": cannot read '" + printable(val, 100) + "' as " + kind_name(spec->kind));
    }
    values_[key] = convert(*spec, *t.get("v"), origin);
    check_finite(key, values_[key], origin);
}

const Value& Config::get(const std::string& key) const {
    auto it = values_.find(key);
    if (it == values_.end()) throw ConfigError(unknown_key_message(key));
    return it->second;
}
I Config::i(const std::string& key) const { return std::get<I>(get(key)); }
double Config::f(const std::string& key) const {
    const Value& v = get(key);
    if (auto p = std::get_if<I>(&v)) return static_cast<double>(*p);
    return std::get<double>(v);
}
bool Config::b(const std::string& key) const { return std::get<bool>(get(key)); }
const std::string& Config::s(const std::string& key) const { return std::get<std::string>(get(key)); }
const IL& Config::ilist(const std::string& key) const { return std::get<IL>(get(key)); }

void Config::validate() const {
    auto fail = [](const std::string& m) { throw ConfigError(m); };
    auto pos_int = [&](const char* k, I lo) {
        if (i(k) < lo) fail(std::string("'") + k + "' must be at least " + std::to_string(lo) + ", got " + std::to_string(i(k)));
    };
    auto num_range = [&](const char* k, double lo, double hi, bool lo_open) {
        const double v = f(k);
        if ((lo_open ? v <= lo : v < lo) || v > hi) {
            std::ostringstream os;
            os << "'" << k << "' must be in " << (lo_open ? "(" : "[") << lo << ", " << hi << "], got " << v;
            fail(os.str());
        }
    };
    const double inf = HUGE_VAL;
    // every numeric key within its bound (schema(), shown by `alignsim config`) first: a value
    // is never narrowed nor taken when it cannot be honoured
    for (const auto& k : schema()) {
        const Value& v = get(k.key);
        auto over = [&](const std::string& got) {
            fail("'" + k.key + "' must be " + bound_text(k) + ", got " + got);
        };
        if (auto p = std::get_if<I>(&v); p && *p > k.int_max) over(std::to_string(*p));
        if (auto p = std::get_if<IL>(&v)) {
            if (p->size() > 64) fail("'" + k.key + "' lists " + std::to_string(p->size()) + " widths, at most 64 layers");
            for (I w : *p)
                if (w > k.int_max) over(std::to_string(w));
        }
        if (auto p = std::get_if<double>(&v); p && *p > k.max) {
            std::ostringstream os;
            os << *p;
            over(os.str());
        }
    }
    pos_int("data.d1", 1);
    pos_int("data.d2", 1);
    // The closed forms work on d x d matrices (eigen-decompositions, O(d^3)): beyond a few
    // thousand they take hours, so a larger value is a mistake, not a request.
    for (const char* k : {"data.d1", "data.d2"})
        if (i(k) > 4096) fail(std::string("'") + k + "' must be at most 4096, got " + std::to_string(i(k)));
    if (i("data.k_shared") + i("data.k1") + i("data.k2") > 4096)
        fail("data.k_shared + data.k1 + data.k2 must be at most 4096");
    pos_int("data.k_shared", 1);
    pos_int("data.k1", 1);
    pos_int("data.k2", 1);
    for (const char* k : {"data.a1", "data.a2", "data.b1", "data.b2"}) num_range(k, 0, inf, false);
    num_range("data.noise1", 0, inf, true);
    num_range("data.noise2", 0, inf, true);
    num_range("data.redundancy", 0, 1, false);
    num_range("data.target_noise", 0, inf, false);
    if (i("data.seed") < 0) fail("'data.seed' must be non-negative");
    if (s("data.mixing") == "orthogonal") {
        for (int m : {1, 2}) {
            const I d = i(m == 1 ? "data.d1" : "data.d2");
            const I need = i("data.k_shared") + i(m == 1 ? "data.k1" : "data.k2");
            if (d < need)
                fail("orthogonal mixing needs data.d" + std::to_string(m) + " >= data.k_shared + data.k" +
                     std::to_string(m) + " (" + std::to_string(d) + " < " + std::to_string(need) + ")");
        }
    }
    if (s("data.kind") == "linear") {
        // the closed forms invert the covariances: a signal 10^6 times its noise makes them
        // singular in double precision
        for (int m : {1, 2}) {
            const std::string ns = "data.noise" + std::to_string(m);
            for (const std::string k : {"data.a" + std::to_string(m), "data.b" + std::to_string(m)})
                if (f(k) > 1e6 * f(ns)) {
                    std::ostringstream os;
                    os << "'" << k << "' (" << f(k) << ") must be at most 1e6 x '" << ns << "' (here " << 1e6 * f(ns)
                       << "): beyond, the covariances of the linear model are singular in double precision; valid range [0, "
                       << 1e6 * f(ns) << "]";
                    fail(os.str());
                }
        }
    }
    pos_int("data.n_train", 10);
    pos_int("data.n_test", 10);
    pos_int("data.depth", 1);
    num_range("data.slope", 0, 1, true);
    pos_int("model.dim", 1);
    const bool fashion = s("data.kind") == "fashion_mnist";
    if (fashion) {
        for (const auto& k : kModelOnlyKeys)
            if (!(get(k) == find_key(k)->def))
                fail("'" + k + "' does not apply to data.kind = \"fashion_mnist\" (real images seen by two fixed sensors, " +
                     std::to_string(kFashionMnistInputs) + " pixels each; docs/real_data.md): leave it at its default " +
                     value_to_string(find_key(k)->def) + ", got " + value_to_string(get(k)));
        if (s("data.path").empty()) fail("'data.path' is empty (the directory of the Fashion-MNIST IDX files)");
        if (s("eval.nonlinear_probe") == "on")
            fail("'eval.nonlinear_probe' = on does not apply to data.kind = \"fashion_mnist\": its targets are classes, "
                 "read by the logistic probe's accuracy");
        if (i("model.dim") > static_cast<I>(kFashionMnistInputs))
            fail("'model.dim' (" + std::to_string(i("model.dim")) + ") cannot exceed the " +
                 std::to_string(kFashionMnistInputs) + " pixels of a fashion_mnist modality");
    } else if (i("model.dim") > std::min(i("data.d1"), i("data.d2"))) {
        fail("'model.dim' (" + std::to_string(i("model.dim")) + ") cannot exceed min(data.d1, data.d2) (" +
             std::to_string(std::min(i("data.d1"), i("data.d2"))) + ")");
    }
    for (I w : ilist("model.hidden"))
        if (w < 1) fail("'model.hidden' widths must be at least 1");
    if (models::encoder(s("model.encoder")).hidden_layers && ilist("model.hidden").empty()) fail("'model.hidden' is empty for an mlp encoder");
    for (const char* key : {"model.cnn_channels", "model.cnn_kernels", "model.cnn_strides"})
        for (I v : ilist(key))
            if (v < 1 || v > 4096) fail("'" + std::string(key) + "' entries must be in 1..4096, got " + std::to_string(v));
    if (s("model.encoder") == "cnn") {
        if (!fashion) fail("'model.encoder' = cnn needs image data: data.kind = \"fashion_mnist\"");
        const std::size_t L = ilist("model.cnn_channels").size();
        if (L == 0) fail("'model.cnn_channels' is empty for a cnn encoder");
        if (ilist("model.cnn_kernels").size() != L || ilist("model.cnn_strides").size() != L)
            fail("'model.cnn_channels', 'model.cnn_kernels' and 'model.cnn_strides' must have the same length");
        I h = static_cast<I>(kFashionMnistHeight), w = static_cast<I>(kFashionMnistWidth);
        for (std::size_t l = 0; l < L; ++l) {
            const I k = ilist("model.cnn_kernels")[l], st = ilist("model.cnn_strides")[l], pad = k / 2;
            if (h + 2 * pad < k || w + 2 * pad < k)
                fail("'model.cnn_kernels': layer " + std::to_string(l + 1) + "'s " + std::to_string(k) + " x " +
                     std::to_string(k) + " kernel does not fit its " + std::to_string(h) + " x " + std::to_string(w) + " input");
            h = (h + 2 * pad - k) / st + 1;
            w = (w + 2 * pad - k) / st + 1;
            if (s("model.cnn_pooling") != "none" && h >= 2 && w >= 2) h /= 2, w /= 2;
        }
    }
    num_range("objective.temperature", 0, inf, true);
    num_range("objective.lambda", 0, inf, false);
    num_range("objective.cca_penalty", 0, inf, false);
    num_range("objective.vicreg_invariance", 0, inf, false);
    num_range("objective.vicreg_variance", 0, inf, false);
    num_range("objective.vicreg_covariance", 0, inf, false);
    num_range("objective.vicreg_gamma", 0, inf, true);
    num_range("objective.barlow_offdiag", 0, inf, false);
    num_range("objective.siglip_temperature", 0, inf, true);
    num_range("train.lr", 0, inf, true);
    pos_int("train.steps", 0);
    pos_int("train.batch", 2);
    num_range("train.weight_decay", 0, inf, false);
    num_range("train.momentum", 0, 1, false);
    num_range("train.clip", 0, inf, false);
    if (i("train.seed") < 0) fail("'train.seed' must be non-negative");
    num_range("train.warmup", 0, 0.9, false);
    num_range("train.tolerance", 0, 1, true);
    pos_int("train.polish", 0);
    if (i("train.batch") > i("data.n_train"))
        fail("'train.batch' (" + std::to_string(i("train.batch")) + ") exceeds 'data.n_train' (" +
             std::to_string(i("data.n_train")) + ")");
    num_range("theory.lambda_min", 0, inf, true);
    num_range("theory.lambda_max", f("theory.lambda_min"), inf, false);
    pos_int("theory.lambda_points", 1);
}

nlohmann::json Config::to_json() const {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& [k, v] : values_) {
        const std::string& key = k;  // (C++17 lambdas cannot capture a structured binding)
        std::visit([&](const auto& x) { j[key] = x; }, v);
    }
    if (!grid_.empty() || !seeds_.empty()) {
        nlohmann::json g = nlohmann::json::object();
        for (const auto& a : grid_) {
            nlohmann::json arr = nlohmann::json::array();
            for (const auto& v : a.values) std::visit([&](const auto& x) { arr.push_back(x); }, v);
            g[a.key] = arr;
        }
        if (!seeds_.empty()) g["seeds"] = seeds_;
        j["grid"] = g;
    }
    return j;
}

theory::DataSpec data_spec(const Config& c) {
    theory::DataSpec d;
    d.d1 = static_cast<int>(c.i("data.d1"));
    d.d2 = static_cast<int>(c.i("data.d2"));
    d.k_shared = static_cast<int>(c.i("data.k_shared"));
    d.k1 = static_cast<int>(c.i("data.k1"));
    d.k2 = static_cast<int>(c.i("data.k2"));
    d.a1 = c.f("data.a1");
    d.a2 = c.f("data.a2");
    d.b1 = c.f("data.b1");
    d.b2 = c.f("data.b2");
    d.noise1 = c.f("data.noise1");
    d.noise2 = c.f("data.noise2");
    d.mixing = c.s("data.mixing");
    d.redundancy = c.f("data.redundancy");
    d.target_noise = c.f("data.target_noise");
    d.seed = static_cast<std::uint64_t>(c.i("data.seed"));
    return d;
}

}  // namespace sim
