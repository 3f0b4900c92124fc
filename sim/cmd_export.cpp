// TODO(issue): 'alignsim export' is being written; until then it says so and fails.
#include <stdexcept>

#include "sim/commands.hpp"

namespace sim {
int cmd_export(const ConfigArgs&, const std::string&) { throw std::runtime_error("'alignsim export' is not available in this build yet"); }
}  // namespace sim
