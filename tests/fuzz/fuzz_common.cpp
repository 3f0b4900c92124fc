#include <filesystem>
#include <typeinfo>

#include "fuzz.hpp"

namespace fuzz {

const std::string& scratch_dir() {
    static const std::string dir = [] {
        namespace fs = std::filesystem;
        const fs::path base = fs::is_directory("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
        std::string tmpl = (base / "alignsim-fuzz-XXXXXX").string();
        if (!::mkdtemp(tmpl.data())) fail("cannot create a scratch directory");
        static std::string keep = tmpl;
        std::atexit([] {
            std::error_code ec;
            std::filesystem::remove_all(keep, ec);
        });
        return tmpl;
    }();
    return dir;
}

}  // namespace fuzz
