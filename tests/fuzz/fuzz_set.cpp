// `--set key=value` (Config::set_from_cli): each input line is one assignment (or, when the input
// holds a NUL byte, each NUL-separated piece, so values may contain line breaks), applied in order
// over the defaults, then the config is validated, as `alignsim train --set ... --set ...` does.
// Contract: bad input is a ConfigError with a one-line message; an accepted assignment changes
// its own key and nothing else (grid.KEY: the grid only).
#include <nlohmann/json.hpp>

#include "fuzz.hpp"
#include "sim/config/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string in = fuzz::text(data, size);
    const auto lines = fuzz::split(in, in.find('\0') != std::string::npos ? std::string(1, '\0') : std::string("\n"));
    try {
        sim::Config c;
        for (const auto& l : lines) {
            const sim::Config before = c;
            c.set_from_cli(l);
            const std::string key = l.substr(0, l.find('='));
            if (key.rfind("grid.", 0) == 0) {
                if (c.values() != before.values()) fuzz::fail("'" + l + "' changed a key outside the grid");
            } else {
                for (const auto& [k, v] : c.values())
                    if (k != key && !(v == before.values().at(k))) fuzz::fail("'" + l + "' changed " + k);
                if (c.to_json().value("grid", nlohmann::json()) != before.to_json().value("grid", nlohmann::json()))
                    fuzz::fail("'" + l + "' changed the grid");
            }
        }
        c.validate();
        (void)c.to_json().dump();
    } catch (const sim::ConfigError& e) {
        fuzz::check_one_line(e);
    } catch (const std::exception& e) {
        fuzz::unexpected(e);
    }
    return 0;
}
