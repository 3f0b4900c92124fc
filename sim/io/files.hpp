// Writing files so that a crash or a full disk never leaves a half-written one behind.
#pragma once
#include <string>

namespace sim {

// Writes text to path atomically (temporary file, fsync, rename, fsync of the directory).
void write_file_atomic(const std::string& path, const std::string& text);

// Appends to a file with one write + fsync per call.
class Appender {
public:
    explicit Appender(const std::string& path);
    ~Appender();
    Appender(const Appender&) = delete;
    Appender& operator=(const Appender&) = delete;
    void append(const std::string& text);  // throws std::runtime_error

private:
    int fd_ = -1;
    std::string path_;
};

}  // namespace sim
