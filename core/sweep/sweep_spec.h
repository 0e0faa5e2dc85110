// Design-space sweeps (`memgan sweep`): the sweep file, its points, their identities and the
// Pareto front of their results. Pure C++ (no SystemC); platform/sweep_run runs the points.
//
//   # configs/sweeps/tiles-dataflow.yaml
//   base: ../default.yaml           # the config every point starts from (relative to this file)
//   presets: []                     # optional preset files applied after base
//   set:                            # optional overrides every point shares
//     train.mode: timing
//     train.steps: 2
//   cross:                          # every combination of these values...
//     network.dataflow: [zero_insertion, zero_free, pixel_wise]
//     arch.tiles: [4, 8, 16]
//   zip:                            # ...times these lists advanced together (equal lengths)
//     arch.array.rows: [128, 256]
//     arch.array.cols: [128, 256]
//
// Keys are config keys (`memgan validate --print` lists them); values scalars as `--set` takes
// them. Points come in order: zip rows outermost, then the cross keys in file order, the last
// one fastest. Every problem is a SweepError naming file:line:col and the key.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace memgan::sweep {

class SweepError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Value {
  std::string text;   // the scalar as written
  std::string where;  // file:line:col
};

struct Axis {
  std::string key;
  std::vector<Value> values;
};

struct SweepSpec {
  std::string path;                  // the sweep file
  std::string base;                  // the base config, resolved next to the sweep file
  std::vector<std::string> presets;  // resolved likewise
  std::vector<std::pair<std::string, Value>> set;
  std::vector<Axis> cross, zip;
  std::vector<std::string> axis_keys() const;  // zip keys then cross keys, in file order
};

// One point: a value per axis, in axis_keys() order.
struct PointSpec {
  std::vector<std::pair<std::string, Value>> values;
  std::string label() const;  // "network.dataflow=zero_free arch.tiles=8"
  // The point's overrides for config::load_config: the sweep's `set`, then its own values.
  std::vector<std::string> overrides(const SweepSpec& spec) const;
};

SweepSpec load_sweep(const std::string& path);
SweepSpec parse_sweep(const std::string& yaml_text, const std::string& path);  // `path` for messages and resolving
std::vector<PointSpec> expand(const SweepSpec& spec);

// A point's identity: 16 hex digits of the FNV-1a 64-bit hash of its resolved config text (the
// same config gives the same folder, so a rerun finds the points it finished).
std::string point_id(const std::string& resolved_config_text);

// Indices of the points no other point beats on both objectives (both minimized; a point
// equal to another on both stays), sorted by the first objective. Non-finite points are out.
std::vector<size_t> pareto_front(const std::vector<std::pair<double, double>>& points);

}  // namespace memgan::sweep
