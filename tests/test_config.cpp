// The configuration: schema defaults, TOML files, --set overrides, and one-line errors for every
// kind of bad input.
#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "sim/config/load.hpp"
#include "sim/config/config.hpp"

using sim::Config;
using sim::ConfigError;

namespace {
std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}
std::string write_tmp(const std::string& name, const std::string& text) {
    const std::string path = "/tmp/alignsim_test_config_" + name + ".toml";
    std::ofstream(path) << text;
    return path;
}
bool one_line(const std::string& s) { return !s.empty() && s.find('\n') == std::string::npos; }
}  // namespace

BOOST_AUTO_TEST_CASE(defaults_are_valid_and_complete) {
    Config c;
    BOOST_CHECK_NO_THROW(c.validate());
    for (const auto& k : sim::schema()) BOOST_TEST(c.values().count(k.key) == 1u);
    BOOST_TEST(c.i("data.d1") == 16);
    BOOST_TEST(c.s("data.mixing") == "orthogonal");
    // the optimality certificate's defaults (issue 8; docs/usage.md)
    BOOST_TEST(c.f("train.tolerance") == 1e-3);
    BOOST_TEST(c.s("train.schedule") == "hold_decay");
    BOOST_TEST(c.f("train.warmup") == 0.1);
    BOOST_TEST(c.i("train.polish") == 1000);
}

BOOST_AUTO_TEST_CASE(every_key_of_the_issues_exists) {
    for (const char* k : {"data.d1", "data.d2", "data.k_shared", "data.k1", "data.k2", "data.a1", "data.a2",
                          "data.b1", "data.b2", "data.noise1", "data.noise2", "data.mixing", "data.redundancy",
                          "data.target_noise", "data.seed", "model.dim", "data.n_train", "data.n_test",
                          "data.kind", "model.encoder", "model.hidden", "model.activation",
                          "objective.alignment", "objective.temperature", "objective.target_encoder",
                          "objective.task", "objective.lambda", "train.optimizer", "train.lr", "train.steps",
                          "train.batch", "train.weight_decay", "train.seed", "train.tolerance", "train.schedule",
                          "train.warmup", "train.polish"})
        BOOST_TEST(sim::find_key(k) != nullptr, k);
}

BOOST_AUTO_TEST_CASE(file_then_set_overrides) {
    auto path = write_tmp("ok", "[data]\nd1 = 20\na1 = 2\nmixing = \"gaussian\"\n[model]\ndim = 3\nhidden = [8, 4]\n");
    Config c = Config::from_file(path);
    BOOST_TEST(c.i("data.d1") == 20);
    BOOST_TEST(c.f("data.a1") == 2.0);  // an integer is accepted for a number
    BOOST_TEST(c.s("data.mixing") == "gaussian");
    BOOST_TEST(c.ilist("model.hidden").size() == 2u);
    c.set_from_cli("data.a1=0.5");
    c.set_from_cli("data.mixing=orthogonal");  // bare word for a string key
    c.set_from_cli("objective.alignment=\"cca\"");
    BOOST_TEST(c.f("data.a1") == 0.5);
    BOOST_TEST(c.s("data.mixing") == "orthogonal");
    BOOST_TEST(c.s("objective.alignment") == "cca");
    sim::ConfigArgs a;
    a.config_path = path;
    a.sets = {"data.d2=24"};
    Config d = sim::load_config(a);
    BOOST_TEST(d.i("data.d2") == 24);
    BOOST_TEST(d.i("data.d1") == 20);
}

BOOST_AUTO_TEST_CASE(bad_input_is_a_one_line_error_naming_the_problem) {
    struct Case {
        std::string toml;
        std::string must_mention;
    };
    const std::vector<Case> cases{
        {"[data]\nbogus = 1\n", "data.bogus"},
        {"[data]\nd1 = \"sixteen\"\n", "data.d1"},
        {"[data]\nd1 = 2.5\n", "data.d1"},
        {"[data]\nmixing = \"weird\"\n", "data.mixing"},
        {"[data]\nd1 = [1\n", ":"},  // a TOML syntax error, with its line
        {"d1 = 3\n", "d1"},
        {"[grid]\n\"data.nope\" = [1, 2]\n", "data.nope"},
        {"[grid]\n\"data.redundancy\" = []\n", "empty"},
        {"[grid]\n\"data.redundancy\" = [0.1, \"x\"]\n", "data.redundancy"},
        {"[grid]\nseeds = [1.5]\n", "grid.seeds"},
        {"[objective]\nspectral_centering = \"mean\"\n", "objective.spectral_centering"},
        {"[objective]\nspectral_centering = true\n", "objective.spectral_centering"},
    };
    for (const auto& c : cases) {
        auto path = write_tmp("bad", c.toml);
        const std::string err = error_of([&] { Config::from_file(path); });
        BOOST_TEST(one_line(err), "no one-line error for: " << c.toml);
        BOOST_TEST(err.find(c.must_mention) != std::string::npos, err << " does not mention " << c.must_mention);
    }
    BOOST_TEST(one_line(error_of([] { Config::from_file("/nonexistent/x.toml"); })));
    Config c;
    BOOST_TEST(error_of([&] { c.set_from_cli("data.d1"); }).find("key=value") != std::string::npos);
    BOOST_TEST(error_of([&] { c.set_from_cli("data.d1=abc"); }).find("data.d1") != std::string::npos);
    BOOST_TEST(error_of([&] { c.set_from_cli("data.dd1=3"); }).find("data.dd1") != std::string::npos);
    BOOST_TEST(error_of([&] { c.set_from_cli("data.noise1=nan"); }).find("finite") != std::string::npos);
    BOOST_TEST(error_of([&] { c.set_from_cli("objective.spectral_centering=per_sample"); }).find("objective.spectral_centering") !=
               std::string::npos);
}

BOOST_AUTO_TEST_CASE(spectral_centering_key) {
    // HaoChen et al.'s uncentred loss stays the default; "batch" is the centred variant.
    Config c;
    BOOST_TEST(c.s("objective.spectral_centering") == "none");
    c.set_from_cli("objective.alignment=spectral");
    c.set_from_cli("objective.spectral_centering=batch");
    BOOST_CHECK_NO_THROW(c.validate());
    BOOST_TEST(c.s("objective.spectral_centering") == "batch");
    BOOST_TEST(c.to_json()["objective.spectral_centering"] == "batch");
    // it may be swept
    c.set_from_cli("grid.objective.spectral_centering=[\"none\", \"batch\"]");
    BOOST_TEST(c.grid().size() == 1u);
    BOOST_TEST(one_line(error_of([&] { c.set_from_cli("grid.objective.spectral_centering=[\"none\", \"both\"]"); })));
}

BOOST_AUTO_TEST_CASE(impossible_values_are_rejected_by_validate) {
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
        {{"data.d1=3", "data.k_shared=2", "data.k1=2"}, "orthogonal"},
        {{"data.redundancy=1.5"}, "data.redundancy"},
        {{"data.noise1=0"}, "data.noise1"},
        {{"data.k_shared=0"}, "data.k_shared"},
        {{"model.dim=40"}, "model.dim"},
        {{"train.batch=1"}, "train.batch"},
        {{"train.lr=-1"}, "train.lr"},
        {{"objective.temperature=0"}, "objective.temperature"},
        {{"data.n_train=100", "train.batch=200"}, "train.batch"},
        {{"train.tolerance=0"}, "train.tolerance"},
        {{"train.tolerance=2"}, "train.tolerance"},
        {{"train.warmup=-0.1"}, "train.warmup"},
        {{"train.warmup=0.95"}, "train.warmup"},
        {{"train.polish=-1"}, "train.polish"},
    };
    for (const auto& [sets, word] : cases) {
        Config c;
        for (const auto& s : sets) c.set_from_cli(s);
        const std::string err = error_of([&] { c.validate(); });
        BOOST_TEST(one_line(err));
        BOOST_TEST(err.find(word) != std::string::npos, err << " does not mention " << word);
    }
    // gaussian mixing lifts the dimension requirement
    Config g;
    for (const char* s : {"data.d1=3", "data.d2=3", "data.k_shared=2", "data.k1=2", "data.k2=2",
                          "data.mixing=gaussian", "model.dim=2"})
        g.set_from_cli(s);
    BOOST_CHECK_NO_THROW(g.validate());
}

BOOST_AUTO_TEST_CASE(grid_axes_and_json) {
    auto path = write_tmp("grid", "[grid]\n\"data.redundancy\" = [0, 0.5, 1]\n\"objective.alignment\" = [\"cca\", \"infonce\"]\nseeds = [1, 2]\n");
    Config c = Config::from_file(path);
    BOOST_TEST(c.grid().size() == 2u);
    BOOST_TEST(c.grid()[0].key == "data.redundancy");  // axes in key order
    BOOST_TEST(c.grid()[0].values.size() == 3u);
    BOOST_TEST(std::get<double>(c.grid()[0].values[0]) == 0.0);  // an integer read as a number
    BOOST_TEST(c.grid_seeds().size() == 2u);
    c.set_from_cli("grid.model.dim=[1, 2, 3]");
    BOOST_TEST(c.grid().size() == 3u);
    nlohmann::json j = c.to_json();
    BOOST_TEST(j["grid"]["model.dim"].size() == 3u);
    BOOST_TEST(j["data.d1"].get<int>() == 16);
}

BOOST_AUTO_TEST_CASE(fashion_mnist_keys) {
    // data.kind = "fashion_mnist": data.path defaults to Debian's dataset, train.dtype "auto"
    // resolves to float32 for it (float64 elsewhere, and explicit values stay), the modalities
    // are 800 pixels, and the keys of the generative model must keep their defaults.
    Config c;
    BOOST_TEST(c.s("train.dtype") == "auto");
    BOOST_TEST(sim::training_dtype(c) == "float64");
    BOOST_TEST(sim::input_dim(c, 1) == 16u);
    c.set_from_cli("data.kind=fashion_mnist");
    BOOST_CHECK_NO_THROW(c.validate());
    BOOST_TEST(c.s("data.path") == "/usr/share/datasets/fashion-mnist");
    BOOST_TEST(sim::training_dtype(c) == "float32");
    BOOST_TEST(sim::input_dim(c, 1) == 800u);
    BOOST_TEST(sim::input_dim(c, 2) == 800u);
    BOOST_TEST(c.b("eval.baselines"));
    c.set_from_cli("train.dtype=float64");
    BOOST_TEST(sim::training_dtype(c) == "float64");
    c.set_from_cli("model.dim=64");  // above d1 = 16, below 800 pixels
    BOOST_CHECK_NO_THROW(c.validate());
    const std::vector<std::pair<std::string, std::string>> refused{
        {"data.d1=32", "data.d1"},           {"data.noise2=0.3", "data.noise2"},
        {"data.mixing=gaussian", "data.mixing"}, {"data.k_shared=3", "data.k_shared"},
        {"data.slope=0.5", "data.slope"},    {"data.target_noise=0.1", "data.target_noise"},
        {"eval.nonlinear_probe=on", "eval.nonlinear_probe"}, {"model.dim=801", "model.dim"},
        {"data.path=\"\"", "data.path"},
    };
    for (const auto& [set, word] : refused) {
        Config f;
        f.set_from_cli("data.kind=fashion_mnist");
        f.set_from_cli(set);
        const std::string err = error_of([&] { f.validate(); });
        BOOST_TEST(one_line(err), set);
        BOOST_TEST(err.find(word) != std::string::npos, err << " does not mention " << word);
        BOOST_TEST((err.find("fashion_mnist") != std::string::npos || word == "data.path" || word == "model.dim"), err);
    }
    // the same keys are fine for the synthetic kinds, and data.path is simply unused there
    Config l;
    l.set_from_cli("data.d1=32");
    l.set_from_cli("data.path=/nowhere");
    BOOST_CHECK_NO_THROW(l.validate());
    BOOST_TEST(one_line(error_of([&] { l.set_from_cli("train.dtype=float16"); })));
    BOOST_TEST(one_line(error_of([&] { l.set_from_cli("data.kind=mnist"); })));
}
