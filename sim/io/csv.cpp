// CSV (RFC 4180) and number formatting (sim/io/csv.hpp).
#include "sim/io/csv.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>

namespace sim {

std::string csv_field(const std::string& s) {
    if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
    std::string q = "\"";
    for (char ch : s) {
        if (ch == '"') q += '"';
        q += ch;
    }
    return q + "\"";
}

std::string csv_line(const std::vector<std::string>& fields) {
    std::string line;
    for (std::size_t i = 0; i < fields.size(); ++i) {
        if (i) line += ',';
        line += csv_field(fields[i]);
    }
    return line + "\n";
}

std::vector<std::string> csv_split(const std::string& line) {
    std::vector<std::string> out;
    std::string cur;
    bool quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
        const char ch = line[i];
        if (quoted) {
            if (ch == '"') {
                if (i + 1 < line.size() && line[i + 1] == '"') {
                    cur += '"';
                    ++i;
                } else quoted = false;
            } else cur += ch;
        } else if (ch == '"' && cur.empty()) quoted = true;
        else if (ch == ',') {
            out.push_back(cur);
            cur.clear();
        } else cur += ch;
    }
    if (quoted) throw std::runtime_error("unterminated quoted field");
    out.push_back(cur);
    return out;
}

std::string fmt_num(double x) {
    if (std::isnan(x)) return "nan";
    if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
    char buf[40];
    for (int prec = 15; prec <= 17; ++prec) {
        std::snprintf(buf, sizeof buf, "%.*g", prec, x);
        if (std::strtod(buf, nullptr) == x) break;
    }
    return buf;
}

double parse_num(const std::string& s) {
    if (s.empty()) return std::nan("");
    if (s == "nan") return std::nan("");
    if (s == "inf") return HUGE_VAL;
    if (s == "-inf") return -HUGE_VAL;
    char* end = nullptr;
    const double v = std::strtod(s.c_str(), &end);
    if (end == s.c_str() || *end != '\0') throw std::runtime_error("'" + s + "' is not a number");
    return v;
}

int CsvTable::col(const std::string& name) const {
    for (std::size_t i = 0; i < header.size(); ++i)
        if (header[i] == name) return static_cast<int>(i);
    return -1;
}

CsvTable read_csv(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot read '" + path + "'");
    CsvTable t;
    std::string line;
    std::size_t lineno = 0;
    while (std::getline(in, line)) {
        ++lineno;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty()) continue;
        std::vector<std::string> f;
        try {
            f = csv_split(line);
        } catch (const std::exception& e) {
            throw std::runtime_error(path + ":" + std::to_string(lineno) + ": " + e.what());
        }
        if (t.header.empty()) {
            t.header = std::move(f);
            continue;
        }
        if (f.size() != t.header.size())
            throw std::runtime_error(path + ":" + std::to_string(lineno) + ": " + std::to_string(f.size()) +
                                     " fields, the header has " + std::to_string(t.header.size()));
        t.rows.push_back(std::move(f));
    }
    if (t.header.empty()) throw std::runtime_error("'" + path + "' is empty");
    return t;
}

}  // namespace sim
