// Which alignsim writer a directory belongs to (sim/io/owned_dir.hpp).
#include "sim/io/owned_dir.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "sim/io/files.hpp"
#include "sim/io/lock.hpp"

namespace sim {

namespace fs = std::filesystem;

namespace {

// A path or value quoted in a one-line message: control characters escaped, cut to ~100.
std::string cut(const std::string& s) {
    std::string out;
    for (unsigned char ch : s) {
        if (out.size() >= 100) return out + "...";
        if (ch < 0x20 || ch == 0x7f) {
            char b[8];
            std::snprintf(b, sizeof b, "\\x%02x", ch);
            out += b;
        } else out += static_cast<char>(ch);
    }
    return out;
}

}  // namespace

std::string not_a_regular_file(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return std::strerror(errno);
    if (S_ISREG(st.st_mode)) return "";
    if (S_ISDIR(st.st_mode)) return "it is a directory, not a file";
    if (S_ISFIFO(st.st_mode)) return "it is a FIFO (named pipe), not a regular file";
    if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) return "it is a device, not a regular file";
    if (S_ISSOCK(st.st_mode)) return "it is a socket, not a regular file";
    return "it is not a regular file";
}

nlohmann::json read_json_object(const std::string& path, std::size_t max_bytes) {
    const std::string bad = not_a_regular_file(path);
    if (!bad.empty()) throw BadInput("cannot read '" + cut(path) + "': " + bad);
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    if (!ec && size > max_bytes)
        throw BadInput("'" + cut(path) + "' is " + std::to_string(size) + " bytes, more than the " +
                       std::to_string(max_bytes) + " a manifest can be: not an alignsim manifest");
    std::string text;
    try {
        if (!read_file(path, text)) throw BadInput("cannot read '" + cut(path) + "': " + std::strerror(errno));
    } catch (const BadInput&) {
        throw;
    } catch (const std::exception& e) {
        throw BadInput(cut(e.what()));
    }
    if (text.size() >= 3 && text.compare(0, 3, "\xEF\xBB\xBF") == 0)
        throw BadInput("'" + cut(path) + "': starts with a byte-order mark (alignsim writes plain UTF-8 JSON)");
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
        throw BadInput("'" + cut(path) + "' is not valid JSON (at byte " + std::to_string(e.byte) + ")");
    } catch (const std::exception&) {
        throw BadInput("'" + cut(path) + "' is not valid JSON");
    }
    if (!j.is_object()) throw BadInput("'" + cut(path) + "' is not a JSON object (it is " + std::string(j.type_name()) + ")");
    return j;
}

std::string dir_kind(const std::string& dir) {
    const std::string mpath = dir + "/manifest.json";
    std::error_code ec;
    if (!fs::exists(fs::symlink_status(mpath, ec)) && !fs::exists(mpath, ec)) return "";
    const nlohmann::json m = read_json_object(mpath);
    if (m.contains("kind")) {
        const auto& k = m["kind"];
        if (!k.is_string())
            throw BadInput("'" + cut(mpath) + "': key 'kind' must be a string, got " + std::string(k.type_name()));
        const std::string s = k.get<std::string>();
        if (s != kKindSweep && s != kKindExport && s != kKindFigures)
            throw BadInput("'" + cut(mpath) + "': key 'kind' is \"" + cut(s) + "\", not sweep, export or figures");
        return s;
    }
    if (m.contains("fingerprint") || m.contains("experiments")) return kKindSweep;
    if (m.contains("files") && m.contains("sample_seed")) return kKindExport;
    throw BadInput("'" + cut(mpath) + "' is not an alignsim manifest (no key 'kind')");
}

std::string kind_phrase(const std::string& kind) {
    if (kind == kKindSweep) return "a sweep results directory";
    if (kind == kKindExport) return "an export of samples";
    if (kind == kKindFigures) return "a figure folder of alignsim plot";
    return "a directory of another program";
}

ClaimedDir::ClaimedDir() = default;
ClaimedDir::ClaimedDir(ClaimedDir&&) noexcept = default;
ClaimedDir& ClaimedDir::operator=(ClaimedDir&&) noexcept = default;
ClaimedDir::~ClaimedDir() = default;

ClaimedDir claim_dir(const std::string& dir, const std::string& kind, const std::string& verb,
                     const std::function<bool(const std::string&)>& would_write, const std::string& lock_what) {
    ClaimedDir c;
    std::error_code ec;
    const std::string q = "'" + cut(dir) + "'";
    if (dir.empty()) throw BadInput("the output directory is empty");
    const bool existed = fs::exists(fs::path(dir), ec);
    if (ec && ec != std::errc::no_such_file_or_directory) {
        if (ec == std::errc::not_a_directory || ec == std::errc::filename_too_long || ec == std::errc::permission_denied)
            throw BadInput("cannot use " + q + ": " + ec.message());
    }
    if (existed && !fs::is_directory(dir, ec)) throw BadInput("cannot use " + q + ": it is a file, not a directory");
    if (!existed) {
        ec.clear();
        fs::create_directories(dir, ec);
        if (ec == std::errc::not_a_directory || ec == std::errc::filename_too_long || ec == std::errc::invalid_argument ||
            ec == std::errc::permission_denied || ec == std::errc::read_only_file_system || ec == std::errc::too_many_symbolic_link_levels)
            throw BadInput("cannot create " + q + ": " + ec.message());
        if (ec || !fs::is_directory(dir)) throw std::runtime_error("cannot create " + q + (ec ? ": " + ec.message() : ""));
        c.created = true;
    }
    try {
        c.kind = dir_kind(dir);
        if (!c.kind.empty() && c.kind != kind)
            throw BadInput(q + " is " + kind_phrase(c.kind) + " (its manifest.json says so); " + verb +
                           " writes only into a new directory or " + kind_phrase(kind) + ": choose another one");
        if (c.kind.empty()) {
            for (const auto& e : fs::directory_iterator(dir, ec)) {
                const std::string name = e.path().filename().string();
                if (name == "manifest.json" || would_write(name))
                    throw BadInput(q + " holds '" + cut(name) + "' without a manifest.json of " + kind_phrase(kind) + " (" +
                                   verb + " would replace it): alignsim writes over no file it did not write; choose an "
                                   "empty or new directory");
            }
        }
        c.lock = std::make_unique<DirLock>(dir, lock_what.empty() ? kind : lock_what);
    } catch (...) {
        release_new_dir(dir, c);
        throw;
    }
    return c;
}

void release_new_dir(const std::string& dir, ClaimedDir& c) {
    c.lock.reset();
    if (!c.created) return;
    std::error_code ec;
    fs::remove(fs::path(dir) / ".sweep.lock", ec);
    fs::remove(dir, ec);  // only when empty
    c.created = false;
}

}  // namespace sim
