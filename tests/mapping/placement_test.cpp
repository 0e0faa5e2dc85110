// Placement of a network's layers on (tile, array) slots: hand-placed small networks, the
// fit error naming every layer, and reprogramming groups when the chip is too small.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "core/mapping/placement.h"
#include "tests/mapping/small_network.h"

namespace memgan::mapping {
namespace {

// kSmall: fc, W^T 10 x 32 on 32 x 16 logical arrays = 2 arrays; up (zero_free, training): M_g
// (2 arrays) and four phase matrices (one each) = 6 arrays. 8 arrays in all.
NetworkMapping small(int tiles, int arrays_per_tile) {
  MapOptions o;
  o.dataflow = Dataflow::ZeroFree;
  o.replicate = false;
  return map_network(parse_network(testing::kSmall, "small.yaml"), testing::small_arch(tiles, arrays_per_tile), o);
}

TEST(Placement, ConsecutiveSlotsSpanningTilesInNetworkOrder) {
  const ChipPlacement p = place_network(small(3, 3), Overflow::Error);
  ASSERT_EQ(p.layers.size(), 2u);
  EXPECT_EQ(p.arrays_needed, 8);
  EXPECT_EQ(p.arrays_available(), 9);
  EXPECT_EQ(p.arrays_used(), 8);
  EXPECT_EQ(p.groups, 1);
  const LayerPlacement& fc = p.layers[0];
  EXPECT_EQ(fc.name, "fc");
  EXPECT_EQ(fc.slots, (std::vector<ArraySlot>{{0, 0}, {0, 1}}));
  ASSERT_EQ(fc.tiles.size(), 1u);
  EXPECT_EQ(fc.tiles[0].arrays, 2);
  // up: the last array of tile 0, all of tile 1, the first two of tile 2.
  const LayerPlacement& up = p.layers[1];
  EXPECT_EQ(up.arrays, 6);
  ASSERT_EQ(up.tiles.size(), 3u);
  EXPECT_EQ(up.tiles[0].tile, 0);
  EXPECT_EQ(up.tiles[0].first_array, 2);
  EXPECT_EQ(up.tiles[0].arrays, 1);
  EXPECT_EQ(up.tiles[1].arrays, 3);
  EXPECT_EQ(up.tiles[2].first_array, 0);
  EXPECT_EQ(up.tiles[2].arrays, 2);
  EXPECT_EQ(p.find("g", "up"), &p.layers[1]);
  EXPECT_EQ(p.find("g", "view"), nullptr) << "a reshape holds no arrays";
}

TEST(Placement, TooSmallAChipNamesEveryLayerAndWhatTheChipHas) {
  try {
    place_network(small(1, 4), Overflow::Error);
    FAIL() << "8 arrays do not fit 4";
  } catch (const PlacementError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("needs 8 arrays"), std::string::npos) << m;
    EXPECT_NE(m.find("4 arrays of 32 x 32 cells (arch.tiles 1 x arch.arrays_per_tile 4)"), std::string::npos) << m;
    EXPECT_NE(m.find("g.fc 2, g.up 6"), std::string::npos) << m;
    EXPECT_NE(m.find("arch.mapping.overflow: reprogram"), std::string::npos) << m;
  }
}

TEST(Placement, ReprogramGroupsLayersThatEachFitAndRestartsAtSlotZero) {
  const ChipPlacement p = place_network(small(2, 3), Overflow::Reprogram);
  EXPECT_EQ(p.groups, 2);
  EXPECT_EQ(p.layers[0].group, 0);
  EXPECT_EQ(p.layers[1].group, 1);
  EXPECT_EQ(p.layers[1].slots.front(), (ArraySlot{0, 0}));
  EXPECT_EQ(p.arrays_used(), 6) << "fc's two slots are shared with up";
  // Every slot is on the chip.
  for (const auto& l : p.layers)
    for (const auto& s : l.slots) {
      EXPECT_LT(s.tile, 2);
      EXPECT_LT(s.array, 3);
    }
}

TEST(Placement, ALayerLargerThanTheChipCannotBeReprogrammedEither) {
  try {
    place_network(small(1, 5), Overflow::Reprogram);
    FAIL() << "up needs 6 of 5 arrays";
  } catch (const PlacementError& e) {
    EXPECT_NE(std::string(e.what()).find("layer g.up alone needs 6 arrays"), std::string::npos) << e.what();
  }
}

TEST(Placement, JsonAndTableShowEveryLayer) {
  const ChipPlacement p = place_network(small(3, 3), Overflow::Error);
  const nlohmann::json j = to_json(p);
  EXPECT_EQ(j["arrays_used"], 8);
  EXPECT_EQ(j["residency_groups"], 1);
  EXPECT_EQ(j["layers"][1]["tiles"].size(), 3u);
  const std::string t = format_placement(p);
  EXPECT_NE(t.find("8 of 9 arrays used, every layer resident"), std::string::npos) << t;
  EXPECT_NE(t.find("0[2-2] 1[0-2] 2[0-1]"), std::string::npos) << t;
  EXPECT_THROW(parse_overflow("spill"), std::invalid_argument);
  EXPECT_EQ(parse_overflow("reprogram"), Overflow::Reprogram);
}

}  // namespace
}  // namespace memgan::mapping
