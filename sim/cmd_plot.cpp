// TODO(issue): 'alignsim plot' is being written; until then it says so and fails.
#include <stdexcept>

#include "sim/commands.hpp"

namespace sim {
int cmd_plot(const PlotArgs&) { throw std::runtime_error("'alignsim plot' is not available in this build yet"); }
}  // namespace sim
