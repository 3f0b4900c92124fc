// TODO(issue): 'alignsim theory' is being written; until then it says so and fails.
#include <stdexcept>

#include "sim/commands.hpp"

namespace sim {
int cmd_theory(const ConfigArgs&) { throw std::runtime_error("'alignsim theory' is not available in this build yet"); }
}  // namespace sim
