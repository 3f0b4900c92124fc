// TODO(issue): 'alignsim sweep' is being written; until then it says so and fails.
#include <stdexcept>

#include "sim/commands.hpp"

namespace sim {
int cmd_sweep(const SweepArgs&) { throw std::runtime_error("'alignsim sweep' is not available in this build yet"); }
}  // namespace sim
