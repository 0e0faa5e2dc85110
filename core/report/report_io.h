// Shared by the report readers: loading a run folder's files with errors that name the
// file (and line), and number formatting for people.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace memgan::report {

// A CSV of numbers with a header row: no quoting (memgan's CSVs never need it), CRLF
// accepted, blank lines skipped. An empty cell reads as NaN when `allow_empty` (e.g. a
// score evaluated only every N steps); otherwise it is an error like any non-number.
// Throws std::runtime_error "<path>:<line>: ..." on a malformed file.
struct NumericCsv {
  std::vector<std::string> columns;
  std::vector<std::vector<double>> rows;  // each has columns.size() values
  std::vector<int> lines;                 // file line of each row, for later errors
};
NumericCsv read_numeric_csv(const std::string& path, bool allow_empty);

// Whole file; throws std::runtime_error naming the path if it cannot be read.
std::string read_file(const std::string& path);
// Throws std::runtime_error "<path>: not valid JSON: ..." on a parse error.
nlohmann::json read_json(const std::string& path);

// "4.951 uJ", "58.89 mW": 4 significant digits with an SI prefix.
std::string si(double value, const char* unit);

}  // namespace memgan::report
