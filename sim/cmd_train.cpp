// TODO(issue): 'alignsim train' is being written; until then it says so and fails.
#include <stdexcept>

#include "sim/commands.hpp"

namespace sim {
int cmd_train(const ConfigArgs&) { throw std::runtime_error("'alignsim train' is not available in this build yet"); }
}  // namespace sim
