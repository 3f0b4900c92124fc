// A run's memory, estimated from its configuration (sim/run/estimate.hpp).
#include "sim/run/estimate.hpp"

#include <unistd.h>

#include <cstdio>

namespace sim {

MemoryEstimate estimate_memory(const Config& c) {
    MemoryEstimate e;
    const double n = static_cast<double>(c.i("data.n_train")) + static_cast<double>(c.i("data.n_test"));
    const bool fashion = c.s("data.kind") == "fashion_mnist";
    const double d1 = static_cast<double>(input_dim(c, 1)), d2 = static_cast<double>(input_dim(c, 2));
    const double k = fashion ? 8 : static_cast<double>(c.i("data.k_shared") + c.i("data.k1") + c.i("data.k2"));
    // the samples (x1, x2, latents, targets) in double, a training copy in float32 when asked,
    // the representations and probes' copies of each split
    const double width = d1 + d2 + k + 4;
    const double p = static_cast<double>(c.i("model.dim"));
    double bytes = n * width * 8 * 2 + n * (d1 + d2) * 4 + n * p * 8 * 8;
    char buf[256];
    std::snprintf(buf, sizeof buf, "data.n_train + data.n_test = %.0f samples of %s %.0f + %.0f values", n,
                  fashion ? "800-pixel modalities," : "data.d1 + data.d2 =", d1, d2);
    e.drivers = buf;
    if (!fashion) {
        // the closed forms: a few dozen (d1 + d2)^2 matrices
        const double dd = d1 + d2;
        bytes += 40 * dd * dd * 8;
        if (c.s("data.kind") == "nonlinear") {
            const double depth = static_cast<double>(c.i("data.depth"));
            bytes += depth * (d1 * d1 + d2 * d2) * 8;
            std::snprintf(buf, sizeof buf, ", data.depth = %.0f layers of data.d1^2 + data.d2^2", depth);
            e.drivers += buf;
        }
    }
    if (c.s("model.encoder") == "mlp") {  // weights, gradients, Adam moments and activations
        double prev = std::max(d1, d2), params = 0, widest = 0;
        for (auto h : c.ilist("model.hidden")) {
            params += prev * static_cast<double>(h);
            prev = static_cast<double>(h);
            widest = std::max(widest, prev);
        }
        params += prev * p;
        const double batch = static_cast<double>(c.i("train.batch"));
        bytes += 2 * params * 8 * 4 + 2 * batch * widest * 8 * 4 * static_cast<double>(c.ilist("model.hidden").size()) +
                 n * widest * 8;
        e.drivers += ", model.hidden";
    }
    e.bytes = bytes;
    return e;
}

double physical_memory() {
    const long pages = ::sysconf(_SC_PHYS_PAGES), size = ::sysconf(_SC_PAGE_SIZE);
    if (pages <= 0 || size <= 0) return 0;
    return static_cast<double>(pages) * static_cast<double>(size);
}

void check_fits_in_memory(const Config& cfg, const std::string& what, int runs) {
    const double have = physical_memory();
    if (have <= 0) return;
    const MemoryEstimate e = estimate_memory(cfg);
    const double need = e.bytes * std::max(1, runs);
    if (need <= have) return;
    char buf[160];
    std::snprintf(buf, sizeof buf, "needs about %.1f GB of memory%s, more than this machine's %.1f GB", need / 1e9,
                  runs > 1 ? (" (" + std::to_string(runs) + " runs at once)").c_str() : "", have / 1e9);
    throw ConfigError(what + " " + buf + ": " + e.drivers + "; reduce them" + (runs > 1 ? " or --jobs" : ""));
}

}  // namespace sim
