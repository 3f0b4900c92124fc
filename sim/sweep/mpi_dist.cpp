#include "sim/sweep/mpi_dist.hpp"

#include <cstdlib>
#include <stdexcept>

#include "alignsim_config.hpp"

#if ALIGNSIM_HAVE_MPI
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>
#endif

namespace sim::mpi {

namespace {
const char* env(const char* n) {
    const char* v = std::getenv(n);
    return v && *v ? v : nullptr;
}
constexpr int kTag = 7;
constexpr int kControlTag = 8;
}  // namespace

bool available() { return ALIGNSIM_HAVE_MPI != 0; }

bool launched_by_launcher() {
    for (const char* n : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "MPI_LOCALNRANKS", "MV2_COMM_WORLD_SIZE"})
        if (env(n)) return true;
    return false;
}

int local_size() {
    for (const char* n : {"OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS", "MV2_COMM_WORLD_LOCAL_SIZE"})
        if (const char* v = env(n)) {
            const int k = std::atoi(v);
            if (k > 0) return k;
        }
    return 1;
}

#if ALIGNSIM_HAVE_MPI

Session::Session() {
    if (!launched_by_launcher()) return;
    int inited = 0;
    MPI_Initialized(&inited);
    if (!inited) {
        int provided = 0;
        if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
            throw std::runtime_error("MPI_Init_thread failed");
    }
    active_ = true;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

Session::~Session() {
    if (!active_) return;
    int fin = 0;
    MPI_Finalized(&fin);
    if (!fin) MPI_Finalize();
}

void Session::broadcast(std::string& s) {
    if (!active_ || size_ == 1) return;
    unsigned long long n = s.size();
    MPI_Bcast(&n, 1, MPI_UNSIGNED_LONG_LONG, 0, MPI_COMM_WORLD);
    s.resize(n);
    if (n) MPI_Bcast(s.data(), static_cast<int>(n), MPI_CHAR, 0, MPI_COMM_WORLD);
}

void Session::send_to_root(const std::string& s) {
    if (!active_ || rank_ == 0) throw std::logic_error("send_to_root outside an MPI rank > 0");
    MPI_Send(s.data(), static_cast<int>(s.size()), MPI_CHAR, 0, kTag, MPI_COMM_WORLD);
}

bool Session::try_receive(std::string& s, int& source) {
    if (!active_ || size_ == 1) return false;
    int flag = 0;
    MPI_Status st;
    MPI_Iprobe(MPI_ANY_SOURCE, kTag, MPI_COMM_WORLD, &flag, &st);
    if (!flag) return false;
    int n = 0;
    MPI_Get_count(&st, MPI_CHAR, &n);
    s.resize(static_cast<std::size_t>(n));
    MPI_Recv(s.data(), n, MPI_CHAR, st.MPI_SOURCE, kTag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    source = st.MPI_SOURCE;
    return true;
}

void Session::send_control(int dest, const std::string& s) {
    if (!active_ || rank_ != 0) throw std::logic_error("send_control outside rank 0");
    MPI_Send(s.data(), static_cast<int>(s.size()), MPI_CHAR, dest, kControlTag, MPI_COMM_WORLD);
}

bool Session::try_receive_control(std::string& s) {
    if (!active_ || size_ == 1) return false;
    int flag = 0;
    MPI_Status st;
    MPI_Iprobe(0, kControlTag, MPI_COMM_WORLD, &flag, &st);
    if (!flag) return false;
    int n = 0;
    MPI_Get_count(&st, MPI_CHAR, &n);
    s.resize(static_cast<std::size_t>(n));
    MPI_Recv(s.data(), n, MPI_CHAR, 0, kControlTag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    return true;
}

void Session::barrier() {
    if (active_ && size_ > 1) MPI_Barrier(MPI_COMM_WORLD);
}

void Session::abort(int code) {
    if (active_) MPI_Abort(MPI_COMM_WORLD, code);
    std::exit(code);
}

#else

Session::Session() = default;
Session::~Session() = default;
void Session::broadcast(std::string&) {}
void Session::send_to_root(const std::string&) { throw std::logic_error("built without MPI"); }
bool Session::try_receive(std::string&, int&) { return false; }
void Session::send_control(int, const std::string&) { throw std::logic_error("built without MPI"); }
bool Session::try_receive_control(std::string&) { return false; }
void Session::barrier() {}
void Session::abort(int code) { std::exit(code); }

#endif

}  // namespace sim::mpi
