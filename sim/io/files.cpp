// Crash-safe file writing (sim/io/files.hpp).
#include "sim/io/files.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <mutex>

namespace sim {

bool read_file(const std::string& path, std::string& text) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    std::ostringstream ss;
    ss << in.rdbuf();
    if (in.bad()) throw std::runtime_error("cannot read '" + path + "'");
    text = ss.str();
    return true;
}

namespace {

std::string dir_of(const std::string& path) {
    const auto slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    return path.substr(0, slash);
}

// The test hook (files.hpp): bytes the process may still write, and the errno after that.
struct FailHook {
    bool on = false;
    std::size_t left = 0;
    int err = ENOSPC;
    std::mutex mu;
};
FailHook& hook() {
    static FailHook* h = [] {
        auto* f = new FailHook;
        const char* n = std::getenv("ALIGNSIM_TEST_FAIL_WRITE_AFTER");
        if (n && *n) {
            char* end = nullptr;
            const unsigned long long v = std::strtoull(n, &end, 10);
            if (*end == '\0') {
                f->on = true;
                f->left = static_cast<std::size_t>(v);
            }
        }
        if (const char* e = std::getenv("ALIGNSIM_TEST_FAIL_WRITE_ERRNO")) {
            if (std::strcmp(e, "EIO") == 0) f->err = EIO;
            else if (std::strcmp(e, "EDQUOT") == 0) f->err = EDQUOT;
        }
        return f;
    }();
    return *h;
}

// How many of `want` bytes the hook lets through (all without the hook).
std::size_t allowed(std::size_t want) {
    FailHook& h = hook();
    if (!h.on) return want;
    std::lock_guard<std::mutex> lk(h.mu);
    const std::size_t n = want < h.left ? want : h.left;
    h.left -= n;
    return n;
}

// write(2) until done; errno set and false on failure.
bool write_all(int fd, const char* p, std::size_t n) {
    while (n > 0) {
        const std::size_t chunk = std::min<std::size_t>(n, std::size_t(1) << 30);
        const std::size_t ok = allowed(chunk);
        if (ok == 0) {
            errno = hook().err;
            return false;
        }
        const ssize_t w = ::write(fd, p, ok);
        if (w < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        p += w;
        n -= static_cast<std::size_t>(w);
    }
    return true;
}

bool sync_fd(int fd) {
    FailHook& h = hook();
    if (h.on) {  // a disk that is full fails the sync of buffered data too
        std::lock_guard<std::mutex> lk(h.mu);
        if (h.left == 0) {
            errno = h.err;
            return false;
        }
    }
    return ::fsync(fd) == 0;
}

void sync_dir(const std::string& path) {
    const int dfd = ::open(dir_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
}

}  // namespace

WriteError::WriteError(const std::string& p, int e)
    : std::runtime_error("cannot write '" + p + "': " + std::strerror(e)), path(p), err(e) {}

AtomicFile::AtomicFile(const std::string& path) : path_(path), tmp_(path + ".tmp") {
    fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) throw WriteError(path_, errno);
}

AtomicFile::~AtomicFile() {
    if (fd_ >= 0) {
        ::close(fd_);
        ::unlink(tmp_.c_str());
    }
}

void AtomicFile::write(const void* data, std::size_t bytes) {
    if (fd_ < 0) throw std::logic_error("AtomicFile::write after commit");
    if (!write_all(fd_, static_cast<const char*>(data), bytes)) throw WriteError(path_, errno);
}

void AtomicFile::commit() {
    if (fd_ < 0) throw std::logic_error("AtomicFile::commit twice");
    if (!sync_fd(fd_)) throw WriteError(path_, errno);
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) {
        const int e = errno;
        ::unlink(tmp_.c_str());
        throw WriteError(path_, e);
    }
    if (::rename(tmp_.c_str(), path_.c_str()) != 0) {
        const int e = errno;
        ::unlink(tmp_.c_str());
        throw WriteError(path_, e);
    }
    sync_dir(path_);
}

void write_file_atomic(const std::string& path, const std::string& text) {
    AtomicFile f(path);
    f.write(text.data(), text.size());
    f.commit();
}

void publish_file(const std::string& tmp, const std::string& path) {
    const int fd = ::open(tmp.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw WriteError(path, errno);
    const bool synced = sync_fd(fd);
    const int e = errno;
    ::close(fd);
    if (!synced) throw WriteError(path, e);
    if (::rename(tmp.c_str(), path.c_str()) != 0) throw WriteError(path, errno);
    sync_dir(path);
}

Appender::Appender(const std::string& path) : path_(path) {
    fd_ = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw WriteError(path, errno);
}

Appender::~Appender() {
    if (fd_ >= 0) ::close(fd_);
}

void Appender::append(const std::string& text) {
    const off_t before = ::lseek(fd_, 0, SEEK_END);
    if (write_all(fd_, text.data(), text.size()) && sync_fd(fd_)) return;
    const int e = errno;
    // cut the partial record off (shrinking a file needs no space); if even that fails, the
    // reader drops a last line without its '\n' (sim/sweep/results.cpp)
    if (before >= 0 && ::ftruncate(fd_, before) == 0) ::fsync(fd_);
    throw WriteError(path_, e);
}

}  // namespace sim
