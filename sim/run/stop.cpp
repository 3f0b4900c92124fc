// Stopping work in flight (sim/run/stop.hpp).
#include "sim/run/stop.hpp"

#include <csignal>
#include <cstring>

namespace sim {

namespace {
std::atomic<int> g_signal{0};
static_assert(std::atomic<int>::is_always_lock_free, "the signal handler needs a lock-free flag");
thread_local const std::atomic<bool>* t_cancel = nullptr;

extern "C" void on_stop_signal(int sig) {
    int none = 0;
    if (g_signal.compare_exchange_strong(none, sig)) return;
    if (sig == SIGINT) {  // Ctrl-C twice: stop at once (finished cells are already on disk)
        struct sigaction dfl;
        std::memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;
        sigemptyset(&dfl.sa_mask);
        sigaction(SIGINT, &dfl, nullptr);
        raise(SIGINT);
    }
    // a repeated SIGTERM (a scheduler and mpirun may both send one) changes nothing
}
}  // namespace

Interrupted::Interrupted(int sig)
    : std::runtime_error(sig ? std::string("interrupted by ") + signal_name(sig) : std::string("stopped")),
      signal(sig) {}

void install_stop_handlers() {
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    for (int sig : {SIGINT, SIGTERM}) {
        struct sigaction old;
        // a signal ignored by whoever started us (nohup, a background job of a script) stays ignored
        if (sigaction(sig, nullptr, &old) == 0 && old.sa_handler == SIG_IGN) continue;
        sigaction(sig, &sa, nullptr);
    }
}

int stop_signal() { return g_signal.load(std::memory_order_relaxed); }
void request_stop(int sig) {
    int none = 0;
    g_signal.compare_exchange_strong(none, sig);
}
void clear_stop() { g_signal.store(0); }

const char* signal_name(int sig) {
    switch (sig) {
        case SIGINT: return "SIGINT";
        case SIGTERM: return "SIGTERM";
        case SIGHUP: return "SIGHUP";
        default: return "a signal";
    }
}

CancelScope::CancelScope(const std::atomic<bool>* flag) : prev_(t_cancel) { t_cancel = flag; }
CancelScope::~CancelScope() { t_cancel = prev_; }

bool stop_requested() {
    return g_signal.load(std::memory_order_relaxed) != 0 || (t_cancel && t_cancel->load(std::memory_order_relaxed));
}

void throw_if_stopped() {
    if (!stop_requested()) return;
    throw Interrupted(stop_signal());
}

}  // namespace sim
