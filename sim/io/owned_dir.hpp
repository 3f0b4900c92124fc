// A directory belongs to one kind of alignsim writer: a sweep's results ("sweep"), an export's
// arrays ("export"), or plot's figures ("figures"). Each writer records its kind as "kind" in the
// directory's manifest.json, takes the directory's lock (sim/io/lock.hpp) for as long as it
// writes, and refuses a directory of another kind, one whose lock is held, and one holding a file
// of a name it would write but did not write: no command replaces a file it did not write.
#pragma once
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace sim {

class DirLock;

inline constexpr const char* kKindSweep = "sweep";
inline constexpr const char* kKindExport = "export";
inline constexpr const char* kKindFigures = "figures";

// Why path cannot be read as a regular file ("does not exist", "is a FIFO", "is a directory",
// "is a device", ...), or "" when it can.
std::string not_a_regular_file(const std::string& path);

// Parses a JSON file for a reader that validates it: throws BadInput (one line naming the file
// and the cause, no library prefix) when it is not a regular file, too large (max_bytes), not
// UTF-8 JSON, or not an object.
struct BadInput : std::runtime_error {
    using std::runtime_error::runtime_error;
};
nlohmann::json read_json_object(const std::string& path, std::size_t max_bytes = std::size_t(64) << 20);

// The kind of DIR by its manifest.json: "sweep", "export", "figures", or "" when it has none.
// Manifests written before kinds existed are recognised by their keys (a sweep's "fingerprint",
// an export's "files" and "sample_seed"). Throws BadInput when the manifest cannot be read, or
// holds a "kind" that is not one of the three.
std::string dir_kind(const std::string& dir);
// "a sweep results directory", "an export", "a figure folder".
std::string kind_phrase(const std::string& kind);

// Prepares DIR for a writer of `kind`: creates it (and its parents) when missing, refuses it
// (BadInput) when it is a file, a directory of another kind, or when it has no manifest of this
// kind yet holds an entry `would_write(name)` says this writer would replace; then takes its lock
// (DirectoryBusy, exit 1, when another process holds it). `created` says whether DIR was made
// here (a failed start then removes it again: see release_new_dir).
struct ClaimedDir {
    std::unique_ptr<DirLock> lock;
    bool created = false;
    std::string kind;  // the kind its manifest had ("" when none)
    ClaimedDir();
    ClaimedDir(ClaimedDir&&) noexcept;
    ClaimedDir& operator=(ClaimedDir&&) noexcept;
    ~ClaimedDir();
};
ClaimedDir claim_dir(const std::string& dir, const std::string& kind, const std::string& verb,
                     const std::function<bool(const std::string&)>& would_write, const std::string& lock_what = "");
// After a start that failed before writing anything: removes DIR when claim_dir created it and it
// holds nothing but the lock file.
void release_new_dir(const std::string& dir, ClaimedDir& c);

}  // namespace sim
