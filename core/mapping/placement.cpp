#include "core/mapping/placement.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

namespace memgan::mapping {

Overflow parse_overflow(const std::string& name) {
  if (name == "error") return Overflow::Error;
  if (name == "reprogram") return Overflow::Reprogram;
  throw std::invalid_argument("unknown overflow policy '" + name + "' (allowed: error, reprogram)");
}

const char* overflow_name(Overflow o) { return o == Overflow::Error ? "error" : "reprogram"; }

int64_t ChipPlacement::arrays_used() const {
  std::set<std::pair<int, int>> used;
  for (const auto& l : layers)
    for (const auto& s : l.slots) used.insert({s.tile, s.array});
  return int64_t(used.size());
}

const LayerPlacement* ChipPlacement::find(const std::string& model, const std::string& name) const {
  for (const auto& l : layers)
    if (l.model == model && l.name == name) return &l;
  return nullptr;
}

namespace {

std::string layer_list(const NetworkMapping& m) {
  std::string s;
  for (const auto& l : m.layers) s += fmt::format("{}{}.{} {}", s.empty() ? "" : ", ", l.model, l.name, l.arrays);
  return s;
}

}  // namespace

ChipPlacement place_network(const NetworkMapping& m, Overflow overflow) {
  ChipPlacement p;
  p.tiles = m.arch.tiles;
  p.arrays_per_tile = m.arch.arrays_per_tile;
  p.overflow = overflow;
  const int64_t capacity = p.arrays_available();
  for (const auto& l : m.layers) p.arrays_needed += l.arrays;
  const std::string chip = fmt::format("{} arrays of {} x {} cells (arch.tiles {} x arch.arrays_per_tile {})",
                                       capacity, m.arch.array_rows, m.arch.array_cols, p.tiles, p.arrays_per_tile);
  if (p.arrays_needed > capacity && overflow == Overflow::Error)
    throw PlacementError(fmt::format("network '{}' needs {} arrays, the chip has {}; arrays per layer: {}. Raise "
                                     "arch.tiles or arch.arrays_per_tile, or set arch.mapping.overflow: reprogram "
                                     "to time-multiplex the arrays",
                                     m.network, p.arrays_needed, chip, layer_list(m)));
  for (const auto& l : m.layers)
    if (l.arrays > capacity)
      throw PlacementError(fmt::format("layer {}.{} alone needs {} arrays, the chip has {}: it cannot be placed even "
                                       "by reprogramming; arrays per layer: {}",
                                       l.model, l.name, l.arrays, chip, layer_list(m)));
  int group = 0;
  int64_t next = 0;
  for (const auto& l : m.layers) {
    if (next + l.arrays > capacity) {
      ++group;
      next = 0;
    }
    LayerPlacement lp;
    lp.model = l.model;
    lp.name = l.name;
    lp.type = l.type;
    lp.arrays = l.arrays;
    lp.group = group;
    for (int64_t k = 0; k < l.arrays; ++k, ++next) {
      const ArraySlot s{int(next / p.arrays_per_tile), int(next % p.arrays_per_tile)};
      lp.slots.push_back(s);
      if (lp.tiles.empty() || lp.tiles.back().tile != s.tile) lp.tiles.push_back({s.tile, s.array, 0});
      ++lp.tiles.back().arrays;
    }
    p.layers.push_back(std::move(lp));
  }
  p.groups = group + 1;
  return p;
}

nlohmann::json to_json(const ChipPlacement& p) {
  nlohmann::json layers = nlohmann::json::array();
  for (const auto& l : p.layers) {
    nlohmann::json tiles = nlohmann::json::array();
    for (const auto& t : l.tiles)
      tiles.push_back({{"tile", t.tile}, {"first_array", t.first_array}, {"arrays", t.arrays}});
    layers.push_back({{"model", l.model}, {"name", l.name}, {"type", layer_type_name(l.type)}, {"arrays", l.arrays},
                      {"group", l.group}, {"tiles", tiles}});
  }
  return {{"tiles", p.tiles},
          {"arrays_per_tile", p.arrays_per_tile},
          {"arrays_available", p.arrays_available()},
          {"arrays_needed", p.arrays_needed},
          {"arrays_used", p.arrays_used()},
          {"overflow", overflow_name(p.overflow)},
          {"residency_groups", p.groups},
          {"layers", layers}};
}

std::string format_placement(const ChipPlacement& p) {
  std::string s = fmt::format("placement on {} tiles x {} arrays: {} of {} arrays used, {}\n", p.tiles,
                              p.arrays_per_tile, p.arrays_used(), p.arrays_available(),
                              p.groups == 1 ? std::string("every layer resident")
                                            : fmt::format("{} residency groups (arrays reprogrammed between them)",
                                                          p.groups));
  s += fmt::format("{:<16} {:<22} {:>7} {:>6}  {}\n", "model", "layer", "arrays", "group", "tile[arrays]");
  for (const auto& l : p.layers) {
    std::string where;
    for (const auto& t : l.tiles)
      where += fmt::format("{}{}[{}-{}]", where.empty() ? "" : " ", t.tile, t.first_array,
                           t.first_array + t.arrays - 1);
    s += fmt::format("{:<16} {:<22} {:>7} {:>6}  {}\n", l.model, l.name, l.arrays, l.group, where);
  }
  return s;
}

}  // namespace memgan::mapping
