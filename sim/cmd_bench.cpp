// TODO(issue): 'alignsim bench' is being written; until then it says so and fails.
#include <stdexcept>

#include "sim/commands.hpp"

namespace sim {
int cmd_bench(const BenchArgs&) { throw std::runtime_error("'alignsim bench' is not available in this build yet"); }
}  // namespace sim
