// DeviceNoiseSource: device read noise as a true random source for latent vectors.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/xbar/crossbar_array.h"

namespace memgan::xbar {
namespace {

constexpr std::size_t kSamples = 100000;

DeviceParams noisy_device() {
  DeviceParams d;
  d.read_noise_sigma = 0.05;
  d.program_sigma = 0.1;  // pair mismatch, removed by calibration
  return d;
}

struct Stats {
  double mean = 0, var = 0, lag1 = 0, kurtosis = 0, beyond_2 = 0;
};

Stats stats_of(const std::vector<float>& v) {
  Stats s;
  const double n = double(v.size());
  for (float x : v) s.mean += x;
  s.mean /= n;
  double m4 = 0;
  for (std::size_t k = 0; k < v.size(); ++k) {
    const double d = v[k] - s.mean;
    s.var += d * d;
    m4 += d * d * d * d;
    if (k > 0) s.lag1 += d * (v[k - 1] - s.mean);
  }
  s.var /= n;
  s.lag1 /= (n - 1) * s.var;
  s.kurtosis = m4 / n / (s.var * s.var);
  for (float x : v) s.beyond_2 += std::fabs(x - s.mean) > 2.0 * std::sqrt(s.var);
  s.beyond_2 /= n;
  return s;
}

TEST(DeviceNoiseSource, UniformHasUniformMoments) {
  DeviceNoiseSource src(noisy_device(), NoiseSourceParams{}, 5);
  std::vector<float> u(kSamples);
  src.uniform(u.data(), u.size());
  for (float x : u) ASSERT_TRUE(x >= 0.0f && x < 1.0f) << x;
  const auto s = stats_of(u);
  EXPECT_NEAR(s.mean, 0.5, 0.005);
  EXPECT_NEAR(s.var, 1.0 / 12, 0.002);
  EXPECT_NEAR(s.lag1, 0.0, 0.015);
  int bins[10] = {};
  for (float x : u) ++bins[int(x * 10)];
  for (int b : bins) EXPECT_NEAR(b, kSamples / 10.0, 5 * std::sqrt(kSamples * 0.09));
  EXPECT_EQ(src.samples(), int64_t(kSamples));
}

TEST(DeviceNoiseSource, GaussianHasStandardNormalMoments) {
  DeviceNoiseSource src(noisy_device(), NoiseSourceParams{}, 6);
  std::vector<float> z(kSamples);
  src.gaussian(z.data(), z.size());
  const auto s = stats_of(z);
  EXPECT_NEAR(s.mean, 0.0, 0.015);
  EXPECT_NEAR(s.var, 1.0, 0.02);
  EXPECT_NEAR(s.lag1, 0.0, 0.015);
  EXPECT_NEAR(s.kurtosis, 3.0, 0.1);
  EXPECT_NEAR(s.beyond_2, 0.0455, 0.004);
}

TEST(DeviceNoiseSource, SameSeedReproducesDifferentSeedsDiffer) {
  std::vector<float> a(1000), b(1000), c(1000);
  DeviceNoiseSource sa(noisy_device(), NoiseSourceParams{}, 42), sb(noisy_device(), NoiseSourceParams{}, 42),
      sc(noisy_device(), NoiseSourceParams{}, 43);
  sa.gaussian(a.data(), 300);  // the stream does not depend on how requests are split
  sa.gaussian(a.data() + 300, 700);
  sb.gaussian(b.data(), 1000);
  sc.gaussian(c.data(), 1000);
  EXPECT_EQ(a, b);
  int same = 0;
  for (std::size_t k = 0; k < a.size(); ++k) same += a[k] == c[k];
  EXPECT_LT(same, 5);
}

TEST(DeviceNoiseSource, UncalibratedPairsCarryTheirMismatchOffset) {
  NoiseSourceParams p;
  p.pairs = 1;
  p.calibrate = false;
  const auto d = noisy_device();
  DeviceNoiseSource raw(d, p, 7);
  std::vector<float> z(20000);
  raw.gaussian(z.data(), z.size());
  const auto s = stats_of(z);
  // One pair: mean (G_a - G_b) / (s g_mid sqrt 2), a fixed offset of order program_sigma / s.
  EXPECT_GT(std::fabs(s.mean), 10 * std::sqrt(s.var / z.size()));
  EXPECT_GT(raw.read_energy_pj(), 0.0);
}

TEST(DeviceNoiseSource, NeedsReadNoise) {
  EXPECT_THROW(DeviceNoiseSource(DeviceParams{}, NoiseSourceParams{}, 1), std::invalid_argument);
  NoiseSourceParams p;
  p.pairs = 0;
  EXPECT_THROW(DeviceNoiseSource(noisy_device(), p, 1), std::invalid_argument);
}

}  // namespace
}  // namespace memgan::xbar
