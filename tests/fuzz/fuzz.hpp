// Shared helpers of the libFuzzer harnesses (tests/fuzz/README.md). Each harness defines
// LLVMFuzzerTestOneInput and states its contract: which exceptions are the documented answer to
// bad input. Anything else (another exception, a crash, a sanitizer report, a broken property)
// aborts, which libFuzzer reports as a crash and the corpus replay test as a failure.
#pragma once
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <typeinfo>
#include <vector>

namespace fuzz {

[[noreturn]] inline void fail(const std::string& what) {
    std::fprintf(stderr, "fuzz harness: contract broken: %s\n", what.c_str());
    std::fflush(stderr);
    std::abort();
}

inline std::string text(const std::uint8_t* data, std::size_t size) {
    return std::string(reinterpret_cast<const char*>(data), size);
}

// Splits s at each occurrence of sep (a line of its own in the seed files, e.g. "\n%%\n").
inline std::vector<std::string> split(const std::string& s, const std::string& sep) {
    std::vector<std::string> out;
    std::size_t pos = 0;
    while (true) {
        const auto at = s.find(sep, pos);
        if (at == std::string::npos) {
            out.push_back(s.substr(pos));
            return out;
        }
        out.push_back(s.substr(pos, at - pos));
        pos = at + sep.size();
    }
}

// A documented error: its message must be one line (alignsim prints it as "alignsim: error: ...").
inline void check_one_line(const std::exception& e) {
    const std::string m = e.what();
    if (m.empty() || m.find('\n') != std::string::npos) fail("error message is not one line: " + m);
}

// An exception the contract does not allow.
[[noreturn]] inline void unexpected(const std::exception& e, const char* where = "") {
    fail(std::string("unexpected exception ") + where + "(" + typeid(e).name() + "): " + e.what());
}

// A scratch directory of this process, removed at exit (on tmpfs when /dev/shm exists).
const std::string& scratch_dir();

}  // namespace fuzz

