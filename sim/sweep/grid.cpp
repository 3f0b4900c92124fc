#include "sim/sweep/grid.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>
#include "sim/config/toml_parse.hpp"
#include "sim/io/files.hpp"

namespace sim {

namespace {

// Keys that say what a cell is: always columns of results.csv, so figures can select cells.
const std::vector<std::string> kContextKeys{
    "data.kind",         "data.k_shared",      "data.redundancy", "model.dim",
    "model.encoder",     "objective.alignment", "objective.lambda", "objective.task",
    "train.weight_decay"};

std::string toml_text(const toml::table& t) {
    std::ostringstream os;
    os << toml::toml_formatter(t);
    return os.str();
}

bool valid_name(const std::string& n) {
    if (n.empty() || n.size() > 64) return false;
    for (char ch : n)
        if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-')) return false;
    return true;
}

// Checks of a finished experiment config that Config itself does not make.
void check_grid(const Config& c, const std::string& where) {
    for (const auto& ax : c.grid()) {
        for (std::size_t i = 0; i < ax.values.size(); ++i)
            for (std::size_t j = 0; j < i; ++j)
                if (ax.values[i] == ax.values[j])
                    throw ConfigError(where + "grid axis '" + ax.key + "' lists " + value_to_string(ax.values[i]) +
                                      " twice");
        if (ax.key == "train.seed" && !c.grid_seeds().empty())
            throw ConfigError(where + "grid axis 'train.seed' and grid.seeds both set the seed; keep one");
    }
    const auto& s = c.grid_seeds();
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] < 0) throw ConfigError(where + "'grid.seeds' must be non-negative, got " + std::to_string(s[i]));
        for (std::size_t j = 0; j < i; ++j)
            if (s[i] == s[j]) throw ConfigError(where + "'grid.seeds' lists " + std::to_string(s[i]) + " twice");
    }
}

// `--set KEY=V` of a key the grid sweeps would be overwritten by every cell: refused.
void refuse_set_of_axis(const Config& c, const std::vector<std::string>& sets, const std::string& where) {
    for (const auto& s : sets) {
        const std::string key = s.substr(0, s.find('='));
        if (key.rfind("grid.", 0) == 0) continue;
        for (const auto& ax : c.grid())
            if (ax.key == key)
                throw ConfigError("--set " + printable(key, 100) + ": '" + key + "' is a grid axis of " + where + " (" +
                                  std::to_string(ax.values.size()) + " values), which every cell sets; change the axis "
                                  "with --set grid." + key + "=[...]");
        if (key == "train.seed" && !c.grid_seeds().empty())
            throw ConfigError("--set train.seed: " + where + " sets the seed of each cell with grid.seeds; change them with --set grid.seeds=[...]");
    }
}

std::size_t cell_count(const Config& c) {
    std::size_t n = std::max<std::size_t>(1, c.grid_seeds().size());
    for (const auto& ax : c.grid()) {
        if (n > kMaxCells / ax.values.size() + 1) return kMaxCells + 1;
        n *= ax.values.size();
    }
    return n;
}

// FNV-1a, 64 bits.
std::string digest(const std::string& s) {
    std::uint64_t h = 1469598103934665603ull;
    for (unsigned char ch : s) {
        h ^= ch;
        h *= 1099511628211ull;
    }
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return buf;
}

}  // namespace

nlohmann::json SweepSpec::definition() const {
    nlohmann::json ex = nlohmann::json::array();
    for (const auto& e : experiments) ex.push_back({{"name", e.name}, {"config", e.config.to_json()}});
    return {{"experiments", ex}};
}

std::string SweepSpec::fingerprint() const { return digest(definition().dump()); }

std::string Cell::describe(const SweepSpec& spec) const {
    std::string s;
    if (spec.experiments.size() > 1) s = spec.experiments[experiment].name + ": ";
    for (const auto& [k, v] : point) s += k + "=" + value_to_string(v) + ", ";
    return s + "seed=" + std::to_string(seed);
}

SweepSpec sweep_spec_from_toml(const std::string& text, const std::string& origin,
                               const std::vector<std::string>& sets) {
    toml::table root = parse_toml(text, origin);
    std::vector<toml::table> ex_tables;
    if (auto* node = root.get("experiment")) {
        const toml::array* arr = node->as_array();
        if (!arr || !arr->is_array_of_tables())
            throw ConfigError(origin + ": 'experiment' must be a list of tables, written [[experiment]]");
        if (arr->empty()) throw ConfigError(origin + ": the experiment list is empty");
        for (const auto& e : *arr) ex_tables.push_back(*e.as_table());
        root.erase("experiment");
    }

    SweepSpec spec;
    spec.base.merge_toml(toml_text(root), origin);
    refuse_set_of_axis(spec.base, sets, origin);
    for (const auto& s : sets) spec.base.set_from_cli(s);

    if (ex_tables.empty()) {
        check_grid(spec.base, "");
        spec.experiments.push_back({"main", spec.base});
        return spec;
    }
    std::set<std::string> names;
    for (std::size_t i = 0; i < ex_tables.size(); ++i) {
        toml::table t = ex_tables[i];
        const std::string where0 = origin + ": experiment " + std::to_string(i + 1);
        auto* nm = t.get("name");
        if (!nm) throw ConfigError(where0 + " has no name");
        if (!nm->is_string()) throw ConfigError(where0 + ": 'name' must be a string");
        const std::string name(*nm->value<std::string>());
        if (!valid_name(name))
            throw ConfigError(where0 + ": name '" + name + "' must be 1-64 letters, digits, '_' or '-'");
        if (!names.insert(name).second) throw ConfigError(origin + ": two experiments are named '" + name + "'");
        t.erase("name");
        const std::string where = origin + ": experiment '" + name + "'";
        Experiment e{name, spec.base};
        for (auto&& [k, node] : t)
            if (!node.is_table())
                throw ConfigError(where + ": '" + std::string(k.str()) +
                                  "' is not a section; write keys inside [experiment.data], [experiment.grid], ...");
        e.config.merge_toml(toml_text(t), where);
        refuse_set_of_axis(e.config, sets, where);
        for (const auto& s : sets) e.config.set_from_cli(s);  // the command line has the last word
        check_grid(e.config, where + ": ");
        spec.experiments.push_back(std::move(e));
    }
    return spec;
}

SweepSpec load_sweep_spec(const ConfigArgs& a) {
    if (a.config_path.empty()) return sweep_spec_from_toml("", "defaults", a.sets);
    std::string text;
    read_config_text(a.config_path, text);
    return sweep_spec_from_toml(text, a.config_path, a.sets);
}

namespace {

// A manifest's JSON value as the TOML value it was read from (grid axes).
toml::array json_array_to_toml(const nlohmann::json& a, const std::string& where);
void push_json(toml::array& out, const nlohmann::json& v, const std::string& where) {
    if (v.is_number_integer() && !v.is_number_unsigned()) out.push_back(v.get<std::int64_t>());
    else if (v.is_number_unsigned() && v.get<std::uint64_t>() <= std::uint64_t(INT64_MAX)) out.push_back(v.get<std::int64_t>());
    else if (v.is_number_float()) out.push_back(v.get<double>());
    else if (v.is_string()) out.push_back(v.get<std::string>());
    else if (v.is_boolean()) out.push_back(v.get<bool>());
    else if (v.is_array()) out.push_back(json_array_to_toml(v, where));
    else throw ConfigError(where + " holds a value of an unknown type");
}
toml::array json_array_to_toml(const nlohmann::json& a, const std::string& where) {
    toml::array out;
    for (const auto& v : a) push_json(out, v, where);
    return out;
}

// A key's value in a manifest, of exactly the schema's type.
Value value_from_json(const KeySpec& ks, const nlohmann::json& v) {
    auto bad = [&] { return ConfigError("'" + ks.key + "' must be " + kind_name(ks.kind) + ", got " + printable(v.dump(), 100)); };
    switch (ks.kind) {
        case Kind::Int:
            if (!v.is_number_integer() || (v.is_number_unsigned() && v.get<std::uint64_t>() > std::uint64_t(INT64_MAX))) throw bad();
            return v.get<std::int64_t>();
        case Kind::Float:
            if (!v.is_number()) throw bad();
            return v.get<double>();
        case Kind::Bool:
            if (!v.is_boolean()) throw bad();
            return v.get<bool>();
        case Kind::String:
            if (!v.is_string()) throw bad();
            return v.get<std::string>();
        case Kind::IntList: {
            if (!v.is_array()) throw bad();
            std::vector<std::int64_t> out;
            for (const auto& e : v) {
                if (!e.is_number_integer() || (e.is_number_unsigned() && e.get<std::uint64_t>() > std::uint64_t(INT64_MAX))) throw bad();
                out.push_back(e.get<std::int64_t>());
            }
            return out;
        }
    }
    throw bad();
}

}  // namespace

SweepSpec sweep_spec_from_definition(const nlohmann::json& def) {
    SweepSpec spec;
    const auto* exs = def.is_object() && def.contains("experiments") ? &def["experiments"] : nullptr;
    if (!exs || !exs->is_array()) throw ConfigError("malformed sweep definition: no list of experiments");
    for (const auto& e : *exs) {
        const std::string where = "experiment " + std::to_string(spec.experiments.size() + 1);
        if (!e.is_object() || !e.contains("name") || !e["name"].is_string() || !e.contains("config") || !e["config"].is_object())
            throw ConfigError("malformed sweep definition: " + where + " is not {\"name\": ..., \"config\": {...}}");
        const std::string name = e["name"].get<std::string>();
        if (!valid_name(name)) throw ConfigError("malformed sweep definition: " + where + " has the name '" + printable(name, 64) + "'");
        Experiment ex{name, Config()};
        for (const auto& [k, v] : e["config"].items()) {
            if (k == "grid") continue;
            const KeySpec* ks = find_key(k);
            if (!ks) throw ConfigError("malformed sweep definition: unknown config key '" + printable(k, 100) + "'");
            ex.config.set(k, value_from_json(*ks, v));
        }
        if (e["config"].contains("grid")) {
            const auto& g = e["config"]["grid"];
            if (!g.is_object()) throw ConfigError("malformed sweep definition: the grid of " + where + " is not an object");
            toml::table grid;
            for (const auto& [k, v] : g.items()) {
                if (!v.is_array()) throw ConfigError("malformed sweep definition: grid axis '" + printable(k, 100) + "' is not a list");
                grid.insert(k, json_array_to_toml(v, "grid axis '" + printable(k, 100) + "'"));
            }
            toml::table root;
            root.insert("grid", std::move(grid));
            ex.config.merge_toml(toml_text(root), "manifest, " + where);
        }
        spec.experiments.push_back(std::move(ex));
    }
    if (spec.experiments.empty()) throw ConfigError("malformed sweep definition: no experiments");
    spec.base = spec.experiments.front().config;
    return spec;
}

std::vector<Cell> expand(const SweepSpec& spec) {
    std::size_t total = 0;
    for (const auto& e : spec.experiments) {
        total += cell_count(e.config);
        if (total > kMaxCells)
            throw ConfigError("the grid has more than " + std::to_string(kMaxCells) + " cells");
    }
    std::vector<Cell> cells;
    cells.reserve(total);
    for (std::size_t ei = 0; ei < spec.experiments.size(); ++ei) {
        const Config& ec = spec.experiments[ei].config;
        const auto& axes = ec.grid();
        std::vector<std::int64_t> seeds = ec.grid_seeds();
        const bool seeded = !seeds.empty();
        if (!seeded) seeds = {ec.i("train.seed")};
        std::vector<std::size_t> idx(axes.size(), 0);
        while (true) {
            for (std::int64_t seed : seeds) {
                Cell c;
                c.id = cells.size();
                c.experiment = ei;
                c.config = ec;
                c.config.clear_grid();  // a point of the grid (keeps a million cells in memory)
                for (std::size_t a = 0; a < axes.size(); ++a) {
                    c.point.emplace_back(axes[a].key, axes[a].values[idx[a]]);
                    c.config.set(axes[a].key, axes[a].values[idx[a]]);
                }
                if (seeded) c.config.set("train.seed", seed);
                c.seed = c.config.i("train.seed");
                try {
                    c.config.validate();
                } catch (const ConfigError& err) {
                    throw ConfigError("grid cell " + std::to_string(c.id) + " (" + c.describe(spec) + "): " + err.what());
                }
                cells.push_back(std::move(c));
            }
            // next point, last axis fastest
            bool done = true;
            for (std::size_t a = axes.size(); a-- > 0;) {
                if (++idx[a] < axes[a].values.size()) {
                    done = false;
                    break;
                }
                idx[a] = 0;
            }
            if (done) break;
        }
    }
    return cells;
}

std::vector<std::string> result_keys(const SweepSpec& spec) {
    std::set<std::string> keys(kContextKeys.begin(), kContextKeys.end());
    for (const auto& e : spec.experiments)
        for (const auto& ax : e.config.grid()) keys.insert(ax.key);
    keys.erase("train.seed");  // the seed column
    return {keys.begin(), keys.end()};
}

}  // namespace sim
