// The config schema: one row per key, bound to a field of a Config instance.
#pragma once

#include <string>
#include <vector>

#include "core/config/config.h"

namespace memgan::config {

enum class FieldKind { Int, Int64, Real, Bool, Choice, AutoReal, AutoInt64, Path, Text };

struct Field {
  std::string path;                  // "arch.array.rows"
  FieldKind kind;
  void* target;                      // int*, int64_t*, double*, bool*, std::string* (Choice, Path), std::optional<double>*
  double min = 0;
  double max = 0;
  std::vector<std::string> choices;  // Choice only
  std::string doc;                   // one line, with the unit

  // "integer in [2, 4096]", "one of: vcd", "'auto' or a number in [1, 1e+06]", ...
  std::string allowed() const;
  // Current value as YAML scalar text.
  std::string value_text() const;
  // Parses and range-checks a scalar; throws std::invalid_argument with a message that
  // names the value and the allowed range (the caller adds file:line:col and the path).
  void assign(const std::string& scalar) const;
};

// Every key of the config, in documentation order, bound to `cfg`.
std::vector<Field> schema(Config& cfg);

// True if `path` names a section (a mapping) of the schema, e.g. "arch" or "arch.adc".
bool is_section(const std::vector<Field>& fields, const std::string& path);

}  // namespace memgan::config
