#include "sim/io/meta.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <nlohmann/json.hpp>

#include "alignsim_config.hpp"
#include "autodiff/blas.hpp"

namespace sim {

std::string version() { return ALIGNSIM_VERSION; }

std::string utc_now() {
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

nlohmann::json run_metadata() {
    nlohmann::json j;
    j["version"] = version();
    j["blas_core"] = ad::blas::core_name();
    const char* auto_set = std::getenv("ALIGNSIM_BLAS_REEXEC");
    const char* env = std::getenv("OPENBLAS_CORETYPE");
    j["blas_coretype_source"] = auto_set ? "alignsim (OpenBLAS fell back to a generic kernel)"
                                         : (env && *env ? "environment" : "OpenBLAS detection");
    char host[256] = {0};
    gethostname(host, sizeof host - 1);
    j["hostname"] = host;
    j["time"] = utc_now();
    return j;
}

}  // namespace sim
