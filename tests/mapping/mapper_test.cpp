#include <gtest/gtest.h>

#include <string>

#include "core/mapping/mapper.h"
#include "tests/mapping/small_network.h"

namespace memgan::mapping {
namespace {

using testing::kSmall;
using testing::small_arch;

TEST(Mapper, HandComputedSmallNetwork) {
  const Network net = parse_network(kSmall, "small.yaml");
  MapOptions o;
  o.dataflow = Dataflow::ZeroFree;
  const NetworkMapping m = map_network(net, small_arch(2, 8), o);
  EXPECT_EQ(m.shape.rows, 32);
  EXPECT_EQ(m.shape.cols, 16);
  ASSERT_EQ(m.layers.size(), 2u);  // reshape is digital

  const LayerMapping& fc = m.layers[0];  // W^T 10 x 32: one row tile, two column tiles
  EXPECT_EQ(fc.arrays, 2);
  EXPECT_DOUBLE_EQ(fc.utilization, 320.0 / (2 * 32 * 16));
  EXPECT_EQ(fc.mvms_per_sample, 1);
  EXPECT_EQ(fc.steps_per_sample, 1);

  // M_g 64 x 8 (backward-data gather: two row tiles) and, with K_r = 2 per axis, four phase
  // matrices of 32 x 4 (one array each) with 2 x 2 positions each.
  const LayerMapping& up = m.layers[1];
  ASSERT_EQ(up.matrices.size(), 5u);
  EXPECT_EQ(up.matrices[0].role, "M_g");
  EXPECT_EQ(up.matrices[1].rows, 32);
  EXPECT_EQ(up.matrices[1].cols, 4);
  EXPECT_EQ(up.arrays, 6);
  EXPECT_DOUBLE_EQ(up.utilization, (512.0 + 512.0) / (6 * 512));
  EXPECT_EQ(up.mvms_per_sample, 16);
  EXPECT_DOUBLE_EQ(up.mvm_length, 32);
  // Valid (pixel, tap) pairs per axis: a = 0 takes k = 1..3, a = 1 takes k = 0..2: 6; 8 * 6 * 6.
  EXPECT_DOUBLE_EQ(up.nonzero_length, 288.0 / 16);
  EXPECT_DOUBLE_EQ(up.fed_zero_fraction, 1.0 - 288.0 / 512);
  EXPECT_EQ(up.steps_per_sample, 4);
  // 16 arrays: 8 needed; replicas of `up` (6 arrays each) while it is the slowest: 2 (14).
  EXPECT_EQ(up.replicas, 2);
  EXPECT_EQ(fc.replicas, 1);
  EXPECT_EQ(m.arrays_needed, 14);
  EXPECT_TRUE(m.fits);

  o.dataflow = Dataflow::ZeroInsertion;  // M_zi 128 x 4 (4 arrays) + M_g 64 x 8 (2 arrays)
  const NetworkMapping zi = map_network(net, small_arch(2, 8), o);
  EXPECT_EQ(zi.layers[1].arrays, 6);
  EXPECT_DOUBLE_EQ(zi.layers[1].mvm_length, 128);
  EXPECT_DOUBLE_EQ(zi.layers[1].fed_zero_fraction, 1.0 - 288.0 / 2048);
  EXPECT_EQ(zi.layers[1].steps_per_sample, 16);
  EXPECT_EQ(zi.layers[1].replicas, 2);
  EXPECT_EQ(zi.arrays_needed, 14);
  o.training = false;  // inference keeps only the forward matrices
  EXPECT_EQ(map_network(net, small_arch(2, 8), o).layers[1].arrays, 4);
  o.dataflow = Dataflow::ZeroFree;
  EXPECT_EQ(map_network(net, small_arch(2, 8), o).layers[1].arrays, 4);

  o.training = true;
  o.dataflow = Dataflow::PixelWise;  // M_px 8 x 64: four column tiles; one MVM per input pixel
  const NetworkMapping px = map_network(net, small_arch(1, 4), o);
  EXPECT_EQ(px.layers[1].arrays, 4);
  EXPECT_EQ(px.layers[1].mvms_per_sample, 4);
  EXPECT_DOUBLE_EQ(px.layers[1].fed_zero_fraction, 0.0);
  EXPECT_FALSE(px.fits);  // 2 + 4 > 4
  EXPECT_EQ(px.layers[1].replicas, 1);
  EXPECT_NE(format_table(px).find("DOES NOT FIT"), std::string::npos);
}

TEST(Mapper, Dcgan28OnDefaultArrays) {
  const Network net = load_network(std::string(MEMGAN_SOURCE_DIR) + "/configs/nets/dcgan28.yaml");
  ArchSpec arch;  // 128 x 128, 8-bit weights on 2-bit differential cells, 1-bit DAC
  arch.tiles = 16;
  arch.arrays_per_tile = 64;
  MapOptions o;
  o.dataflow = Dataflow::ZeroFree;
  o.batch = 4;
  const NetworkMapping m = map_network(net, arch, o);
  EXPECT_EQ(m.shape.rows, 128);
  EXPECT_EQ(m.shape.cols, 16);
  EXPECT_EQ(m.shape.slices, 4);
  EXPECT_EQ(m.shape.cycles, 8);
  ASSERT_EQ(m.layers.size(), 6u);
  const char* names[] = {"fc", "up1", "up2", "down1", "down2", "fc"};
  for (int i = 0; i < 6; ++i) EXPECT_EQ(m.layers[i].name, names[i]);
  EXPECT_EQ(m.layers[0].arrays, 392);  // 100 x 6272: 392 column tiles
  EXPECT_EQ(m.layers[1].arrays, 64 + 64);  // 4 phases of 512 x 64 (4 x 4 tiles), M_g 1024 x 128
  EXPECT_EQ(m.layers[1].mvms_per_sample, 14 * 14);
  EXPECT_EQ(m.layers[1].steps_per_sample, 7 * 7);
  EXPECT_EQ(m.layers[2].arrays, 8 + 4);  // 4 phases of 256 x 1, M_g 16 x 64
  EXPECT_EQ(m.layers[3].arrays, 4 + 8);  // M_g 16 x 64, backward phases 4 x (256 x 1)
  EXPECT_EQ(m.layers[5].arrays, 49);     // 6272 x 1
  EXPECT_EQ(m.layers[1].cost.forward.logical_mvms, 4 * 14 * 14);  // at the batch
  int64_t needed = 0;
  for (const auto& l : m.layers) needed += l.arrays * l.replicas;
  EXPECT_EQ(needed, m.arrays_needed);
  EXPECT_LE(m.arrays_needed, 1024);

  const nlohmann::json j = to_json(m);
  EXPECT_EQ(j["dataflow"], "zero_free");
  EXPECT_EQ(j["array_shape"]["cols"], 16);
  ASSERT_EQ(j["layers"].size(), 6u);
  EXPECT_TRUE(j["layers"][0]["dataflow"].is_null());
  EXPECT_EQ(j["layers"][1]["matrices"].size(), 5u);
  EXPECT_EQ(j["layers"][1]["counts"]["forward"]["logical_mvms"], 4 * 14 * 14);
  EXPECT_EQ(j["layers"][1]["counts"]["backward_weight"]["weights_programmed"], 4 * 14 * 14 * 64);
  const std::string table = format_table(m);
  EXPECT_NE(table.find("4*512x64"), std::string::npos) << table;
  EXPECT_NE(table.find("discriminator"), std::string::npos);
}

TEST(Mapper, ArrayShapeFollowsTheCrossbar) {
  ArchSpec a;
  a.encoding = xbar::WeightEncoding::Offset;
  a.dac_bits = 2;
  const nn::ArrayShape s = array_shape(a);
  EXPECT_EQ(s.rows, 127);         // reference row
  EXPECT_EQ(s.cols, (128 - 1) / 4);  // 4 slices of 2 bits, reference column
  EXPECT_EQ(s.cycles, 4);
  a.cell_bits = 9;
  EXPECT_THROW(array_shape(a), std::invalid_argument);
}

}  // namespace
}  // namespace memgan::mapping
