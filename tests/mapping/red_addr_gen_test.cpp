// The pixel_wise scatter's address sequence (mapping::RedAddressWalker) against the documented
// sequence written independently for the RTL tests (tests/rtl/golden.h), and the geometry the
// layer engine derives for the scatters of a DCGAN.
#include "core/mapping/red_addr_gen.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "tests/rtl/golden.h"

namespace memgan::mapping {
namespace {

std::vector<RedStep> walk(const RedGeometry& g) {
  std::vector<RedStep> steps;
  for (RedAddressWalker w(g); !w.finished(); w.advance()) steps.push_back(w.step());
  return steps;
}

void expect_matches_golden(const RedGeometry& g) {
  const std::vector<RedStep> steps = walk(g);
  const auto golden = rtl::golden::red_steps(g.h, g.w, g.stride, g.pad, g.channels, g.rows_per_array, g.row_tiles,
                                             g.col_tiles);
  ASSERT_EQ(int64_t(steps.size()), red_step_count(g));
  ASSERT_EQ(steps.size(), golden.size());
  for (size_t i = 0; i < steps.size(); ++i) {
    const auto& e = golden[i];
    const RedStep want{e.pixel, e.in_addr, e.array, e.out_y0, e.out_x0, e.first, e.last, e.done};
    ASSERT_EQ(steps[i], want) << "step " << i << ": " << describe(steps[i]) << " vs " << describe(want);
  }
}

TEST(RedAddresses, WalkerFollowsTheDocumentedSequence) {
  expect_matches_golden({1, 1, 1, 0, 1, 128, 1, 1});     // one pixel
  expect_matches_golden({7, 7, 2, 1, 64, 128, 1, 4});    // dcgan28 up1
  expect_matches_golden({3, 5, 3, 2, 300, 128, 3, 2});   // K not divisible by S, several row tiles
  std::mt19937 rng(7);
  for (int i = 0; i < 30; ++i) {
    std::uniform_int_distribution<int> dim(1, 9), tile(1, 4), sp(0, 4);
    RedGeometry g{dim(rng), dim(rng), 1 + sp(rng), sp(rng), 0, 0, tile(rng), tile(rng)};
    g.rows_per_array = 16;
    g.channels = 16 * (g.row_tiles - 1) + 1 + std::uniform_int_distribution<int>(0, 15)(rng);
    expect_matches_golden(g);
  }
}

TEST(RedAddresses, ScatterGeometryOfTheDcganLayers) {
  const nn::ArrayShape arrays{128, 64, 1, 4};  // 128 rows, 64 logical columns
  LayerSpec up;  // generator: 64 x 7 x 7 -> 32 x 14 x 14
  up.type = LayerType::ConvTranspose2d;
  up.in_channels = 64;
  up.out_channels = 32;
  up.kernel = 4;
  up.stride = 2;
  up.padding = 1;
  up.input = {64, 7, 7};
  up.output = {32, 14, 14};
  const auto fwd = red_scatter_geometry(up, false, arrays);
  ASSERT_TRUE(fwd);
  EXPECT_EQ(*fwd, (RedGeometry{7, 7, 2, 1, 64, 128, 1, 8}));  // 4*4*32 = 512 outputs / 64 columns
  EXPECT_FALSE(red_scatter_geometry(up, true, arrays));      // its backward-data is a gather

  LayerSpec down;  // discriminator: 32 x 14 x 14 -> 64 x 7 x 7; backward-data scatters the 7x7 gradient
  down.type = LayerType::Conv2d;
  down.in_channels = 32;
  down.out_channels = 64;
  down.kernel = 4;
  down.stride = 2;
  down.padding = 1;
  down.input = {32, 14, 14};
  down.output = {64, 7, 7};
  const auto bwd = red_scatter_geometry(down, true, arrays);
  ASSERT_TRUE(bwd);
  // M_g is 512 x 64, read transposed: the 64-long gradient along its 64 columns (1 tile), the
  // 512-long patch along the 128 rows (4 tiles).
  EXPECT_EQ(*bwd, (RedGeometry{7, 7, 2, 1, 64, 64, 1, 4}));
  EXPECT_FALSE(red_scatter_geometry(down, false, arrays));
  LayerSpec fc;
  fc.type = LayerType::Linear;
  EXPECT_FALSE(red_scatter_geometry(fc, false, arrays));
}

}  // namespace
}  // namespace memgan::mapping
