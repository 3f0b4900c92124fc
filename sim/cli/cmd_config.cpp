// `alignsim config [CONFIG] [--set ...] [--json]`: the resolved configuration, every key with
// its value and meaning (the README's key table is this command's --markdown output).
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "sim/cli/commands.hpp"

namespace sim {

int cmd_config(const ConfigArgs& a, bool markdown) {
    const Config c = load_config(a);
    if (a.json) {
        std::cout << c.to_json().dump(2) << "\n";
        return 0;
    }
    if (markdown) {
        std::cout << "| key | type | default | meaning |\n|---|---|---|---|\n";
        for (const auto& k : schema()) {
            std::string type = kind_name(k.kind);
            if (!k.choices.empty()) {
                type = "";
                for (const auto& ch : k.choices) type += (type.empty() ? "" : " \\| ") + ("`" + ch + "`");
            }
            const std::string bound = bound_text(k);
            std::cout << "| `" << k.key << "` | " << type << " | `" << value_to_string(k.def) << "` | " << k.doc
                      << (bound.empty() ? "" : "; " + bound) << " |\n";
        }
        return 0;
    }
    std::string section;
    for (const auto& k : schema()) {
        const auto dot = k.key.find('.');
        const std::string sect = k.key.substr(0, dot);
        if (sect != section) {
            std::cout << (section.empty() ? "" : "\n") << "[" << sect << "]\n";
            section = sect;
        }
        const Value& v = c.get(k.key);
        std::string text = value_to_string(v);
        if (std::holds_alternative<std::string>(v)) text = "\"" + text + "\"";
        std::string line = k.key.substr(dot + 1) + " = " + text;
        if (line.size() < 28) line.resize(28, ' ');
        const std::string bound = bound_text(k);
        std::cout << line << "  # " << k.doc << (bound.empty() ? "" : "; " + bound) << "\n";
    }
    if (!c.grid().empty() || !c.grid_seeds().empty()) {
        std::cout << "\n[grid]\n";
        for (const auto& ax : c.grid()) {
            std::cout << "\"" << ax.key << "\" = [";
            for (std::size_t i = 0; i < ax.values.size(); ++i) {
                std::string t = value_to_string(ax.values[i]);
                if (std::holds_alternative<std::string>(ax.values[i])) t = "\"" + t + "\"";
                std::cout << (i ? ", " : "") << t;
            }
            std::cout << "]\n";
        }
        if (!c.grid_seeds().empty()) {
            std::cout << "seeds = [";
            for (std::size_t i = 0; i < c.grid_seeds().size(); ++i) std::cout << (i ? ", " : "") << c.grid_seeds()[i];
            std::cout << "]\n";
        }
    }
    return 0;
}

}  // namespace sim
