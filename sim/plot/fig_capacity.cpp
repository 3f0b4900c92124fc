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

bool is_capacity_cell(const Config& c) {
    return c.s("data.kind") == "linear" && c.s("objective.task") == "none" && c.s("objective.alignment") != "none";
}

// One row of panels per encoder with two or more values of model.dim (linear first), the other
// keys held fixed (named in note); left_out counts the not_converged cells they would show.
std::vector<Row> select_rows(const Data& d, std::string& note, std::size_t& left_out) {
    const auto base = where(d, all_ok(d), is_capacity_cell);
    std::vector<Row> rows;
    for (const auto& enc : distinct_s(d, base, "model.encoder")) {
        Row r;
        r.encoder = enc;
        std::string n;
        r.ids = hold_fixed(d, where(d, base, [&](const Config& c) { return c.s("model.encoder") == enc; }),
                           {"model.dim", "train.weight_decay", "objective.alignment"}, n);
        if (distinct(d, r.ids, "model.dim").size() < 2) continue;
        left_out += not_converged_like(d, [&](const Config& c) { return is_capacity_cell(c) && c.s("model.encoder") == enc; },
                                       r.ids.front(), {"model.dim", "train.weight_decay", "objective.alignment"});
        r.objs = distinct_s(d, r.ids, "objective.alignment");
        r.wds = distinct(d, r.ids, "train.weight_decay");
        if (!n.empty()) note += (note.empty() ? "" : "; ") + n + " (" + (enc == "mlp" ? std::string("MLP") : enc) + " encoders)";
        rows.push_back(std::move(r));
    }
    std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.encoder == "linear" && b.encoder != "linear"; });
    return rows;
}

// What one panel (an encoder's row, an objective) wrote into capacity.dat.
struct Panel {
    std::vector<std::size_t> idx;  // per weight decay: the index of its learned block
    std::vector<bool> has_nl;      // per weight decay: whether the nonlinear probe read it
    std::size_t an = 0;            // the index of the closed-form block
    bool an_nl_differs = false;    // the closed form of any probe differs from the linear one
};

struct Writing {
    const std::vector<double>& dims;
    std::ostringstream& data;
    std::size_t index = 0;
    int seeds_lo = 1 << 30, seeds_hi = 0;
    Writing(const std::vector<double>& dims_, std::ostringstream& data_) : dims(dims_), data(data_) {}
};

bool in_panel(const Data& d, std::size_t id, const std::string& o, double p) {
    return d.cfg(id).s("objective.alignment") == o && d.cfg(id).f("model.dim") == p;
}

// Per weight decay: both probes' means of s and u1 at each dim.
void learned_blocks(const Data& d, const Row& r, const std::string& o, Writing& w, Panel& pn) {
    for (double wd : r.wds) {
        w.data << (w.index ? "\n\n" : "") << "# " << r.encoder << " " << o << " weight_decay=" << num(wd)
               << "\n# dim s_mean s_sd u1_mean u1_sd n s_nl_mean s_nl_sd u1_nl_mean u1_nl_sd n_nl\n";
        bool nl = false;
        for (double p : w.dims) {
            std::vector<double> s, u, sn, un;
            for (auto id : r.ids)
                if (in_panel(d, id, o, p) && d.cfg(id).f("train.weight_decay") == wd) {
                    s.push_back(d.L(id, "s"));
                    u.push_back(d.L(id, "u1"));
                    sn.push_back(d.LN(id, "s"));
                    un.push_back(d.LN(id, "u1"));
                }
            if (s.empty()) continue;
            const Stats ss = stats(s), su = stats(u), sns = stats(sn), sun = stats(un);
            w.seeds_lo = std::min(w.seeds_lo, ss.n);
            w.seeds_hi = std::max(w.seeds_hi, ss.n);
            nl |= sns.n > 0;
            w.data << num(p) << " " << num(ss.mean) << " " << num(ss.sd) << " " << num(su.mean) << " " << num(su.sd) << " "
                   << ss.n << " " << num(sns.mean) << " " << num(sns.sd) << " " << num(sun.mean) << " " << num(sun.sd)
                   << " " << sns.n << "\n";
        }
        pn.idx.push_back(w.index++);
        pn.has_nl.push_back(nl);
    }
}

// The closed form: linear probe, and any probe.
void closed_form_block(const Data& d, const Row& r, const std::string& o, Writing& w, Panel& pn) {
    w.data << "\n\n# " << r.encoder << " " << o << " closed form ("
           << (r.encoder == "mlp" && o != "infonce" && o != "regression" ? "optimum over all encoders" : "minimum-norm optimum")
           << ")\n# dim s u1 s_nl u1_nl\n";
    for (double p : w.dims) {
        std::vector<double> s, u, sn, un;
        for (auto id : r.ids)
            if (in_panel(d, id, o, p)) {
                s.push_back(d.A(id, "s"));
                u.push_back(d.A(id, "u1"));
                sn.push_back(d.AN(id, "s"));
                un.push_back(d.AN(id, "u1"));
            }
        if (s.empty()) continue;
        const Stats as = stats(s), au = stats(u), ans = stats(sn), anu = stats(un);
        if (ans.n > 0 && (std::abs(ans.mean - as.mean) > 1e-9 || std::abs(anu.mean - au.mean) > 1e-9)) pn.an_nl_differs = true;
        w.data << num(p) << " " << num(as.mean) << " " << num(au.mean) << " " << num(ans.mean) << " " << num(anu.mean) << "\n";
    }
    pn.an = w.index++;
}

// The panel's plot command: the closed-form lines, then the point series (weight decay, probe)
// side by side around each dim, and their key entries.
void panel_body(const Data& d, const Row& r, const std::string& o, const Panel& pn, const std::vector<double>& dims,
                double ks, std::ostringstream& body) {
    body << "  set title " << lab(encoder_label(d, r) + ": " + objective_label(d, r, o)) << "\n  set xlabel \"model.dim (p)\"\n"
         << "  set ylabel \"R^2(block | z1), mean over the block\"\n"
         << "  set xrange [" << num(dims.front() - 0.4) << ":" << num(dims.back() + 0.4) << "]\n  set yrange [-0.02:1.0]\n"
         << "  set xtics 1\n  unset arrow\n  set arrow from " << num(ks) << ", graph 0 to " << num(ks)
         << ", graph 1 nohead dt 3 lc rgb \"gray\"\n  set key below horizontal maxcols 2 width -1 height 1\n  plot ";
    body << "\"capacity.dat\" index " << pn.an << " using 1:2 with lines lw 2 lc rgb \"#2ca02c\" title \"s, closed form\", "
         << "\"capacity.dat\" index " << pn.an << " using 1:3 with lines lw 2 lc rgb \"#d62728\" title \"u1, closed form\"";
    if (pn.an_nl_differs)
        body << ", \"capacity.dat\" index " << pn.an << " using 1:4 with lines dt 2 lw 2 lc rgb \"#2ca02c\" title \"s, closed form (any probe)\""
             << ", \"capacity.dat\" index " << pn.an << " using 1:5 with lines dt 2 lw 2 lc rgb \"#d62728\" title \"u1, closed form (any probe)\"";
    std::vector<std::pair<std::size_t, bool>> series;  // (weight decay, nonlinear probe)
    for (std::size_t wi = 0; wi < r.wds.size(); ++wi) {
        series.emplace_back(wi, false);
        if (pn.has_nl[wi]) series.emplace_back(wi, true);
    }
    // filled: linear probe, open: nonlinear probe; circles without weight decay, triangles with
    auto point_type = [&](std::size_t wi, bool nl) { return r.wds[wi] == 0 ? (nl ? 6 : 7) : (nl ? 8 : 9); };
    for (std::size_t k = 0; k < series.size(); ++k) {
        const std::size_t wi = series[k].first;
        const bool nl = series[k].second;
        const double off = series.size() > 1 ? -0.12 + 0.24 * static_cast<double>(k) / static_cast<double>(series.size() - 1) : 0.0;
        const int c = nl ? 7 : 2;
        for (const char* blk : {"s", "u1"}) {
            const int col = c + (std::string(blk) == "u1" ? 2 : 0);
            body << ", \"capacity.dat\" index " << pn.idx[wi] << " using ($1" << (off < 0 ? "" : "+") << num(off) << "):" << col
                 << ":" << col + 1 << " with yerrorbars pt " << point_type(wi, nl) << " ps 0.9 lc rgb " << lab(color_of(blk)) << " notitle";
        }
    }
    for (const auto& [wi, nl] : series) {
        const std::string what = std::string(nl ? "nonlinear probe" : "linear probe") +
                                 (r.wds[wi] == 0 ? std::string() : ", decay " + num(r.wds[wi]));
        body << ", keyentry with points pt " << point_type(wi, nl) << " ps 0.9 lc rgb \"black\" title " << lab(what);
    }
    body << "\n";
}

// The figure's name, the keys it covers, its title and size.
void frame(const Data& d, const std::vector<Row>& rows, Fig& f, std::size_t& cols, std::vector<double>& dims, double& ks) {
    std::set<double> all_dims;
    cols = 0;
    bool wd_varies = false, obj_varies = false;
    for (const auto& r : rows) {
        for (double p : distinct(d, r.ids, "model.dim")) all_dims.insert(p);
        cols = std::max(cols, r.objs.size());
        wd_varies |= r.wds.size() >= 2;
        obj_varies |= r.objs.size() >= 2;
    }
    dims.assign(all_dims.begin(), all_dims.end());
    ks = d.cfg(rows.front().ids.front()).f("data.k_shared");
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
}

}  // namespace

bool draw_capacity(const Data& d, Fig& f, std::string& why, std::vector<std::string>& notes) {
    std::string note;
    std::size_t left_out = 0;  // not_converged cells of the rows drawn
    const std::vector<Row> rows = select_rows(d, note, left_out);
    if (rows.empty()) {
        why = "no alignment-only cells on linear data at two or more values of model.dim";
        return false;
    }
    std::size_t cols = 0;
    std::vector<double> dims;
    double ks = 0;
    frame(d, rows, f, cols, dims, ks);
    std::ostringstream data, body;
    body << "  set multiplot layout " << rows.size() << "," << cols << " title " << lab(f.title + "@SEEDS@") << " font \",13\"\n";
    Writing w(dims, data);
    for (const auto& r : rows) {
        for (const auto& o : r.objs) {
            Panel pn;
            learned_blocks(d, r, o, w, pn);
            closed_form_block(d, r, o, w, pn);
            panel_body(d, r, o, pn, dims, ks, body);
        }
        for (std::size_t k = r.objs.size(); k < cols; ++k) body << "  set multiplot next\n";
    }
    body << "  unset multiplot\n";
    const std::string seeds =
        w.seeds_lo == w.seeds_hi ? std::to_string(w.seeds_hi) : std::to_string(w.seeds_lo) + "–" + std::to_string(w.seeds_hi);
    finish(f, body, note, ", learned mean ± sd over " + seeds + " seeds" + not_converged_suffix(left_out));
    note_not_converged(notes, "capacity", left_out);
    f.data = data.str();
    return true;
}

}  // namespace sim::figures
