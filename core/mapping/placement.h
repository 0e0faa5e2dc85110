// Placement of a network's crossbar layers on the configured chip: every array a layer's
// resident matrices occupy (all bit slices, both differential columns, the dataflow's
// sub-kernels) gets a physical (tile, array) slot.
//
// Policy: layers in network order (generator, then discriminator), each on consecutive slots
// (slot s = tile s / arrays_per_tile, array s % arrays_per_tile), so a layer spans as few
// tiles as its size needs and neighbouring layers share a tile's buffers only at a boundary.
// Training places one copy of each layer (the trainer holds no replicas).
//
// When the layers need more arrays than the chip has:
//   overflow error      place_network throws PlacementError naming every layer, its arrays
//                       and what the chip has.
//   overflow reprogram  layers are grouped, in order, into residency groups that each fit the
//                       chip; group g's layers start again at slot 0. A layer whose slots
//                       hold another group's weights must be reprogrammed before it runs
//                       (the platform charges the writes). A single layer larger than the
//                       whole chip cannot be placed either way (PlacementError).
// Pure C++: `memgan map`, the training run and the tests share it.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/mapping/mapper.h"

namespace memgan::mapping {

enum class Overflow { Error, Reprogram };
Overflow parse_overflow(const std::string& name);  // "error" | "reprogram"
const char* overflow_name(Overflow o);

struct ArraySlot {
  int tile = 0, array = 0;
  bool operator==(const ArraySlot& o) const { return tile == o.tile && array == o.array; }
};

struct TileShare {
  int tile = 0;
  int first_array = 0;  // the layer's arrays on this tile are first_array .. first_array + arrays - 1
  int arrays = 0;
};

struct LayerPlacement {
  std::string model, name;
  LayerType type = LayerType::Linear;
  int64_t arrays = 0;
  int group = 0;                 // residency group
  std::vector<ArraySlot> slots;  // one per array, consecutive
  std::vector<TileShare> tiles;  // the same slots, per tile in tile order
};

struct ChipPlacement {
  int tiles = 1, arrays_per_tile = 1;
  Overflow overflow = Overflow::Error;
  std::vector<LayerPlacement> layers;  // the network's crossbar layers, in network order
  int groups = 1;                      // residency groups (1: everything resident)
  int64_t arrays_needed = 0;           // sum over layers
  int64_t arrays_available() const { return int64_t(tiles) * arrays_per_tile; }
  int64_t arrays_used() const;  // distinct slots holding some layer
  // The layer called `name` in `model`; null when it is not a crossbar layer.
  const LayerPlacement* find(const std::string& model, const std::string& name) const;
};

class PlacementError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// Places `m`'s layers (one replica each) on m.arch.tiles x m.arch.arrays_per_tile arrays.
ChipPlacement place_network(const NetworkMapping& m, Overflow overflow);

nlohmann::json to_json(const ChipPlacement& p);
std::string format_placement(const ChipPlacement& p);

}  // namespace memgan::mapping
