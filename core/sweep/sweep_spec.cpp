#include "core/sweep/sweep_spec.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "core/config/loader.h"

namespace memgan::sweep {
namespace {

namespace fs = std::filesystem;

std::string where(const std::string& path, const YAML::Node& n) {
  const YAML::Mark m = n.Mark();
  return m.line >= 0 ? fmt::format("{}:{}:{}", path, m.line + 1, m.column + 1) : path;
}

[[noreturn]] void fail(const std::string& at, const std::string& what) { throw SweepError(fmt::format("{}: {}", at, what)); }

std::string resolve(const std::string& sweep_path, const std::string& file) {
  const fs::path p(file);
  return p.is_absolute() ? file : (fs::path(sweep_path).parent_path() / p).lexically_normal().string();
}

void check_key(const std::string& path, const YAML::Node& key_node, const std::string& key, const char* section) {
  if (!config::is_key(key))
    fail(where(path, key_node), fmt::format("{}: '{}' is not a config key{}", section, key, config::key_suggestion(key)));
}

Value scalar(const std::string& path, const YAML::Node& n, const std::string& what) {
  if (!n.IsScalar()) fail(where(path, n), fmt::format("{}: a value must be a scalar (as --set takes it)", what));
  return {n.Scalar(), where(path, n)};
}

// An axis section: key -> non-empty list of scalars, every key once.
std::vector<Axis> axes(const std::string& path, const YAML::Node& section, const char* name) {
  std::vector<Axis> out;
  if (!section) return out;
  if (!section.IsMap()) fail(where(path, section), fmt::format("{}: must map config keys to lists of values", name));
  for (const auto& kv : section) {
    const std::string key = kv.first.Scalar();
    check_key(path, kv.first, key, name);
    if (!kv.second.IsSequence() || kv.second.size() == 0)
      fail(where(path, kv.second), fmt::format("{}.{}: must be a non-empty list of values", name, key));
    Axis a{key, {}};
    for (const auto& v : kv.second) a.values.push_back(scalar(path, v, fmt::format("{}.{}", name, key)));
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace

std::vector<std::string> SweepSpec::axis_keys() const {
  std::vector<std::string> keys;
  for (const auto* group : {&zip, &cross})
    for (const auto& a : *group) keys.push_back(a.key);
  return keys;
}

std::string PointSpec::label() const {
  std::string s;
  for (const auto& [k, v] : values) s += (s.empty() ? "" : " ") + k + "=" + v.text;
  return s;
}

std::vector<std::string> PointSpec::overrides(const SweepSpec& spec) const {
  std::vector<std::string> o;
  for (const auto& [k, v] : spec.set) o.push_back(k + "=" + v.text);
  for (const auto& [k, v] : values) o.push_back(k + "=" + v.text);
  return o;
}

SweepSpec load_sweep(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw SweepError(fmt::format("{}: cannot open the sweep file", path));
  std::ostringstream text;
  text << f.rdbuf();
  return parse_sweep(text.str(), path);
}

SweepSpec parse_sweep(const std::string& yaml_text, const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::ParserException& e) {
    throw SweepError(fmt::format("{}:{}:{}: {}", path, e.mark.line + 1, e.mark.column + 1, e.msg));
  }
  if (!root.IsMap()) fail(path, "a sweep file is a mapping with base, cross and/or zip (see configs/sweeps/)");
  static const std::set<std::string> known = {"base", "presets", "set", "cross", "zip"};
  for (const auto& kv : root) {
    const std::string key = kv.first.Scalar();
    if (!known.count(key))
      fail(where(path, kv.first), fmt::format("unknown key '{}' (a sweep has base, presets, set, cross, zip)", key));
  }
  SweepSpec s;
  s.path = path;
  if (!root["base"] || !root["base"].IsScalar() || root["base"].Scalar().empty())
    fail(root["base"] ? where(path, root["base"]) : path, "base: the config every point starts from is required");
  s.base = resolve(path, root["base"].Scalar());
  if (const auto p = root["presets"]) {
    if (!p.IsSequence()) fail(where(path, p), "presets: must be a list of preset files");
    for (const auto& v : p) s.presets.push_back(resolve(path, scalar(path, v, "presets").text));
  }
  if (const auto set = root["set"]) {
    if (!set.IsMap()) fail(where(path, set), "set: must map config keys to values");
    for (const auto& kv : set) {
      const std::string key = kv.first.Scalar();
      check_key(path, kv.first, key, "set");
      s.set.push_back({key, scalar(path, kv.second, "set." + key)});
    }
  }
  s.cross = axes(path, root["cross"], "cross");
  s.zip = axes(path, root["zip"], "zip");
  if (s.cross.empty() && s.zip.empty()) fail(path, "nothing to sweep: give cross and/or zip axes");
  std::set<std::string> seen;
  for (const auto& [k, v] : s.set) seen.insert(k);
  for (const auto* group : {&s.zip, &s.cross})
    for (const auto& a : *group)
      if (!seen.insert(a.key).second)
        fail(a.values.front().where, fmt::format("'{}' is set or swept more than once", a.key));
  for (const auto& a : s.zip)
    if (a.values.size() != s.zip.front().values.size())
      fail(a.values.front().where, fmt::format("zip.{}: {} values, but zip.{} has {} (zipped lists advance together)",
                                               a.key, a.values.size(), s.zip.front().key,
                                               s.zip.front().values.size()));
  return s;
}

std::vector<PointSpec> expand(const SweepSpec& spec) {
  const size_t zip_rows = spec.zip.empty() ? 1 : spec.zip.front().values.size();
  size_t combos = 1;
  for (const auto& a : spec.cross) combos *= a.values.size();
  std::vector<PointSpec> points;
  points.reserve(zip_rows * combos);
  for (size_t z = 0; z < zip_rows; ++z) {
    for (size_t c = 0; c < combos; ++c) {
      PointSpec p;
      for (const auto& a : spec.zip) p.values.push_back({a.key, a.values[z]});
      // Mixed radix, the last cross key fastest.
      size_t rest = c;
      std::vector<std::pair<std::string, Value>> cross(spec.cross.size());
      for (size_t i = spec.cross.size(); i-- > 0;) {
        const auto& a = spec.cross[i];
        cross[i] = {a.key, a.values[rest % a.values.size()]};
        rest /= a.values.size();
      }
      p.values.insert(p.values.end(), cross.begin(), cross.end());
      points.push_back(std::move(p));
    }
  }
  return points;
}

std::string point_id(const std::string& text) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (const unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return fmt::format("{:016x}", h);
}

std::vector<size_t> pareto_front(const std::vector<std::pair<double, double>>& points) {
  std::vector<size_t> order;
  for (size_t i = 0; i < points.size(); ++i)
    if (std::isfinite(points[i].first) && std::isfinite(points[i].second)) order.push_back(i);
  // By the first objective, ties by the second: a point is on the front when its second
  // objective is below every earlier one's (or equal to the front's last, on both).
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return points[a] < points[b];
  });
  std::vector<size_t> front;
  double best = INFINITY;
  for (const size_t i : order) {
    const bool equal_last = !front.empty() && points[front.back()] == points[i];
    if (points[i].second < best || equal_last) {
      front.push_back(i);
      best = std::min(best, points[i].second);
    }
  }
  return front;
}

}  // namespace memgan::sweep
