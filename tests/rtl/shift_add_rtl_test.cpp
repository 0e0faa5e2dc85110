// Equivalence of the Verilated shift-and-add (rtl/shift_add.sv) behind its transactor with the
// C++ recombination of core/xbar, on corner and random code streams over the converter
// configurations the platform allows. One elaboration per process: one TEST drives the
// transactor from a thread through every case.
#include <algorithm>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <systemc>

#include "core/xbar/shift_add.h"
#include "models/shift_add/shift_add_transactor.h"

using namespace memgan;

namespace {

struct Case {
  std::string name;
  int dac_bits, cell_bits, cycles, slices, adc_bits;
  std::function<int16_t(std::mt19937&, int lo, int hi)> code;
};

struct Driver : sc_core::sc_module {
  rtl::ShiftAddTransactor xtor{"xtor", sc_core::sc_time(1, sc_core::SC_NS)};
  std::vector<Case> cases;
  int checked = 0;
  explicit Driver(sc_core::sc_module_name n) : sc_module(n) {
    SC_HAS_PROCESS(Driver);
    SC_THREAD(run);
  }
  void run() {
    std::mt19937 rng(12345);
    for (const Case& k : cases) {
      const int vectors = 3, cols = 5;
      const int lo = -(1 << (k.adc_bits - 1)), hi = (1 << (k.adc_bits - 1)) - 1;
      std::vector<int16_t> codes(std::size_t(vectors) * k.cycles * k.slices * cols);
      for (auto& c : codes) c = k.code(rng, lo, hi);
      const auto want = xbar::shift_add(codes, vectors, k.cycles, k.slices, cols, k.dac_bits, k.cell_bits);
      std::vector<int32_t> got(want.size(), 0x5A5A5A5A);
      const uint64_t clocks0 = xtor.clocks();
      const sc_core::sc_time t0 = sc_core::sc_time_stamp();
      xtor.accumulate(codes.data(), vectors, k.cycles, k.slices, cols, k.dac_bits, k.cell_bits, got.data());
      for (std::size_t o = 0; o < want.size(); ++o) {
        ASSERT_GE(want[o], INT32_MIN) << k.name;
        ASSERT_LE(want[o], INT32_MAX) << k.name;
        EXPECT_EQ(got[o], want[o]) << k.name << " output " << o;
        ++checked;
      }
      // One code per clock, one idle clock after the block (plus one reset clock first).
      const uint64_t beats = uint64_t(vectors) * cols * k.cycles * k.slices;
      EXPECT_EQ(xtor.clocks() - clocks0, beats + 1 + (clocks0 == 0 ? 1 : 0)) << k.name;
      EXPECT_EQ(sc_core::sc_time_stamp() - t0, sc_core::sc_time(double(xtor.clocks() - clocks0), sc_core::SC_NS));
    }
  }
};

int16_t all_zero(std::mt19937&, int, int) { return 0; }
int16_t all_one(std::mt19937&, int, int) { return 1; }
int16_t all_minus_one(std::mt19937&, int, int) { return -1; }
int16_t top(std::mt19937&, int, int hi) { return int16_t(hi); }
int16_t bottom(std::mt19937&, int lo, int) { return int16_t(lo); }
int16_t extremes(std::mt19937& r, int lo, int hi) { return int16_t(r() & 1 ? lo : hi); }
int16_t uniform(std::mt19937& r, int lo, int hi) { return int16_t(std::uniform_int_distribution<int>(lo, hi)(r)); }

}  // namespace

TEST(ShiftAddRtl, EqualsTheCrossbarRecombinationOnCornerAndRandomCodes) {
  Driver d("driver");
  // (Bd, Bc, nc, ns, adc_bits) as the platform derives them: nc = ceil(8 / Bd), ns =
  // ceil(7 / Bc) (Differential, 8-bit weights) or ceil(8 / Bc) (Offset).
  const std::vector<std::vector<int>> configs = {{1, 2, 8, 4, 8},  {1, 1, 8, 7, 8},   {2, 2, 4, 4, 8},
                                                 {1, 4, 8, 2, 16}, {8, 1, 1, 8, 16},  {4, 3, 2, 3, 12},
                                                 {1, 2, 8, 4, 1},  {3, 4, 3, 2, 10}};
  const std::vector<std::pair<std::string, int16_t (*)(std::mt19937&, int, int)>> patterns = {
      {"zeros", all_zero}, {"ones", all_one}, {"minus_ones", all_minus_one}, {"max", top},
      {"min", bottom},     {"extremes", extremes}, {"random", uniform}, {"random2", uniform}};
  for (const auto& cfg : configs)
    for (const auto& [pname, fn] : patterns)
      d.cases.push_back({pname + " Bd" + std::to_string(cfg[0]) + " Bc" + std::to_string(cfg[1]) + " adc" +
                             std::to_string(cfg[4]),
                         cfg[0], cfg[1], cfg[2], cfg[3], cfg[4], fn});
  sc_core::sc_start();
  EXPECT_EQ(d.checked, int(d.cases.size()) * 15);
  EXPECT_GT(d.xtor.beats(), 0u);
}
