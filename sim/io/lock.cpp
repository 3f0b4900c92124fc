// One writer per results directory (sim/io/lock.hpp).
#include "sim/io/lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <thread>

#include "sim/io/meta.hpp"

namespace sim {

namespace {

std::string lock_path(const std::string& dir) { return dir + "/.sweep.lock"; }

std::string hostname() {
    char host[256] = {0};
    if (gethostname(host, sizeof host - 1) != 0) return "?";
    return host;
}

std::string read_all(int fd) {
    std::string s;
    char buf[512];
    off_t off = 0;
    while (s.size() < 4096) {
        const ssize_t n = ::pread(fd, buf, sizeof buf, off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        s.append(buf, static_cast<std::size_t>(n));
        off += n;
    }
    return s;
}

// The first line, if it is a whole holder line this code wrote ("pid N on HOST since T...\n");
// else "".
std::string holder_line(const std::string& content) {
    const auto nl = content.find('\n');
    if (nl == std::string::npos) return "";  // not written yet, or being written
    const std::string line = content.substr(0, nl);
    if (line.rfind("pid ", 0) != 0 || line.size() > 1000) return "";
    for (char ch : line)
        if (static_cast<unsigned char>(ch) < 0x20) return "";
    return line;
}

// A holder line that names a process of this host that no longer exists: content left by a
// killed holder, not yet overwritten by the live one.
bool names_dead_local_process(const std::string& line) {
    std::istringstream is(line);
    std::string pid_word, on, host;
    long pid = 0;
    is >> pid_word >> pid >> on >> host;
    if (!is || pid <= 0 || host != hostname()) return false;
    return ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

}  // namespace

DirLock::DirLock(const std::string& dir, const std::string& what) {
    const std::string path = lock_path(dir);
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0)
        throw std::runtime_error("cannot use directory '" + dir + "': cannot open '" + path +
                                 "': " + std::strerror(errno));
    int rc;
    while ((rc = ::flock(fd_, LOCK_EX | LOCK_NB)) != 0 && errno == EINTR) {
    }
    if (rc != 0) {
        const int err = errno;
        // the holder writes its line right after taking the lock: wait a little for it when the
        // file is empty or still names a dead process
        std::string line;
        for (int i = 0; i < 20; ++i) {
            line = holder_line(read_all(fd_));
            if (!line.empty() && !names_dead_local_process(line)) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        ::close(fd_);
        fd_ = -1;
        if (err != EWOULDBLOCK)
            throw std::runtime_error("cannot lock '" + path + "': " + std::strerror(err));
        if (line.empty() || names_dead_local_process(line)) line = "a process that has not said which yet";
        const auto ends = [&](const std::string& w) {
            return line.size() >= w.size() && line.compare(line.size() - w.size(), w.size(), w) == 0;
        };
        const std::string who = ends(", export") ? "export" : ends(", figures") ? "plot" : "sweep";
        throw DirectoryBusy("'" + dir + "' is in use by another alignsim " + who + " (" + line +
                            "); wait for it to end or stop it, or choose another --out directory");
    }
    // ours: say who holds it (best effort: a full disk must not stop a sweep from starting here,
    // the lock works without the line)
    std::string line = "pid " + std::to_string(::getpid()) + " on " + hostname() + " since " + utc_now();
    if (!what.empty()) line += ", " + what;
    line += "\n";
    if (::ftruncate(fd_, 0) == 0) {
        const ssize_t w = ::pwrite(fd_, line.data(), line.size(), 0);
        (void)w;
    }
}

DirLock::~DirLock() {
    if (fd_ < 0) return;
    if (::ftruncate(fd_, 0) != 0) {
        // a holder line left behind is harmless: the next holder overwrites it
    }
    ::close(fd_);  // releases the flock
}

std::string DirLock::holder(const std::string& dir) {
    const int fd = ::open(lock_path(dir).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return "";
    const std::string line = holder_line(read_all(fd));
    ::close(fd);
    return line;
}

}  // namespace sim
