// What a run will need before it starts: its memory, estimated from the configuration, against
// what this machine has. A run that cannot fit is refused (one line naming the keys that drive
// the estimate) instead of growing until the kernel kills it.
#pragma once
#include <cstdint>
#include <string>

#include "sim/config/config.hpp"

namespace sim {

struct MemoryEstimate {
    double bytes = 0;     // peak, roughly (within a factor of two)
    std::string drivers;  // the keys that drive it, with their values
};
// The memory of one run (train, a sweep cell, export) of cfg.
MemoryEstimate estimate_memory(const Config& cfg);
// This machine's physical memory in bytes (0 when unknown).
double physical_memory();
// Throws ConfigError when `runs` runs of cfg at once (a sweep's threads) need more memory than the
// machine has. `what` names the work ("train", "sweep cell 3", ...).
void check_fits_in_memory(const Config& cfg, const std::string& what, int runs = 1);

}  // namespace sim
