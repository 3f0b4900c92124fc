// A sweep's manifest.json read back (resume, alignsim plot): every field alignsim writes is
// checked for its type before any work starts, so a tampered or damaged manifest is one line
// naming the file, the key and the cause (exit 2), never a library's message mid-way.
#pragma once
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace sim {

// Reads DIR/manifest.json and checks it field by field. Throws ConfigError.
nlohmann::json read_sweep_manifest(const std::string& path);
// The checks alone, on a parsed manifest (path names it in messages). Throws ConfigError.
void validate_sweep_manifest(const nlohmann::json& m, const std::string& path);

}  // namespace sim
