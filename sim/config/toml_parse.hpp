// Parsing TOML text into a table, with parse errors as one-line ConfigErrors
// ("origin:line:column: what"). Private to sim/: only .cpp files include it (toml++ is heavy).
#pragma once
#include <sstream>
#include <string>

#include <toml++/toml.h>

#include "sim/config/config.hpp"

namespace sim {

inline toml::table parse_toml(const std::string& text, const std::string& origin) {
    try {
        return toml::parse(text, origin);
    } catch (const toml::parse_error& e) {
        std::ostringstream os;
        os << origin << ":" << e.source().begin.line << ":" << e.source().begin.column << ": " << e.description();
        throw ConfigError(os.str());
    }
}

}  // namespace sim
