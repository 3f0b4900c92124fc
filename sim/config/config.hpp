// alignsim's configuration: one schema of typed keys ("data.d1", "train.lr", ...) with defaults,
// read from TOML files and `--set key=value`, validated as a whole. The key names are a public
// contract (README, "Configuration").
#pragma once
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "theory/spec.hpp"

namespace sim {

// Text for a one-line message: control characters (with escape_non_ascii, every byte from 0x80
// too) escaped (a line break becomes "\n", others \xNN), and cut to about max characters ("...")
// when longer. Error messages quote user input through it.
std::string printable(const std::string& s, std::size_t max = 200, bool escape_non_ascii = false);

// Every bad-input problem: a one-line message naming the key, file or value at fault (whatever
// it quotes, the message is one line).
struct ConfigError : std::runtime_error {
    explicit ConfigError(const std::string& what) : std::runtime_error(printable(what, 4000)) {}
};

enum class Kind { Int, Float, Bool, String, IntList };
using Value = std::variant<std::int64_t, double, bool, std::string, std::vector<std::int64_t>>;

struct KeySpec {
    std::string key;
    Kind kind;
    Value def;
    std::string doc;
    std::vector<std::string> choices;  // allowed values of a String key (empty: any)
    // The largest value (of an Int key, or of each element of an IntList; of a Float key: max)
    // that alignsim can honour, and why (what the machine can hold or do); `alignsim config`
    // shows it. Set for every numeric key by schema().
    std::int64_t int_max = INT64_MAX;
    double max = 1.0 / 0.0;
    std::string bound_why;
};
const std::vector<KeySpec>& schema();
const KeySpec* find_key(const std::string& key);  // nullptr if unknown
std::string kind_name(Kind k);
std::string value_to_string(const Value& v);
// "at most 4096 (why)" for a key with a bound, else "".
std::string bound_text(const KeySpec& k);

// One axis of a sweep: a config key and the values it takes.
struct GridAxis {
    std::string key;
    std::vector<Value> values;
};

class Config {
public:
    Config();  // all defaults
    // Reads a TOML file over the defaults. Throws ConfigError.
    static Config from_file(const std::string& path);
    // Applies a TOML text (the same format as a file) over the current values.
    void merge_toml(const std::string& text, const std::string& origin);
    // `--set key=value`: value is a TOML value; a bare word is accepted for string keys, and
    // `grid.<key>=[...]` sets a sweep axis. Throws ConfigError.
    void set_from_cli(const std::string& assignment);
    void set(const std::string& key, const Value& v);  // type-checked against the schema

    std::int64_t i(const std::string& key) const;
    double f(const std::string& key) const;  // Float keys (Int keys convert)
    bool b(const std::string& key) const;
    const std::string& s(const std::string& key) const;
    const std::vector<std::int64_t>& ilist(const std::string& key) const;
    const Value& get(const std::string& key) const;

    // Sweep axes from the [grid] table, in key order, and the seeds (grid.seeds).
    const std::vector<GridAxis>& grid() const { return grid_; }
    const std::vector<std::int64_t>& grid_seeds() const { return seeds_; }
    // Forgets the grid axes and seeds: a sweep cell's config is one point of its grid.
    void clear_grid() {
        grid_.clear();
        seeds_.clear();
    }

    // Cross-key checks (orthogonal mixing needs d_i >= k_shared + k_i, ...). Throws ConfigError.
    void validate() const;

    nlohmann::json to_json() const;  // every key, plus "grid" when present
    const std::map<std::string, Value>& values() const { return values_; }

private:
    void set_grid_axis(const std::string& key, std::vector<Value> values);
    std::map<std::string, Value> values_;
    std::vector<GridAxis> grid_;
    std::vector<std::int64_t> seeds_;
};

// The text of a config file: a regular file of at most 16 MiB (a FIFO, a device or a directory is
// refused, not waited on). Throws ConfigError.
void read_config_text(const std::string& path, std::string& text);

// The theory module's view of the data keys.
theory::DataSpec data_spec(const Config& c);

// data.kind = "fashion_mnist": the dataset's default directory (data.path) and the width of
// each modality (two 20 x 20 panels, sim/data/fashion_mnist.hpp).
inline constexpr const char* kFashionMnistPath = "/usr/share/datasets/fashion-mnist";
inline constexpr std::size_t kFashionMnistInputs = 800;
// ... seen as one image, 20 rows by 40 columns, one channel (model.encoder = "cnn").
inline constexpr std::size_t kFashionMnistHeight = 20, kFashionMnistWidth = 40;
// train.dtype resolved: "auto" is float32 for fashion_mnist, float64 otherwise.
std::string training_dtype(const Config& c);
// The input width of modality 1 or 2: data.d1 / data.d2, or 800 pixels for fashion_mnist.
std::size_t input_dim(const Config& c, int modality);

}  // namespace sim
