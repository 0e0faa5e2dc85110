// The DAC-side input kernels against plain scalar references.
#include "core/xbar/dac_inputs.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

namespace memgan::xbar {
namespace {

TEST(DacInputs, PeakIsTheLargestMagnitudeAndFlagsNonFiniteInputs) {
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<float> u(-3, 3);
  std::vector<float> x(1037);
  for (auto& v : x) v = u(rng);
  x[611] = -7.25f;
  const InputPeak p = input_peak(x.data(), x.size());
  EXPECT_TRUE(p.finite);
  EXPECT_EQ(p.max_abs, 7.25f);
  EXPECT_EQ(input_peak(x.data(), 0).max_abs, 0.0f);
  for (float bad : {std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(),
                    std::numeric_limits<float>::quiet_NaN(), -std::numeric_limits<float>::quiet_NaN()}) {
    std::vector<float> y = x;
    y[17] = bad;
    EXPECT_FALSE(input_peak(y.data(), y.size()).finite) << bad;
  }
}

TEST(DacInputs, QuantizeRoundsHalfToEvenAndClampsToTheGrid) {
  const float scale = 0.5f, q = 127;
  const std::vector<float> x{0.25f, 0.75f, -0.25f, -0.75f, 1.25f, 100.0f, -100.0f, 63.5f, -0.0f, 3.1f};
  std::vector<float> out(x.size());
  quantize_inputs(x.data(), x.size(), scale, q, out.data());
  // 0.5 -> 0, 1.5 -> 2, -0.5 -> -0, -1.5 -> -2, 2.5 -> 2, 200 -> 127, -200 -> -127, 127 -> 127, 6.2 -> 6
  const std::vector<float> want{0, 2, -0.0f, -2, 2, 127, -127, 127, -0.0f, 6};
  for (std::size_t i = 0; i < x.size(); ++i) {
    EXPECT_EQ(out[i], want[i]) << i;
    EXPECT_EQ(std::signbit(out[i]), std::signbit(want[i])) << i;
  }
}

}  // namespace
}  // namespace memgan::xbar
