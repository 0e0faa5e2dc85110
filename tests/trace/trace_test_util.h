// Test helpers: a minimal VCD reader (declarations with full dotted names, every value
// change in file order; format errors are recorded, not asserted), a reference model of
// TraceWriter's semantics, and a random temporally decoupled workload.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "core/trace/trace_writer.h"

namespace memgan::trace::test_util {

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

inline std::string out_path(const std::string& ext) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const auto dir = std::filesystem::path(MEMGAN_BINARY_DIR) / "test_output" / "trace";
  std::filesystem::create_directories(dir);
  return (dir / (std::string(info->test_suite_name()) + "." + info->name() + ext)).string();
}

inline bool tool_available(const std::string& tool) {
  return std::system(("command -v " + tool + " >/dev/null 2>&1").c_str()) == 0;
}

using Timeline = std::vector<std::pair<uint64_t, std::string>>;

// The changes of one signal after its initial ($dumpvars) value.
inline Timeline changes_of(const VcdFile& f, const std::string& name) {
  Timeline out;
  bool initial = true;
  for (const auto& c : f.changes) {
    if (c.name != name) continue;
    if (initial) {
      initial = false;
      continue;
    }
    out.emplace_back(c.t, c.value);
  }
  return out;
}

struct Event {
  uint64_t t;
  SignalId id;
  int64_t v;
  bool delta;
};

// Reference model: apply every change in (time, arrival) order; a signal's expected dump
// is its shown value whenever that differs from the previous time's. Reals in units.
inline std::map<std::string, Timeline> reference(const std::vector<Event>& events,
                                                 const std::vector<SignalInfo>& sigs) {
  std::vector<Event> sorted = events;
  std::stable_sort(sorted.begin(), sorted.end(), [](const Event& a, const Event& b) { return a.t < b.t; });
  std::vector<int64_t> value(sigs.size(), 0);
  std::vector<std::string> shown(sigs.size(), "0");
  std::map<std::string, Timeline> out;
  auto show = [&](SignalId id) -> std::string {
    const SignalInfo& s = sigs[id];
    if (s.kind == SignalKind::kReal) return std::to_string(value[id]);
    if (s.width == 1) return value[id] > 0 ? "1" : "0";
    uint64_t bits = static_cast<uint64_t>(value[id]);
    if (s.width < 64) bits &= (uint64_t{1} << s.width) - 1;
    std::string b;
    for (int i = 63; i >= 0; --i) b.push_back(((bits >> i) & 1) ? '1' : '0');
    return strip_bits(b);
  };
  for (size_t i = 0; i < sorted.size();) {
    const uint64_t t = sorted[i].t;
    std::vector<SignalId> touched;
    for (; i < sorted.size() && sorted[i].t == t; ++i) {
      const Event& e = sorted[i];
      value[e.id] = e.delta ? static_cast<int64_t>(static_cast<uint64_t>(value[e.id]) +
                                                   static_cast<uint64_t>(e.v))
                            : e.v;
      touched.push_back(e.id);
    }
    std::sort(touched.begin(), touched.end());
    touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
    for (SignalId id : touched) {
      const std::string now = show(id);
      if (now != shown[id]) {
        shown[id] = now;
        out[sigs[id].name].emplace_back(t, now);
      }
    }
  }
  return out;
}

// A dump's changes per signal, reals turned back into unit counts so they compare exactly.
inline std::map<std::string, Timeline> normalised(const VcdFile& f, const std::vector<SignalInfo>& sigs) {
  std::map<std::string, Timeline> out;
  for (const auto& s : sigs) {
    for (auto [t, v] : changes_of(f, s.name)) {
      if (s.kind == SignalKind::kReal) v = std::to_string(std::llround(std::stod(v) / s.unit));
      out[s.name].emplace_back(t, v);
    }
  }
  return out;
}

// 60 tiles x 5 signals (so identifiers need two characters), each initiator stamping
// changes anywhere in the quantum ahead of global time, in its own order; every writer
// gets the same calls. flush_before(global) is never late. Returns the events fed.
inline std::vector<Event> drive_random_run(const std::vector<TraceWriter*>& writers, uint64_t seed) {
  for (TraceWriter* w : writers) {
    for (int tile = 0; tile < 60; ++tile) {
      const std::string base = "soc.tile" + std::to_string(tile);
      w->add_int(base + ".xbar.busy", 1);
      w->add_int(base + ".xbar.ops", 32);
      w->add_real(base + ".xbar.power_mw", 1e-6);
      w->add_int(base + ".adc.conv", 64);
      w->add_int(base + ".state", 3);
    }
    w->begin();
  }
  const TraceWriter& first = *writers.front();
  std::vector<Event> events;
  std::mt19937_64 rng(seed);
  const uint64_t quantum = 1000;
  for (uint64_t global = quantum; global <= 200 * quantum; global += quantum) {
    for (int n = 0; n < 300; ++n) {
      const auto id = static_cast<SignalId>(rng() % first.signal_count());
      const SignalInfo& s = first.signal(id);
      Event e{global + rng() % quantum, id, 0, true};
      if (s.kind == SignalKind::kReal) {
        e.v = static_cast<int64_t>(rng() % 2000001) - 1000000;
      } else if (s.width == 1) {
        e.v = (rng() % 2) ? 1 : -1;
      } else if (rng() % 4 == 0) {
        e.delta = false;
        e.v = static_cast<int64_t>(rng());
      } else {
        e.v = static_cast<int64_t>(rng() % 7) - 3;
      }
      events.push_back(e);
      for (TraceWriter* w : writers) {
        if (e.delta) w->add(id, e.t, e.v);
        else w->set(id, e.t, e.v);
      }
    }
    for (TraceWriter* w : writers) w->flush_before(global);
  }
  for (TraceWriter* w : writers) w->close();
  return events;
}

inline std::vector<SignalInfo> signals_of(const TraceWriter& w) {
  std::vector<SignalInfo> sigs;
  for (SignalId id = 0; id < w.signal_count(); ++id) sigs.push_back(w.signal(id));
  return sigs;
}

}  // namespace memgan::trace::test_util
