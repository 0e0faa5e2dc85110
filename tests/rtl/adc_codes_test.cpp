// xbar::mvm_codes, the ADC codes the RTL shift-and-add consumes: recombined by the golden
// shift-and-add they must give mvm's result exactly (ideal devices, both encodings, several
// converter settings, saturating full scales), and reading them must not disturb mvm.
#include <cmath>
#include <ostream>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "core/xbar/adc_codes.h"
#include "core/xbar/shift_add.h"

using namespace memgan;
using xbar::WeightEncoding;

namespace {

struct Params {
  int cell_bits, dac_bits, adc_bits;
  WeightEncoding enc;
  double full_scale;  // 0 = auto
};

void PrintTo(const Params& p, std::ostream* os) {
  *os << "Bc " << p.cell_bits << " Bd " << p.dac_bits << " adc " << p.adc_bits << " full_scale " << p.full_scale;
}

class AdcCodes : public ::testing::TestWithParam<Params> {};

TEST_P(AdcCodes, RecombinedCodesEqualMvm) {
  const Params p = GetParam();
  xbar::ConverterParams c;
  c.cell_bits = p.cell_bits;
  c.dac_bits = p.dac_bits;
  c.adc_bits = p.adc_bits;
  c.encoding = p.enc;
  if (p.full_scale > 0) c.adc_full_scale = p.full_scale;
  xbar::DeviceParams d;
  d.levels = 1 << p.cell_bits;
  xbar::CrossbarArray a({64, 128}, c, d, 7);
  const int rows = a.logical_rows(), cols = std::min(a.logical_cols(), 9), batch = 6;
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> wd(-127, 127), xd(-128, 127);
  std::vector<float> w(std::size_t(rows) * cols), x(std::size_t(batch) * rows);
  for (auto& v : w) v = float(wd(rng));
  for (auto& v : x) v = float(xd(rng));
  // Corner rows: all-max weights and inputs, all-min inputs, zeros.
  for (int j = 0; j < cols; ++j) w[j] = 127;
  for (int i = 0; i < rows; ++i) x[i] = 127, x[rows + i] = -128, x[2 * rows + i] = 0, x[3 * rows + i] = 1;
  a.program_weights(0, 0, rows, cols, w.data(), cols);

  const int nc = a.input_cycles(), ns = a.weight_slices();
  std::vector<int16_t> codes(std::size_t(batch) * nc * ns * cols);
  const int64_t sat = xbar::mvm_codes(a, x.data(), batch, 0, rows, 0, cols, codes.data());
  std::vector<float> y(std::size_t(batch) * cols);
  xbar::MvmStats st;
  a.mvm(x.data(), batch, 0, rows, 0, cols, y.data(), &st);
  EXPECT_EQ(sat, st.adc_saturations);
  const auto acc = xbar::shift_add(codes, batch, nc, ns, cols, c.dac_bits, c.cell_bits);
  const double lsb = a.adc_lsb(rows);
  for (int b = 0; b < batch; ++b) {
    double x_sum = 0;
    for (int i = 0; i < rows; ++i) x_sum += x[std::size_t(b) * rows + i];
    const double corr = p.enc == WeightEncoding::Offset ? std::ldexp(1.0, c.weight_bits - 1) * x_sum : 0.0;
    for (int j = 0; j < cols; ++j) {
      const std::size_t o = std::size_t(b) * cols + j;
      EXPECT_EQ(static_cast<float>(acc[o] * lsb - corr), y[o]) << "vector " << b << " col " << j;
    }
  }
  // Codes read no random state: a second mvm is unchanged.
  std::vector<float> y2(y.size());
  a.mvm(x.data(), batch, 0, rows, 0, cols, y2.data(), nullptr);
  EXPECT_EQ(y, y2);
}

INSTANTIATE_TEST_SUITE_P(
    Converters, AdcCodes,
    ::testing::Values(Params{2, 1, 8, WeightEncoding::Differential, 128},   // the default config
                      Params{2, 1, 8, WeightEncoding::Differential, 0},     // auto full scale (ties)
                      Params{2, 1, 8, WeightEncoding::Differential, 16},    // saturates
                      Params{1, 2, 6, WeightEncoding::Differential, 0}, Params{4, 4, 10, WeightEncoding::Differential, 0},
                      Params{2, 1, 8, WeightEncoding::Offset, 128}, Params{3, 8, 12, WeightEncoding::Offset, 0},
                      Params{2, 1, 4, WeightEncoding::Offset, 0}),
    [](const ::testing::TestParamInfo<Params>& i) {
      const Params& p = i.param;
      return std::string(p.enc == WeightEncoding::Offset ? "Offset" : "Differential") + "_Bc" +
             std::to_string(p.cell_bits) + "_Bd" + std::to_string(p.dac_bits) + "_Adc" + std::to_string(p.adc_bits) +
             "_Fs" + (p.full_scale > 0 ? std::to_string(int(p.full_scale)) : std::string("auto"));
    });

TEST(AdcCodesErrors, AnalogModeAndBadInputsAreRejected) {
  xbar::ConverterParams c;
  xbar::DeviceParams d;
  xbar::CrossbarArray a({8, 16}, c, d, 1);
  std::vector<int16_t> codes(1024);
  const std::vector<float> bad(8, 0.5f);
  EXPECT_THROW(xbar::mvm_codes(a, bad.data(), 1, 0, 8, 0, 1, codes.data()), std::invalid_argument);
  EXPECT_THROW(xbar::mvm_codes(a, bad.data(), 1, 0, 9, 0, 1, codes.data()), std::out_of_range);
  c.quantize = false;
  xbar::CrossbarArray analog({8, 16}, c, d, 1);
  EXPECT_THROW(xbar::mvm_codes(analog, bad.data(), 1, 0, 8, 0, 1, codes.data()), std::logic_error);
}

}  // namespace
