// The internal random streams: Box-Muller accuracy and split independence.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/xbar/random.h"

namespace memgan::xbar::detail {
namespace {

TEST(BoxMuller, MatchesLibmLogSinCos) {
  Xoshiro256ss rng(1);
  double worst_t = 0, worst_angle = 0;
  for (int k = 0; k < 200000; ++k) {
    const uint64_t w = rng.next();
    float t, c, s;
    box_muller(w, t, c, s);
    const double u1 = (double(w >> 40) + (double((w >> 32) & 0xFF) + 0.5) / 256.0) / 16777216.0;
    const auto lo = static_cast<uint32_t>(w);
    const double angle = (lo >> 30) * M_PI / 2 + double((lo >> 6) & 0xFFFFFF) / 16777216.0 * M_PI / 2;
    const double t_exact = -2.0 * std::log(u1);  // float u1 near 1 limits t to ~1e-7 absolute
    worst_t = std::max(worst_t, std::fabs(t - t_exact) / std::max(1.0, t_exact));
    worst_angle = std::max({worst_angle, std::fabs(c - std::cos(angle)), std::fabs(s - std::sin(angle))});
  }
  EXPECT_LT(worst_t, 1e-6);  // relative for t > 1, absolute below
  EXPECT_LT(worst_angle, 1e-6);
}

TEST(BoxMuller, ExtremeWordsStayFinite) {
  for (uint64_t w : {uint64_t(0), ~uint64_t(0), uint64_t(0xFFFFFFFF), uint64_t(0xFFFFFFFF) << 32}) {
    float t, c, s;
    box_muller(w, t, c, s);
    EXPECT_TRUE(std::isfinite(t) && t >= 0.0f && t < 46.0f) << t;  // u1 >= 2^-33: t < 2 * 33 ln 2
    EXPECT_NEAR(c * c + s * s, 1.0f, 1e-6f);
  }
}

TEST(Streams, DoNotDependOnHowRequestsAreSplit) {
  LaneBits a(7), b(7);
  std::vector<uint64_t> wa(1000), wb(1000);
  a.fill(wa.data(), 1000);
  for (std::size_t done = 0, step = 1; done < 1000; done += step, step = step * 3 % 37 + 1)
    b.fill(wb.data() + done, std::min<std::size_t>(step, 1000 - done));
  EXPECT_EQ(wa, wb);

  NormalFiller na(9), nb(9);
  std::vector<float> za(5000), zb(5000);
  na.fill(za.data(), 5000);
  nb.fill(zb.data(), 3);
  nb.fill(zb.data() + 3, 2500);
  nb.fill(zb.data() + 2503, 2497);
  EXPECT_EQ(za, zb);
}

}  // namespace
}  // namespace memgan::xbar::detail
