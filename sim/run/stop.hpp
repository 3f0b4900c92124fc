// Stopping work in flight: SIGINT / SIGTERM, or a sweep that must stop (a results file that
// cannot be written), end a training run at its next step. The run throws sim::Interrupted from
// its step callback; whoever runs it drops what it had (a sweep does not write an abandoned cell,
// so a resume runs it again).
#pragma once
#include <atomic>
#include <stdexcept>
#include <string>

namespace sim {

// A run stopped before it finished; nothing of it is kept.
struct Interrupted : std::runtime_error {
    explicit Interrupted(int sig);
    int signal;  // SIGINT, SIGTERM, or 0: stopped by its sweep
};

// SIGINT and SIGTERM request a stop; a second SIGINT (Ctrl-C twice) kills at once, the default
// action, and a repeated SIGTERM changes nothing.
// `alignsim train` and `alignsim sweep` install them; other commands keep the default action, and
// a signal that was ignored when the process started stays ignored.
void install_stop_handlers();
int stop_signal();            // the signal that requested a stop, 0 if none
void request_stop(int sig);   // what the handler does (tests)
void clear_stop();            // forgets a request (tests)
const char* signal_name(int sig);  // "SIGINT", "SIGTERM", ...

// While it lives, *flag also stops the runs of this thread (a sweep cancels its cells with it).
class CancelScope {
public:
    explicit CancelScope(const std::atomic<bool>* flag);
    ~CancelScope();
    CancelScope(const CancelScope&) = delete;
    CancelScope& operator=(const CancelScope&) = delete;

private:
    const std::atomic<bool>* prev_;
};

bool stop_requested();   // a signal, or this thread's cancel flag
void throw_if_stopped();  // throws Interrupted if stop_requested()

}  // namespace sim
