// Run metadata shared by every command's JSON output and every results manifest.
#pragma once
#include <nlohmann/json_fwd.hpp>
#include <string>

namespace sim {
std::string version();
std::string utc_now();         // ISO 8601, seconds
nlohmann::json run_metadata();  // version, blas_core, blas_coretype_source, hostname, time
}  // namespace sim
