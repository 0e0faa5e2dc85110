// Which signals a run records: glob patterns on hierarchical names, asked once per signal
// when a probe declares it (a signal not selected is never declared, so it costs nothing).
//
// Syntax: a list of patterns separated by commas or whitespace, e.g.
//   "soc.tile*.xbar*.adc.*"   the ADC signals of every array of every tile
//   "*.busy,!soc.bus.*"       every busy flag except the bus's
//   "!*.ops"                  everything but the operation counters
// In a pattern, '*' matches any run of characters, dots included ("*.busy" matches
// "soc.tile0.xbar0.adc.busy"); '?' matches one character; everything else matches itself.
// A leading '!' makes a pattern an exclusion. Patterns apply in order and the last one
// that matches a name decides; a name no pattern matches is selected only if the list has
// no inclusion pattern (so an empty list, or one of exclusions only, starts from all).
#pragma once

#include <string>
#include <vector>

namespace memgan::trace {

class SignalFilter {
 public:
  // Everything selected.
  SignalFilter() = default;
  // Throws std::invalid_argument for an empty pattern ("!" alone) or one with characters
  // that cannot occur in a signal name (names are [A-Za-z0-9_.]).
  explicit SignalFilter(const std::string& spec);

  bool selected(const std::string& hier_name) const;
  bool selects_all() const { return rules_.empty(); }

  // '*' and '?' glob match of a whole name.
  static bool glob_match(const std::string& pattern, const std::string& name);

 private:
  struct Rule {
    std::string pattern;
    bool include;
  };
  std::vector<Rule> rules_;
  bool default_selected_ = true;
};

}  // namespace memgan::trace
