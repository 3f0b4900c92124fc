// Crash-safe file writing (sim/io/files.hpp).
#include "sim/io/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace sim {

namespace {

std::string errno_text() { return std::strerror(errno); }

std::string dir_of(const std::string& path) {
    const auto slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    return path.substr(0, slash);
}

void write_all(int fd, const std::string& text, const std::string& path) {
    std::size_t off = 0;
    while (off < text.size()) {
        const ssize_t w = ::write(fd, text.data() + off, text.size() - off);
        if (w < 0) {
            if (errno == EINTR) continue;
            throw std::runtime_error("cannot write '" + path + "': " + errno_text());
        }
        off += static_cast<std::size_t>(w);
    }
}

}  // namespace

void write_file_atomic(const std::string& path, const std::string& text) {
    const std::string tmp = path + ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw std::runtime_error("cannot write '" + tmp + "': " + errno_text());
    try {
        write_all(fd, text, tmp);
    } catch (...) {
        ::close(fd);
        throw;
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) throw std::runtime_error("cannot write '" + tmp + "': " + errno_text());
    if (::rename(tmp.c_str(), path.c_str()) != 0)
        throw std::runtime_error("cannot rename '" + tmp + "' to '" + path + "': " + errno_text());
    const int dfd = ::open(dir_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
}

Appender::Appender(const std::string& path) : path_(path) {
    fd_ = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw std::runtime_error("cannot open '" + path + "' for appending: " + errno_text());
}

Appender::~Appender() {
    if (fd_ >= 0) ::close(fd_);
}

void Appender::append(const std::string& text) {
    write_all(fd_, text, path_);
    if (::fsync(fd_) != 0) throw std::runtime_error("cannot sync '" + path_ + "': " + errno_text());
}

}  // namespace sim
