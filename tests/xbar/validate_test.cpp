// Invalid parameters throw std::invalid_argument naming the parameter.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>

#include "core/xbar/crossbar_array.h"

namespace memgan::xbar {
namespace {

struct Bad {
  const char* name;  // must appear in the message
  std::function<void(ConverterParams&, DeviceParams&, ArrayGeometry&)> make_bad;
};

class Validate : public ::testing::TestWithParam<Bad> {};

TEST_P(Validate, ThrowsNamingTheParameter) {
  ConverterParams c;
  DeviceParams d;
  ArrayGeometry g;
  ASSERT_NO_THROW(validate(c, d, g));
  GetParam().make_bad(c, d, g);
  try {
    validate(c, d, g);
    ADD_FAILURE() << "accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(GetParam().name), std::string::npos) << e.what();
  }
  EXPECT_THROW(CrossbarArray(g, c, d, 1), std::invalid_argument);  // the constructor validates too
}

const Bad kBad[] = {
    {"g_max_us", [](auto&, auto& d, auto&) { d.g_max_us = d.g_min_us; }},
    {"g_max_us", [](auto&, auto& d, auto&) { d.g_max_us = 1.0; }},
    {"g_min_us", [](auto&, auto& d, auto&) { d.g_min_us = 0.0; }},
    {"g_min_us", [](auto&, auto& d, auto&) { d.g_min_us = NAN; }},
    {"program_sigma", [](auto&, auto& d, auto&) { d.program_sigma = -0.1; }},
    {"read_noise_sigma", [](auto&, auto& d, auto&) { d.read_noise_sigma = -1e-3; }},
    {"c2c_sigma", [](auto&, auto& d, auto&) { d.pulse.c2c_sigma = -0.5; }},
    {"cell_bits", [](auto& c, auto&, auto&) { c.cell_bits = 0; }},
    {"cell_bits", [](auto& c, auto& d, auto&) { c.cell_bits = 5, d.levels = 64; }},
    {"weight_bits", [](auto& c, auto&, auto&) { c.weight_bits = 0; }},
    {"weight_bits", [](auto& c, auto&, auto&) { c.weight_bits = 9; }},
    {"input_bits", [](auto& c, auto&, auto&) { c.input_bits = 0; }},
    {"dac_bits", [](auto& c, auto&, auto&) { c.dac_bits = 0; }},
    {"dac_bits", [](auto& c, auto&, auto&) { c.dac_bits = 9; }},
    {"adc_bits", [](auto& c, auto&, auto&) { c.adc_bits = 0; }},
    {"adc_bits", [](auto& c, auto&, auto&) { c.adc_bits = 17; }},
    {"adc_full_scale", [](auto& c, auto&, auto&) { c.adc_full_scale = 0.0; }},
    {"stuck_on_rate", [](auto&, auto& d, auto&) { d.stuck_on_rate = -0.01; }},
    {"stuck_on_rate", [](auto&, auto& d, auto&) { d.stuck_on_rate = 1.5; }},
    {"stuck_off_rate", [](auto&, auto& d, auto&) { d.stuck_off_rate = 2.0; }},
    {"stuck_off_rate", [](auto&, auto& d, auto&) { d.stuck_on_rate = 0.6, d.stuck_off_rate = 0.6; }},
    {"levels", [](auto& c, auto& d, auto&) { c.cell_bits = 3, d.levels = 4; }},
    {"levels", [](auto&, auto& d, auto&) { d.levels = 1; }},
    {"read_voltage_v", [](auto&, auto& d, auto&) { d.read_voltage_v = 0.0; }},
    {"pulses_full_range", [](auto&, auto& d, auto&) { d.pulse.pulses_full_range = 0; }},
    {"nonlinearity_ltp", [](auto&, auto& d, auto&) { d.pulse.nonlinearity_ltp = INFINITY; }},
    {"endurance_writes", [](auto&, auto& d, auto&) { d.endurance_writes = -1; }},
    {"rows", [](auto&, auto&, auto& g) { g.rows = 0; }},
    {"cols", [](auto&, auto&, auto& g) { g.cols = 7; }},  // 8-bit weights on 2-bit cells need 8 columns
    {"rows", [](auto& c, auto&, auto& g) { c.encoding = WeightEncoding::Offset, g.rows = 1; }},
};

INSTANTIATE_TEST_SUITE_P(Parameters, Validate, ::testing::ValuesIn(kBad), [](const auto& test_info) {
  return std::string(test_info.param.name) + "_" + std::to_string(test_info.index);
});

TEST(ValidateAnalog, CellBitsAndLevelsDoNotMatterWithoutQuantization) {
  ConverterParams c;
  c.quantize = false;
  c.cell_bits = 4;
  DeviceParams d;
  d.levels = 2;
  EXPECT_NO_THROW(validate(c, d, ArrayGeometry{}));
}

}  // namespace
}  // namespace memgan::xbar
