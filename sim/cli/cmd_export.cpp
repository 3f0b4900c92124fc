// alignsim export [CONFIG] [--set key=value]... --out DIR
#include <cstdio>

#include <nlohmann/json.hpp>

#include "sim/cli/commands.hpp"
#include "sim/data/export.hpp"
#include "sim/run/estimate.hpp"

namespace sim {

int cmd_export(const ConfigArgs& a, const std::string& out_dir) {
    const Config cfg = load_config(a);
    check_fits_in_memory(cfg, "export");
    const nlohmann::json man = export_samples(cfg, out_dir);
    std::printf("wrote %zu arrays and manifest.json to %s\n", man["files"].size(), out_dir.c_str());
    return 0;
}

}  // namespace sim
