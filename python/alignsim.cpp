// The `alignsim` Python module (docs/python.md): the CLI's configs, closed forms, samples, runs and
// sweeps from Python, with numpy arrays. Thin bindings over the sim libraries: every computation
// lives below (sim/run/evaluate.hpp, sim/run/analytic.hpp, sim/data/samples.hpp, sim/run/run.hpp,
// sim/sweep/sweep.hpp), shared with the command.
//
// Conventions: bad input raises ValueError with the CLI's one-line message (sim::ConfigError);
// long calls run on a worker thread with the GIL released while the calling thread watches for
// Ctrl-C (PyErr_CheckSignals) and stops the work through sim/run/stop.hpp, raising
// KeyboardInterrupt; arrays from alignsim are numpy views of the C++ storage (no copy), arrays
// into alignsim are converted to float64 and copied once into its matrices.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include <nlohmann/json.hpp>

#include "autodiff/blas.hpp"
#include "autodiff/random.hpp"
#include "sim/config/config.hpp"
#include "sim/config/load.hpp"
#include "sim/data/samples.hpp"
#include "sim/io/csv.hpp"
#include "sim/io/meta.hpp"
#include "sim/run/analytic.hpp"
#include "sim/run/evaluate.hpp"
#include "sim/run/run.hpp"
#include "sim/run/stop.hpp"
#include "sim/sweep/grid.hpp"
#include "sim/sweep/sweep.hpp"

namespace py = pybind11;
using nlohmann::json;

namespace {

// ---------------------------------------------------------------- numpy <-> C++
// A numpy array viewing m's storage, kept alive by owner.
py::array view(const sim::Mat& m, const py::object& owner) {
    const std::size_t r = m.shape()[0], c = m.shape()[1];
    return py::array_t<double>({r, c}, {c * sizeof(double), sizeof(double)}, m.data(), owner);
}
// A numpy array that owns (moves) m.
py::array own(sim::Mat&& m) {
    auto* p = new sim::Mat(std::move(m));
    py::capsule cap(p, [](void* q) { delete static_cast<sim::Mat*>(q); });
    return view(*p, cap);
}

using InArray = py::array_t<double, py::array::c_style | py::array::forcecast>;

sim::Mat to_mat(const py::object& o, const char* name, bool allow_1d = false) {
    InArray a;
    try {
        a = InArray::ensure(o);
    } catch (const py::error_already_set&) {
        throw sim::ConfigError(std::string(name) + " must be an array of numbers");
    }
    if (!a) {
        PyErr_Clear();
        throw sim::ConfigError(std::string(name) + " must be an array of numbers");
    }
    if (a.ndim() == 1 && allow_1d) {
        sim::Mat m = sim::Mat::from_shape({static_cast<std::size_t>(a.shape(0)), std::size_t(1)});
        std::copy(a.data(), a.data() + a.size(), m.begin());
        return m;
    }
    if (a.ndim() != 2)
        throw sim::ConfigError(std::string(name) + " must be a 2-D array, got " + std::to_string(a.ndim()) + " dimensions");
    sim::Mat m = sim::Mat::from_shape({static_cast<std::size_t>(a.shape(0)), static_cast<std::size_t>(a.shape(1))});
    std::copy(a.data(), a.data() + a.size(), m.begin());
    return m;
}

std::vector<double> to_vec(const py::object& o, const char* name) {
    if (o.is_none()) return {};
    InArray a;
    try {
        a = InArray::ensure(o);
    } catch (const py::error_already_set&) {
        a = InArray();
    }
    if (!a || a.ndim() != 1) {
        PyErr_Clear();
        throw sim::ConfigError(std::string(name) + " must be a 1-D array of numbers");
    }
    return std::vector<double>(a.data(), a.data() + a.size());
}

// JSON to Python: with arrays, lists of numbers become 1-D numpy arrays and lists of equal-length
// lists of numbers 2-D ones; null becomes None.
py::object to_py(const json& j, bool arrays) {
    switch (j.type()) {
        case json::value_t::null: return py::none();
        case json::value_t::boolean: return py::bool_(j.get<bool>());
        case json::value_t::number_integer: return py::int_(j.get<std::int64_t>());
        case json::value_t::number_unsigned: return py::int_(j.get<std::uint64_t>());
        case json::value_t::number_float: return py::float_(j.get<double>());
        case json::value_t::string: return py::str(j.get<std::string>());
        case json::value_t::object: {
            py::dict d;
            for (const auto& [k, v] : j.items()) d[py::str(k)] = to_py(v, arrays);
            return d;
        }
        case json::value_t::array: {
            if (arrays && !j.empty()) {
                bool nums = true, rows = true;
                std::size_t width = j[0].is_array() ? j[0].size() : 0;
                for (const auto& x : j) {
                    nums = nums && x.is_number();
                    bool row = x.is_array() && x.size() == width && width > 0;
                    if (row)
                        for (const auto& y : x) row = row && y.is_number();
                    rows = rows && row;
                }
                if (nums) {
                    sim::Mat m = sim::Mat::from_shape({j.size(), std::size_t(1)});
                    for (std::size_t i = 0; i < j.size(); ++i) m(i, 0) = j[i].get<double>();
                    return own(std::move(m)).attr("reshape")(j.size());
                }
                if (rows) {
                    sim::Mat m = sim::Mat::from_shape({j.size(), width});
                    for (std::size_t i = 0; i < j.size(); ++i)
                        for (std::size_t k = 0; k < width; ++k) m(i, k) = j[i][k].get<double>();
                    return own(std::move(m));
                }
            } else if (arrays) {
                return py::array_t<double>(0);
            }
            py::list l;
            for (const auto& x : j) l.append(to_py(x, arrays));
            return l;
        }
        default: return py::none();
    }
}

// ---------------------------------------------------------------- Config
// A config as the CLI builds it: a TOML file, then `--set key=value` assignments, validated. The
// assignments are kept so that a sweep can be loaded the way `alignsim sweep` loads it.
struct PyCfg {
    sim::ConfigArgs args;
    sim::Config cfg;
};

// A Python value as the TOML value of `--set key=VALUE`.
std::string toml_value(const py::handle& v, const std::string& key) {
    if (py::isinstance<py::bool_>(v)) return v.cast<bool>() ? "true" : "false";
    if (py::isinstance<py::int_>(v)) return py::str(v).cast<std::string>();
    if (py::isinstance<py::float_>(v)) {
        const double x = v.cast<double>();
        if (std::isnan(x)) return "nan";
        if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
        std::string s = py::repr(v).cast<std::string>();
        if (s.find_first_of(".eE") == std::string::npos) s += ".0";
        return s;
    }
    if (py::isinstance<py::str>(v)) return json(v.cast<std::string>()).dump();  // a TOML basic string
    if (py::isinstance<py::list>(v) || py::isinstance<py::tuple>(v)) {
        std::string s = "[";
        bool first = true;
        for (const auto& x : v) {
            s += (first ? "" : ", ") + toml_value(x, key);
            first = false;
        }
        return s + "]";
    }
    // numpy scalars and other numbers
    if (py::hasattr(v, "item")) return toml_value(v.attr("item")(), key);
    throw sim::ConfigError("--set " + key + ": a value of Python type " +
                           py::str(py::type::of(v).attr("__name__")).cast<std::string>() +
                           " (expected bool, int, float, str or a list)");
}

PyCfg make_config(const py::object& settings, const py::object& path) {
    PyCfg c;
    if (!path.is_none()) {
        c.args.config_path = py::str(path).cast<std::string>();
        if (!std::filesystem::is_regular_file(c.args.config_path))
            throw sim::ConfigError("config: File does not exist: " + c.args.config_path);
    }
    if (!settings.is_none()) {
        if (!py::isinstance<py::dict>(settings)) throw sim::ConfigError("settings must be a dict of config keys and values");
        for (const auto& [k, v] : settings.cast<py::dict>()) {
            const std::string key = py::str(k).cast<std::string>();
            c.args.sets.push_back(key + "=" + toml_value(v, key));
        }
    }
    c.cfg = sim::load_config(c.args);
    return c;
}

// cfg arguments: a Config, a dict of settings, or None (the defaults).
PyCfg as_config(const py::object& o) {
    if (o.is_none()) return make_config(py::none(), py::none());
    if (py::isinstance<PyCfg>(o)) return o.cast<PyCfg>();
    if (py::isinstance<py::dict>(o)) return make_config(o, py::none());
    throw sim::ConfigError("cfg must be an alignsim.Config, a dict of config keys or None");
}

// ---------------------------------------------------------------- long calls
// Runs f on a worker thread, the GIL released; the calling thread wakes every 50 ms to run
// Python's signal handlers (PyErr_CheckSignals) and the optional tick. A KeyboardInterrupt (or any
// exception a handler raises) asks the work to stop (sim::request_stop, as SIGINT does to the
// command), waits for it, and is raised. f's exceptions are rethrown here.
template <class R>
R interruptible(std::function<R()> f, std::function<void()> tick = {}) {
    std::optional<R> result;
    std::exception_ptr error;
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    sim::clear_stop();
    std::thread worker([&] {
        try {
            result.emplace(f());
        } catch (...) {
            error = std::current_exception();
        }
        std::lock_guard<std::mutex> lock(mu);
        done = true;
        cv.notify_all();
    });
    bool stopped = false;
    for (;;) {
        {
            py::gil_scoped_release release;
            std::unique_lock<std::mutex> lock(mu);
            cv.wait_for(lock, std::chrono::milliseconds(50), [&] { return done; });
            if (done) break;
        }
        if (stopped) continue;
        bool raised = PyErr_CheckSignals() != 0;
        if (!raised && tick) {
            try {
                tick();
            } catch (py::error_already_set& e) {
                e.restore();
                raised = true;
            }
        }
        if (raised) {
            stopped = true;
            sim::request_stop(SIGINT);
        }
    }
    {
        py::gil_scoped_release release;
        worker.join();
    }
    sim::clear_stop();
    if (stopped) throw py::error_already_set();  // the KeyboardInterrupt (or the callback's error)
    if (error) std::rethrow_exception(error);
    if (tick) tick();
    return std::move(*result);
}

// ---------------------------------------------------------------- the API
py::dict theory_of(const py::object& o) {
    const PyCfg c = as_config(o);
    sim::require_closed_forms(c.cfg);
    json j = sim::theory_report(c.cfg);
    j["config"] = c.cfg.to_json();
    j["meta"] = sim::run_metadata();
    py::dict d = to_py(j, true);
    d["config"] = to_py(j["config"], false);
    sim::Mat W1, W2;
    const json opt = sim::configured_optimum(c.cfg, &W1, &W2);
    py::dict enc = to_py(opt, true);
    enc["W1"] = W1.size() ? py::object(own(std::move(W1))) : py::object(py::none());
    enc["W2"] = W2.size() ? py::object(own(std::move(W2))) : py::object(py::none());
    d["encoders"] = enc;
    return d;
}

py::dict sample(const py::object& o, std::int64_t n, const py::object& seed, const std::string& split) {
    const PyCfg c = as_config(o);
    if (n < 1) throw sim::ConfigError("sample: n must be at least 1, got " + std::to_string(n));
    if (split != "train" && split != "test")
        throw sim::ConfigError("sample: split must be 'train' or 'test', got '" + sim::printable(split) + "'");
    if (c.cfg.s("data.kind") == "fashion_mnist")
        throw sim::ConfigError("sample: data.kind = fashion_mnist has scenes of real images, not samples of a model; "
                               "`alignsim export` writes them");
    std::uint64_t s = 0;
    if (seed.is_none()) {
        s = sim::sample_seed(c.cfg);
    } else {
        const std::int64_t v = seed.cast<std::int64_t>();
        if (v < 0) throw sim::ConfigError("sample: seed must be >= 0 (None: the sample seed of train and export)");
        s = static_cast<std::uint64_t>(v);
    }
    auto* sp = new sim::Split;
    {
        py::gil_scoped_release release;
        try {
            const sim::DataModel dm = sim::make_data_model(c.cfg);
            ad::Rng rng(ad::derive_seed(s, split.c_str()));
            *sp = sim::draw(dm, static_cast<std::size_t>(n), rng);
        } catch (...) {
            delete sp;
            throw;
        }
    }
    py::capsule owner(sp, [](void* q) { delete static_cast<sim::Split*>(q); });
    py::dict d;
    d["x1"] = view(sp->x1, owner);
    d["x2"] = view(sp->x2, owner);
    d["s"] = view(sp->s, owner);
    d["u1"] = view(sp->u1, owner);
    d["u2"] = view(sp->u2, owner);
    const std::size_t rows = sp->y.shape()[0], cols = sp->y.shape()[1];
    d["y"] = view(sp->y, owner);
    for (int t = 0; t < theory::kNumTargets; ++t)  // columns of y, strided views
        d[py::str(theory::kTargetNames[t])] =
            py::array_t<double>({rows}, {cols * sizeof(double)}, sp->y.data() + t, owner);
    d["seed"] = s;
    return d;
}

py::dict evaluate(const py::object& o, const py::object& W1, const py::object& W2, const py::object& b1,
                  const py::object& b2) {
    const PyCfg c = as_config(o);
    sim::LinearEncoders e;
    e.W1 = to_mat(W1, "W1");
    if (!W2.is_none()) e.W2 = to_mat(W2, "W2");
    e.b1 = to_vec(b1, "b1");
    e.b2 = to_vec(b2, "b2");
    json j;
    {
        py::gil_scoped_release release;
        j = sim::evaluate_linear(c.cfg, e);
    }
    return to_py(j, true);
}

// latents: a dict with s, u1, u2 and either y or y_shared, y1, y2, y_mix (as sample() returns).
sim::Split split_of(const py::dict& lat, std::size_t begin, std::size_t end, std::size_t total) {
    auto rows = [&](const sim::Mat& m) {
        sim::Mat r = sim::Mat::from_shape({end - begin, m.shape()[1]});
        for (std::size_t i = begin; i < end; ++i)
            for (std::size_t j = 0; j < m.shape()[1]; ++j) r(i - begin, j) = m(i, j);
        return r;
    };
    auto get = [&](const char* k, bool allow_1d) {
        if (!lat.contains(k)) throw sim::ConfigError(std::string("latents lacks '") + k + "' (pass the dict of sample())");
        return to_mat(lat[k], k, allow_1d);
    };
    const sim::Mat S = get("s", true), U1 = get("u1", true), U2 = get("u2", true);
    sim::Mat y;
    if (lat.contains("y")) {
        y = get("y", false);
    } else {
        std::vector<sim::Mat> cols;
        for (int t = 0; t < theory::kNumTargets; ++t) cols.push_back(get(theory::kTargetNames[t], true));
        y = sim::Mat::from_shape({cols[0].shape()[0], std::size_t(theory::kNumTargets)});
        for (int t = 0; t < theory::kNumTargets; ++t) {
            if (cols[t].shape()[0] != y.shape()[0]) throw sim::ConfigError("latents: the targets have different lengths");
            for (std::size_t i = 0; i < y.shape()[0]; ++i) y(i, t) = cols[t](i, 0);
        }
    }
    if (y.shape()[1] != static_cast<std::size_t>(theory::kNumTargets))
        throw sim::ConfigError("latents['y'] must have one column per target (y_shared, y1, y2, y_mix)");
    for (const sim::Mat* m : std::initializer_list<const sim::Mat*>{&S, &y, &U1, &U2})
        if (m->shape()[0] != total) throw sim::ConfigError("latents: every array must have one row per sample of z1");
    sim::Split s;
    s.s = rows(S);
    s.u1 = rows(U1);
    s.u2 = rows(U2);
    s.y = rows(y);
    s.x1 = sim::Mat::from_shape({end - begin, std::size_t(0)});
    return s;
}

py::dict evaluate_samples(const py::object& o, const py::object& z1, const py::object& z2, const py::dict& latents,
                          double test_fraction) {
    const PyCfg c = as_config(o);
    if (!(test_fraction > 0 && test_fraction < 1))
        throw sim::ConfigError("evaluate_samples: test_fraction must be in (0, 1)");
    const sim::Mat Z1 = to_mat(z1, "z1", true);
    const sim::Mat Z2 = z2.is_none() ? sim::Mat() : to_mat(z2, "z2", true);
    const std::size_t n = Z1.shape()[0];
    if (Z2.size() && Z2.shape()[0] != n) throw sim::ConfigError("z1 and z2 must have the same number of rows");
    const std::size_t ntest = static_cast<std::size_t>(std::llround(test_fraction * static_cast<double>(n)));
    const std::size_t ntr = n - ntest;
    auto rows = [](const sim::Mat& m, std::size_t b, std::size_t e) {
        if (m.size() == 0) return sim::Mat();
        sim::Mat r = sim::Mat::from_shape({e - b, m.shape()[1]});
        for (std::size_t i = b; i < e; ++i)
            for (std::size_t j = 0; j < m.shape()[1]; ++j) r(i - b, j) = m(i, j);
        return r;
    };
    const sim::Split tr = split_of(latents, 0, ntr, n), te = split_of(latents, ntr, n, n);
    const sim::Mat z1tr = rows(Z1, 0, ntr), z1te = rows(Z1, ntr, n), z2tr = rows(Z2, 0, ntr), z2te = rows(Z2, ntr, n);
    const json j = interruptible<json>([&] { return sim::probe_representations(c.cfg, z1tr, z2tr, tr, z1te, z2te, te); });
    return to_py(j, true);
}

py::dict train(const py::object& o) {
    const PyCfg c = as_config(o);
    std::vector<sim::LearnedArray> weights;
    sim::RunOptions opt;
    opt.weights = &weights;
    if (c.cfg.s("data.kind") == "fashion_mnist")
        opt.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    const sim::RunResult r = interruptible<sim::RunResult>([&] { return sim::run(c.cfg, opt); });
    json j = r.to_json();
    j["config"] = c.cfg.to_json();
    j["meta"] = sim::run_metadata();
    py::dict d = to_py(j, true);
    d["config"] = to_py(j["config"], false);
    py::dict w;
    for (auto& a : weights) {
        sim::Mat m = sim::Mat::from_shape({a.shape[0], a.shape.size() > 1 ? a.shape[1] : std::size_t(1)});
        std::copy(a.data.begin(), a.data.end(), m.begin());
        w[py::str(a.name)] = own(std::move(m));
    }
    d["weights"] = w;
    return d;
}

py::dict sweep(const py::object& what, const std::string& out, int jobs, const py::object& progress) {
    sim::ConfigArgs args;
    if (py::isinstance<PyCfg>(what)) {
        args = what.cast<PyCfg>().args;
    } else if (py::isinstance<py::dict>(what)) {
        args = make_config(what, py::none()).args;
    } else if (py::isinstance<py::str>(what) || py::hasattr(what, "__fspath__")) {
        args.config_path = py::module_::import("os").attr("fspath")(what).cast<std::string>();
        if (!std::filesystem::is_regular_file(args.config_path))
            throw sim::ConfigError("config: File does not exist: " + args.config_path);
    } else {
        throw sim::ConfigError("sweep: the first argument must be a sweep file path, an alignsim.Config or a dict");
    }
    if (jobs < 0) throw sim::ConfigError("--jobs: must be >= 0 (0: all cores)");
    const sim::SweepSpec spec = sim::load_sweep_spec(args);
    const std::size_t total = sim::expand(spec).size();
    std::atomic<std::size_t> finished{0};
    sim::SweepOptions opt;
    opt.out_dir = out;
    opt.jobs = jobs;
    const bool callback = !progress.is_none() && !py::isinstance<py::bool_>(progress);
    opt.quiet = !(py::isinstance<py::bool_>(progress) && progress.cast<bool>());
    opt.cell = [&finished](const sim::Config& cfg) {
        sim::RunResult r = sim::run(cfg);
        ++finished;
        return r;
    };
    std::size_t reported = static_cast<std::size_t>(-1);
    std::function<void()> tick;
    if (callback)
        tick = [&] {
            const std::size_t now = finished.load();
            if (now != reported) {
                reported = now;
                progress(now, total);
            }
        };
    const sim::SweepSummary s = interruptible<sim::SweepSummary>([&] { return sim::run_sweep(spec, opt); }, tick);
    if (s.interrupted) {  // a signal to the process that Python did not see first
        PyErr_SetNone(PyExc_KeyboardInterrupt);
        throw py::error_already_set();
    }
    if (s.failed)
        throw std::runtime_error(std::to_string(s.failed) + " of " + std::to_string(s.total) + " cells failed (first: " +
                                 s.first_failure + "); the others are saved, rerun the same call to retry");
    py::dict d;
    d["total"] = s.total;
    d["skipped"] = s.skipped;
    d["ran"] = s.ran;
    d["ok"] = s.ok;
    d["not_converged"] = s.not_converged;
    d["diverged"] = s.diverged;
    d["complete"] = s.complete;
    d["out"] = out;
    return d;
}

py::object read_results(const std::string& dir) {
    const std::string path = (std::filesystem::path(dir) / sim::kResultsFile).string();
    if (!std::filesystem::is_regular_file(path))
        throw sim::ConfigError("'" + sim::printable(dir) + "' has no " + sim::kResultsFile + " (a directory written by sweep)");
    const sim::CsvTable t = sim::read_csv(path);
    py::dict cols;
    for (std::size_t c = 0; c < t.header.size(); ++c) {
        std::vector<double> nums;
        nums.reserve(t.rows.size());
        bool numeric = true;
        for (const auto& row : t.rows) {
            const std::string& v = c < row.size() ? row[c] : std::string();
            if (v.empty() || v == "nan" || v == "NaN") {
                nums.push_back(std::nan(""));
                continue;
            }
            char* end = nullptr;
            const double x = std::strtod(v.c_str(), &end);
            if (end == v.c_str() || *end != '\0') {
                numeric = false;
                break;
            }
            nums.push_back(x);
        }
        if (numeric) {
            cols[py::str(t.header[c])] = py::array_t<double>(static_cast<py::ssize_t>(nums.size()), nums.data());
        } else {
            py::list l;
            for (const auto& row : t.rows) l.append(py::str(c < row.size() ? row[c] : std::string()));
            cols[py::str(t.header[c])] = py::module_::import("numpy").attr("array")(l, "object");
        }
    }
    try {
        return py::module_::import("pandas").attr("DataFrame")(cols);
    } catch (py::error_already_set& e) {
        if (!e.matches(PyExc_ImportError)) throw;
        return std::move(cols);
    }
}

}  // namespace

PYBIND11_MODULE(alignsim, m) {
    m.doc() = "alignsim: closed forms and learned encoders for multimodal alignment (docs/python.md)";
    ad::blas::set_threads(1);  // parallelism is across runs, never inside BLAS (as the command)
    m.attr("__version__") = sim::version();

    py::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p) std::rethrow_exception(p);
        } catch (const sim::Interrupted&) {
            PyErr_SetNone(PyExc_KeyboardInterrupt);
        } catch (const sim::ConfigError& e) {
            PyErr_SetString(PyExc_ValueError, e.what());
        } catch (const std::bad_alloc&) {
            PyErr_SetString(PyExc_MemoryError,
                            "out of memory: the configuration needs more memory than this machine has (reduce data.n_train, "
                            "data.n_test, data.d1, data.d2 or model.hidden)");
        }
    });

    py::class_<PyCfg>(m, "Config", "A validated configuration: the CLI's keys (`alignsim config` lists them)")
        .def(py::init(&make_config), py::arg("settings") = py::none(), py::arg("path") = py::none(),
             "settings: a dict of --set keys and values ({'data.redundancy': 0.3}); path: a TOML file, read first")
        .def("to_dict", [](const PyCfg& c) { return to_py(c.cfg.to_json(), false); }, "every key, resolved")
        .def("__getitem__", [](const PyCfg& c, const std::string& k) {
            if (!sim::find_key(k)) throw py::key_error(k);
            return to_py(c.cfg.to_json()[k], false);
        })
        .def("__repr__", [](const PyCfg& c) {
            std::string s = "alignsim.Config(";
            if (!c.args.config_path.empty()) s += "path=" + json(c.args.config_path).dump() + ", ";
            s += "settings=[";
            for (std::size_t i = 0; i < c.args.sets.size(); ++i) s += (i ? ", " : "") + json(c.args.sets[i]).dump();
            return s + "])";
        });

    m.def("theory", &theory_of, py::arg("cfg") = py::none(),
          "the closed forms of `alignsim theory --json` as a dict (numpy arrays), plus encoders={'W1','W2',...}: "
          "the optimum of the configured objective");
    m.def("sample", &sample, py::arg("cfg") = py::none(), py::arg("n") = 10000, py::arg("seed") = py::none(),
          py::arg("split") = "train",
          "n samples: x1, x2, s, u1, u2, y (n x 4) and its columns y_shared, y1, y2, y_mix; seed: the sample seed "
          "(None: the one train and export use); the same arrays as export's <split>_* with data.sample_seed = seed");
    m.def("evaluate", &evaluate, py::arg("cfg"), py::arg("W1"), py::arg("W2") = py::none(), py::arg("b1") = py::none(),
          py::arg("b2") = py::none(),
          "closed-form R^2, information, principal angles and objective gaps of z1 = W1 x1 + b1, z2 = W2 x2 + b2");
    m.def("evaluate_samples", &evaluate_samples, py::arg("cfg"), py::arg("z1"), py::arg("z2"), py::arg("latents"),
          py::arg("test_fraction") = 0.5,
          "the linear and nonlinear probes of train on given representations of samples (fitted on the first rows, "
          "scored on the last test_fraction)");
    m.def("train", &train, py::arg("cfg") = py::none(),
          "one training run: the dict of `alignsim train --json` plus weights={'W1','W2',...}; Ctrl-C stops it");
    m.def("sweep", &sweep, py::arg("path_or_cfg"), py::arg("out"), py::arg("jobs") = 0, py::arg("progress") = py::none(),
          "runs a grid into the results directory out (resumable), as `alignsim sweep`; progress: a callable "
          "progress(done, total), True for the command's progress lines, None for none");
    m.def("read_results", &read_results, py::arg("dir"),
          "results.csv of a sweep directory: a pandas DataFrame when pandas is importable, else a dict of numpy columns");
}
