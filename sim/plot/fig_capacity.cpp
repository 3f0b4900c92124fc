// Figure `capacity`: what z1 keeps of s and u1 as model.dim crosses k_shared, for linear and MLP
// encoders side by side, each against its own closed form, read by both probes.
// Selects: ok cells on linear data with an alignment and no task, one group per model.encoder
//   (linear first) at two or more values of model.dim; in each group the keys other than
//   model.dim, train.weight_decay and objective.alignment are held fixed separately (an MLP group
//   has its own hidden widths, steps and learning rate).
// Layout: one row of panels per encoder, one panel per objective of that encoder.
// Writes: capacity.dat, per panel (encoder, objective) and weight decay: dim, s mean, sd, u1 mean,
//   sd, n (linear probe), then s mean, sd, u1 mean, sd, n (nonlinear probe; "?" where the cells
//   were not read by it); then the panel's closed form per dim: s and u1 of the linear probe, s and
//   u1 of any probe (analytic_r2 of the linear and nonlinear rows); capacity.gp / .svg / .png.
// Closed forms: linear encoders, the minimum-norm optimum of the objective (infonce: cca's); MLP
//   encoders with cca or spectral, the optimum over all encoders (docs/theory.md section 8,
//   analytic kind unconstrained), whose code a nonlinear probe reads no better than a linear one.
// Covers: model.dim, and train.weight_decay, objective.alignment and model.encoder when they vary here.
// Reading: below k_shared even shared information is lost; at k_shared all of s and none of u1;
//   above it a linear encoder's spare directions may carry u1, an unconstrained encoder's go to
//   functions of the shared variates (none of u1, for either probe).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "sim/plot/figure.hpp"

namespace sim::figures {

namespace {

struct Row {
    std::string encoder;
    std::vector<std::size_t> ids;
    std::vector<std::string> objs;
    std::vector<double> wds;
};

std::string encoder_label(const Data& d, const Row& r) {
    if (r.encoder != "mlp") return r.encoder + " encoders";
    const Config& c = d.cfg(r.ids.front());
    std::string h;
    for (auto w : c.ilist("model.hidden")) h += (h.empty() ? "" : ", ") + std::to_string(w);
    return "MLP encoders [" + h + "]";
}

std::string objective_label(const Data& d, const Row& r, const std::string& o) {
    if (o == "infonce") return "infonce (closed form: the cca optimum)";
    if (r.encoder == "mlp" && o == "spectral") {
        for (auto id : r.ids)
            if (d.cfg(id).s("objective.alignment") == o)
                return d.cfg(id).s("objective.spectral_centering") == "none" ? "spectral (uncentred: the constant takes a dimension)"
                                                                              : "spectral (centred)";
    }
    if (r.encoder == "mlp" && o == "cca") return "cca (centred whitening)";
    return o;
}

}  // namespace

bool draw_capacity(const Data& d, Fig& f, std::string& why, std::vector<std::string>& /*notes*/) {
    const auto base = where(d, all_ok(d), [](const Config& c) {
        return c.s("data.kind") == "linear" && c.s("objective.task") == "none" && c.s("objective.alignment") != "none";
    });
    std::vector<Row> rows;
    std::string note;
    for (const auto& enc : distinct_s(d, base, "model.encoder")) {
        Row r;
        r.encoder = enc;
        std::string n;
        r.ids = hold_fixed(d, where(d, base, [&](const Config& c) { return c.s("model.encoder") == enc; }),
                           {"model.dim", "train.weight_decay", "objective.alignment"}, n);
        if (distinct(d, r.ids, "model.dim").size() < 2) continue;
        r.objs = distinct_s(d, r.ids, "objective.alignment");
        r.wds = distinct(d, r.ids, "train.weight_decay");
        if (!n.empty()) note += (note.empty() ? "" : "; ") + n + " (" + (enc == "mlp" ? std::string("MLP") : enc) + " encoders)";
        rows.push_back(std::move(r));
    }
    if (rows.empty()) {
        why = "no alignment-only cells on linear data at two or more values of model.dim";
        return false;
    }
    std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.encoder == "linear" && b.encoder != "linear"; });
    std::set<double> all_dims;
    std::size_t cols = 0;
    bool wd_varies = false, obj_varies = false;
    for (const auto& r : rows) {
        for (double p : distinct(d, r.ids, "model.dim")) all_dims.insert(p);
        cols = std::max(cols, r.objs.size());
        wd_varies |= r.wds.size() >= 2;
        obj_varies |= r.objs.size() >= 2;
    }
    const std::vector<double> dims(all_dims.begin(), all_dims.end());
    const double ks = d.cfg(rows.front().ids.front()).f("data.k_shared");
    f.name = "capacity";
    f.covers = {"model.dim"};
    if (wd_varies) f.covers.push_back("train.weight_decay");
    if (obj_varies) f.covers.push_back("objective.alignment");
    if (rows.size() >= 2) f.covers.push_back("model.encoder");
    f.title = "Capacity: what z1 keeps of s and u1 as model.dim crosses k_shared = " + num(ks);
    if (rows.size() == 1) std::tie(f.w, f.h) = size_for(cols);
    else {
        f.w = static_cast<int>(80 + 520 * cols);
        f.h = static_cast<int>(110 + 480 * rows.size());
    }
    std::ostringstream data, body;
    body << "  set multiplot layout " << rows.size() << "," << cols << " title " << lab(f.title + "@SEEDS@") << " font \",13\"\n";
    std::size_t index = 0;
    int seeds_lo = 1 << 30, seeds_hi = 0;
    for (const auto& r : rows) {
        const std::string enc = encoder_label(d, r);
        for (const auto& o : r.objs) {
            auto in = [&](std::size_t id, double p) { return d.cfg(id).s("objective.alignment") == o && d.cfg(id).f("model.dim") == p; };
            // per weight decay: both probes' means
            std::vector<std::size_t> idx;
            std::vector<bool> has_nl;
            for (double wd : r.wds) {
                data << (index ? "\n\n" : "") << "# " << r.encoder << " " << o << " weight_decay=" << num(wd)
                     << "\n# dim s_mean s_sd u1_mean u1_sd n s_nl_mean s_nl_sd u1_nl_mean u1_nl_sd n_nl\n";
                bool nl = false;
                for (double p : dims) {
                    std::vector<double> s, u, sn, un;
                    for (auto id : r.ids)
                        if (in(id, p) && d.cfg(id).f("train.weight_decay") == wd) {
                            s.push_back(d.L(id, "s"));
                            u.push_back(d.L(id, "u1"));
                            sn.push_back(d.LN(id, "s"));
                            un.push_back(d.LN(id, "u1"));
                        }
                    if (s.empty()) continue;
                    const Stats ss = stats(s), su = stats(u), sns = stats(sn), sun = stats(un);
                    seeds_lo = std::min(seeds_lo, ss.n);
                    seeds_hi = std::max(seeds_hi, ss.n);
                    nl |= sns.n > 0;
                    data << num(p) << " " << num(ss.mean) << " " << num(ss.sd) << " " << num(su.mean) << " " << num(su.sd) << " "
                         << ss.n << " " << num(sns.mean) << " " << num(sns.sd) << " " << num(sun.mean) << " " << num(sun.sd)
                         << " " << sns.n << "\n";
                }
                idx.push_back(index++);
                has_nl.push_back(nl);
            }
            // the closed form: linear probe, and any probe
            data << "\n\n# " << r.encoder << " " << o << " closed form ("
                 << (r.encoder == "mlp" && o != "infonce" && o != "regression" ? "optimum over all encoders" : "minimum-norm optimum")
                 << ")\n# dim s u1 s_nl u1_nl\n";
            bool an_nl_differs = false;
            for (double p : dims) {
                std::vector<double> s, u, sn, un;
                for (auto id : r.ids)
                    if (in(id, p)) {
                        s.push_back(d.A(id, "s"));
                        u.push_back(d.A(id, "u1"));
                        sn.push_back(d.AN(id, "s"));
                        un.push_back(d.AN(id, "u1"));
                    }
                if (s.empty()) continue;
                const Stats as = stats(s), au = stats(u), ans = stats(sn), anu = stats(un);
                if (ans.n > 0 && (std::abs(ans.mean - as.mean) > 1e-9 || std::abs(anu.mean - au.mean) > 1e-9)) an_nl_differs = true;
                data << num(p) << " " << num(as.mean) << " " << num(au.mean) << " " << num(ans.mean) << " " << num(anu.mean) << "\n";
            }
            const std::size_t an = index++;
            body << "  set title " << lab(enc + ": " + objective_label(d, r, o)) << "\n  set xlabel \"model.dim (p)\"\n"
                 << "  set ylabel \"R^2(block | z1), mean over the block\"\n"
                 << "  set xrange [" << num(dims.front() - 0.4) << ":" << num(dims.back() + 0.4) << "]\n  set yrange [-0.02:1.0]\n"
                 << "  set xtics 1\n  unset arrow\n  set arrow from " << num(ks) << ", graph 0 to " << num(ks)
                 << ", graph 1 nohead dt 3 lc rgb \"gray\"\n  set key below horizontal maxcols 2 width -1 height 1\n  plot ";
            body << "\"capacity.dat\" index " << an << " using 1:2 with lines lw 2 lc rgb \"#2ca02c\" title \"s, closed form\", "
                 << "\"capacity.dat\" index " << an << " using 1:3 with lines lw 2 lc rgb \"#d62728\" title \"u1, closed form\"";
            if (an_nl_differs)
                body << ", \"capacity.dat\" index " << an << " using 1:4 with lines dt 2 lw 2 lc rgb \"#2ca02c\" title \"s, closed form (any probe)\""
                     << ", \"capacity.dat\" index " << an << " using 1:5 with lines dt 2 lw 2 lc rgb \"#d62728\" title \"u1, closed form (any probe)\"";
            // the point series of this panel: (weight decay, probe), side by side around each dim
            struct Series {
                std::size_t wi;
                bool nl;
            };
            std::vector<Series> series;
            for (std::size_t wi = 0; wi < r.wds.size(); ++wi) {
                series.push_back({wi, false});
                if (has_nl[wi]) series.push_back({wi, true});
            }
            for (std::size_t k = 0; k < series.size(); ++k) {
                const auto [wi, nl] = series[k];
                const double off = series.size() > 1 ? -0.12 + 0.24 * static_cast<double>(k) / static_cast<double>(series.size() - 1) : 0.0;
                // filled: linear probe, open: nonlinear probe; circles without weight decay, triangles with
                const int pt = r.wds[wi] == 0 ? (nl ? 6 : 7) : (nl ? 8 : 9);
                const int c = nl ? 7 : 2;
                for (const char* blk : {"s", "u1"}) {
                    const int col = c + (std::string(blk) == "u1" ? 2 : 0);
                    body << ", \"capacity.dat\" index " << idx[wi] << " using ($1" << (off < 0 ? "" : "+") << num(off) << "):" << col
                         << ":" << col + 1 << " with yerrorbars pt " << pt << " ps 0.9 lc rgb " << lab(color_of(blk)) << " notitle";
                }
            }
            for (const auto& [wi, nl] : series) {
                const int pt = r.wds[wi] == 0 ? (nl ? 6 : 7) : (nl ? 8 : 9);
                const std::string what = std::string(nl ? "nonlinear probe" : "linear probe") +
                                         (r.wds[wi] == 0 ? std::string() : ", decay " + num(r.wds[wi]));
                body << ", keyentry with points pt " << pt << " ps 0.9 lc rgb \"black\" title " << lab(what);
            }
            body << "\n";
        }
        for (std::size_t k = r.objs.size(); k < cols; ++k) body << "  set multiplot next\n";
    }
    body << "  unset multiplot\n";
    const std::string seeds = seeds_lo == seeds_hi ? std::to_string(seeds_hi) : std::to_string(seeds_lo) + "–" + std::to_string(seeds_hi);
    finish(f, body, note, ", learned mean ± sd over " + seeds + " seeds");
    f.data = data.str();
    return true;
}

}  // namespace sim::figures
