// Spreading a sweep over MPI ranks (`mpirun -n K alignsim sweep ...`). Only the main thread of
// each process calls MPI (MPI_THREAD_FUNNELED). MPI is started only when the process was launched
// by an MPI launcher; a plain `alignsim sweep` is one process without MPI, whatever the build.
// Without ALIGNSIM_HAVE_MPI every function describes a single process.
#pragma once
#include <string>
#include <vector>

namespace sim::mpi {

bool available();             // built with MPI
bool launched_by_launcher();  // environment of mpirun / srun (OMPI_COMM_WORLD_SIZE, PMI_SIZE, ...)
int local_size();             // ranks on this node (1 without MPI)

// Starts MPI in the constructor when launched by a launcher (and built with MPI), finalizes in
// the destructor.
class Session {
public:
    Session();
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;
    bool active() const { return active_; }
    int rank() const { return rank_; }
    int size() const { return size_; }

    void broadcast(std::string& s);  // from rank 0 to all
    void send_to_root(const std::string& s);  // rank > 0: blocking send of one message
    // Rank 0: receives one waiting message, if any (non-blocking).
    bool try_receive(std::string& s, int& source);
    // Rank 0 to one other rank, on a channel of its own (a sweep's "stop" requests).
    void send_control(int dest, const std::string& s);
    bool try_receive_control(std::string& s);  // rank > 0: one waiting message from rank 0, if any
    void barrier();
    [[noreturn]] void abort(int code);

private:
    bool active_ = false;
    int rank_ = 0, size_ = 1;
};

}  // namespace sim::mpi
