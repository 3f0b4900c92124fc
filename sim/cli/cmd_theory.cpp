// `alignsim theory [CONFIG] [--set key=value]... [--json]`: every closed form of the configured
// linear-Gaussian model (../shared/spec/theory.md; derivations in docs/theory.md), or with
// `--curve KEY=START:STOP:N [--log] [--format jsonl|csv]` the same along one key.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <cmath>
#include <map>
#include <vector>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "sim/cli/commands.hpp"
#include "sim/io/csv.hpp"
#include "sim/io/meta.hpp"
#include "sim/run/analytic.hpp"

namespace sim {

namespace {

using nlohmann::json;

// Progress of a long computation on stderr: nothing for the first 2 s, then a line every 5 s
// saying what is being computed, how far (points of a curve) and for how long, so that a large
// model (d1 = d2 = 1024 takes minutes) never computes without a word.
class Heartbeat {
public:
    Heartbeat(std::string what, std::size_t total) : what_(std::move(what)), total_(total) {
        th_ = std::thread([this] {
            const auto t0 = std::chrono::steady_clock::now();
            std::unique_lock<std::mutex> lk(mu_);
            auto wait = std::chrono::seconds(2);
            while (!cv_.wait_for(lk, wait, [this] { return stop_; })) {
                const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
                if (total_ > 1)
                    std::fprintf(stderr, "theory: %s: point %zu of %zu, %.0f s so far\n", what_.c_str(), done_.load() + 1, total_, secs);
                else std::fprintf(stderr, "theory: %s: %.0f s so far\n", what_.c_str(), secs);
                wait = std::chrono::seconds(5);
            }
        });
    }
    void step() { ++done_; }
    ~Heartbeat() {
        {
            std::lock_guard<std::mutex> lk(mu_);
            stop_ = true;
        }
        cv_.notify_one();
        th_.join();
    }

private:
    std::string what_;
    std::size_t total_;
    std::atomic<std::size_t> done_{0};
    std::mutex mu_;
    std::condition_variable cv_;
    bool stop_ = false;
    std::thread th_;
};

std::string model_text(const Config& cfg) {
    return "closed forms of d1=" + std::to_string(cfg.i("data.d1")) + ", d2=" + std::to_string(cfg.i("data.d2")) + " with " +
           std::to_string(cfg.i("theory.lambda_points")) + " trade-off points (O(d^3) each)";
}


std::string fmt(double x, int prec = 4) {
    if (!std::isfinite(x)) return x > 0 ? "inf" : "nan";
    std::ostringstream os;
    os.setf(std::ios::fixed);
    os.precision(prec);
    os << (std::abs(x) < 0.5 * std::pow(10.0, -prec) ? 0.0 : x);
    return os.str();
}

std::string pad(const std::string& s, std::size_t w) { return s.size() >= w ? s : s + std::string(w - s.size(), ' '); }
std::string lpad(const std::string& s, std::size_t w) { return s.size() >= w ? s : std::string(w - s.size(), ' ') + s; }

// The readable table of a theory report.
void print_table(const Config& cfg, const json& j) {
    const theory::DataSpec spec = data_spec(cfg);
    const int p = static_cast<int>(cfg.i("model.dim"));
    const std::string te_kind = cfg.s("objective.target_encoder");
    const json& r2 = j["r2"];
    const json& info = j["info_nats"];
    const json& by = j["by_objective"];
    const bool agree = j["objectives_agree"].get<bool>();
    const char* const objs[] = {"cca", "spectral", "regression"};
    std::ostringstream o;
    o << "alignsim theory: linear-Gaussian model, " << spec.mixing << " mixing, d1=" << spec.d1 << " d2=" << spec.d2
      << " k_shared=" << spec.k_shared << " k1=" << spec.k1 << " k2=" << spec.k2 << ", p=" << p
      << ", redundancy=" << spec.redundancy << "\n\n";
    o << "canonical correlations:";
    for (const auto& x : j["canonical_correlations"]) o << " " << fmt(x.get<double>());
    o << "\nI(x1; x2) = " << fmt(j["mutual_information_x1_x2"].get<double>()) << " nats\n";
    o << "aligned representation: minimum-norm optimum of " << j["aligned_objective"].get<std::string>() << "\n\n";
    const std::vector<std::string> cols = {"oracle_x1", "aligned_x1", "oracle_x2", "aligned_x2", "shared_posterior_x1"};
    o << pad("R^2", 12);
    for (const auto& c : cols) o << lpad(c, 21);
    o << "\n";
    for (int t = 0; t < theory::kNumTargets; ++t) {
        o << pad(theory::kTargetNames[t], 12);
        for (const auto& c : cols) o << lpad(fmt(r2[theory::kTargetNames[t]][c].get<double>()), 21);
        o << "\n";
    }
    o << "\n" << pad("I (nats)", 12);
    for (const auto& c : cols) o << lpad(c, 21);
    o << "\n";
    for (const char* b : theory::kBlockNames) {
        o << pad(b, 12);
        for (const auto& c : cols) o << lpad(fmt(info[c][b].get<double>()), 21);
        o << "\n";
    }
    o << "\noptimal alignment losses: cca " << fmt(by["cca"]["optimal_loss"].get<double>()) << ", spectral "
      << fmt(by["spectral"]["optimal_loss"].get<double>()) << ", regression (target encoder " << te_kind << ") "
      << fmt(by["regression"]["optimal_loss"].get<double>()) << "\n";
    if (!agree) {
        o << "\nper objective (R^2 from x1):\n" << pad("", 12);
        for (const char* name : objs) o << lpad(name, 14);
        o << "\n";
        for (int t = 0; t < theory::kNumTargets; ++t) {
            o << pad(theory::kTargetNames[t], 12);
            for (const char* name : objs) o << lpad(fmt(by[name]["r2_x1"][theory::kTargetNames[t]].get<double>()), 14);
            o << "\n";
        }
    }
    o << "\ntrade-off: task (y_mix) + lambda x regression alignment to the " << te_kind << " target encoder\n";
    o << lpad("lambda", 12) << lpad("R^2(y_mix|z1)", 16) << lpad("alignment", 14) << lpad("task loss", 14) << "\n";
    for (const auto& pt : j["tradeoff"])
        o << lpad(fmt(pt["lambda"].get<double>(), 4), 12) << lpad(fmt(pt["r2_y_mix"].get<double>()), 16)
          << lpad(fmt(pt["alignment_loss"].get<double>()), 14) << lpad(fmt(pt["task_loss"].get<double>()), 14)
          << (pt["attained"].get<bool>() ? "" : "  (infimum, not attained)") << "\n";
    for (const auto& w : j["warnings"]) o << "\nnote: " << w.get<std::string>() << "\n";
    std::cout << o.str();
}

// The numbers (and strings) of a report as columns named by their path, lists indexed from 0;
// the tradeoff list (a curve along lambda of its own) and the warnings are left to JSON.
void flatten(const json& j, const std::string& path, std::vector<std::pair<std::string, std::string>>& out) {
    if (j.is_object()) {
        for (const auto& [k, v] : j.items()) {
            if (path.empty() && (k == "tradeoff" || k == "warnings")) continue;
            flatten(v, path.empty() ? k : path + "." + k, out);
        }
    } else if (j.is_array()) {
        for (std::size_t i = 0; i < j.size(); ++i) flatten(j[i], path + "." + std::to_string(i), out);
    } else if (j.is_number()) {
        out.emplace_back(path, fmt_num(j.get<double>()));
    } else if (j.is_boolean()) {
        out.emplace_back(path, j.get<bool>() ? "true" : "false");
    } else if (j.is_string()) {
        out.emplace_back(path, j.get<std::string>());
    }
}

// `alignsim theory --curve KEY=START:STOP:N [--log] [--format jsonl|csv]`
int theory_curve(const TheoryArgs& a, const Config& cfg) {
    const CurveSpec c = parse_curve(a.curve, a.log);
    const std::vector<Config> cfgs = curve_configs(cfg, c);
    const bool integer = find_key(c.key)->kind == Kind::Int;
    auto value_text = [&](const Config& k) { return integer ? std::to_string(k.i(c.key)) : fmt_num(k.f(c.key)); };
    std::vector<json> rows;  // every point before any output: an error prints nothing else
    std::vector<std::string> xs;
    Heartbeat beat("--curve " + c.text() + ", " + model_text(cfg), cfgs.size());
    for (const auto& k : cfgs) {
        beat.step();
        json j;
        try {
            j = theory_report(k);
        } catch (const ConfigError& e) {
            throw ConfigError("--curve " + c.text() + ": at " + c.key + " = " + value_text(k) + ": " + e.what());
        }
        j["key"] = c.key;
        if (integer) j["value"] = k.i(c.key);
        else j["value"] = k.f(c.key);
        rows.push_back(std::move(j));
        xs.push_back(value_text(k));
    }
    std::ostringstream o;
    if (a.format != "csv") {
        for (const auto& j : rows) o << j.dump() << "\n";
    } else {
        std::vector<std::string> cols;  // in order of first appearance
        std::vector<std::map<std::string, std::string>> cells;
        for (std::size_t r = 0; r < rows.size(); ++r) {
            json rest = rows[r];
            rest.erase("key");
            rest.erase("value");
            std::vector<std::pair<std::string, std::string>> flat;
            flatten(rest, "", flat);
            std::map<std::string, std::string> m;
            for (const auto& [k, v] : flat) {
                if (std::find(cols.begin(), cols.end(), k) == cols.end()) cols.push_back(k);
                m[k] = v;
            }
            m[c.key] = xs[r];
            cells.push_back(std::move(m));
        }
        cols.insert(cols.begin(), c.key);
        o << csv_line(cols);
        for (auto& m : cells) {
            std::vector<std::string> f;
            for (const auto& k : cols) f.push_back(m[k]);
            o << csv_line(f);
        }
    }
    std::cout << o.str();
    return 0;
}

}  // namespace

int cmd_theory(const TheoryArgs& a) {
    if (a.curve.empty()) {
        if (a.log) throw ConfigError("--log applies to --curve (log-spaced points along a key)");
        if (!a.format.empty()) throw ConfigError("--format applies to --curve (jsonl or csv)");
    } else if (a.cfg.json && a.format == "csv") {
        throw ConfigError("--json and --format csv contradict each other (--curve prints JSON lines by default)");
    }
    const Config cfg = load_config(a.cfg);
    require_closed_forms(cfg);
    if (!a.curve.empty()) return theory_curve(a, cfg);
    json j;
    {
        Heartbeat beat(model_text(cfg), 1);
        j = theory_report(cfg);
    }
    j["config"] = cfg.to_json();
    j["meta"] = run_metadata();

    if (a.cfg.json) {
        std::cout << j.dump(2) << "\n";
        return 0;
    }
    print_table(cfg, j);
    return 0;
}

}  // namespace sim
