// One writer per directory: `alignsim sweep` (and `export`, `plot` in their output directories,
// sim/io/owned_dir.hpp) holds an exclusive flock(2) on DIR/.sweep.lock for as long as it writes
// (rank 0 alone under MPI: the ranks of one sweep are one writer). The kernel releases a flock when its process ends, however it ends, so a lock left by
// a killed process never blocks; the file itself stays (removing it would race with a process
// that has just opened it). The holder writes who it is into the file, and a refused process
// names it: "pid 4242 on node7 since 2025-06-01T10:00:00Z".
#pragma once
#include <stdexcept>
#include <string>

namespace sim {

// Another process holds the lock. what(): one line naming the directory and the holder.
struct DirectoryBusy : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class DirLock {
public:
    // Takes the lock on dir/.sweep.lock (dir must exist). Throws DirectoryBusy when another
    // process holds it, std::runtime_error when the file cannot be opened. `what` describes the
    // holder for others ("rank 0 of 4", or empty).
    explicit DirLock(const std::string& dir, const std::string& what = "");
    ~DirLock();  // clears the holder's line and releases the lock
    DirLock(const DirLock&) = delete;
    DirLock& operator=(const DirLock&) = delete;

    // The holder line of a lock file ("pid 4242 on node7 since ..."), or "" if it has none.
    static std::string holder(const std::string& dir);

private:
    int fd_ = -1;
};

}  // namespace sim
