// The TOML config loader with schema validation: a config file as `alignsim train CONFIG` reads
// it (Config::merge_toml over the defaults, then Config::validate). Contract: bad input is a
// ConfigError with a one-line message; a valid config can be printed as JSON.
#include <nlohmann/json.hpp>

#include "fuzz.hpp"
#include "sim/config/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        sim::Config c;
        c.merge_toml(fuzz::text(data, size), "fuzz.toml");
        c.validate();
        (void)c.to_json().dump();
    } catch (const sim::ConfigError& e) {
        fuzz::check_one_line(e);
    } catch (const std::exception& e) {
        fuzz::unexpected(e);
    }
    return 0;
}
