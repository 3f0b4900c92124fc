// The tables a sweep writes and reads back (results.csv, history.csv): a column is a name, a kind
// and, for a file written before the column existed, the value it reads as. read_table validates
// a file field by field against its columns and gives every column by name, whatever the file's
// column order; the writers (results.cpp, history.cpp) render rows from the same columns.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace sim {

enum class ColumnKind {
    id,       // a non-negative integer, never empty (cell, seed)
    integer,  // a non-negative integer, or empty (no value)
    number,   // a number as fmt_num writes it (nan, inf, -inf included), or empty (no value)
    text,     // anything on one line
};

struct ColumnSpec {
    std::string name;
    ColumnKind kind = ColumnKind::text;
    // The value of a column a file lacks (written by a version before the column): nullopt means
    // the column is required.
    std::optional<std::string> absent;
};

// Why a field does not read as its kind ("" when it does).
std::string field_problem(ColumnKind kind, const std::string& field);

// A table file read and validated against its columns.
struct Table {
    std::string path;
    std::vector<std::string> file_header;  // the file's columns, in its order
    std::vector<int> where;                // per column of the spec: its index in the file, -1 absent
    struct Row {
        std::size_t line = 0;             // 1-based line number in the file
        std::vector<std::string> fields;  // in the spec's column order, absent columns filled in
    };
    std::vector<Row> rows;
    bool cut_last_line = false;  // the text ended in a line without its '\n' (a crash): not read
    std::size_t cut_line = 0;    // its line number
    bool empty = false;          // no complete line at all (not even the header)
    std::vector<std::string> names;    // the spec's columns
    std::vector<std::string> missing;  // columns of the spec the file lacks (read as their `absent`)
    int col(const std::string& name) const;  // index into Row::fields (the spec's order); -1 if none
};

// Reads `text` (the whole file at `path`) against `spec`: a UTF-8 byte order mark and CRLF line
// ends are read as if absent; a last line without its '\n', or with fewer fields than the header
// or an open quote (a cut line that a tool ended with '\n'), is left out (cut_last_line). Throws
// ConfigError, one line "PATH:LINE: ..." naming the column and the cause, for a column
// the spec does not know, a required column missing, a line with another number of fields than
// the header, an unterminated quote, or a field that does not read as its column's kind.
Table read_table(const std::string& path, const std::string& text, const std::vector<ColumnSpec>& spec);

}  // namespace sim
