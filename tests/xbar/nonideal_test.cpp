// Each non-ideality does what docs/numerics.md says, measured against config-derived values.
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <random>
#include <vector>

#include "tests/xbar/reference.h"

namespace memgan::xbar::test {
namespace {

struct Moments {
  double mean = 0, var = 0;
};

Moments column_moments(const std::vector<float>& y, int n, int cols, int j) {
  Moments m;
  for (int k = 0; k < n; ++k) m.mean += y[std::size_t(k) * cols + j];
  m.mean /= n;
  for (int k = 0; k < n; ++k) m.var += std::pow(y[std::size_t(k) * cols + j] - m.mean, 2);
  m.var /= n - 1;
  return m;
}

// Two's complement chunk c of x (test's own floor-division form).
int64_t chunk(int64_t x, int c, int nc, int bd) {
  int64_t u = floor_div(x, int64_t(1) << (c * bd));
  if (c < nc - 1) u -= floor_div(u, int64_t(1) << bd) * (int64_t(1) << bd);
  return u;
}

// Reference pulse curves: f(x) = (1 - e^(-nu x)) / (1 - e^(-nu)).
struct Curves {
  double g_min, g_max, pulses, nu_ltp, nu_ltd;
  explicit Curves(const DeviceParams& d)
      : g_min(d.g_min_us),
        g_max(d.g_max_us),
        pulses(d.pulse.pulses_full_range),
        nu_ltp(d.pulse.nonlinearity_ltp),
        nu_ltd(d.pulse.nonlinearity_ltd) {}
  static double f(double x, double nu) { return nu == 0 ? x : (1 - std::exp(-nu * x)) / (1 - std::exp(-nu)); }
  static double finv(double y, double nu) { return nu == 0 ? y : -std::log(1 - y * (1 - std::exp(-nu))) / nu; }
  double range() const { return g_max - g_min; }
  double ltp(double p) const { return g_min + range() * f(std::min(p, pulses) / pulses, nu_ltp); }
  double ltd(double q) const { return g_max - range() * f(std::min(q, pulses) / pulses, nu_ltd); }
  double ltp_next(double g) const { return ltp(pulses * finv((g - g_min) / range(), nu_ltp) + 1); }
  double ltd_next(double g) const { return ltd(pulses * finv((g_max - g) / range(), nu_ltd) + 1); }
};

// ---- read noise ---------------------------------------------------------------------------------

TEST(ReadNoise, AnalogSigmaMatchesConductanceDerivedExpectation) {
  DeviceParams d;
  d.read_noise_sigma = 0.05;
  const int rows = 64, cols = 8, reads = 10000;
  CrossbarArray array({rows, 2 * cols}, analog_converters(), d, 17);
  std::mt19937_64 rng(1);
  const auto w = random_floats(rng, rows * cols, -1.0f, 1.0f);
  array.program_weights(0, 0, rows, cols, w.data(), cols);
  const auto x1 = random_floats(rng, rows, -1.0f, 1.0f);
  std::vector<float> x(std::size_t(reads) * rows);
  for (int r = 0; r < reads; ++r) std::copy(x1.begin(), x1.end(), x.begin() + std::size_t(r) * rows);
  std::vector<float> y(std::size_t(reads) * cols);
  array.mvm(x.data(), reads, 0, rows, 0, cols, y.data(), nullptr);

  const double range = d.g_max_us - d.g_min_us;
  for (int j = 0; j < cols; ++j) {
    double mean = 0, var = 0;
    for (int i = 0; i < rows; ++i) {
      const double gp = array.conductance_us(i, array.phys_col(j, 0, 0));
      const double gm = array.conductance_us(i, array.phys_col(j, 0, 1));
      mean += x1[i] * (gp - gm) / range;
      var += x1[i] * x1[i] * d.read_noise_sigma * d.read_noise_sigma * (gp * gp + gm * gm) / (range * range);
    }
    const auto m = column_moments(y, reads, cols, j);
    EXPECT_NEAR(std::sqrt(m.var / var), 1.0, 0.1) << "column " << j;
    EXPECT_NEAR(m.mean, mean, 5 * std::sqrt(var / reads)) << "column " << j;
  }
}

TEST(ReadNoise, AnalogTransposedSigmaMatchesExpectation) {
  DeviceParams d;
  d.read_noise_sigma = 0.08;
  const int rows = 6, cols = 40, reads = 10000;
  CrossbarArray array({rows, 2 * cols}, analog_converters(), d, 18);
  std::mt19937_64 rng(2);
  const auto w = random_floats(rng, rows * cols, -1.0f, 1.0f);
  array.program_weights(0, 0, rows, cols, w.data(), cols);
  const auto dy1 = random_floats(rng, cols, -1.0f, 1.0f);
  std::vector<float> dy(std::size_t(reads) * cols), dx(std::size_t(reads) * rows);
  for (int r = 0; r < reads; ++r) std::copy(dy1.begin(), dy1.end(), dy.begin() + std::size_t(r) * cols);
  array.mvm_transposed(dy.data(), reads, 0, rows, 0, cols, dx.data(), nullptr);
  const double range = d.g_max_us - d.g_min_us;
  for (int i = 0; i < rows; ++i) {
    double var = 0;
    for (int j = 0; j < cols; ++j) {
      const double gp = array.conductance_us(i, array.phys_col(j, 0, 0));
      const double gm = array.conductance_us(i, array.phys_col(j, 0, 1));
      var += dy1[j] * dy1[j] * d.read_noise_sigma * d.read_noise_sigma * (gp * gp + gm * gm) / (range * range);
    }
    EXPECT_NEAR(std::sqrt(column_moments(dx, reads, rows, i).var / var), 1.0, 0.1) << "row " << i;
  }
}

// Quantized, fine ADC: output variance = sum_c sum_s 4^(c Bd + s Bc) sum_k u_ck^2 var_cell / g_step^2,
// plus for Offset the reference line's noise, shared by every output of a read (forward: the
// reference column, one read per cycle serving all slices; transposed: the reference row, one
// read per cycle and slice), which is also the covariance of two outputs.
struct NoiseCase {
  WeightEncoding encoding;
  int dac_bits;
  bool transposed;
};

class QuantizedReadNoise : public ::testing::TestWithParam<NoiseCase> {};

TEST_P(QuantizedReadNoise, SigmaAndReferenceCorrelationMatchExpectation) {
  const auto p = GetParam();
  const bool offset = p.encoding == WeightEncoding::Offset;
  ConverterParams cp;
  cp.adc_bits = 16;
  cp.dac_bits = p.dac_bits;
  cp.encoding = p.encoding;
  DeviceParams d;
  d.read_noise_sigma = 0.02;
  const int rows = p.transposed ? 4 : 32, cols = p.transposed ? 32 : 4, reads = 10000;
  const int ns = weight_slices(cp), nc = input_cycles(cp), bd = p.dac_bits, bc = cp.cell_bits;
  const int n_in = p.transposed ? cols : rows, n_out = p.transposed ? rows : cols;
  const ArrayGeometry geo = offset ? ArrayGeometry{rows + 1, cols * ns + 1} : ArrayGeometry{rows, cols * ns * 2};
  CrossbarArray array(geo, cp, d, 19);
  std::mt19937_64 rng(3);
  auto w = random_ints(rng, rows * cols, -127, 127);
  // Outputs 0 and 1 hold -127 (Offset: stored 1, mostly g_min cells), so that the shared
  // reference noise is a large part of their variance and their covariance is well measured.
  for (int k = 0; k < (p.transposed ? cols : rows); ++k)
    for (int o = 0; o < 2; ++o) w[p.transposed ? o * cols + k : k * cols + o] = -127.0f;
  array.program_weights(0, 0, rows, cols, w.data(), cols);
  const auto x1 = random_ints(rng, n_in, -128, 127);
  std::vector<float> x(std::size_t(reads) * n_in), y(std::size_t(reads) * n_out);
  for (int r = 0; r < reads; ++r) std::copy(x1.begin(), x1.end(), x.begin() + std::size_t(r) * n_in);
  if (p.transposed) array.mvm_transposed(x.data(), reads, 0, rows, 0, cols, y.data(), nullptr);
  else array.mvm(x.data(), reads, 0, rows, 0, cols, y.data(), nullptr);

  const double g_step = (d.g_max_us - d.g_min_us) / 3, s2 = d.read_noise_sigma * d.read_noise_sigma;
  auto cell_var = [&](int i, int col) { return s2 * std::pow(array.conductance_us(i, col) / g_step, 2); };
  auto u2 = [&](int c, int k) { return std::pow(double(chunk(int64_t(x1[k]), c, nc, bd)), 2); };
  double shared = 0;
  for (int c = 0; c < nc && offset; ++c) {
    double slice_gain = 0;
    for (int s = 0; s < ns; ++s) slice_gain += std::ldexp(1.0, s * bc);
    for (int k = 0; k < n_in; ++k) {
      if (p.transposed) {
        for (int s = 0; s < ns; ++s)
          shared += std::ldexp(1.0, 2 * (c * bd + s * bc)) * u2(c, k) *
                    cell_var(array.reference_row(), array.phys_col(k, s));
      } else {
        shared += std::ldexp(1.0, 2 * c * bd) * slice_gain * slice_gain * u2(c, k) * cell_var(k, array.reference_col());
      }
    }
  }
  for (int o = 0; o < n_out; ++o) {
    double var = shared;
    for (int c = 0; c < nc; ++c)
      for (int s = 0; s < ns; ++s)
        for (int k = 0; k < n_in; ++k) {
          const int i = p.transposed ? o : k, j = p.transposed ? k : o;
          double v = cell_var(i, array.phys_col(j, s, 0));
          if (!offset) v += cell_var(i, array.phys_col(j, s, 1));
          var += std::ldexp(1.0, 2 * (c * bd + s * bc)) * u2(c, k) * v;
        }
    EXPECT_NEAR(std::sqrt(column_moments(y, reads, n_out, o).var / var), 1.0, 0.1) << "output " << o;
  }
  const auto m0 = column_moments(y, reads, n_out, 0), m1 = column_moments(y, reads, n_out, 1);
  double cov = 0;
  for (int r = 0; r < reads; ++r) cov += (y[r * n_out] - m0.mean) * (y[r * n_out + 1] - m1.mean);
  cov /= reads - 1;
  if (offset) {
    EXPECT_NEAR(cov / shared, 1.0, 0.1);
  } else {
    EXPECT_NEAR(cov / std::sqrt(m0.var * m1.var), 0.0, 0.05);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, QuantizedReadNoise,
    ::testing::Values(NoiseCase{WeightEncoding::Differential, 1, false}, NoiseCase{WeightEncoding::Offset, 1, false},
                      NoiseCase{WeightEncoding::Differential, 2, false}, NoiseCase{WeightEncoding::Offset, 3, false},
                      NoiseCase{WeightEncoding::Differential, 1, true}, NoiseCase{WeightEncoding::Offset, 1, true},
                      NoiseCase{WeightEncoding::Offset, 2, true}),
    [](const auto& test_info) {
      return std::string(test_info.param.encoding == WeightEncoding::Offset ? "Offset" : "Differential") + "_d" +
             std::to_string(test_info.param.dac_bits) + (test_info.param.transposed ? "_transposed" : "_forward");
    });

// ---- programming variation, faults, endurance -------------------------------------------------

TEST(ProgramVariation, LognormalSpreadMatchesSigma) {
  DeviceParams d;
  d.program_sigma = 0.1;
  const int rows = 128, cols = 64;
  CrossbarArray array({rows, 2 * cols}, analog_converters(), d, 23);
  std::vector<float> w(rows * cols, 0.5f);
  const auto st = array.program_weights(0, 0, rows, cols, w.data(), cols);
  EXPECT_EQ(st.cells_written, 2 * rows * cols);  // the reset state varies too: every cell is rewritten
  EXPECT_EQ(st.rows_written, rows);
  const double range = d.g_max_us - d.g_min_us;
  double sum = 0, sum2 = 0;
  int n = 0;
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) {
      const double lp = std::log(array.conductance_us(i, array.phys_col(j, 0, 0)) / (d.g_min_us + 0.5 * range));
      const double lm = std::log(array.conductance_us(i, array.phys_col(j, 0, 1)) / d.g_min_us);
      sum += lp + lm;
      sum2 += lp * lp + lm * lm;
      n += 2;
    }
  const double mean = sum / n, sigma = std::sqrt(sum2 / n - mean * mean);
  EXPECT_NEAR(mean, 0.0, 0.005);
  EXPECT_NEAR(sigma / d.program_sigma, 1.0, 0.1);
}

TEST(StuckCells, RatesHoldAndStuckCellsIgnoreProgrammingAndPulses) {
  DeviceParams d;
  d.stuck_on_rate = 0.05;
  d.stuck_off_rate = 0.05;
  const int rows = 128, cols = 128;
  CrossbarArray array({rows, 2 * cols}, analog_converters(), d, 29);
  std::mt19937_64 rng(5);
  const auto w = random_floats(rng, rows * cols, -1.0f, 1.0f);
  array.program_weights(0, 0, rows, cols, w.data(), cols);
  int on = 0, off = 0;
  const double range = d.g_max_us - d.g_min_us;
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j)
      for (int p = 0; p < 2; ++p) {
        const int c = array.phys_col(j, 0, p);
        const double g = array.conductance_us(i, c);
        const double wv = w[i * cols + j];
        const double target = d.g_min_us + std::max(0.0, p == 0 ? wv : -wv) * range;
        if (!array.is_stuck(i, c)) {
          EXPECT_EQ(g, target) << i << "," << c;
          continue;
        }
        EXPECT_TRUE(g == d.g_max_us || g == d.g_min_us) << i << "," << c;
        if (target != g) {
          EXPECT_GT(array.write_count(i, c), 0) << "the controller still pulses a stuck cell";
        }
        (g == d.g_max_us ? on : off) += 1;
      }
  std::vector<double> before(std::size_t(rows) * 2 * cols);
  for (int i = 0; i < rows; ++i)
    for (int c = 0; c < 2 * cols; ++c) before[std::size_t(i) * 2 * cols + c] = array.conductance_us(i, c);
  std::vector<float> grad(rows * cols, -1.0f);
  array.update_manhattan(0, 0, rows, cols, grad.data(), cols, 0.0f);
  for (int i = 0; i < rows; ++i)
    for (int c = 0; c < 2 * cols; ++c) {
      if (array.is_stuck(i, c)) {
        EXPECT_EQ(array.conductance_us(i, c), before[std::size_t(i) * 2 * cols + c]) << "pulse moved a stuck cell";
      }
    }
  const double cells = 2.0 * rows * cols;
  EXPECT_NEAR(on / cells, 0.05, 0.01);
  EXPECT_NEAR(off / cells, 0.05, 0.01);

  CrossbarArray same({rows, 2 * cols}, analog_converters(), d, 29), other({rows, 2 * cols}, analog_converters(), d, 30);
  int same_map = 0, other_map = 0;
  for (int i = 0; i < rows; ++i)
    for (int c = 0; c < 2 * cols; ++c) {
      same_map += same.is_stuck(i, c) == array.is_stuck(i, c);
      other_map += other.is_stuck(i, c) == array.is_stuck(i, c);
    }
  EXPECT_EQ(same_map, rows * 2 * cols);  // the fault map is a function of the seed
  EXPECT_LT(other_map, rows * 2 * cols);
}

TEST(Endurance, CellStopsChangingAfterItsPulseBudget) {
  DeviceParams d;
  d.endurance_writes = 10;
  CrossbarArray array({1, 2}, analog_converters(), d, 31);
  const float grad = -1.0f;  // raise w: potentiate G+
  std::vector<double> g;
  for (int k = 0; k < 20; ++k) {
    array.update_manhattan(0, 0, 1, 1, &grad, 1, 0.0f);
    g.push_back(array.conductance_us(0, 0));
    EXPECT_EQ(array.is_stuck(0, 0), k >= 10) << "after pulse " << k + 1;
  }
  for (int k = 1; k < 10; ++k) EXPECT_GT(g[k], g[k - 1]) << k;
  for (int k = 10; k < 20; ++k) EXPECT_EQ(g[k], g[9]) << k;
  EXPECT_EQ(array.write_count(0, 0), 20);
  const float w = -1.0f;
  array.program_weights(0, 0, 1, 1, &w, 1);
  EXPECT_EQ(array.conductance_us(0, 0), g[9]);
}

TEST(Endurance, WriteAndVerifyStopsPartWayWhenTheBudgetRunsOut) {
  DeviceParams d;
  d.endurance_writes = 5;  // full-range programming needs 64 pulses
  CrossbarArray array({1, 2}, analog_converters(), d, 32);
  const float w = 1.0f;
  const auto st = array.program_weights(0, 0, 1, 1, &w, 1);
  EXPECT_EQ(st.pulses, 64);
  const Curves curves(d);
  EXPECT_NEAR(array.conductance_us(0, 0), curves.ltp(5), 1e-9);
  EXPECT_TRUE(array.is_stuck(0, 0));
  EXPECT_FALSE(array.is_stuck(0, 1));
}

// ---- pulse updates ----------------------------------------------------------------------------

TEST(PulseCurve, PotentiationAndDepressionFollowTheDocumentedEquations) {
  for (const auto& [nu_ltp, nu_ltd] : {std::pair{3.0, 5.0}, std::pair{0.0, 0.0}, std::pair{-2.0, 1.0}}) {
    DeviceParams d;
    d.pulse.pulses_full_range = 32;
    d.pulse.nonlinearity_ltp = nu_ltp;
    d.pulse.nonlinearity_ltd = nu_ltd;
    const Curves curves(d);
    CrossbarArray array({1, 2}, analog_converters(), d, 37);
    const float up = -1.0f, down = 1.0f;
    for (int k = 1; k <= 40; ++k) {
      array.update_manhattan(0, 0, 1, 1, &up, 1, 0.0f);
      ASSERT_NEAR(array.conductance_us(0, 0), curves.ltp(k), 1e-9) << "LTP pulse " << k << " nu " << nu_ltp;
    }
    EXPECT_NEAR(array.conductance_us(0, 0), d.g_max_us, 1e-12);
    for (int q = 1; q <= 32; ++q) {
      array.update_manhattan(0, 0, 1, 1, &down, 1, 0.0f);
      ASSERT_NEAR(array.conductance_us(0, 0), curves.ltd(q), 1e-9) << "LTD pulse " << q << " nu " << nu_ltd;
    }
    EXPECT_EQ(array.conductance_us(0, 1), d.g_min_us);  // G- untouched while G+ carries the weight
  }
}

TEST(Manhattan, OnePulsePerWeightAgainstTheGradientAboveThreshold) {
  DeviceParams d;
  d.pulse.nonlinearity_ltp = 2.0;
  d.pulse.nonlinearity_ltd = 2.0;
  const int rows = 16, cols = 16;
  CrossbarArray array({rows, 2 * cols}, analog_converters(), d, 41);
  std::mt19937_64 rng(7);
  const auto w = random_floats(rng, rows * cols, -0.8f, 0.8f);
  array.program_weights(0, 0, rows, cols, w.data(), cols);
  const auto grad = random_floats(rng, rows * cols, -1.0f, 1.0f);
  const float threshold = 0.3f;
  std::vector<double> gp0(rows * cols), gm0(rows * cols);
  std::vector<int64_t> wp0(rows * cols), wm0(rows * cols);
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) {
      gp0[i * cols + j] = array.conductance_us(i, array.phys_col(j, 0, 0));
      gm0[i * cols + j] = array.conductance_us(i, array.phys_col(j, 0, 1));
      wp0[i * cols + j] = array.write_count(i, array.phys_col(j, 0, 0));
      wm0[i * cols + j] = array.write_count(i, array.phys_col(j, 0, 1));
    }
  const auto st = array.update_manhattan(0, 0, rows, cols, grad.data(), cols, threshold);
  const Curves curves(d);
  int moved = 0;
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) {
      const int k = i * cols + j;
      double gp = gp0[k], gm = gm0[k];
      int64_t dwp = 0, dwm = 0;
      if (std::fabs(grad[k]) > threshold) {
        ++moved;
        const bool up = grad[k] < 0;
        if (up && gm > gp) gm = curves.ltd_next(gm), dwm = 1;
        else if (up) gp = curves.ltp_next(gp), dwp = 1;
        else if (gp > gm) gp = curves.ltd_next(gp), dwp = 1;
        else gm = curves.ltp_next(gm), dwm = 1;
      }
      EXPECT_NEAR(array.conductance_us(i, array.phys_col(j, 0, 0)), gp, 1e-9) << i << "," << j;
      EXPECT_NEAR(array.conductance_us(i, array.phys_col(j, 0, 1)), gm, 1e-9) << i << "," << j;
      EXPECT_EQ(array.write_count(i, array.phys_col(j, 0, 0)) - wp0[k], dwp) << i << "," << j;
      EXPECT_EQ(array.write_count(i, array.phys_col(j, 0, 1)) - wm0[k], dwm) << i << "," << j;
      if (std::fabs(grad[k]) > threshold) {
        EXPECT_EQ(grad[k] < 0, array.weight(i, j) > w[k]) << "weight moved the wrong way at " << i << "," << j;
      }
    }
  EXPECT_GT(moved, 0);
  EXPECT_EQ(st.pulses, moved);
  EXPECT_EQ(st.cells_written, moved);
}

TEST(UpdatePulses, StochasticRoundingIsUnbiased) {
  DeviceParams d;  // linear, no cycle-to-cycle noise: each pulse moves w by exactly 1 / P
  const int rows = 64, cols = 64;
  CrossbarArray array({rows, 2 * cols}, analog_converters(), d, 43);
  EXPECT_DOUBLE_EQ(array.weight_per_pulse(), 1.0 / 64);
  for (double want : {2.4, 0.3}) {
    std::vector<float> w(rows * cols, 0.5f);
    array.program_weights(0, 0, rows, cols, w.data(), cols);
    std::vector<float> delta(rows * cols);
    for (int k = 0; k < rows * cols; ++k) delta[k] = float((k < rows * cols / 2 ? want : -want) / 64);
    array.update_pulses(0, 0, rows, cols, delta.data(), cols);
    double up = 0, down = 0;
    for (int i = 0; i < rows; ++i)
      for (int j = 0; j < cols; ++j) {
        const double pulses = (array.weight(i, j) - 0.5) * 64;
        EXPECT_NEAR(pulses, std::round(pulses), 1e-4) << "whole pulses only";
        EXPECT_LE(std::fabs(pulses), std::ceil(want) + 1e-4);
        EXPECT_GE(std::fabs(pulses), std::floor(want) - 1e-4);
        (i < rows / 2 ? up : down) += pulses;
      }
    const int half = rows * cols / 2;
    EXPECT_NEAR(up / half, want, 0.05) << want;
    EXPECT_NEAR(down / half, -want, 0.05) << want;
  }
}

TEST(UpdatePulses, CycleToCycleSpreadMatchesSigma) {
  DeviceParams d;
  d.pulse.c2c_sigma = 0.2;
  const int rows = 64, cols = 64;
  CrossbarArray array({rows, 2 * cols}, analog_converters(), d, 47);
  std::vector<float> w(rows * cols, 0.5f);
  array.program_weights(0, 0, rows, cols, w.data(), cols);
  std::vector<float> delta(rows * cols, float(array.weight_per_pulse()));  // exactly one pulse each
  array.update_pulses(0, 0, rows, cols, delta.data(), cols);
  double sum = 0, sum2 = 0;
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) {
      const double steps = (array.weight(i, j) - 0.5) / array.weight_per_pulse();
      sum += steps;
      sum2 += steps * steps;
    }
  const double n = rows * cols, mean = sum / n, sd = std::sqrt(sum2 / n - mean * mean);
  EXPECT_NEAR(mean, 1.0, 0.02);
  EXPECT_NEAR(sd / d.pulse.c2c_sigma, 1.0, 0.1);
}

TEST(InSituUpdates, NeedOneCellPairPerWeight) {
  CrossbarArray sliced({8, 64}, ConverterParams{}, DeviceParams{}, 1);  // 8-bit weights on 2-bit cells
  const float g = 1.0f;
  EXPECT_THROW(sliced.update_manhattan(0, 0, 1, 1, &g, 1, 0.0f), std::logic_error);
  EXPECT_THROW(sliced.update_pulses(0, 0, 1, 1, &g, 1), std::logic_error);

  ConverterParams cp;
  cp.weight_bits = 3;  // magnitude 2 bits = one 2-bit cell: updatable
  CrossbarArray whole({8, 8}, cp, DeviceParams{}, 1);
  ASSERT_EQ(whole.weight_slices(), 1);
  EXPECT_DOUBLE_EQ(whole.weight_per_pulse(), 3.0 / 64);  // one pulse = R/P = 3/P levels
  const float w = 1.0f, up = -1.0f;
  whole.program_weights(0, 0, 1, 1, &w, 1);
  whole.update_manhattan(0, 0, 1, 1, &up, 1, 0.0f);
  EXPECT_NEAR(whole.weight(0, 0), 1.0 + 3.0 / 64, 1e-6);
}

// ---- determinism ------------------------------------------------------------------------------

TEST(Determinism, SameSeedGivesBitIdenticalNoisyResults) {
  DeviceParams d;
  d.program_sigma = 0.05;
  d.read_noise_sigma = 0.03;
  d.stuck_on_rate = 0.01;
  d.stuck_off_rate = 0.01;
  d.pulse.nonlinearity_ltp = 1.5;
  d.pulse.c2c_sigma = 0.1;
  for (bool quantize : {true, false}) {
    ConverterParams cp;
    cp.quantize = quantize;
    const ArrayGeometry geo{96, 256};
    CrossbarArray a(geo, cp, d, 99), b(geo, cp, d, 99), c(geo, cp, d, 100);
    const int rows = 96, cols = a.logical_cols(), batch = 8;
    std::mt19937_64 rng(9);
    const auto w = quantize ? random_ints(rng, rows * cols, -127, 127) : random_floats(rng, rows * cols, -1, 1);
    const auto x = quantize ? random_ints(rng, batch * rows, -128, 127) : random_floats(rng, batch * rows, -1, 1);
    std::vector<float> ya(batch * cols), yb(batch * cols), yc(batch * cols), ya2(batch * cols);
    for (auto* arr : {&a, &b, &c}) arr->program_weights(0, 0, rows, cols, w.data(), cols);
    a.mvm(x.data(), batch, 0, rows, 0, cols, ya.data(), nullptr);
    b.mvm(x.data(), batch, 0, rows, 0, cols, yb.data(), nullptr);
    c.mvm(x.data(), batch, 0, rows, 0, cols, yc.data(), nullptr);
    a.mvm(x.data(), batch, 0, rows, 0, cols, ya2.data(), nullptr);
    EXPECT_EQ(ya, yb) << "quantize " << quantize;
    EXPECT_NE(ya, yc) << "another seed, other devices and noise";
    EXPECT_NE(ya, ya2) << "read noise is temporal";
    b.mvm(x.data(), batch, 0, rows, 0, cols, yb.data(), nullptr);
    EXPECT_EQ(ya2, yb) << "quantize " << quantize;
    if (!quantize) {
      const auto delta = random_floats(rng, rows * cols, -0.05f, 0.05f);
      a.update_pulses(0, 0, rows, cols, delta.data(), cols);
      b.update_pulses(0, 0, rows, cols, delta.data(), cols);
    }
    std::vector<float> dy(batch * cols, quantize ? 3.0f : 0.5f), dxa(batch * rows), dxb(batch * rows);
    a.mvm_transposed(dy.data(), batch, 0, rows, 0, cols, dxa.data(), nullptr);
    b.mvm_transposed(dy.data(), batch, 0, rows, 0, cols, dxb.data(), nullptr);
    EXPECT_EQ(dxa, dxb) << "quantize " << quantize;
  }
}


// A read large enough for many blocks of GEMM rows spreads them over the host threads
// (crossbar_read.cpp); one thread and two give the same outputs, saturations and energy, with
// read noise and the reference column's noise (Offset), forward and transposed.
TEST(Determinism, ThreadCountDoesNotChangeABitOfAManyBlockRead) {
  DeviceParams d;
  d.program_sigma = 0.05;
  d.read_noise_sigma = 0.03;
  const int saved_threads = omp_get_max_threads();
  for (WeightEncoding e : {WeightEncoding::Differential, WeightEncoding::Offset}) {
    ConverterParams cp;
    cp.encoding = e;
    cp.adc_full_scale = 40.0;  // some saturations to count
    const ArrayGeometry geo{64, 128};
    const int batch = 1500;  // nc * batch GEMM rows: several blocks
    struct Result {
      std::vector<float> y, dx;
      MvmStats fwd, bwd;
    };
    const auto read = [&](int threads) {
      omp_set_num_threads(threads);
      CrossbarArray a(geo, cp, d, 7);
      const int rows = a.logical_rows(), cols = a.logical_cols();
      std::mt19937_64 rng(3);
      const auto w = random_ints(rng, std::size_t(rows) * cols, -127, 127);
      const auto x = random_ints(rng, std::size_t(batch) * rows, -128, 127);
      const auto dy = random_ints(rng, std::size_t(batch) * cols, -128, 127);
      a.program_weights(0, 0, rows, cols, w.data(), cols);
      Result r{std::vector<float>(std::size_t(batch) * cols), std::vector<float>(std::size_t(batch) * rows), {}, {}};
      a.mvm(x.data(), batch, 0, rows, 0, cols, r.y.data(), &r.fwd);
      a.mvm_transposed(dy.data(), batch, 0, rows, 0, cols, r.dx.data(), &r.bwd);
      return r;
    };
    const Result one = read(1), two = read(2);
    EXPECT_EQ(one.y, two.y);
    EXPECT_EQ(one.dx, two.dx);
    EXPECT_GT(one.fwd.adc_saturations + one.bwd.adc_saturations, 0);
    EXPECT_EQ(one.fwd.adc_saturations, two.fwd.adc_saturations);
    EXPECT_EQ(one.bwd.adc_saturations, two.bwd.adc_saturations);
    EXPECT_EQ(one.fwd.array_energy_pj, two.fwd.array_energy_pj);
    EXPECT_EQ(one.bwd.array_energy_pj, two.bwd.array_energy_pj);
  }
  omp_set_num_threads(saved_threads);
}

}  // namespace
}  // namespace memgan::xbar::test
