// A sweep's manifest.json, validated field by field (sim/sweep/manifest.hpp).
#include "sim/sweep/manifest.hpp"

#include <nlohmann/json.hpp>

#include "sim/config/config.hpp"
#include "sim/io/owned_dir.hpp"

namespace sim {

namespace {

std::string got(const nlohmann::json& v) {
    std::string t = v.type_name();
    if (v.is_number_integer() && !v.is_number_unsigned()) t = "a negative number";
    return t + " " + printable(v.dump(), 60);
}

}  // namespace

void validate_sweep_manifest(const nlohmann::json& m, const std::string& path) {
    const std::string file = "'" + printable(path, 100) + "'";
    auto fail = [&](const std::string& key, const std::string& what) {
        throw ConfigError(file + ": key '" + key + "' " + what);
    };
    if (!m.is_object()) throw ConfigError(file + " is not a sweep manifest (not a JSON object)");
    if (m.contains("kind") && !(m["kind"].is_string() && m["kind"] == kKindSweep))
        throw ConfigError(file + " is not a sweep manifest (its 'kind' is " + printable(m["kind"].dump(), 60) + ")");
    for (const char* k : {"fingerprint", "experiments"})
        if (!m.contains(k)) throw ConfigError(file + " is not a sweep manifest (no key '" + std::string(k) + "')");
    auto str = [&](const char* k, bool nullable) {
        if (!m.contains(k)) return;
        const auto& v = m[k];
        if (v.is_string() || (nullable && v.is_null())) return;
        fail(k, std::string("must be a string") + (nullable ? " or null" : "") + ", got " + got(v));
    };
    auto count = [&](const std::string& k, const nlohmann::json& v) {
        if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<std::int64_t>() >= 0))
            fail(k, "must be a non-negative integer, got " + got(v));
    };
    str("fingerprint", false);
    str("start", false);
    str("end", true);
    str("version", false);
    if (!m["experiments"].is_array() || m["experiments"].empty())
        fail("experiments", "must be a non-empty list, got " + got(m["experiments"]));
    for (std::size_t i = 0; i < m["experiments"].size(); ++i) {
        const auto& e = m["experiments"][i];
        const std::string k = "experiments[" + std::to_string(i) + "]";
        if (!e.is_object()) fail(k, "must be an object, got " + got(e));
        if (!e.contains("name") || !e["name"].is_string()) fail(k + ".name", "must be a string");
        if (!e.contains("config") || !e["config"].is_object()) fail(k + ".config", "must be an object");
    }
    if (m.contains("config") && !m["config"].is_object()) fail("config", "must be an object, got " + got(m["config"]));
    if (m.contains("complete") && !m["complete"].is_boolean()) fail("complete", "must be true or false, got " + got(m["complete"]));
    for (const char* k : {"cells", "rows_per_cell", "threads", "processes"})
        if (m.contains(k)) count(k, m[k]);
    if (m.contains("cells") && m["cells"].is_number() && m["cells"].get<double>() < 1) fail("cells", "must be at least 1, got 0");
    if (m.contains("rows_per_experiment")) {
        const auto& r = m["rows_per_experiment"];
        if (!r.is_object()) fail("rows_per_experiment", "must be an object, got " + got(r));
        for (const auto& [k, v] : r.items()) count("rows_per_experiment." + printable(k, 60), v);
    }
    if (m.contains("columns")) {
        const auto& c = m["columns"];
        if (!c.is_array() || c.empty()) fail("columns", "must be a non-empty list of column names, got " + got(c));
        for (std::size_t i = 0; i < c.size(); ++i)
            if (!c[i].is_string()) fail("columns[" + std::to_string(i) + "]", "must be a string, got " + got(c[i]));
    }
    if (m.contains("sessions")) {
        const auto& s = m["sessions"];
        if (!s.is_array()) fail("sessions", "must be a list of sessions, got " + got(s));
        for (std::size_t i = 0; i < s.size(); ++i) {
            const auto& x = s[i];
            const std::string k = "sessions[" + std::to_string(i) + "]";
            if (!x.is_object()) fail(k, "must be an object, got " + got(x));
            for (const char* f : {"start", "end", "stopped_by", "write_error"})
                if (x.contains(f) && !x[f].is_string()) fail(k + "." + f, "must be a string, got " + got(x[f]));
            for (const char* f : {"threads", "processes", "cells_run", "cells_failed"})
                if (x.contains(f)) count(k + "." + f, x[f]);
        }
    }
}

nlohmann::json read_sweep_manifest(const std::string& path) {
    nlohmann::json m;
    try {
        m = read_json_object(path);
    } catch (const BadInput& e) {
        throw ConfigError(e.what());
    }
    validate_sweep_manifest(m, path);
    return m;
}

}  // namespace sim
