// Unconstrained encoders on the linear-Gaussian model through Mehler's expansion
// (theory/mehler.hpp; derivation: docs/theory.md, section 8).
#include "theory/mehler.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <queue>
#include <stdexcept>

#include "theory/closed_forms.hpp"
#include "theory/linalg.hpp"

namespace theory {

namespace {

constexpr double kRhoTol = 1e-10;  // canonical correlations below this are zero (as in closed_forms)
// Eigenvalues are compared through round(log(lambda) / kTieLog): equal keys are a tie. The
// quantum is far above rounding (1e-16 relative) and far below any difference that matters.
constexpr double kTieLog = 1e-10;

// A multi-index stored sparsely: the variates of the product in non-decreasing order, so
// h1(xi1) h2(xi3) is {0, 2, 2}. Each multi-index has exactly one such list.
struct Node {
    std::vector<int> idx;
    double lambda = 1, log_lambda = 0;
    long long key = 0;  // quantised log eigenvalue (larger = larger eigenvalue)
};

// Descending eigenvalue; equal keys: lower degree first, then the larger alpha first, which for
// two sorted index lists of one length is the lexicographically smaller list.
bool before(const Node& a, const Node& b) {
    if (a.key != b.key) return a.key > b.key;
    if (a.idx.size() != b.idx.size()) return a.idx.size() < b.idx.size();
    return a.idx < b.idx;
}
struct After {
    bool operator()(const Node& a, const Node& b) const { return before(b, a); }
};

HermiteFunction to_function(const Node& n, std::size_t r) {
    HermiteFunction f;
    f.alpha.assign(r, 0);
    for (int k : n.idx) ++f.alpha[static_cast<std::size_t>(k)];
    f.eigenvalue = n.lambda;
    return f;
}

// Canonical correlations within 1e-12 of each other are made exactly equal, so that products
// of equal factors are equal bit for bit and ties are recognised whatever the rounding of the SVD.
std::vector<double> snap(std::vector<double> rho) {
    for (std::size_t i = 1; i < rho.size(); ++i)
        if (std::abs(rho[i] - rho[i - 1]) <= 1e-12 * rho[i - 1]) rho[i] = rho[i - 1];
    return rho;
}

void check_rho(const std::vector<double>& rho) {
    for (std::size_t k = 0; k < rho.size(); ++k) {
        if (!(rho[k] > 0.0 && rho[k] < 1.0))
            throw std::invalid_argument("theory: canonical correlations must be in (0, 1), got " + std::to_string(rho[k]));
        if (k > 0 && rho[k] > rho[k - 1]) throw std::invalid_argument("theory: canonical correlations must be descending");
    }
}

// Best-first enumeration of the kernel's eigenfunctions: a child appends a variate >= the last
// one, so its eigenvalue is its parent's times some rho_k < 1 and every function is popped after
// its parent; the heap therefore yields them in exactly the order of `before`.
class Enumerator {
public:
    Enumerator(const std::vector<double>& rho, bool with_constant) : rho_(snap(rho)) {
        check_rho(rho_);
        for (double x : rho_) logs_.push_back(std::log(x));
        Node root;
        if (with_constant) heap_.push(root);
        else push_children(root);
    }
    bool empty() const { return heap_.empty(); }
    const Node& peek() const { return heap_.top(); }
    Node pop() {
        Node n = heap_.top();
        heap_.pop();
        push_children(n);
        return n;
    }

private:
    void push_children(const Node& n) {
        const int from = n.idx.empty() ? 0 : n.idx.back();
        for (int k = from; k < static_cast<int>(rho_.size()); ++k) {
            Node c;
            c.idx = n.idx;
            c.idx.push_back(k);
            c.lambda = n.lambda * rho_[static_cast<std::size_t>(k)];
            c.log_lambda = n.log_lambda + logs_[static_cast<std::size_t>(k)];
            c.key = std::llround(c.log_lambda / kTieLog);
            heap_.push(std::move(c));
        }
    }
    std::vector<double> rho_, logs_;
    std::priority_queue<Node, std::vector<Node>, After> heap_;
};

Mat variate_rows(const Mat& W, const std::vector<int>& ks) {
    Mat out = la::zeros(ks.size(), W.shape()[1]);
    for (std::size_t i = 0; i < ks.size(); ++i)
        for (std::size_t j = 0; j < W.shape()[1]; ++j) out(i, j) = W(static_cast<std::size_t>(ks[i]), j);
    return out;
}

// R^2 of every target and block from the variates `ks` of one modality (an empty set reads nothing;
// an empty encoder would mean the oracle to r2_target).
std::map<std::string, double> r2_from_variates(const Model& m, const Moments& mo, int modality, const Mat& W,
                                               const std::vector<int>& ks) {
    std::map<std::string, double> out;
    const Mat E = variate_rows(W, ks);
    for (int t = 0; t < kNumTargets; ++t) out[kTargetNames[t]] = ks.empty() ? 0.0 : r2_target(m, mo, modality, E, t);
    for (const char* b : {"s", "u1", "u2"}) out[b] = ks.empty() ? 0.0 : r2_block(m, mo, modality, E, b);
    return out;
}

}  // namespace

double hermite(int n, double x) {
    if (n < 0) throw std::invalid_argument("theory: hermite degree must be non-negative");
    double prev = 0, cur = 1;  // h_{-1} = 0, h_0 = 1
    for (int k = 0; k < n; ++k) {
        const double next = (x * cur - std::sqrt(double(k)) * prev) / std::sqrt(double(k + 1));
        prev = cur;
        cur = next;
    }
    return cur;
}

int HermiteFunction::degree() const {
    int d = 0;
    for (int a : alpha) d += a;
    return d;
}

double HermiteFunction::operator()(const double* xi) const {
    double v = 1;
    for (std::size_t k = 0; k < alpha.size(); ++k)
        if (alpha[k] > 0) v *= hermite(alpha[k], xi[k]);
    return v;
}

std::string HermiteFunction::name() const {
    std::string s;
    for (std::size_t k = 0; k < alpha.size(); ++k)
        if (alpha[k] > 0) s += (s.empty() ? "" : " ") + ("h" + std::to_string(alpha[k]) + "(xi" + std::to_string(k + 1) + ")");
    return s.empty() ? "1" : s;
}

std::vector<HermiteFunction> mehler_eigenfunctions(const std::vector<double>& rho, int count, bool with_constant) {
    if (count < 0) throw std::invalid_argument("theory: mehler_eigenfunctions: count must be non-negative");
    if (rho.empty() && !with_constant && count > 0)
        throw std::invalid_argument("theory: mehler_eigenfunctions: no non-constant eigenfunction without a canonical correlation");
    std::vector<HermiteFunction> out;
    Enumerator e(rho, with_constant);
    while (static_cast<int>(out.size()) < count && !e.empty()) out.push_back(to_function(e.pop(), rho.size()));
    if (static_cast<int>(out.size()) < count)  // only the constant exists when rho is empty
        throw std::invalid_argument("theory: mehler_eigenfunctions: only " + std::to_string(out.size()) +
                                    " eigenfunction(s) with a positive eigenvalue");
    return out;
}

CanonicalVariates canonical_variates(const Moments& mo) {
    const Mat S11ih = la::sym_pow(mo.S11, -0.5), S22ih = la::sym_pow(mo.S22, -0.5);
    const la::Svd s = la::svd(la::mm3(S11ih, mo.S12, S22ih), false);
    std::size_t r = 0;
    while (r < s.s.size() && s.s[r] > kRhoTol) ++r;
    CanonicalVariates cv;
    cv.rho.assign(s.s.begin(), s.s.begin() + static_cast<std::ptrdiff_t>(r));
    for (double& x : cv.rho) x = std::min(x, 1.0);
    cv.W1 = la::mm(la::cols(s.U, 0, r), S11ih, true, false);  // U_r^T S11^{-1/2}
    cv.W2 = la::mm(la::rows(s.Vt, 0, r), S22ih);               // V_r^T S22^{-1/2}
    return cv;
}

UnconstrainedOptimum unconstrained_optimum(const Model& m, const Moments& mo, int p, const std::string& centering) {
    if (centering != "none" && centering != "batch")
        throw std::invalid_argument("theory: unknown centering '" + centering + "' (expected none or batch)");
    if (p < 1) throw std::invalid_argument("theory: representation dimension p must be at least 1, got " + std::to_string(p));
    const CanonicalVariates cv = canonical_variates(mo);
    UnconstrainedOptimum u;
    u.centering = centering;
    u.p = p;
    u.rho = cv.rho;
    const std::size_t r = cv.rho.size();
    const bool with_constant = centering == "none";
    if (r == 0) {
        // x1 and x2 independent: every non-constant function has eigenvalue 0, so the loss is
        // indifferent to everything but the constant and nothing about the content is determined.
        if (with_constant) u.kept.push_back(HermiteFunction{});
        u.tie = static_cast<int>(u.kept.size()) < p;
        u.determined = !u.tie;
    } else {
        Enumerator e(cv.rho, with_constant);
        std::vector<Node> kept;
        while (static_cast<int>(kept.size()) < p) kept.push_back(e.pop());
        const long long boundary = kept.back().key;
        for (const Node& n : kept)
            if (n.key == boundary) u.boundary.push_back(to_function(n, r));
        bool tie_has_degree1 = false;
        while (!e.empty() && e.peek().key == boundary) {
            const Node n = e.pop();
            u.tie = true;
            u.boundary.push_back(to_function(n, r));
        }
        if (u.tie)
            for (const auto& f : u.boundary) tie_has_degree1 = tie_has_degree1 || f.degree() == 1;
        u.determined = !tie_has_degree1;
        for (const Node& n : kept) u.kept.push_back(to_function(n, r));
    }
    std::vector<bool> lin(r, false), any(r, false);
    for (const auto& f : u.kept)
        for (std::size_t k = 0; k < r; ++k) {
            if (f.alpha[k] > 0) any[k] = true;
            if (f.degree() == 1 && f.alpha[k] == 1) lin[k] = true;
        }
    for (std::size_t k = 0; k < r; ++k) {
        if (lin[k]) u.linear_variates.push_back(static_cast<int>(k));
        if (any[k]) u.variates.push_back(static_cast<int>(k));
    }
    // (slots left empty when r = 0 hold functions of eigenvalue 0: nothing to spectral, 2 to cca)
    u.spectral_loss = 0;
    u.cca_loss = with_constant ? std::numeric_limits<double>::quiet_NaN() : 2.0 * p;
    for (const auto& f : u.kept) {
        u.spectral_loss -= f.eigenvalue * f.eigenvalue;
        if (!with_constant) u.cca_loss -= 2 * f.eigenvalue;
    }
    u.z1.linear = r2_from_variates(m, mo, 1, cv.W1, u.linear_variates);
    u.z1.nonlinear = r2_from_variates(m, mo, 1, cv.W1, u.variates);
    u.z2.linear = r2_from_variates(m, mo, 2, cv.W2, u.linear_variates);
    u.z2.nonlinear = r2_from_variates(m, mo, 2, cv.W2, u.variates);
    return u;
}

}  // namespace theory
