#include "sim/sweep/progress.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdio>

namespace sim {

Progress::Progress(std::size_t total, std::size_t done, bool quiet)
    : Progress(total, done, quiet ? Mode::Quiet : (::isatty(STDERR_FILENO) ? Mode::Terminal : Mode::Lines)) {}

Progress::Progress(std::size_t total, std::size_t done, Mode mode)
    : mode_(mode), total_(total), done_(done), started_done_(done), t0_(std::chrono::steady_clock::now()),
      last_draw_(t0_) {}

std::string Progress::duration(double s) {
    if (!std::isfinite(s) || s < 0) return "?";
    char buf[32];
    const long t = std::lround(s);
    if (s < 9.995) std::snprintf(buf, sizeof buf, "%.2f s", s);
    else if (s < 59.95) std::snprintf(buf, sizeof buf, "%.1f s", s);
    else if (t < 3600) std::snprintf(buf, sizeof buf, "%ld:%02ld", t / 60, t % 60);
    else std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
    return buf;
}

void Progress::message(const std::string& line) {
    if (mode_ == Mode::Quiet) return;
    if (mode_ == Mode::Terminal && drawn_) std::fprintf(stderr, "\r\033[K");
    std::fprintf(stderr, "%s\n", line.c_str());
    if (mode_ == Mode::Terminal && drawn_) draw(true);
    std::fflush(stderr);
}

void Progress::draw(bool force) {
    const auto now = std::chrono::steady_clock::now();
    if (!force && now - last_draw_ < std::chrono::milliseconds(200)) return;
    last_draw_ = now;
    const double el = std::chrono::duration<double>(now - t0_).count();
    const std::size_t ran = done_ - started_done_;
    const double rate = el > 0 && ran > 0 ? ran / el : 0;
    const double left = rate > 0 ? (total_ - done_) / rate : NAN;
    char buf[200];
    std::snprintf(buf, sizeof buf, "\r\033[Ksweep: %zu/%zu cells (%.0f%%)  %.2f cells/min  elapsed %s  left %s",
                  done_, total_, total_ ? 100.0 * done_ / total_ : 100.0, rate * 60, duration(el).c_str(),
                  ran ? duration(left).c_str() : "?");
    std::fputs(buf, stderr);
    std::fflush(stderr);
    drawn_ = true;
}

void Progress::cell_done(const std::string& what, const std::string& status, double seconds) {
    ++done_;
    if (mode_ == Mode::Quiet) return;
    if (mode_ == Mode::Terminal) {
        if (status != "ok") message("sweep: cell (" + what + ") " + status);
        draw(done_ == total_);
        return;
    }
    std::fprintf(stderr, "sweep: [%zu/%zu] %s: %s in %s\n", done_, total_, what.c_str(), status.c_str(),
                 duration(seconds).c_str());
    std::fflush(stderr);
}

void Progress::tick() {
    if (mode_ == Mode::Terminal) draw(false);
}

void Progress::finish(const std::string& tally) {
    if (mode_ == Mode::Quiet) return;
    if (mode_ == Mode::Terminal) {
        draw(true);
        std::fputs("\n", stderr);
    }
    const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
    std::fprintf(stderr, "sweep: %zu/%zu cells done (%zu in this run, %s)%s%s\n", done_, total_, done_ - started_done_,
                 duration(el).c_str(), tally.empty() ? "" : ": ", tally.c_str());
    std::fflush(stderr);
}

}  // namespace sim
