// Converter and device parameters of the array model: their checks and the figures derived from them (ns, nc, ADC LSB).
#include "core/xbar/crossbar_array.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace memgan::xbar {

namespace {

[[noreturn]] void fail(const char* name, double value, const char* rule) {
  std::ostringstream os;
  os << name << " = " << value << ": " << rule;
  throw std::invalid_argument(os.str());
}

void require(bool ok, const char* name, double value, const char* rule) {
  if (!ok) fail(name, value, rule);
}

bool finite_at_least(double v, double lo) { return std::isfinite(v) && v >= lo; }

int ceil_div(int a, int b) { return (a + b - 1) / b; }

// Largest |chunk| of a signed input: unsigned chunks reach 2^Bd - 1, the signed top chunk
// -2^(Bi - 1 - (nc-1) Bd).
double max_input_chunk(const ConverterParams& c) {
  const int nc = input_cycles(c);
  const double top = std::ldexp(1.0, c.input_bits - 1 - (nc - 1) * c.dac_bits);
  return nc > 1 ? std::max(top, std::ldexp(1.0, c.dac_bits) - 1.0) : top;
}

// Largest digit of any slice: 2^Bc - 1 when there are several slices, else the whole
// (magnitude or offset) weight.
double max_slice_level(const ConverterParams& c) {
  if (weight_slices(c) > 1) return std::ldexp(1.0, c.cell_bits) - 1.0;
  return c.encoding == WeightEncoding::Differential ? std::ldexp(1.0, c.weight_bits - 1) - 1.0
                                                    : std::ldexp(1.0, c.weight_bits) - 1.0;
}

void validate_device(const DeviceParams& d) {
  require(std::isfinite(d.g_min_us) && d.g_min_us > 0, "DeviceParams.g_min_us", d.g_min_us,
          "must be > 0 (finite on/off ratio)");
  require(std::isfinite(d.g_max_us) && d.g_max_us > d.g_min_us, "DeviceParams.g_max_us", d.g_max_us,
          "must be finite and > g_min_us");
  require(d.levels >= 2, "DeviceParams.levels", d.levels, "must be >= 2");
  require(std::isfinite(d.read_voltage_v) && d.read_voltage_v > 0, "DeviceParams.read_voltage_v", d.read_voltage_v,
          "must be > 0");
  require(finite_at_least(d.read_time_ns, 0), "DeviceParams.read_time_ns", d.read_time_ns, "must be >= 0");
  require(finite_at_least(d.program_sigma, 0), "DeviceParams.program_sigma", d.program_sigma, "must be >= 0");
  require(finite_at_least(d.read_noise_sigma, 0), "DeviceParams.read_noise_sigma", d.read_noise_sigma,
          "must be >= 0");
  require(finite_at_least(d.stuck_on_rate, 0) && d.stuck_on_rate <= 1, "DeviceParams.stuck_on_rate",
          d.stuck_on_rate, "must be in [0, 1]");
  require(finite_at_least(d.stuck_off_rate, 0) && d.stuck_off_rate <= 1, "DeviceParams.stuck_off_rate",
          d.stuck_off_rate, "must be in [0, 1]");
  require(d.stuck_on_rate + d.stuck_off_rate <= 1, "DeviceParams.stuck_on_rate + stuck_off_rate",
          d.stuck_on_rate + d.stuck_off_rate, "must be <= 1");
  require(d.pulse.pulses_full_range >= 1, "DeviceParams.pulse.pulses_full_range", d.pulse.pulses_full_range,
          "must be >= 1");
  require(std::isfinite(d.pulse.nonlinearity_ltp) && std::fabs(d.pulse.nonlinearity_ltp) <= 50,
          "DeviceParams.pulse.nonlinearity_ltp", d.pulse.nonlinearity_ltp, "must be in [-50, 50]");
  require(std::isfinite(d.pulse.nonlinearity_ltd) && std::fabs(d.pulse.nonlinearity_ltd) <= 50,
          "DeviceParams.pulse.nonlinearity_ltd", d.pulse.nonlinearity_ltd, "must be in [-50, 50]");
  require(finite_at_least(d.pulse.c2c_sigma, 0), "DeviceParams.pulse.c2c_sigma", d.pulse.c2c_sigma, "must be >= 0");
  require(d.endurance_writes >= 0, "DeviceParams.endurance_writes", static_cast<double>(d.endurance_writes),
          "must be >= 0 (0 = unlimited)");
  require(finite_at_least(d.write_voltage_v, 0), "DeviceParams.write_voltage_v", d.write_voltage_v, "must be >= 0");
  require(finite_at_least(d.write_pulse_ns, 0), "DeviceParams.write_pulse_ns", d.write_pulse_ns, "must be >= 0");
}

}  // namespace

void validate(const ConverterParams& c, const DeviceParams& d, const ArrayGeometry& g) {
  require(c.cell_bits >= 1 && c.cell_bits <= 4, "ConverterParams.cell_bits", c.cell_bits, "must be in 1..4");
  require(c.weight_bits >= 2 && c.weight_bits <= 8, "ConverterParams.weight_bits", c.weight_bits,
          "must be in 2..8");
  require(c.input_bits >= 2 && c.input_bits <= 8, "ConverterParams.input_bits", c.input_bits, "must be in 2..8");
  require(c.dac_bits >= 1 && c.dac_bits <= c.input_bits, "ConverterParams.dac_bits", c.dac_bits,
          "must be in 1..input_bits");
  require(c.adc_bits >= 1 && c.adc_bits <= 16, "ConverterParams.adc_bits", c.adc_bits, "must be in 1..16");
  if (c.adc_full_scale)
    require(std::isfinite(*c.adc_full_scale) && *c.adc_full_scale > 0, "ConverterParams.adc_full_scale",
            *c.adc_full_scale, "must be > 0 (level units)");
  validate_device(d);
  if (c.quantize)
    require((1 << c.cell_bits) <= d.levels, "DeviceParams.levels", d.levels,
            "must be >= 2^ConverterParams.cell_bits (each cell stores cell_bits)");
  const bool offset = c.encoding == WeightEncoding::Offset;
  const int ns = weight_slices(c);
  require(g.rows >= (offset ? 2 : 1), "ArrayGeometry.rows", g.rows,
          offset ? "must be >= 2 (Offset reserves a reference row)" : "must be >= 1");
  require(g.cols >= (offset ? ns + 1 : 2 * ns), "ArrayGeometry.cols", g.cols,
          offset ? "must hold ns columns plus the reference column" : "must hold one logical column (2 ns columns)");
}

int weight_slices(const ConverterParams& c) {
  if (!c.quantize) return 1;
  return c.encoding == WeightEncoding::Differential ? ceil_div(c.weight_bits - 1, c.cell_bits)
                                                    : ceil_div(c.weight_bits, c.cell_bits);
}

int input_cycles(const ConverterParams& c) { return c.quantize ? ceil_div(c.input_bits, c.dac_bits) : 1; }

double adc_lsb(const ConverterParams& c, int active_rows) {
  if (!c.quantize) return 0.0;
  if (active_rows < 1) throw std::invalid_argument("adc_lsb: active_rows must be >= 1");
  const double half_codes = std::ldexp(1.0, c.adc_bits - 1);
  if (c.adc_full_scale) return *c.adc_full_scale / half_codes;
  // Largest |a| must round to at most the top code 2^(Ba-1) - 1 (round-half-even: a 1-bit ADC,
  // top code 0, tolerates |a| / lsb <= 0.5).
  const double max_a = active_rows * max_input_chunk(c) * max_slice_level(c);
  const double top = c.adc_bits > 1 ? half_codes - 1.0 : 0.5;
  return std::ldexp(1.0, static_cast<int>(std::ceil(std::log2(max_a / top))));
}

double mvm_error_bound(const ConverterParams& c, int active_rows) {
  if (!c.quantize) return 0.0;
  const double lsb = adc_lsb(c, active_rows);
  // Every a is an integer on an ideal device: exact when 1/lsb is an integer.
  const double per_lsb = 1.0 / lsb;
  if (per_lsb >= 1.0 && per_lsb == std::floor(per_lsb)) return 0.0;
  const int nc = input_cycles(c), ns = weight_slices(c);
  double cycles = 0, slices = 0;
  for (int k = 0; k < nc; ++k) cycles += std::ldexp(1.0, k * c.dac_bits);
  for (int s = 0; s < ns; ++s) slices += std::ldexp(1.0, s * c.cell_bits);
  return 0.5 * lsb * cycles * slices;
}

}  // namespace memgan::xbar
