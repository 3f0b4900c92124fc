// Writing files so that a crash or a full disk never leaves a half-written one behind.
//
// Every byte alignsim writes goes through this file (results, manifests, exports, figures' data),
// so a write failure (ENOSPC, EDQUOT, EIO) is always a WriteError naming the file, and a test can
// inject one: with ALIGNSIM_TEST_FAIL_WRITE_AFTER=N in the environment, the process writes N
// bytes in all and every write after that fails (a write that crosses the limit writes the bytes
// up to it, as a filling disk does, then fails) with the errno named by
// ALIGNSIM_TEST_FAIL_WRITE_ERRNO (ENOSPC, the default, EDQUOT or EIO).
#pragma once
#include <cstddef>
#include <stdexcept>
#include <string>

namespace sim {

// A write (or its sync) that failed: what() is "cannot write 'PATH': <strerror>".
struct WriteError : std::runtime_error {
    WriteError(const std::string& path, int err);
    std::string path;
    int err = 0;  // errno
};

// The whole of a file, as bytes: false when it cannot be opened; throws std::runtime_error
// ("cannot read 'PATH'") when reading it fails half-way.
bool read_file(const std::string& path, std::string& text);

// Writes text to path atomically (temporary file, fsync, rename, fsync of the directory): path
// holds either its old content or the new one, never a mix. Throws WriteError.
void write_file_atomic(const std::string& path, const std::string& text);

// Makes a file another program wrote to tmp (gnuplot's images) durable and atomic: syncs tmp and
// renames it over path, then syncs the directory. Throws WriteError (tmp is left for the caller).
void publish_file(const std::string& tmp, const std::string& path);

// The same for a file written in pieces: the data goes to PATH.tmp, commit() syncs it and renames
// it over PATH; destroyed without commit() it removes PATH.tmp and leaves PATH as it was.
class AtomicFile {
public:
    explicit AtomicFile(const std::string& path);  // throws WriteError
    ~AtomicFile();
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;
    void write(const void* data, std::size_t bytes);  // throws WriteError
    void commit();                                    // throws WriteError

private:
    int fd_ = -1;
    std::string path_, tmp_;
};

// Appends to a file, all or nothing: each append() is one write + fsync, and when it fails the
// file is cut back to its length before the call, so it never ends in a partial record.
class Appender {
public:
    explicit Appender(const std::string& path);
    ~Appender();
    Appender(const Appender&) = delete;
    Appender& operator=(const Appender&) = delete;
    void append(const std::string& text);  // throws WriteError

private:
    int fd_ = -1;
    std::string path_;
};

}  // namespace sim
