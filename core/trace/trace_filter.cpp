#include "core/trace/trace_filter.h"

#include <cctype>
#include <stdexcept>

namespace memgan::trace {

SignalFilter::SignalFilter(const std::string& spec) {
  std::string token;
  const auto add = [&] {
    if (token.empty()) return;
    const bool include = token[0] != '!';
    std::string pattern = include ? token : token.substr(1);
    if (pattern.empty()) throw std::invalid_argument("trace signal filter: '!' without a pattern");
    for (char c : pattern) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '*' && c != '?') {
        throw std::invalid_argument("trace signal filter: pattern '" + pattern + "' has '" + std::string(1, c) +
                                    "' (names are letters, digits, '_' and '.'; globs '*' and '?')");
      }
    }
    if (include) default_selected_ = false;
    rules_.push_back({std::move(pattern), include});
    token.clear();
  };
  for (char c : spec) {
    if (c == ',' || std::isspace(static_cast<unsigned char>(c))) {
      add();
    } else {
      token += c;
    }
  }
  add();
}

bool SignalFilter::selected(const std::string& hier_name) const {
  for (auto it = rules_.rbegin(); it != rules_.rend(); ++it) {
    if (glob_match(it->pattern, hier_name)) return it->include;
  }
  return default_selected_;
}

// Iterative glob with single-star backtracking: linear-ish, no recursion blow-up.
bool SignalFilter::glob_match(const std::string& pattern, const std::string& name) {
  size_t p = 0, n = 0, star = std::string::npos, resume = 0;
  while (n < name.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == name[n])) {
      ++p, ++n;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = n;
    } else if (star != std::string::npos) {
      p = star + 1;
      n = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace memgan::trace
