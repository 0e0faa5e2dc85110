// quantize = false: the array is an ideal analog GEMM on ideal devices.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "tests/xbar/reference.h"

namespace memgan::xbar::test {
namespace {

constexpr int kRows = 128, kLogicalCols = 96;

std::vector<float> block_of(const std::vector<float>& w, int cols, int row0, int n_rows, int col0, int n_cols) {
  std::vector<float> b(std::size_t(n_rows) * n_cols);
  for (int i = 0; i < n_rows; ++i)
    for (int j = 0; j < n_cols; ++j) b[i * n_cols + j] = w[(row0 + i) * cols + col0 + j];
  return b;
}

struct AnalogCase {
  WeightEncoding encoding;
  const char* name;
};

class AnalogIdeal : public ::testing::TestWithParam<AnalogCase> {
 protected:
  void SetUp() override {
    const bool offset = GetParam().encoding == WeightEncoding::Offset;
    ArrayGeometry geo{offset ? kRows + 1 : kRows, offset ? kLogicalCols + 1 : 2 * kLogicalCols};
    array_ = std::make_unique<CrossbarArray>(geo, analog_converters(GetParam().encoding), DeviceParams{}, 7);
    std::mt19937_64 rng(11);
    w_ = random_floats(rng, std::size_t(kRows) * kLogicalCols, -1.0f, 1.0f);
    array_->program_weights(0, 0, kRows, kLogicalCols, w_.data(), kLogicalCols);
  }
  // Float error scale: sum |x| |w|, plus sum |x| for Offset's digital correction of (w + 1).
  double tolerance(const std::vector<double>& abs_xw, const std::vector<float>& x, int b, int n_in, std::size_t o) {
    double sx = 0;
    for (int k = 0; k < n_in; ++k) sx += std::fabs(x[b * n_in + k]);
    const bool offset = GetParam().encoding == WeightEncoding::Offset;
    return 1e-5 * (abs_xw[o] + (offset ? 2 * sx : 0.0));
  }
  std::unique_ptr<CrossbarArray> array_;
  std::vector<float> w_;
};

TEST_P(AnalogIdeal, GeometryMatchesEncoding) {
  EXPECT_EQ(array_->logical_rows(), kRows);
  EXPECT_EQ(array_->logical_cols(), kLogicalCols);
  EXPECT_EQ(array_->weight_slices(), 1);
  EXPECT_EQ(array_->input_cycles(), 1);
}

TEST_P(AnalogIdeal, WeightsReadBackAsProgrammed) {
  for (int i = 0; i < kRows; i += 7)
    for (int j = 0; j < kLogicalCols; j += 5) EXPECT_FLOAT_EQ(array_->weight(i, j), w_[i * kLogicalCols + j]);
}

TEST_P(AnalogIdeal, MvmMatchesDoublePrecisionGemm) {
  const int batch = 17, row0 = 8, n_rows = 100, col0 = 5, n_cols = 60;
  std::mt19937_64 rng(3);
  const auto x = random_floats(rng, std::size_t(batch) * n_rows, -2.0f, 2.0f);
  const auto wb = block_of(w_, kLogicalCols, row0, n_rows, col0, n_cols);
  const auto ref = gemm_ref(x, wb, batch, n_rows, n_cols);
  const auto abs_ref = abs_gemm_ref(x, wb, batch, n_rows, n_cols);
  std::vector<float> y(std::size_t(batch) * n_cols);
  array_->mvm(x.data(), batch, row0, n_rows, col0, n_cols, y.data(), nullptr);
  for (int b = 0; b < batch; ++b)
    for (int j = 0; j < n_cols; ++j) {
      const std::size_t o = std::size_t(b) * n_cols + j;
      ASSERT_NEAR(y[o], ref[o], tolerance(abs_ref, x, b, n_rows, o)) << "b=" << b << " j=" << j;
    }
}

TEST_P(AnalogIdeal, TransposedMatchesDoublePrecisionGemm) {
  const int batch = 9, row0 = 3, n_rows = 120, col0 = 10, n_cols = 80;
  std::mt19937_64 rng(4);
  const auto dy = random_floats(rng, std::size_t(batch) * n_cols, -3.0f, 3.0f);
  const auto wt = transpose(block_of(w_, kLogicalCols, row0, n_rows, col0, n_cols), n_rows, n_cols);
  const auto ref = gemm_ref(dy, wt, batch, n_cols, n_rows);
  const auto abs_ref = abs_gemm_ref(dy, wt, batch, n_cols, n_rows);
  std::vector<float> dx(std::size_t(batch) * n_rows);
  array_->mvm_transposed(dy.data(), batch, row0, n_rows, col0, n_cols, dx.data(), nullptr);
  for (int b = 0; b < batch; ++b)
    for (int i = 0; i < n_rows; ++i) {
      const std::size_t o = std::size_t(b) * n_rows + i;
      ASSERT_NEAR(dx[o], ref[o], tolerance(abs_ref, dy, b, n_cols, o)) << "b=" << b << " i=" << i;
    }
}

TEST_P(AnalogIdeal, ReprogrammingABlockUpdatesLaterReads) {
  std::vector<float> w2(4 * 3, -0.25f);
  array_->program_weights(10, 20, 4, 3, w2.data(), 3);
  std::vector<float> x(kRows, 0.0f), y(kLogicalCols);
  x[11] = 2.0f;
  array_->mvm(x.data(), 1, 0, kRows, 0, kLogicalCols, y.data(), nullptr);
  EXPECT_NEAR(y[21], -0.5f, 1e-6);
  EXPECT_NEAR(y[19], 2.0 * w_[11 * kLogicalCols + 19], 1e-6);
}

TEST_P(AnalogIdeal, StatsCountReadsAndScaledReadEnergy) {
  const int batch = 3, n_rows = 32, n_cols = 16;
  std::mt19937_64 rng(5);
  auto x = random_floats(rng, std::size_t(batch) * n_rows, -1.5f, 1.5f);
  std::fill(x.begin() + n_rows, x.begin() + 2 * n_rows, 0.0f);  // an all-zero vector costs nothing
  std::vector<float> y(std::size_t(batch) * n_cols);
  MvmStats st;
  array_->mvm(x.data(), batch, 0, n_rows, 0, n_cols, y.data(), &st);
  EXPECT_EQ(st.mvms, batch);
  EXPECT_EQ(st.array_reads, batch);
  EXPECT_EQ(st.dac_conversions, batch * n_rows);
  EXPECT_EQ(st.adc_conversions, batch * n_cols);
  EXPECT_EQ(st.adc_saturations, 0);
  // E = t V^2 sum_b sum_i (x_bi / max_i |x_bi|)^2 sum_(all physical columns) G_i.
  const DeviceParams d;
  double e = 0;
  for (int b = 0; b < batch; ++b) {
    double peak = 0;
    for (int i = 0; i < n_rows; ++i) peak = std::max(peak, double(std::fabs(x[b * n_rows + i])));
    if (peak == 0) continue;
    for (int i = 0; i < n_rows; ++i) {
      double g_row = 0;
      for (int c = 0; c < array_->geometry().cols; ++c) g_row += array_->conductance_us(i, c);
      e += std::pow(x[b * n_rows + i] / peak, 2) * g_row;
    }
  }
  e *= d.read_voltage_v * d.read_voltage_v * d.read_time_ns * 1e-3;
  EXPECT_NEAR(st.array_energy_pj, e, 1e-5 * e);
  array_->mvm(x.data(), batch, 0, n_rows, 0, n_cols, y.data(), &st);  // stats accumulate
  EXPECT_EQ(st.mvms, 2 * batch);
  EXPECT_NEAR(st.array_energy_pj, 2 * e, 2e-5 * e);
}

TEST_P(AnalogIdeal, RejectsOutOfRangeWeightsAndNonFiniteInputs) {
  const float bad_w = 1.5f;
  EXPECT_THROW(array_->program_weights(0, 0, 1, 1, &bad_w, 1), std::invalid_argument);
  std::vector<float> x(kRows, 1.0f), y(kLogicalCols);
  x[5] = std::nanf("");
  EXPECT_THROW(array_->mvm(x.data(), 1, 0, kRows, 0, kLogicalCols, y.data(), nullptr), std::invalid_argument);
  x[5] = INFINITY;
  EXPECT_THROW(array_->mvm(x.data(), 1, 0, kRows, 0, kLogicalCols, y.data(), nullptr), std::invalid_argument);
}

TEST_P(AnalogIdeal, RejectsBlocksOutsideTheArray) {
  std::vector<float> x(2 * kRows, 0.0f), y(2 * kLogicalCols);
  EXPECT_THROW(array_->mvm(x.data(), 1, 1, kRows, 0, 4, y.data(), nullptr), std::out_of_range);
  EXPECT_THROW(array_->mvm(x.data(), 1, 0, 4, kLogicalCols - 1, 2, y.data(), nullptr), std::out_of_range);
  EXPECT_THROW(array_->mvm(x.data(), 1, 0, 0, 0, 4, y.data(), nullptr), std::out_of_range);
  EXPECT_THROW(array_->weight(kRows, 0), std::out_of_range);
  EXPECT_THROW(array_->conductance_us(0, array_->geometry().cols), std::out_of_range);
}

INSTANTIATE_TEST_SUITE_P(Encodings, AnalogIdeal,
                         ::testing::Values(AnalogCase{WeightEncoding::Differential, "Differential"},
                                           AnalogCase{WeightEncoding::Offset, "Offset"}),
                         [](const auto& test_info) { return std::string(test_info.param.name); });

TEST(AnalogLayout, DifferentialPairsAndOffsetReferenceLines) {
  CrossbarArray diff({4, 8}, analog_converters(), DeviceParams{}, 1);
  EXPECT_EQ(diff.phys_col(2, 0, 0), 4);
  EXPECT_EQ(diff.phys_col(2, 0, 1), 5);
  EXPECT_EQ(diff.reference_col(), -1);
  const float w = 0.5f;
  diff.program_weights(1, 2, 1, 1, &w, 1);
  const DeviceParams d;
  EXPECT_DOUBLE_EQ(diff.conductance_us(1, 4), d.g_min_us + 0.5 * (d.g_max_us - d.g_min_us));
  EXPECT_DOUBLE_EQ(diff.conductance_us(1, 5), d.g_min_us);

  CrossbarArray off({4, 8}, analog_converters(WeightEncoding::Offset), DeviceParams{}, 1);
  EXPECT_EQ(off.logical_rows(), 3);
  EXPECT_EQ(off.logical_cols(), 7);
  EXPECT_EQ(off.reference_col(), 7);
  EXPECT_EQ(off.reference_row(), 3);
  off.program_weights(1, 2, 1, 1, &w, 1);  // stored (w + 1) / 2 of the range
  EXPECT_DOUBLE_EQ(off.conductance_us(1, 2), d.g_min_us + 0.75 * (d.g_max_us - d.g_min_us));
  EXPECT_DOUBLE_EQ(off.conductance_us(1, 7), d.g_min_us);
}

}  // namespace
}  // namespace memgan::xbar::test
