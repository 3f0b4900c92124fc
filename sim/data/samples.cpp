// Samples from the generative model (spec sections 1 and 6).
#include "sim/data/samples.hpp"

#include <tbb/task_arena.h>

#include <algorithm>
#include <cstdio>
#include <cmath>
#include <future>
#include <list>
#include <map>
#include <mutex>
#include <stdexcept>

#include "autodiff/blas.hpp"

namespace sim {

namespace {

// A random d x d orthogonal matrix: modified Gram-Schmidt (twice, for accuracy) on a Gaussian
// matrix drawn from rng. Columns are orthonormal, so the matrix is exactly invertible and
// perfectly conditioned.
Mat random_orthogonal(std::size_t d, ad::Rng& rng) {
    Mat q({d, d});
    ad::fill_normal(q, rng);
    for (int pass = 0; pass < 2; ++pass) {
        for (std::size_t j = 0; j < d; ++j) {
            for (std::size_t k = 0; k < j; ++k) {
                double dot = 0;
                for (std::size_t r = 0; r < d; ++r) dot += q(r, k) * q(r, j);
                for (std::size_t r = 0; r < d; ++r) q(r, j) -= dot * q(r, k);
            }
            double nrm = 0;
            for (std::size_t r = 0; r < d; ++r) nrm += q(r, j) * q(r, j);
            nrm = std::sqrt(nrm);
            if (!(nrm > 1e-12)) throw std::runtime_error("random_orthogonal: degenerate draw");
            for (std::size_t r = 0; r < d; ++r) q(r, j) /= nrm;
        }
    }
    return q;
}

// Gain that keeps the second moment of a standard normal input through leaky_relu(slope):
// E[leaky(x)^2] = (1 + slope^2) / 2.
double layer_gain(double slope) { return std::sqrt(2.0 / (1.0 + slope * slope)); }

// rows of X (n x d) <- h(rows of X), h = layers of leaky(gain * W x).
void apply_network(const std::vector<Mat>& layers, double slope, Mat& X) {
    if (layers.empty()) return;
    const double g = layer_gain(slope);
    Mat tmp(X.shape());
    for (const Mat& W : layers) {
        // tmp = X W^T (each row x -> W x)
        ad::blas::gemm(X, false, W, true, tmp, g, 0.0);
        double* p = tmp.data();
        for (std::size_t i = 0; i < tmp.size(); ++i) p[i] = p[i] >= 0 ? p[i] : slope * p[i];
        std::swap(X, tmp);
    }
}

}  // namespace

DataModel make_data_model(const Config& cfg) {
    DataModel dm;
    dm.kind = cfg.s("data.kind");
    if (dm.kind == "fashion_mnist") return dm;  // real images: no generative model
    dm.linear = theory::make_model(data_spec(cfg));
    dm.slope = cfg.f("data.slope");
    if (dm.kind == "nonlinear") {
        const auto depth = static_cast<std::size_t>(cfg.i("data.depth"));
        const auto seed = static_cast<std::uint64_t>(cfg.i("data.seed"));
        ad::Rng r1(ad::derive_seed(seed, "nonlinear_h1"));
        ad::Rng r2(ad::derive_seed(seed, "nonlinear_h2"));
        const auto d1 = static_cast<std::size_t>(cfg.i("data.d1"));
        const auto d2 = static_cast<std::size_t>(cfg.i("data.d2"));
        for (std::size_t l = 0; l < depth; ++l) dm.h1.push_back(random_orthogonal(d1, r1));
        for (std::size_t l = 0; l < depth; ++l) dm.h2.push_back(random_orthogonal(d2, r2));
    } else if (dm.kind != "linear") {
        throw ConfigError("'data.kind' must be linear, nonlinear or fashion_mnist, got \"" + dm.kind + "\"");
    }
    return dm;
}

Split draw(const DataModel& dm, std::size_t n, ad::Rng& rng) {
    const theory::Model& m = dm.linear;
    const auto& sp = m.spec;
    const auto ks = static_cast<std::size_t>(m.ks()), k1 = static_cast<std::size_t>(m.k1()),
               k2 = static_cast<std::size_t>(m.k2());
    const auto d1 = static_cast<std::size_t>(sp.d1), d2 = static_cast<std::size_t>(sp.d2);
    Split out;
    out.s = Mat({n, ks});
    out.u1 = Mat({n, k1});
    out.u2 = Mat({n, k2});
    // Draw order is part of the contract (same seed, same samples): s, u1, u2, eps1, eps2, eta.
    ad::fill_normal(out.s, rng);
    ad::fill_normal(out.u1, rng);
    ad::fill_normal(out.u2, rng);
    out.x1 = Mat({n, d1});
    out.x2 = Mat({n, d2});
    // x_i = s A_i^T + u_i B_i^T  (rows)
    ad::blas::gemm(out.s, false, m.A1, true, out.x1, 1.0, 0.0);
    ad::blas::gemm(out.u1, false, m.B1, true, out.x1, 1.0, 1.0);
    ad::blas::gemm(out.s, false, m.A2, true, out.x2, 1.0, 0.0);
    ad::blas::gemm(out.u2, false, m.B2, true, out.x2, 1.0, 1.0);
    if (dm.kind == "nonlinear") {
        apply_network(dm.h1, dm.slope, out.x1);
        apply_network(dm.h2, dm.slope, out.x2);
    }
    Mat e1({n, d1}), e2({n, d2});
    ad::fill_normal(e1, rng);
    ad::fill_normal(e2, rng);
    {
        double* x = out.x1.data();
        const double* e = e1.data();
        for (std::size_t i = 0; i < out.x1.size(); ++i) x[i] += sp.noise1 * e[i];
    }
    {
        double* x = out.x2.data();
        const double* e = e2.data();
        for (std::size_t i = 0; i < out.x2.size(); ++i) x[i] += sp.noise2 * e[i];
    }
    // y = v G^T + sigma_y eta, v = [s, u1, u2]
    const std::size_t kv = ks + k1 + k2;
    Mat v({n, kv});
    for (std::size_t r = 0; r < n; ++r) {
        for (std::size_t j = 0; j < ks; ++j) v(r, j) = out.s(r, j);
        for (std::size_t j = 0; j < k1; ++j) v(r, ks + j) = out.u1(r, j);
        for (std::size_t j = 0; j < k2; ++j) v(r, ks + k1 + j) = out.u2(r, j);
    }
    out.y = Mat({n, static_cast<std::size_t>(theory::kNumTargets)});
    ad::blas::gemm(v, false, m.G, true, out.y, 1.0, 0.0);
    Mat eta(out.y.shape());
    ad::fill_normal(eta, rng);
    if (sp.target_noise > 0) {
        double* y = out.y.data();
        const double* e = eta.data();
        for (std::size_t i = 0; i < out.y.size(); ++i) y[i] += sp.target_noise * e[i];
    }
    return out;
}

std::uint64_t sample_seed(const Config& cfg) {
    const auto ss = cfg.i("data.sample_seed");
    if (ss >= 0) return static_cast<std::uint64_t>(ss);
    return ad::derive_seed(ad::derive_seed(static_cast<std::uint64_t>(cfg.i("data.seed")), "samples"),
                           static_cast<std::uint64_t>(cfg.i("train.seed")));
}

Samples make_samples(const Config& cfg, const DataModel& dm) {
    if (dm.kind == "fashion_mnist")
        throw std::logic_error("make_samples: data.kind = fashion_mnist has scenes, not samples (fashion_sample)");
    const std::uint64_t seed = sample_seed(cfg);
    ad::Rng rtrain(ad::derive_seed(seed, "train"));
    ad::Rng rtest(ad::derive_seed(seed, "test"));
    Samples s;
    s.train = draw(dm, static_cast<std::size_t>(cfg.i("data.n_train")), rtrain);
    s.test = draw(dm, static_cast<std::size_t>(cfg.i("data.n_test")), rtest);
    return s;
}

namespace {

// Every data.* value, exactly (doubles to 17 digits), and the sample seed.
std::string samples_key(const Config& cfg) {
    std::string key;
    for (const auto& [name, v] : cfg.values()) {
        if (name.rfind("data.", 0) != 0) continue;
        key += name;
        key += '=';
        if (const double* d = std::get_if<double>(&v)) {
            char buf[32];
            std::snprintf(buf, sizeof buf, "%.17g", *d);
            key += buf;
        } else if (const std::string* s = std::get_if<std::string>(&v)) {
            key += std::to_string(s->size()) + ':' + *s;
        } else {
            key += value_to_string(v);
        }
        key += '\n';
    }
    return key + "sample_seed=" + std::to_string(sample_seed(cfg));
}

constexpr std::size_t kSampleBytes = std::size_t(256) << 20;

struct SamplesCache {
    std::mutex mu;
    struct Entry {
        std::string key;
        std::shared_ptr<const Samples> samples;
        std::size_t bytes = 0;
    };
    std::list<Entry> entries;  // most recently used first
};

std::size_t bytes_of(const Samples& s) {
    std::size_t n = 0;
    for (const Split* sp : {&s.train, &s.test})
        for (const Mat* m : {&sp->x1, &sp->x2, &sp->s, &sp->u1, &sp->u2, &sp->y}) n += m->size() * sizeof(double);
    return n;
}

}  // namespace

std::shared_ptr<const Samples> shared_samples(const Config& cfg, const DataModel& dm) {
    static SamplesCache c;
    const std::string key = samples_key(cfg);
    {
        std::lock_guard<std::mutex> lk(c.mu);
        for (auto it = c.entries.begin(); it != c.entries.end(); ++it)
            if (it->key == key) {
                c.entries.splice(c.entries.begin(), c.entries, it);
                return it->samples;
            }
    }
    // Drawn outside the lock: another thread asking for the same key meanwhile draws the same
    // numbers (deterministic), and the first one stored is kept.
    auto s = std::make_shared<const Samples>(make_samples(cfg, dm));
    std::lock_guard<std::mutex> lk(c.mu);
    for (const auto& e : c.entries)
        if (e.key == key) return e.samples;
    c.entries.push_front({key, s, bytes_of(*s)});
    std::size_t total = 0;
    for (auto e = c.entries.begin(); e != c.entries.end();) {
        total += e->bytes;
        if (total > kSampleBytes && e != c.entries.begin()) e = c.entries.erase(e);
        else ++e;
    }
    return s;
}

namespace {

// The process-wide cache of fashion_mnist data: datasets by path (kept), scenes by key (least
// recently used dropped beyond kSceneBytes). Entries are futures: a config that asks for scenes
// another thread is building waits for them instead of building them twice. The building runs
// in an isolated TBB region, so that a thread waiting on it never runs it itself.
constexpr std::size_t kSceneBytes = std::size_t(1) << 30;

struct FashionCache {
    std::mutex mu;
    std::map<std::string, std::shared_future<std::shared_ptr<const FashionMnist>>> datasets;
    struct Entry {
        std::string key;
        std::shared_future<std::shared_ptr<const FashionScenes>> scenes;
        std::size_t bytes = 0;
    };
    std::list<Entry> scenes;  // most recently used first
};
FashionCache& fashion_cache() {
    static FashionCache c;
    return c;
}

std::shared_ptr<const FashionMnist> dataset(const std::string& path) {
    FashionCache& c = fashion_cache();
    std::promise<std::shared_ptr<const FashionMnist>> prom;
    std::shared_future<std::shared_ptr<const FashionMnist>> fut;
    bool mine = false;
    {
        std::lock_guard<std::mutex> lk(c.mu);
        auto it = c.datasets.find(path);
        if (it == c.datasets.end()) {
            fut = prom.get_future().share();
            c.datasets.emplace(path, fut);
            mine = true;
        } else {
            fut = it->second;
        }
    }
    if (mine) {
        try {
            prom.set_value(std::make_shared<const FashionMnist>(load_fashion_mnist(path)));
        } catch (...) {
            {  // a failed read is not cached: the next config tries again
                std::lock_guard<std::mutex> lk(c.mu);
                c.datasets.erase(path);
            }
            prom.set_exception(std::current_exception());
        }
    }
    return fut.get();
}

}  // namespace

FashionSample fashion_sample(const Config& cfg) {
    if (cfg.s("data.kind") != "fashion_mnist") throw std::logic_error("fashion_sample: data.kind is not fashion_mnist");
    const std::string path = cfg.s("data.path");
    const std::uint64_t seed = sample_seed(cfg);
    const auto n_train = static_cast<std::size_t>(cfg.i("data.n_train"));
    const auto n_test = static_cast<std::size_t>(cfg.i("data.n_test"));
    FashionSample out;
    out.key = path + "|seed=" + std::to_string(seed) + "|n_train=" + std::to_string(n_train) +
              "|n_test=" + std::to_string(n_test);
    out.rho = cfg.f("data.redundancy");

    FashionCache& c = fashion_cache();
    std::promise<std::shared_ptr<const FashionScenes>> prom;
    std::shared_future<std::shared_ptr<const FashionScenes>> fut;
    bool mine = false;
    {
        std::lock_guard<std::mutex> lk(c.mu);
        auto it = std::find_if(c.scenes.begin(), c.scenes.end(), [&](const FashionCache::Entry& e) { return e.key == out.key; });
        if (it != c.scenes.end()) {
            c.scenes.splice(c.scenes.begin(), c.scenes, it);  // most recently used
            fut = it->scenes;
        } else {
            fut = prom.get_future().share();
            c.scenes.push_front({out.key, fut, 2 * (n_train + n_test) * kFashionMnistInputs * sizeof(float)});
            mine = true;
            std::size_t total = 0;
            for (auto e = c.scenes.begin(); e != c.scenes.end();) {
                total += e->bytes;
                if (total > kSceneBytes && e != c.scenes.begin()) e = c.scenes.erase(e);  // users keep their copies
                else ++e;
            }
        }
    }
    if (mine) {
        try {
            std::shared_ptr<const FashionScenes> sc;
            tbb::this_task_arena::isolate([&] {
                const std::shared_ptr<const FashionMnist> d = dataset(path);
                sc = std::make_shared<const FashionScenes>(make_fashion_scenes(*d, n_train, n_test, 0.0, seed));
            });
            prom.set_value(sc);
        } catch (...) {
            {
                std::lock_guard<std::mutex> lk(c.mu);
                c.scenes.remove_if([&](const FashionCache::Entry& e) { return e.key == out.key; });
            }
            prom.set_exception(std::current_exception());
        }
    }
    out.scenes = fut.get();
    for (int split = 0; split < 2; ++split) {
        const FashionSplit& s = split == 0 ? out.scenes->train : out.scenes->test;
        (split == 0 ? out.y_train : out.y_test) = {s.y_shared, s.y1, s.y2, mix_labels(s, out.rho)};
    }
    return out;
}

}  // namespace sim
