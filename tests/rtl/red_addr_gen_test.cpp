// Equivalence of the Verilated pixel_wise address generator (rtl/red_addr_gen.sv) with its C++
// golden step sequence (golden.h) on corner and random layer shapes, with random back-pressure.
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "Vred_addr_gen.h"
#include "tests/rtl/cc_clock.h"
#include "tests/rtl/golden.h"
#include "verilated.h"

using memgan::rtl::golden::RedStep;

namespace {

struct Shape {
  int h, w, stride, pad, cin, rows, row_tiles, col_tiles;
};

int64_t sext(uint32_t v, int bits) { return int64_t(int32_t(v << (32 - bits))) >> (32 - bits); }

class RedAddrGen : public ::testing::Test {
 protected:
  void SetUp() override {
    ctx_.reset(new VerilatedContext);
    dut_.reset(new Vred_addr_gen(ctx_.get()));
    dut_->rst_n = 0;
    tick();
    dut_->rst_n = 1;
  }
  void tick() { memgan::rtl::test::clock_cycle(*dut_); }
  // Runs one layer; ready_prob < 1 stalls the consumer at random.
  std::vector<RedStep> run(const Shape& s, double ready_prob, std::mt19937& rng) {
    dut_->cfg_h = s.h, dut_->cfg_w = s.w, dut_->cfg_stride = s.stride, dut_->cfg_pad = s.pad;
    dut_->cfg_cin = s.cin, dut_->cfg_rows = s.rows;
    dut_->cfg_row_tiles = s.row_tiles, dut_->cfg_col_tiles = s.col_tiles;
    dut_->step_ready = 0;
    dut_->start = 1;
    tick();
    dut_->start = 0;
    std::vector<RedStep> got;
    std::bernoulli_distribution ready(ready_prob);
    for (int guard = 0; guard < 10'000'000; ++guard) {
      dut_->step_ready = ready(rng);
      dut_->eval();
      if (!dut_->step_valid) break;
      if (dut_->step_ready) {
        got.push_back({int64_t(dut_->step_pixel), int64_t(dut_->step_in_addr), int64_t(dut_->step_array),
                       sext(dut_->step_out_y0, 21), sext(dut_->step_out_x0, 21), bool(dut_->step_first),
                       bool(dut_->step_last), bool(dut_->step_done)});
      }
      tick();
    }
    EXPECT_FALSE(dut_->busy);
    return got;
  }
  void check(const Shape& s, double ready_prob, std::mt19937& rng) {
    const auto want = memgan::rtl::golden::red_steps(s.h, s.w, s.stride, s.pad, s.cin, s.rows, s.row_tiles,
                                                     s.col_tiles);
    const auto got = run(s, ready_prob, rng);
    ASSERT_EQ(got.size(), want.size()) << s.h << "x" << s.w << " S" << s.stride << " P" << s.pad;
    for (std::size_t k = 0; k < want.size(); ++k) ASSERT_TRUE(got[k] == want[k]) << "step " << k;
  }
  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<Vred_addr_gen> dut_;
};

TEST_F(RedAddrGen, CornerShapesFollowTheGoldenSequence) {
  std::mt19937 rng(1);
  for (const Shape& s : {Shape{1, 1, 1, 0, 1, 1, 1, 1},          // one pixel, one array
                         Shape{4, 4, 2, 1, 1024, 128, 8, 4},     // DCGAN layer of docs/dataflows.md
                         Shape{3, 5, 3, 2, 7, 7, 1, 3},          // negative origins, odd sizes
                         Shape{2, 2, 1023, 1023, 16, 8, 2, 1},   // extreme stride and pad
                         Shape{1023, 1, 1, 0, 1, 1, 1, 1},       // all-ones-ish long column
                         Shape{1, 3, 2, 0, 4096, 128, 63, 63}})  // many tiles (n_rt, n_ct at max)
    check(s, 1.0, rng);
}

TEST_F(RedAddrGen, RandomShapesWithBackPressure) {
  std::mt19937 rng(2);
  for (int t = 0; t < 40; ++t) {
    std::uniform_int_distribution<int> d(1, 9), tile(1, 5), k(1, 4);
    const int rows = d(rng) * 8;
    Shape s{d(rng), d(rng), k(rng), k(rng) - 1, rows * tile(rng), rows, tile(rng), tile(rng)};
    check(s, t % 2 ? 0.6 : 1.0, rng);
  }
}

TEST_F(RedAddrGen, BackToBackLayersRestartCleanly) {
  std::mt19937 rng(3);
  check({2, 3, 2, 1, 64, 32, 2, 2}, 0.5, rng);
  check({3, 2, 1, 0, 16, 16, 1, 1}, 1.0, rng);
}

}  // namespace
