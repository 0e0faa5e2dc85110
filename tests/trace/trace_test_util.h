// Minimal VCD reader for the tests: declarations with full dotted names, and every value
// change in file order. Records format errors instead of asserting so tests can check them.
#pragma once

#include <cstdint>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace memgan::trace::testing {

struct VcdVar {
  std::string type;  // wire, reg, real
  int width = 0;
  std::string range;  // "[7:0]" or ""
};

struct VcdChange {
  uint64_t t;
  std::string name;
  std::string value;  // bits without leading zeros ("0" for zero), or the real's text
};

struct VcdFile {
  std::map<std::string, VcdVar> vars;      // full name -> declaration
  std::vector<VcdChange> changes;          // $dumpvars included, at time 0
  std::vector<uint64_t> times;             // every '#' line in order
  std::vector<std::string> errors;
};

inline std::string strip_bits(const std::string& bits) {
  const size_t one = bits.find_first_not_of('0');
  return one == std::string::npos ? "0" : bits.substr(one);
}

inline VcdFile read_vcd(const std::string& path) {
  VcdFile f;
  std::ifstream in(path);
  if (!in) {
    f.errors.push_back("cannot open " + path);
    return f;
  }
  std::map<std::string, std::string> code_to_name;
  std::vector<std::string> scopes;
  std::string tok;
  uint64_t now = 0;
  bool in_header = true;
  while (in >> tok) {
    if (in_header) {
      if (tok == "$scope") {
        std::string kind, name, end;
        in >> kind >> name >> end;
        scopes.push_back(name);
      } else if (tok == "$upscope") {
        in >> tok;
        if (scopes.empty()) f.errors.push_back("unbalanced $upscope");
        else scopes.pop_back();
      } else if (tok == "$var") {
        VcdVar v;
        std::string code, ref, next;
        in >> v.type >> v.width >> code >> ref >> next;
        if (next != "$end") {
          v.range = next;
          in >> next;
        }
        std::string full;
        for (const auto& s : scopes) full += s + ".";
        full += ref;
        if (f.vars.count(full)) f.errors.push_back("duplicate var " + full);
        if (code_to_name.count(code)) f.errors.push_back("duplicate code " + code);
        f.vars[full] = v;
        code_to_name[code] = full;
      } else if (tok == "$enddefinitions") {
        in >> tok;
        in_header = false;
        if (!scopes.empty()) f.errors.push_back("unclosed $scope");
      } else if (tok[0] == '$') {  // $version, $timescale, $comment ...: skip to $end
        while (tok != "$end" && in >> tok) {
        }
      }
      continue;
    }
    if (tok == "$dumpvars" || tok == "$end") continue;
    std::string code, value;
    switch (tok[0]) {
      case '#': {
        const uint64_t t = std::stoull(tok.substr(1));
        if (!f.times.empty() && t <= f.times.back()) f.errors.push_back("time not increasing: " + tok);
        f.times.push_back(t);
        now = t;
        continue;
      }
      case 'b':
        value = strip_bits(tok.substr(1));
        in >> code;
        break;
      case 'r':
        value = tok.substr(1);
        in >> code;
        break;
      case '0':
      case '1':
        value = tok.substr(0, 1);
        code = tok.substr(1);
        break;
      default:
        f.errors.push_back("unexpected token " + tok);
        continue;
    }
    const auto it = code_to_name.find(code);
    if (it == code_to_name.end()) f.errors.push_back("unknown code " + code);
    else f.changes.push_back({now, it->second, value});
  }
  return f;
}

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace memgan::trace::testing
