// The tile work command (spec/isa/tile_work.h): its byte layout and the errors that name the
// field a bad command gets wrong.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "spec/isa/tile_work.h"

using namespace memgan;

namespace {

tile_work::Command sample() {
  tile_work::Command c;
  c.first_array = 3, c.arrays = 5;
  c.logical_mvms = 64, c.array_reads = 256, c.dac_conversions = 32768, c.adc_conversions = 16384;
  c.adc_saturations = 7, c.inputs_applied = 8192, c.outputs = 4096, c.digital_adds = 12288;
  c.weights_programmed = 0, c.cells_written = 11, c.write_pulses = 13, c.rows_reprogrammed = 128;
  c.cells_reprogrammed = 2048, c.array_energy_pj = 12.5, c.write_energy_pj = 0.25, c.reprogram_pj = 1e6;
  return c;
}

}  // namespace

TEST(TileWork, LayoutIsTheDocumentedOne) {
  const auto b = tile_work::encode(sample());
  ASSERT_EQ(b.size(), 136u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(b.data()), 4), "TWK1");
  uint16_t first = 0, arrays = 0;
  std::memcpy(&first, &b[4], 2);
  std::memcpy(&arrays, &b[6], 2);
  EXPECT_EQ(first, 3);
  EXPECT_EQ(arrays, 5);
  int64_t reads = 0, cells_reprogrammed = 0;
  std::memcpy(&reads, &b[8 + 8 * 1], 8);  // second count
  std::memcpy(&cells_reprogrammed, &b[8 + 8 * 12], 8);
  EXPECT_EQ(reads, 256);
  EXPECT_EQ(cells_reprogrammed, 2048);
  double reprogram = 0;
  std::memcpy(&reprogram, &b[8 + 8 * 13 + 8 * 2], 8);
  EXPECT_EQ(reprogram, 1e6);
  std::string why = "stale";
  const tile_work::Command back = tile_work::decode(b.data(), why);
  EXPECT_EQ(why, "");
  EXPECT_EQ(back.adc_saturations, 7);
  EXPECT_EQ(back.digital_adds, 12288);
  EXPECT_EQ(back.array_energy_pj, 12.5);
  EXPECT_EQ(tile_work::encode(back), b) << "decode inverts encode";
}

TEST(TileWork, BadCommandsNameTheirField) {
  std::string why;
  auto b = tile_work::encode(sample());
  b[0] = 'X';
  tile_work::decode(b.data(), why);
  EXPECT_EQ(why, "work command: magic 0x314b5758, expected 0x314b5754 'TWK1'");
  tile_work::Command c = sample();
  c.arrays = 0;
  tile_work::decode(tile_work::encode(c).data(), why);
  EXPECT_EQ(why, "work command: arrays is 0 (a command runs on at least one array)");
  c = sample();
  c.adc_conversions = -2;
  c.write_pulses = -1;
  tile_work::decode(tile_work::encode(c).data(), why);
  EXPECT_EQ(why, "work command: adc_conversions is negative (-2)") << "the first bad field";
  c = sample();
  c.write_energy_pj = std::numeric_limits<double>::quiet_NaN();
  tile_work::decode(tile_work::encode(c).data(), why);
  EXPECT_EQ(why, "work command: write_energy_pj is nan (a finite energy >= 0, pJ)");
  c = sample();
  c.reprogram_pj = -1;
  tile_work::decode(tile_work::encode(c).data(), why);
  EXPECT_EQ(why, "work command: reprogram_pj is -1 (a finite energy >= 0, pJ)");
}
