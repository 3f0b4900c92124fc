// Reading results.csv and history.csv against their columns (sim/sweep/table.hpp).
#include "sim/sweep/table.hpp"

#include <cctype>
#include <cerrno>
#include <cstdlib>

#include "sim/config/config.hpp"
#include "sim/io/csv.hpp"

namespace sim {

namespace {

bool all_digits(const std::string& s) {
    if (s.empty() || s.size() > 19) return false;  // 19 digits: below 2^63 whatever they are
    for (char ch : s)
        if (!std::isdigit(static_cast<unsigned char>(ch))) return false;
    return true;
}

// The complete lines of text (without '\n' and a final '\r'), after a byte order mark.
struct Lines {
    std::vector<std::string> lines;
    bool cut = false;
};
Lines split_lines(const std::string& text) {
    Lines out;
    std::size_t pos = text.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0;
    while (pos < text.size()) {
        const auto nl = text.find('\n', pos);
        if (nl == std::string::npos) {
            out.cut = true;
            break;
        }
        std::size_t end = nl;
        if (end > pos && text[end - 1] == '\r') --end;
        out.lines.push_back(text.substr(pos, end - pos));
        pos = nl + 1;
    }
    return out;
}

}  // namespace

std::string field_problem(ColumnKind kind, const std::string& f) {
    switch (kind) {
        case ColumnKind::id:
            if (!all_digits(f)) return "'" + printable(f, 40) + "' is not a non-negative integer";
            return "";
        case ColumnKind::integer:
            if (!f.empty() && !all_digits(f)) return "'" + printable(f, 40) + "' is not a non-negative integer";
            return "";
        case ColumnKind::number:
            if (f.empty()) return "";
            if (std::isspace(static_cast<unsigned char>(f[0]))) return "'" + printable(f, 40) + "' is not a number";
            try {
                (void)parse_num(f);
            } catch (const std::exception&) {
                return "'" + printable(f, 40) + "' is not a number";
            }
            return "";
        case ColumnKind::text:
            return "";
    }
    return "";
}

int Table::col(const std::string& name) const {
    for (std::size_t i = 0; i < names.size(); ++i)
        if (names[i] == name) return static_cast<int>(i);
    return -1;
}

Table read_table(const std::string& path, const std::string& text, const std::vector<ColumnSpec>& spec) {
    Table t;
    t.path = path;
    for (const auto& c : spec) t.names.push_back(c.name);
    const Lines ls = split_lines(text);
    t.cut_last_line = ls.cut;
    t.cut_line = ls.lines.size() + 1;
    if (ls.lines.empty()) {
        t.empty = true;
        return t;
    }
    auto fail = [&](std::size_t line, const std::string& what) {
        return ConfigError(path + ":" + std::to_string(line) + ": " + what);
    };
    try {
        t.file_header = csv_split(ls.lines[0]);
    } catch (const std::exception& e) {
        throw fail(1, std::string("the header: ") + e.what());
    }
    t.where.assign(spec.size(), -1);
    for (std::size_t i = 0; i < t.file_header.size(); ++i) {
        const std::string& h = t.file_header[i];
        std::size_t s = 0;
        while (s < spec.size() && spec[s].name != h) ++s;
        if (s == spec.size())
            throw fail(1, "other columns than this version of alignsim writes: '" + printable(h, 60) + "' is not one of them");
        if (t.where[s] >= 0) throw fail(1, "column '" + printable(h, 60) + "' appears twice");
        t.where[s] = static_cast<int>(i);
    }
    for (std::size_t s = 0; s < spec.size(); ++s) {
        if (t.where[s] >= 0) continue;
        if (!spec[s].absent) throw fail(1, "column '" + spec[s].name + "' is missing");
        t.missing.push_back(spec[s].name);
    }
    for (std::size_t li = 1; li < ls.lines.size(); ++li) {
        const std::size_t line = li + 1;
        std::vector<std::string> f;
        bool split = true;
        std::string split_error;
        try {
            f = csv_split(ls.lines[li]);
        } catch (const std::exception& e) {
            split = false;
            split_error = e.what();
        }
        // the last line cut short, then ended by a tool that adds a '\n': what a crash leaves
        if (li + 1 == ls.lines.size() && !ls.cut && (!split || f.size() < t.file_header.size())) {
            t.cut_last_line = true;
            t.cut_line = line;
            break;
        }
        if (!split) throw fail(line, split_error);
        if (f.size() != t.file_header.size())
            throw fail(line, std::to_string(f.size()) + " fields, the header has " + std::to_string(t.file_header.size()));
        Table::Row row;
        row.line = line;
        row.fields.resize(spec.size());
        for (std::size_t s = 0; s < spec.size(); ++s) {
            if (t.where[s] < 0) {
                row.fields[s] = *spec[s].absent;
                continue;
            }
            std::string& v = row.fields[s];
            v = std::move(f[static_cast<std::size_t>(t.where[s])]);
            const std::string why = field_problem(spec[s].kind, v);
            if (!why.empty()) throw fail(line, "column '" + spec[s].name + "': " + why);
        }
        t.rows.push_back(std::move(row));
    }
    return t;
}

}  // namespace sim
