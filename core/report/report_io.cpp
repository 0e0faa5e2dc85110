#include "core/report/report_io.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

namespace memgan::report {
namespace {

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> cells;
  size_t start = 0;
  for (;;) {
    const size_t comma = line.find(',', start);
    cells.push_back(line.substr(start, comma - start));
    if (comma == std::string::npos) return cells;
    start = comma + 1;
  }
}

}  // namespace

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error(fmt::format("{}: cannot open", path));
  std::ostringstream text;
  text << f.rdbuf();
  if (f.bad()) throw std::runtime_error(fmt::format("{}: read error", path));
  return text.str();
}

nlohmann::json read_json(const std::string& path) {
  try {
    return nlohmann::json::parse(read_file(path));
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(fmt::format("{}: not valid JSON: {}", path, e.what()));
  }
}

NumericCsv read_numeric_csv(const std::string& path, bool allow_empty) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error(fmt::format("{}: cannot open", path));
  NumericCsv csv;
  std::string line;
  int number = 0;
  while (std::getline(f, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::vector<std::string> cells = split(line);
    if (csv.columns.empty()) {
      for (size_t i = 0; i < cells.size(); ++i) {
        if (cells[i].empty()) throw std::runtime_error(fmt::format("{}:{}: header column {} is empty", path, number, i + 1));
      }
      csv.columns = std::move(cells);
      continue;
    }
    if (cells.size() != csv.columns.size()) {
      throw std::runtime_error(fmt::format("{}:{}: {} fields, the header has {}", path, number, cells.size(),
                                           csv.columns.size()));
    }
    std::vector<double> row(cells.size());
    for (size_t i = 0; i < cells.size(); ++i) {
      const std::string& cell = cells[i];
      if (cell.empty() && allow_empty) {
        row[i] = std::numeric_limits<double>::quiet_NaN();
        continue;
      }
      char* end = nullptr;
      errno = 0;
      row[i] = std::strtod(cell.c_str(), &end);
      if (cell.empty() || end != cell.c_str() + cell.size() || errno == ERANGE || !std::isfinite(row[i])) {
        throw std::runtime_error(fmt::format("{}:{}: column {} ({}): '{}' is not a finite number", path, number, i + 1,
                                             csv.columns[i], cell));
      }
    }
    csv.rows.push_back(std::move(row));
    csv.lines.push_back(number);
  }
  if (f.bad()) throw std::runtime_error(fmt::format("{}: read error", path));
  if (csv.columns.empty()) throw std::runtime_error(fmt::format("{}: empty file, expected a header row", path));
  return csv;
}

std::string si(double value, const char* unit) {
  static const char* const prefixes[] = {"f", "p", "n", "u", "m", "", "k", "M", "G"};
  int i = 5;
  double v = value;
  while (std::fabs(v) >= 1000 && i < 8) { v /= 1000; ++i; }
  while (v != 0 && std::fabs(v) < 1 && i > 0) { v *= 1000; --i; }
  return fmt::format("{:.4g} {}{}", v, prefixes[i], unit);
}

}  // namespace memgan::report
