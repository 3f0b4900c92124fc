// A command's configuration: a TOML file, then `--set key=value` overrides, then validation.
#pragma once
#include <string>
#include <vector>

#include "sim/config/config.hpp"

namespace sim {

// The options every config-driven command takes: [CONFIG] [--set key=value]... [--json]
struct ConfigArgs {
    std::string config_path;        // empty: defaults
    std::vector<std::string> sets;  // key=value, applied in order after the file
    bool json = false;
};
// File, then --set overrides, then validation. Throws ConfigError.
Config load_config(const ConfigArgs& a);

}  // namespace sim
