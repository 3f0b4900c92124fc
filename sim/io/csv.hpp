// CSV text (RFC 4180) and the number format of alignsim's tables: what results.csv and the
// figures' data files are made of.
#pragma once
#include <string>
#include <vector>

namespace sim {

// CSV (RFC 4180): fields with a comma, quote or line break are quoted.
std::string csv_field(const std::string& s);
std::string csv_line(const std::vector<std::string>& fields);  // with the final '\n'
// Splits one line (without its '\n'); throws std::runtime_error on an unterminated quote.
std::vector<std::string> csv_split(const std::string& line);
// Numbers: shortest text that reads back to the same double; "nan", "inf", "-inf"; and empty for
// "no value" (analytic R^2 of nonlinear data).
std::string fmt_num(double x);
double parse_num(const std::string& s);  // empty -> NaN; throws std::runtime_error if not a number

// A whole CSV file in memory: header and rows.
struct CsvTable {
    std::vector<std::string> header;
    std::vector<std::vector<std::string>> rows;
    int col(const std::string& name) const;  // -1 if absent
};
CsvTable read_csv(const std::string& path);  // throws std::runtime_error

}  // namespace sim
