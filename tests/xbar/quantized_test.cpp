// quantize = true on an ideal device: DAC chunks, bit slices, ADC and shift-and-add.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "tests/xbar/reference.h"

namespace memgan::xbar::test {
namespace {

ConverterParams converters(int cell_bits, int dac_bits, int adc_bits, WeightEncoding e) {
  ConverterParams c;
  c.cell_bits = cell_bits;
  c.dac_bits = dac_bits;
  c.adc_bits = adc_bits;
  c.encoding = e;
  return c;
}

// Physical array holding rows x cols logical weights for these converters.
ArrayGeometry geometry_for(const ConverterParams& c, int rows, int cols) {
  const int ns = weight_slices(c);
  if (c.encoding == WeightEncoding::Offset) return {rows + 1, cols * ns + 1};
  return {rows, cols * ns * 2};
}

int wmax(const ConverterParams& c) { return (1 << (c.weight_bits - 1)) - 1; }
int xmin(const ConverterParams& c) { return -(1 << (c.input_bits - 1)); }
int xmax(const ConverterParams& c) { return (1 << (c.input_bits - 1)) - 1; }

std::vector<float> exact_product(const std::vector<float>& x, const std::vector<float>& w, int batch, int rows,
                                 int cols) {
  const auto d = gemm_ref(x, w, batch, rows, cols);
  return std::vector<float>(d.begin(), d.end());
}

// ---- lossless ADC: exact integer product for every slicing / DAC width / encoding ----------------

struct LosslessCase {
  int cell_bits, dac_bits;
  WeightEncoding encoding;
  int rows = 128;  // few enough for a 16-bit ADC to resolve every level
};

class QuantizedLossless : public ::testing::TestWithParam<LosslessCase> {};

TEST_P(QuantizedLossless, ForwardAndTransposedEqualTheIntegerProduct) {
  const auto p = GetParam();
  const auto cp = converters(p.cell_bits, p.dac_bits, 16, p.encoding);
  const int rows = p.rows, cols = std::min(24, p.rows), batch = 6;  // cols drive the transposed read
  DeviceParams dp;
  dp.levels = 16;
  CrossbarArray array(geometry_for(cp, rows, cols), cp, dp, 3);
  ASSERT_EQ(array.logical_rows(), rows);
  ASSERT_EQ(array.logical_cols(), cols);
  EXPECT_EQ(mvm_error_bound(cp, rows), 0.0);
  EXPECT_EQ(mvm_error_bound(cp, cols), 0.0);
  EXPECT_LE(array.adc_lsb(rows), 1.0);

  std::mt19937_64 rng(p.cell_bits * 10 + p.dac_bits);
  const auto w = random_ints(rng, std::size_t(rows) * cols, -wmax(cp), wmax(cp));
  array.program_weights(0, 0, rows, cols, w.data(), cols);
  auto x = random_ints(rng, std::size_t(batch) * rows, xmin(cp), xmax(cp));
  std::fill(x.begin(), x.begin() + rows, float(xmin(cp)));  // the most negative input too

  std::vector<float> y(std::size_t(batch) * cols);
  MvmStats st;
  array.mvm(x.data(), batch, 0, rows, 0, cols, y.data(), &st);
  EXPECT_EQ(y, exact_product(x, w, batch, rows, cols));
  EXPECT_EQ(st.adc_saturations, 0);

  const auto dy = random_ints(rng, std::size_t(batch) * cols, xmin(cp), xmax(cp));
  std::vector<float> dx(std::size_t(batch) * rows);
  array.mvm_transposed(dy.data(), batch, 0, rows, 0, cols, dx.data(), &st);
  EXPECT_EQ(dx, exact_product(dy, transpose(w, rows, cols), batch, cols, rows));
  EXPECT_EQ(st.adc_saturations, 0);

  for (int i = 0; i < rows; i += 5)
    for (int j = 0; j < cols; j += 5) EXPECT_EQ(array.weight(i, j), w[i * cols + j]);

  // A block inside the array (per-slice GEMMs rather than one fused GEMM).
  const int row0 = 3, n_rows = rows - 7, col0 = 2, n_cols = cols - 5;
  std::vector<float> wb(std::size_t(n_rows) * n_cols), xb(std::size_t(batch) * n_rows), yb(std::size_t(batch) * n_cols);
  for (int i = 0; i < n_rows; ++i)
    for (int j = 0; j < n_cols; ++j) wb[i * n_cols + j] = w[(row0 + i) * cols + col0 + j];
  for (int b = 0; b < batch; ++b)
    for (int i = 0; i < n_rows; ++i) xb[b * n_rows + i] = x[b * rows + i];
  array.mvm(xb.data(), batch, row0, n_rows, col0, n_cols, yb.data(), nullptr);
  EXPECT_EQ(yb, exact_product(xb, wb, batch, n_rows, n_cols));
  std::vector<float> dyb(std::size_t(batch) * n_cols), dxb(std::size_t(batch) * n_rows);
  for (int b = 0; b < batch; ++b)
    for (int j = 0; j < n_cols; ++j) dyb[b * n_cols + j] = dy[b * cols + j];
  array.mvm_transposed(dyb.data(), batch, row0, n_rows, col0, n_cols, dxb.data(), nullptr);
  EXPECT_EQ(dxb, exact_product(dyb, transpose(wb, n_rows, n_cols), batch, n_cols, n_rows));
}

TEST(QuantizedBatches, ManyVectorsSpanSeveralRowBlocks) {
  ConverterParams cp;
  cp.adc_bits = 12;
  const int rows = 128, cols = 24, batch = 700;  // 5600 GEMM rows: more than one block
  CrossbarArray array({rows, cols * 8}, cp, DeviceParams{}, 4);
  ASSERT_EQ(mvm_error_bound(cp, rows), 0.0);
  std::mt19937_64 rng(12);
  const auto w = random_ints(rng, std::size_t(rows) * cols, -127, 127);
  array.program_weights(0, 0, rows, cols, w.data(), cols);
  const auto x = random_ints(rng, std::size_t(batch) * rows, -128, 127);
  std::vector<float> y(std::size_t(batch) * cols);
  array.mvm(x.data(), batch, 0, rows, 0, cols, y.data(), nullptr);
  EXPECT_EQ(y, exact_product(x, w, batch, rows, cols));
}

INSTANTIATE_TEST_SUITE_P(
    Slicings, QuantizedLossless,
    ::testing::Values(LosslessCase{1, 1, WeightEncoding::Differential},
                      LosslessCase{2, 1, WeightEncoding::Differential},
                      LosslessCase{2, 2, WeightEncoding::Differential},
                      LosslessCase{3, 3, WeightEncoding::Differential},
                      LosslessCase{4, 4, WeightEncoding::Differential},
                      LosslessCase{4, 8, WeightEncoding::Differential, 16}, LosslessCase{1, 1, WeightEncoding::Offset},
                      LosslessCase{2, 1, WeightEncoding::Offset}, LosslessCase{3, 2, WeightEncoding::Offset},
                      LosslessCase{4, 4, WeightEncoding::Offset}),
    [](const auto& test_info) {
      return std::string(test_info.param.encoding == WeightEncoding::Offset ? "Offset" : "Differential") + "_c" +
             std::to_string(test_info.param.cell_bits) + "_d" + std::to_string(test_info.param.dac_bits);
    });

// ---- 8-bit ADC, 128 rows: lossy, within the documented bound ---------------------------------

class Quantized8BitAdc : public ::testing::TestWithParam<WeightEncoding> {
 protected:
  static constexpr int kRows = 128, kCols = 16;
  ConverterParams cp_ = converters(2, 1, 8, GetParam());
};

TEST_P(Quantized8BitAdc, EqualsReferencePipelineAndStaysWithinBound) {
  CrossbarArray array(geometry_for(cp_, kRows, kCols), cp_, DeviceParams{}, 5);
  const double lsb = array.adc_lsb(kRows);
  const double bound = mvm_error_bound(cp_, kRows);
  ASSERT_GT(bound, 0.0);
  std::mt19937_64 rng(21);
  const int wm = wmax(cp_);

  std::vector<std::pair<std::string, std::vector<float>>> weights = {
      {"random", random_ints(rng, kRows * kCols, -wm, wm)},
      {"all max", std::vector<float>(kRows * kCols, float(wm))},
      {"all min", std::vector<float>(kRows * kCols, float(-wm))}};
  std::vector<float> alt_w(kRows * kCols);
  for (int k = 0; k < kRows * kCols; ++k) alt_w[k] = (k / kCols + k % kCols) % 2 ? float(wm) : float(-wm);
  weights.emplace_back("alternating", alt_w);

  std::vector<std::pair<std::string, std::vector<float>>> inputs = {
      {"random", random_ints(rng, kRows, xmin(cp_), xmax(cp_))},
      {"all max", std::vector<float>(kRows, float(xmax(cp_)))},
      {"all min", std::vector<float>(kRows, float(xmin(cp_)))},
      {"zero", std::vector<float>(kRows, 0.0f)}};
  std::vector<float> alt_x(kRows);
  for (int i = 0; i < kRows; ++i) alt_x[i] = i % 2 ? float(xmax(cp_)) : float(xmin(cp_));
  inputs.emplace_back("alternating", alt_x);

  double worst = 0;
  for (const auto& [wname, w] : weights) {
    array.program_weights(0, 0, kRows, kCols, w.data(), kCols);
    for (const auto& [xname, x] : inputs) {
      std::vector<float> y(kCols);
      MvmStats st;
      array.mvm(x.data(), 1, 0, kRows, 0, kCols, y.data(), &st);
      const auto ref = quantized_ref(x, w, 1, kRows, kCols, cp_, lsb);
      const auto exact = gemm_ref(x, w, 1, kRows, kCols);
      EXPECT_EQ(st.adc_saturations, 0) << wname << " / " << xname;
      EXPECT_EQ(ref.saturations, 0) << wname << " / " << xname;
      for (int j = 0; j < kCols; ++j) {
        EXPECT_EQ(y[j], ref.y[j]) << wname << " / " << xname << " column " << j;
        EXPECT_LE(std::fabs(y[j] - exact[j]), bound) << wname << " / " << xname << " column " << j;
        worst = std::max(worst, std::fabs(y[j] - exact[j]));
      }
    }
  }
  EXPECT_GT(worst, 0.0) << "an 8-bit ADC on 128 rows must lose something";
}

TEST_P(Quantized8BitAdc, TransposedEqualsReferencePipeline) {
  CrossbarArray array(geometry_for(cp_, kRows, kCols), cp_, DeviceParams{}, 5);
  std::mt19937_64 rng(22);
  const auto w = random_ints(rng, kRows * kCols, -wmax(cp_), wmax(cp_));
  array.program_weights(0, 0, kRows, kCols, w.data(), kCols);
  const int batch = 4;
  const auto dy = random_ints(rng, batch * kCols, xmin(cp_), xmax(cp_));
  std::vector<float> dx(batch * kRows);
  array.mvm_transposed(dy.data(), batch, 0, kRows, 0, kCols, dx.data(), nullptr);
  const auto ref = quantized_ref(dy, transpose(w, kRows, kCols), batch, kCols, kRows, cp_, array.adc_lsb(kCols));
  const auto exact = gemm_ref(dy, transpose(w, kRows, kCols), batch, kCols, kRows);
  for (int k = 0; k < batch * kRows; ++k) {
    EXPECT_EQ(dx[k], ref.y[k]) << k;
    EXPECT_LE(std::fabs(dx[k] - exact[k]), mvm_error_bound(cp_, kCols)) << k;
  }
}

TEST_P(Quantized8BitAdc, ExplicitSmallFullScaleSaturatesAndCountsIt) {
  auto cp = cp_;
  cp.adc_full_scale = 16.0;  // lsb = 16 / 128 = 0.125 level units
  CrossbarArray array(geometry_for(cp, kRows, kCols), cp, DeviceParams{}, 5);
  EXPECT_DOUBLE_EQ(array.adc_lsb(kRows), 0.125);
  std::mt19937_64 rng(23);
  const auto w = random_ints(rng, kRows * kCols, -wmax(cp), wmax(cp));
  array.program_weights(0, 0, kRows, kCols, w.data(), kCols);
  const int batch = 3;
  std::vector<float> x(batch * kRows, float(xmax(cp)));
  const auto xr = random_ints(rng, kRows, xmin(cp), xmax(cp));
  std::copy(xr.begin(), xr.end(), x.begin() + kRows);
  std::vector<float> y(batch * kCols);
  MvmStats st;
  array.mvm(x.data(), batch, 0, kRows, 0, kCols, y.data(), &st);
  const auto ref = quantized_ref(x, w, batch, kRows, kCols, cp, 0.125);
  ASSERT_GT(ref.saturations, 0);
  EXPECT_EQ(st.adc_saturations, ref.saturations);
  for (int k = 0; k < batch * kCols; ++k) EXPECT_EQ(y[k], ref.y[k]) << k;
}

TEST_P(Quantized8BitAdc, StatsCountConversionsPerCycleAndSlice) {
  CrossbarArray array(geometry_for(cp_, kRows, kCols), cp_, DeviceParams{}, 5);
  const int nc = 8, ns = 4, batch = 5, n_rows = 100, n_cols = 10;
  ASSERT_EQ(array.input_cycles(), nc);
  ASSERT_EQ(array.weight_slices(), ns);
  std::vector<float> x(batch * n_rows, 1.0f), y(batch * n_cols);
  MvmStats st;
  array.mvm(x.data(), batch, 2, n_rows, 3, n_cols, y.data(), &st);
  EXPECT_EQ(st.mvms, batch);
  EXPECT_EQ(st.array_reads, batch * nc);
  EXPECT_EQ(st.dac_conversions, batch * nc * n_rows);
  EXPECT_EQ(st.adc_conversions, batch * nc * ns * n_cols);
  EXPECT_EQ(st.shift_add_ops, batch * nc * ns * n_cols);
  // Only cycle 0 drives (x = 1): E = t V_lsb^2 sum_i G_row(i), V_lsb = V_read for a 1-bit DAC.
  const DeviceParams d;
  double g = 0;
  for (int i = 2; i < 2 + n_rows; ++i)
    for (int c = 0; c < array.geometry().cols; ++c) g += array.conductance_us(i, c);
  const double e = batch * d.read_voltage_v * d.read_voltage_v * d.read_time_ns * 1e-3 * g;
  EXPECT_NEAR(st.array_energy_pj, e, 1e-5 * e);

  MvmStats tr;
  std::vector<float> dy(batch * n_cols, 1.0f), dx(batch * n_rows);
  array.mvm_transposed(dy.data(), batch, 2, n_rows, 3, n_cols, dx.data(), &tr);
  EXPECT_EQ(tr.array_reads, batch * nc * ns);  // one read per cycle and slice
  EXPECT_EQ(tr.adc_conversions, batch * nc * ns * n_rows);
}

INSTANTIATE_TEST_SUITE_P(Encodings, Quantized8BitAdc,
                         ::testing::Values(WeightEncoding::Differential, WeightEncoding::Offset),
                         [](const auto& test_info) {
                           return std::string(test_info.param == WeightEncoding::Offset ? "Offset" : "Differential");
                         });

// ---- LSB and bound formulas, by hand -----------------------------------------------------------

TEST(AdcScale, AutoLsbIsSmallestLosslessPowerOfTwo) {
  ConverterParams c;  // Bc 2, Bw 8, Bi 8, Bd 1, Ba 8, Differential
  // max |a| = 128 rows * 1 (1-bit chunk) * 3 (2-bit digit) = 384; 384 / 127 = 3.02 -> 4.
  EXPECT_DOUBLE_EQ(adc_lsb(c, 128), 4.0);
  EXPECT_DOUBLE_EQ(adc_lsb(c, 42), 1.0);     // 126 / 127 <= 1
  EXPECT_DOUBLE_EQ(adc_lsb(c, 43), 2.0);     // 129 / 127 > 1
  EXPECT_DOUBLE_EQ(adc_lsb(c, 1), 0.03125);  // 3 / 127 -> 2^-5
  // sum_c 2^c (c < 8) = 255, sum_s 4^s (s < 4) = 85: 4 / 2 * 255 * 85.
  EXPECT_DOUBLE_EQ(mvm_error_bound(c, 128), 43350.0);
  EXPECT_DOUBLE_EQ(mvm_error_bound(c, 42), 0.0);
  c.dac_bits = 2;  // chunks up to 3 (lower) and -2 (top): max |a| = 128 * 3 * 3 = 1152 -> lsb 16
  EXPECT_DOUBLE_EQ(adc_lsb(c, 128), 16.0);
  c.adc_full_scale = 100.0;
  EXPECT_DOUBLE_EQ(adc_lsb(c, 128), 100.0 / 128);
  c.quantize = false;
  EXPECT_EQ(adc_lsb(c, 128), 0.0);
  EXPECT_EQ(mvm_error_bound(c, 128), 0.0);
}

TEST(AdcScale, CountsAreWholeMultiplesOfTheLsb) {
  ConverterParams cp;
  CrossbarArray array({64, 64}, cp, DeviceParams{}, 2);  // 8 logical columns
  std::mt19937_64 rng(8);
  const auto w = random_ints(rng, 64 * 8, -127, 127);
  array.program_weights(0, 0, 64, 8, w.data(), 8);
  const auto x = random_ints(rng, 64, -128, 127);
  std::vector<float> y(8);
  array.mvm(x.data(), 1, 0, 64, 0, 8, y.data(), nullptr);
  const double lsb = array.adc_lsb(64);
  for (float v : y) EXPECT_EQ(std::fmod(double(v), lsb), 0.0) << v;
}

// ---- input checking ---------------------------------------------------------------------------

TEST(QuantizedInputs, RejectsNonIntegerAndOutOfRangeValues) {
  ConverterParams cp;
  CrossbarArray array({16, 16}, cp, DeviceParams{}, 2);
  const float bad_weights[] = {128.0f, -128.0f, 0.5f, NAN};
  for (float w : bad_weights) {
    try {
      array.program_weights(0, 0, 1, 1, &w, 1);
      ADD_FAILURE() << "weight " << w << " accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("weight_bits"), std::string::npos) << e.what();
    }
  }
  const float ok = -127.0f;
  EXPECT_NO_THROW(array.program_weights(0, 0, 1, 1, &ok, 1));
  std::vector<float> y(2);
  for (float v : {128.0f, -129.0f, 2.5f, NAN, INFINITY}) {
    std::vector<float> x(16, 0.0f);
    x[3] = v;
    try {
      array.mvm(x.data(), 1, 0, 16, 0, 2, y.data(), nullptr);
      ADD_FAILURE() << "input " << v << " accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("input_bits"), std::string::npos) << e.what();
    }
  }
  std::vector<float> x(16, -128.0f);
  EXPECT_NO_THROW(array.mvm(x.data(), 1, 0, 16, 0, 2, y.data(), nullptr));
}

}  // namespace
}  // namespace memgan::xbar::test
