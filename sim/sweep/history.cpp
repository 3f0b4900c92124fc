#include "sim/sweep/history.hpp"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "sim/io/csv.hpp"
#include "sim/sweep/results.hpp"
#include "sim/io/files.hpp"

namespace sim {

namespace {

std::string num_or_empty(double v) { return std::isfinite(v) ? fmt_num(v) : ""; }

}  // namespace

std::vector<std::string> history_header(const std::vector<std::string>& keys) {
    std::vector<std::string> h{"cell", "experiment"};
    h.insert(h.end(), keys.begin(), keys.end());
    for (const char* c : {"seed", "step", "evals", "loss", "objective", "gap"}) h.emplace_back(c);
    return h;
}

std::string history_rows(const Cell& cell, const SweepSpec& spec, const std::vector<std::string>& keys,
                         const RunResult& r) {
    const std::vector<std::string> head = cell_columns(cell, spec, keys);
    std::string text;
    for (const Checkpoint& c : r.history) {
        std::vector<std::string> f = head;
        f.push_back(std::to_string(c.step));
        f.push_back(std::to_string(c.evals));
        f.push_back(num_or_empty(c.loss));
        f.push_back(num_or_empty(c.objective));
        f.push_back(num_or_empty(c.gap));
        text += csv_line(f);
    }
    return text;
}

std::string history_text(const std::vector<std::string>& header, const std::map<std::size_t, std::string>& cells) {
    std::string text = csv_line(header);
    for (const auto& [id, b] : cells) text += b;
    return text;
}

HistoryScan scan_history(const std::string& path, const std::vector<std::string>& header,
                         const std::set<std::size_t>& finished) {
    HistoryScan scan;
    std::string text;
    if (!read_file(path, text)) return scan;
    scan.exists = true;
    std::size_t pos = 0;
    std::vector<std::string> lines;
    while (pos < text.size()) {
        const auto nl = text.find('\n', pos);
        if (nl == std::string::npos) {  // cut by a kill
            ++scan.dropped_lines;
            break;
        }
        lines.push_back(text.substr(pos, nl - pos + 1));
        pos = nl + 1;
    }
    if (lines.empty()) return scan;  // empty, or a partial header: rewritten
    if (lines[0] != csv_line(header))
        throw ConfigError("'" + path + "' has other columns than this sweep's history (made by another config or version)");
    const std::size_t ncols = header.size();
    std::set<std::size_t> closed;                   // cells whose block ended (a later block is a rerun)
    std::size_t prev = 0;
    bool have_prev = false;
    for (std::size_t li = 1; li < lines.size(); ++li) {
        const std::string& line = lines[li];
        const auto f = csv_split(line.substr(0, line.size() - 1));
        char* end = nullptr;
        const unsigned long long v = f.empty() ? 0 : std::strtoull(f[0].c_str(), &end, 10);
        if (f.size() != ncols || f[0].empty() || *end || !finished.count(static_cast<std::size_t>(v))) {
            ++scan.dropped_lines;
            continue;
        }
        const std::size_t id = static_cast<std::size_t>(v);
        if (have_prev && prev != id) closed.insert(prev);
        have_prev = true;
        prev = id;
        if (closed.count(id)) {  // a second block of the same cell
            ++scan.dropped_lines;
            continue;
        }
        scan.cells[id] += line;
    }
    scan.clean = scan.dropped_lines == 0 && history_text(header, scan.cells) == text;
    return scan;
}

}  // namespace sim
