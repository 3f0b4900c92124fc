// Progress of a sweep on stderr: a redrawn status line on a terminal (cells done/total, rate,
// time left), one plain line per cell otherwise, nothing with --quiet. Called from one thread.
#pragma once
#include <chrono>
#include <cstddef>
#include <string>

namespace sim {

class Progress {
public:
    enum class Mode { Quiet, Terminal, Lines };
    // total: cells of the grid; done: already finished before this run.
    Progress(std::size_t total, std::size_t done, bool quiet);
    Progress(std::size_t total, std::size_t done, Mode mode);
    Mode mode() const { return mode_; }
    void message(const std::string& line);  // a log line (keeps the status line intact)
    // One more cell finished: what it was, its status and its time.
    void cell_done(const std::string& what, const std::string& status, double seconds);
    void tick();    // redraws the status line on a terminal (elapsed time moves on)
    // Final line: cells done, and `tally` after a colon (e.g. "10 ok, 1 not_converged, 0 diverged").
    void finish(const std::string& tally = "");
    static std::string duration(double seconds);  // "1:05:03", "4:10", "12 s"

private:
    void draw(bool force);
    Mode mode_;
    std::size_t total_, done_, started_done_;
    std::chrono::steady_clock::time_point t0_, last_draw_;
    bool drawn_ = false;
};

}  // namespace sim
