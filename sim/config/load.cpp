#include "sim/config/load.hpp"

namespace sim {

Config load_config(const ConfigArgs& a) {
    Config c = a.config_path.empty() ? Config() : Config::from_file(a.config_path);
    for (const auto& s : a.sets) c.set_from_cli(s);
    c.validate();
    return c;
}

}  // namespace sim
