#include "core/xbar/crossbar_array.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <istream>
#include <numeric>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <string>

#include "core/xbar/pulse_model.h"
#include "core/xbar/random.h"
#include "core/xbar/simd.h"

namespace memgan::xbar {

namespace {

// Independent random streams of one array (fault map, write-and-verify, pulses, reads).
enum Stream : uint64_t { kFaultStream = 1, kProgramStream, kUpdateStream, kReadStream, kReferenceStream };

enum Fault : uint8_t { kHealthy = 0, kStuckOn, kStuckOff, kWorn };

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

// V [V], G [uS], t [ns]: V^2 G t is in 1e-15 J.
constexpr double kFemtoToPico = 1e-3;

// Quantized reads process GEMM rows in blocks of about kBlockFloats products (1 MiB, cache
// resident for the ADC pass) but at least kMinBlockRows rows (so weights are not re-streamed
// for tiny GEMMs).
constexpr int kBlockFloats = 1 << 18, kMinBlockRows = 256;
constexpr int kMaxSlices = 8;  // ceil(weight_bits / cell_bits) with weight_bits <= 8

// ADC plus shift-and-add for one GEMM row (one input cycle of one vector): for each slice s
// and output j, code = clamp(round_half_even((a - shift[s]) / lsb), lo, hi) and
// acc[j] += code * weight[s]. a is the mean, plus with read noise sqrt(var_sign var t) (cos|sin),
// drawn inside the pass from one word per pair of outputs (j and j + ceil(n/2), see box_muller),
// which takes one square root per output. nearbyint rounds half to even (default rounding
// mode). The int32 accumulator is exact: |sum code * weight| < 2^15 * 2^8 * 2^8
// (weight = 2^(c Bd + s Bc)). Returns the number of saturated conversions.
MEMGAN_XBAR_SIMD_CLONES
int adc_row(const float* mean, const float* var, float var_sign, const uint64_t* words, const float* shift,
            float inv_lsb, float lo, float hi, const int32_t* weight, int32_t* acc, int n, int ns) {
  int saturations = 0;
  auto convert = [&](float a) {
    const float r = std::nearbyint(a * inv_lsb);
    saturations += (r < lo) | (r > hi);
    return static_cast<int32_t>(std::min(std::max(r, lo), hi));
  };
  const int half = (n + 1) / 2;
  for (int s = 0; s < ns; ++s) {
    const float* m = mean + std::size_t(s) * n;
    const float sh = shift[s];
    const int32_t w = weight[s];
    if (!var) {
      for (int j = 0; j < n; ++j) acc[j] += convert(m[j] - sh) * w;
      continue;
    }
    const float* v = var + std::size_t(s) * n;
    const uint64_t* ws = words + std::size_t(s) * half;
    for (int k = 0; k < n / 2; ++k) {
      float t, c, sn;
      detail::box_muller(ws[k], t, c, sn);
      acc[k] += convert(m[k] + std::sqrt(var_sign * v[k] * t) * c - sh) * w;
      acc[k + half] += convert(m[k + half] + std::sqrt(var_sign * v[k + half] * t) * sn - sh) * w;
    }
    if (n % 2) {
      float t, c, sn;
      detail::box_muller(ws[half - 1], t, c, sn);
      acc[half - 1] += convert(m[half - 1] + std::sqrt(var_sign * v[half - 1] * t) * c - sh) * w;
    }
  }
  return saturations;
}

// y[j] += sqrt(var[j] t) (cos|sin) - shift, the pairing of adc_row.
MEMGAN_XBAR_SIMD_CLONES
void add_noise(const float* var, const uint64_t* words, float shift, float* y, int n) {
  const int half = (n + 1) / 2;
  for (int k = 0; k < n / 2; ++k) {
    float t, c, sn;
    detail::box_muller(words[k], t, c, sn);
    y[k] += std::sqrt(var[k] * t) * c - shift;
    y[k + half] += std::sqrt(var[k + half] * t) * sn - shift;
  }
  if (n % 2) {
    float t, c, sn;
    detail::box_muller(words[half - 1], t, c, sn);
    y[half - 1] += std::sqrt(var[half - 1] * t) * c - shift;
  }
}

// Integers of one input vector; false if any value is not an integer in [lo, hi].
MEMGAN_XBAR_SIMD_CLONES
bool to_integers(const float* x, int n, float lo, float hi, int32_t* xi) {
  int bad = 0;
  for (int k = 0; k < n; ++k) {
    const float v = x[k];
    const auto i = static_cast<int32_t>(v >= lo && v <= hi ? v : 0.0f);
    xi[k] = i;
    bad |= static_cast<float>(i) != v;
  }
  return !bad;
}

// DAC chunk (xi >> shift) & mask: an unsigned digit, or with mask -1 the signed top chunk.
MEMGAN_XBAR_SIMD_CLONES
void chunk_of(const int32_t* xi, int n, int shift, int32_t mask, float* out) {
  for (int k = 0; k < n; ++k) out[k] = static_cast<float>((xi[k] >> shift) & mask);
}

MEMGAN_XBAR_SIMD_CLONES
void square(const float* x, float* x2, std::size_t n) {
  for (std::size_t k = 0; k < n; ++k) x2[k] = x[k] * x[k];
}

// Largest value of non-negative floats by their bit patterns (monotonic for x >= 0, NaN above all).
MEMGAN_XBAR_SIMD_CLONES
float max_nonnegative(const float* x, int n) {
  int32_t m = 0;
  for (int k = 0; k < n; ++k) {
    int32_t b;
    std::memcpy(&b, &x[k], 4);
    m = std::max(m, b);
  }
  float r;
  std::memcpy(&r, &m, 4);
  return r;
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

// ---------------------------------------------------------------------------------------------

struct CrossbarArray::Impl {
  ArrayGeometry geo;
  ConverterParams cp;
  DeviceParams dp;
  detail::PulseCurves curves;
  bool offset;
  int ns, nc, lrows, lcols;
  double unit_us;       // conductance difference of one weight unit (g_step, R or R/2)
  double weight_bias;   // Offset: stored = weight + bias (2^(Bw-1), or 1 in analog mode)
  std::vector<double> g_us;
  std::vector<int64_t> writes;
  std::vector<uint8_t> fault;
  detail::Xoshiro256ss program_rng, update_rng;
  detail::LaneBits read_bits;           // cell read noise, one word per two outputs
  detail::NormalFiller reference_rng;  // reference-line read noise (Offset)

  // Cached effective matrices, lrows x ld_cat, column blocks of lcols: block s < ns holds slice
  // s's mean weights, Differential (G+ - G-) / unit or Offset (G - G_ref_col) / unit; with read
  // noise, block ns + s holds its variance per unit input^2, sigma^2 (G+^2 + G-^2) / unit^2.
  // Side by side, so a full-width forward read is one GEMM for every slice and both moments.
  std::vector<float> wq;
  int ld_cat;
  std::vector<float> w_tr;       // Offset only: (G - G_ref_row) / unit for transposed reads, ld ns * lcols
  std::vector<float> q_ref_col;  // Offset: sigma^2 G_ref_col(i)^2 / unit^2, per logical row
  std::vector<float> q_ref_row;  // Offset: sigma^2 G_ref_row(j, s)^2 / unit^2, ns x lcols
  std::vector<double> row_g_us, col_g_us;  // sum of G over each physical row / column (read energy)
  int dirty_r0, dirty_r1, dirty_c0, dirty_c1;  // logical block to rebuild; empty when r0 >= r1

  // Workspace.
  std::vector<float> a, a2, prod, z_ref, ref_noise, e_in, per_vector;
  std::vector<uint64_t> words;
  std::vector<int32_t> acc, xi;
  std::vector<double> x_sum;

  Impl(const ArrayGeometry& geometry, const ConverterParams& c, const DeviceParams& d, uint64_t seed)
      : geo(geometry),
        cp(c),
        dp(d),
        curves(d),
        offset(c.encoding == WeightEncoding::Offset),
        ns(xbar::weight_slices(c)),
        nc(xbar::input_cycles(c)),
        lrows(offset ? geometry.rows - 1 : geometry.rows),
        lcols(offset ? (geometry.cols - 1) / ns : geometry.cols / (2 * ns)),
        program_rng(detail::stream_seed(seed, kProgramStream)),
        update_rng(detail::stream_seed(seed, kUpdateStream)),
        read_bits(detail::stream_seed(seed, kReadStream)),
        reference_rng(detail::stream_seed(seed, kReferenceStream)) {
    const double range_us = d.g_max_us - d.g_min_us;
    unit_us = c.quantize ? range_us / (std::ldexp(1.0, c.cell_bits) - 1.0) : (offset ? range_us / 2 : range_us);
    weight_bias = c.quantize ? std::ldexp(1.0, c.weight_bits - 1) : 1.0;
    const std::size_t cells = std::size_t(geometry.rows) * std::size_t(geometry.cols);
    g_us.assign(cells, d.g_min_us);
    writes.assign(cells, 0);
    fault.assign(cells, kHealthy);
    if (d.stuck_on_rate > 0 || d.stuck_off_rate > 0) {
      detail::Xoshiro256ss rng(detail::stream_seed(seed, kFaultStream));
      for (std::size_t k = 0; k < cells; ++k) {
        const double u = rng.uniform();
        if (u < d.stuck_on_rate) {
          fault[k] = kStuckOn;
          g_us[k] = d.g_max_us;
        } else if (u < d.stuck_on_rate + d.stuck_off_rate) {
          fault[k] = kStuckOff;
        }
      }
    }
    if (d.program_sigma > 0)  // the array starts reset to g_min, with the same write variation
      for (std::size_t k = 0; k < cells; ++k)
        if (fault[k] == kHealthy) g_us[k] = d.g_min_us * std::exp(d.program_sigma * program_rng.normal());
    ld_cat = (noisy() ? 2 : 1) * ns * lcols;
    rebuild_derived();
  }

  // Everything derived from g_us, from scratch: the reference noise terms, line sums, and a
  // fully dirty cache. Each value is the same function of g_us that the incremental refresh
  // computes, so a restored array reads exactly as the saved one.
  void rebuild_derived() {
    wq.assign(std::size_t(lrows) * ld_cat, 0.0f);
    if (offset) w_tr.assign(std::size_t(lrows) * ns * lcols, 0.0f);
    row_g_us.assign(geo.rows, 0.0);
    col_g_us.assign(geo.cols, 0.0);
    if (offset && noisy()) {
      // Reference cells are written only at construction, so their noise terms are fixed.
      const double k = dp.read_noise_sigma * dp.read_noise_sigma / (unit_us * unit_us);
      q_ref_col.resize(lrows);
      for (int i = 0; i < lrows; ++i) q_ref_col[i] = static_cast<float>(k * sq(g(i, reference_col())));
      q_ref_row.resize(std::size_t(ns) * lcols);
      for (int s = 0; s < ns; ++s)
        for (int j = 0; j < lcols; ++j)
          q_ref_row[std::size_t(s) * lcols + j] = static_cast<float>(k * sq(g(reference_row(), phys(j, s, 0))));
    }
    for (int r = 0; r < geo.rows; ++r) row_g_us[r] = sum_row(r);
    for (int col = 0; col < geo.cols; ++col) col_g_us[col] = sum_col(col);
    dirty_r0 = 0, dirty_r1 = lrows, dirty_c0 = 0, dirty_c1 = lcols;
  }

  static double sq(double v) { return v * v; }
  bool noisy() const { return dp.read_noise_sigma > 0; }
  int reference_col() const { return offset ? geo.cols - 1 : -1; }
  int reference_row() const { return offset ? geo.rows - 1 : -1; }
  int phys(int col, int slice, int polarity) const {
    return offset ? col * ns + slice : (col * ns + slice) * 2 + polarity;
  }
  std::size_t idx(int r, int col) const { return std::size_t(r) * std::size_t(geo.cols) + std::size_t(col); }
  double g(int r, int col) const { return g_us[idx(r, col)]; }
  double sum_row(int r) const {
    double s = 0;
    for (int col = 0; col < geo.cols; ++col) s += g(r, col);
    return s;
  }
  double sum_col(int col) const {
    double s = 0;
    for (int r = 0; r < geo.rows; ++r) s += g(r, col);
    return s;
  }

  void check_block(const char* what, int row0, int n_rows, int col0, int n_cols) const {
    if (row0 < 0 || n_rows < 1 || col0 < 0 || n_cols < 1 || row0 > lrows - n_rows || col0 > lcols - n_cols) {
      std::ostringstream os;
      os << what << ": block of " << n_rows << " x " << n_cols << " at (" << row0 << ", " << col0
         << ") is not inside the " << lrows << " x " << lcols << " logical array";
      throw std::out_of_range(os.str());
    }
  }
  void check_phys(int r, int col) const {
    if (r < 0 || r >= geo.rows || col < 0 || col >= geo.cols) {
      std::ostringstream os;
      os << "physical cell (" << r << ", " << col << ") is outside the " << geo.rows << " x " << geo.cols << " array";
      throw std::out_of_range(os.str());
    }
  }
  void mark_dirty(int row0, int n_rows, int col0, int n_cols) {
    if (dirty_r0 >= dirty_r1) {
      dirty_r0 = row0, dirty_r1 = row0 + n_rows, dirty_c0 = col0, dirty_c1 = col0 + n_cols;
    } else {
      dirty_r0 = std::min(dirty_r0, row0), dirty_r1 = std::max(dirty_r1, row0 + n_rows);
      dirty_c0 = std::min(dirty_c0, col0), dirty_c1 = std::max(dirty_c1, col0 + n_cols);
    }
  }

  // Rebuilds the effective matrices and energy sums of the dirty block.
  void refresh_cache() {
    if (dirty_r0 >= dirty_r1) return;
    const double k_noise = dp.read_noise_sigma * dp.read_noise_sigma / (unit_us * unit_us);
    for (int i = dirty_r0; i < dirty_r1; ++i) {
      float* mean_row = wq.data() + std::size_t(i) * ld_cat;
      float* var_row = mean_row + std::size_t(ns) * lcols;
      for (int s = 0; s < ns; ++s)
        for (int j = dirty_c0; j < dirty_c1; ++j) {
          const std::size_t k = std::size_t(s) * lcols + j;
          if (offset) {
            const double gc = g(i, phys(j, s, 0));
            mean_row[k] = static_cast<float>((gc - g(i, reference_col())) / unit_us);
            const double g_ref_row = g(reference_row(), phys(j, s, 0));
            w_tr[std::size_t(i) * ns * lcols + k] = static_cast<float>((gc - g_ref_row) / unit_us);
            if (noisy()) var_row[k] = static_cast<float>(k_noise * sq(gc));
          } else {
            const double gp = g(i, phys(j, s, 0)), gm = g(i, phys(j, s, 1));
            mean_row[k] = static_cast<float>((gp - gm) / unit_us);
            if (noisy()) var_row[k] = static_cast<float>(k_noise * (sq(gp) + sq(gm)));
          }
        }
    }
    for (int r = dirty_r0; r < dirty_r1; ++r) row_g_us[r] = sum_row(r);
    for (int j = dirty_c0; j < dirty_c1; ++j)
      for (int s = 0; s < ns; ++s)
        for (int p = 0; p < (offset ? 1 : 2); ++p) col_g_us[phys(j, s, p)] = sum_col(phys(j, s, p));
    dirty_r1 = dirty_r0;
  }

  // --- programming ---------------------------------------------------------------------------

  double pulse_energy_pj(double g_before_us, double g_after_us) const {
    return dp.write_voltage_v * dp.write_voltage_v * 0.5 * (g_before_us + g_after_us) * dp.write_pulse_ns *
           kFemtoToPico;
  }

  // Write-and-verify one cell; returns whether any pulse was applied.
  bool program_cell(std::size_t k, double target_us, ProgramStats& st) {
    const double g0 = g_us[k];
    const long pulses = curves.pulses_between(g0, target_us);
    if (pulses == 0) return false;
    double g1 = g0;
    if (fault[k] == kHealthy) {
      if (dp.endurance_writes == 0 || writes[k] + pulses <= dp.endurance_writes) {
        g1 = dp.program_sigma > 0 ? target_us * std::exp(dp.program_sigma * program_rng.normal()) : target_us;
      } else {  // wears out on the way: moves its remaining pulses along the curve, then sticks
        const auto left = static_cast<double>(std::max<int64_t>(0, dp.endurance_writes - writes[k]));
        g1 = curves.advance_us(g0, target_us, left);
        fault[k] = kWorn;
      }
    }
    writes[k] += pulses;
    g_us[k] = g1;
    ++st.cells_written;
    st.pulses += pulses;
    st.write_energy_pj += static_cast<double>(pulses) * pulse_energy_pj(g0, g1);
    return true;
  }

  double level_us(double level) const { return dp.g_min_us + level * unit_us; }

  // Writes weight w (already validated) at logical (i, j); returns whether any cell was written.
  bool program_weight(int i, int j, float w, ProgramStats& st) {
    bool written = false;
    if (!cp.quantize) {
      const double range_us = dp.g_max_us - dp.g_min_us;
      if (offset) {
        written |= program_cell(idx(i, phys(j, 0, 0)), dp.g_min_us + 0.5 * (double(w) + 1.0) * range_us, st);
      } else {
        written |= program_cell(idx(i, phys(j, 0, 0)), dp.g_min_us + std::max(0.0, double(w)) * range_us, st);
        written |= program_cell(idx(i, phys(j, 0, 1)), dp.g_min_us + std::max(0.0, -double(w)) * range_us, st);
      }
      return written;
    }
    const int wi = static_cast<int>(w);
    const int mask = (1 << cp.cell_bits) - 1;
    if (offset) {
      const int stored = wi + (1 << (cp.weight_bits - 1));
      for (int s = 0; s < ns; ++s)
        written |= program_cell(idx(i, phys(j, s, 0)), level_us((stored >> (s * cp.cell_bits)) & mask), st);
    } else {
      const int mag = std::abs(wi);
      for (int s = 0; s < ns; ++s) {
        const int digit = (mag >> (s * cp.cell_bits)) & mask;
        written |= program_cell(idx(i, phys(j, s, 0)), level_us(wi > 0 ? digit : 0), st);
        written |= program_cell(idx(i, phys(j, s, 1)), level_us(wi < 0 ? digit : 0), st);
      }
    }
    return written;
  }

  // --- pulse updates -------------------------------------------------------------------------

  void require_updatable(const char* what) const {
    if (ns != 1)
      throw std::logic_error(std::string(what) +
                             ": in-situ updates need one cell (pair) per weight, but the weights are bit-sliced "
                             "over " + std::to_string(ns) + " slices; reprogram with program_weights instead");
  }

  // One pulse on cell k. Stuck and worn cells receive it (and count it) without changing.
  void pulse_cell(std::size_t k, bool up, ProgramStats& st) {
    const double g0 = g_us[k];
    const int64_t before = writes[k]++;
    if (fault[k] == kHealthy && dp.endurance_writes > 0 && before >= dp.endurance_writes) fault[k] = kWorn;
    if (fault[k] == kHealthy) {
      const double bound_us = up ? dp.g_max_us : dp.g_min_us;
      if (up ? g0 < bound_us : g0 > bound_us) {
        double step_us = curves.next_us(g0, up) - g0;
        if (dp.pulse.c2c_sigma > 0) step_us *= std::max(0.0, 1.0 + dp.pulse.c2c_sigma * update_rng.normal());
        g_us[k] = up ? std::min(g0 + step_us, bound_us) : std::max(g0 + step_us, bound_us);
      }
    }
    ++st.pulses;
    st.write_energy_pj += pulse_energy_pj(g0, g_us[k]);
  }

  // n pulses moving weight (i, j) up or down. A differential pair keeps one cell near g_min, as
  // program_weights leaves it: raising w depresses G- while G- > G+, else potentiates G+
  // (lowering mirrored), re-decided before every pulse.
  void pulse_weight(int i, int j, bool up, long n, ProgramStats& st) {
    const std::size_t kp = idx(i, phys(j, 0, 0));
    if (offset) {
      for (long p = 0; p < n; ++p) pulse_cell(kp, up, st);
      ++st.cells_written;
      return;
    }
    const std::size_t km = idx(i, phys(j, 0, 1));
    bool touched_p = false, touched_m = false;
    for (long p = 0; p < n; ++p) {
      const bool minus = up ? g_us[km] > g_us[kp] : !(g_us[kp] > g_us[km]);
      pulse_cell(minus ? km : kp, minus != up, st);
      (minus ? touched_m : touched_p) = true;
    }
    st.cells_written += int(touched_p) + int(touched_m);
  }

  double weight_per_pulse() const {
    return (dp.g_max_us - dp.g_min_us) / dp.pulse.pulses_full_range / unit_us;
  }

  // --- reads ---------------------------------------------------------------------------------

  void read(const float* x, int batch, int row0, int n_rows, int col0, int n_cols, float* y, MvmStats* stats,
            bool transposed) {
    check_block(transposed ? "mvm_transposed" : "mvm", row0, n_rows, col0, n_cols);
    if (batch < 0) throw std::invalid_argument("mvm: batch must be >= 0");
    if (batch == 0) return;
    refresh_cache();
    const int n_in = transposed ? n_cols : n_rows;
    // Sum of G on the lines each input drives (all cells on a driven line conduct).
    e_in.resize(std::size_t(ns) * n_in);
    for (int s = 0; s < ns; ++s)
      for (int k = 0; k < n_in; ++k) {
        double e;
        if (!transposed) e = row_g_us[row0 + k];
        else if (offset) e = col_g_us[phys(col0 + k, s, 0)];
        else e = col_g_us[phys(col0 + k, s, 0)] + col_g_us[phys(col0 + k, s, 1)];
        e_in[std::size_t(s) * n_in + k] = static_cast<float>(e);
      }
    MvmStats st;
    if (cp.quantize) quantized_read(x, batch, row0, n_rows, col0, n_cols, y, st, transposed);
    else analog_read(x, batch, row0, n_rows, col0, n_cols, y, st, transposed);
    if (stats) {
      stats->mvms += st.mvms;
      stats->array_reads += st.array_reads;
      stats->dac_conversions += st.dac_conversions;
      stats->adc_conversions += st.adc_conversions;
      stats->adc_saturations += st.adc_saturations;
      stats->shift_add_ops += st.shift_add_ops;
      stats->array_energy_pj += st.array_energy_pj;
    }
  }

  // Forward: out (m x n_cols, ldc) = in (m x n_rows) * B[row0 .., col .. col + n_cols) (ld ldb).
  // Transposed: out (m x n_rows, ldc) = in (m x n_cols) * B[row0 .., col .. col + n_cols)^T.
  void gemm(const float* in, int m, const float* b, int ldb, int col, int row0, int n_rows, int n_cols, float* out,
            int ldc, bool transposed) const {
    const float* block = b + std::size_t(row0) * ldb + col;
    if (!transposed)
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n_cols, n_rows, 1.0f, in, n_rows, block, ldb, 0.0f,
                  out, ldc);
    else
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n_rows, n_cols, 1.0f, in, n_cols, block, ldb, 0.0f, out,
                  ldc);
  }

  // Forward products of `in` with `count` consecutive column blocks of wq starting at `first`,
  // into the same blocks of prod (ld n_blocks * n_cols): one GEMM when the read spans every column.
  void forward_blocks(const float* in, int m, int first, int count, int row0, int n_rows, int col0, int n_cols,
                      int n_blocks) {
    const int ldo = n_blocks * n_cols;
    if (n_cols == lcols) {
      gemm(in, m, wq.data(), ld_cat, first * lcols, row0, n_rows, count * lcols, prod.data() + first * n_cols, ldo,
           false);
      return;
    }
    for (int k = first; k < first + count; ++k)
      gemm(in, m, wq.data(), ld_cat, k * lcols + col0, row0, n_rows, n_cols, prod.data() + k * n_cols, ldo, false);
  }

  // Means (blocks 0..ns-1) and, with read noise, variances (blocks ns..2ns-1) of every read into
  // prod, m x (n_blocks * n_out). var_in is the squared input, or null when in^2 = |in| = +-in
  // (1-bit DAC): the variance blocks then come from the same GEMM with the sign of the chunk.
  void moments(const float* in, const float* var_in, int m, int row0, int n_rows, int col0, int n_cols,
               bool transposed) {
    const int n_out = transposed ? n_rows : n_cols, n_blocks = noisy() ? 2 * ns : ns, ldo = n_blocks * n_out;
    prod.resize(std::size_t(m) * ldo);
    if (!transposed) {
      if (!noisy() || !var_in) {
        forward_blocks(in, m, 0, n_blocks, row0, n_rows, col0, n_cols, n_blocks);
      } else {
        forward_blocks(in, m, 0, ns, row0, n_rows, col0, n_cols, n_blocks);
        forward_blocks(var_in, m, ns, ns, row0, n_rows, col0, n_cols, n_blocks);
      }
      return;
    }
    for (int s = 0; s < ns; ++s) {
      if (offset)
        gemm(in, m, w_tr.data(), ns * lcols, s * lcols + col0, row0, n_rows, n_cols, prod.data() + s * n_out, ldo,
             true);
      else
        gemm(in, m, wq.data(), ld_cat, s * lcols + col0, row0, n_rows, n_cols, prod.data() + s * n_out, ldo, true);
      if (noisy())
        gemm(var_in ? var_in : in, m, wq.data(), ld_cat, (ns + s) * lcols + col0, row0, n_rows, n_cols,
             prod.data() + (ns + s) * n_out, ldo, true);
    }
  }

  // Per-read reference-line noise (Offset): sqrt(sign(r) sum_k in2[r][k] q_ref[k]) * z, one value
  // per read r (in2 holds the squared inputs, or +-them; see quantized_read).
  template <class Sign>
  void reference_noise(const float* in2, int m, int n_in, const float* q_ref, float* noise, Sign sign) {
    z_ref.resize(m);
    cblas_sgemv(CblasRowMajor, CblasNoTrans, m, n_in, 1.0f, in2, n_in, q_ref, 1, 0.0f, noise, 1);
    reference_rng.fill(z_ref.data(), std::size_t(m));
    for (int k = 0; k < m; ++k) noise[k] = std::sqrt(sign(k) * noise[k]) * z_ref[k];
  }

  void analog_read(const float* x, int batch, int row0, int n_rows, int col0, int n_cols, float* y, MvmStats& st,
                   bool transposed) {
    const int n_in = transposed ? n_cols : n_rows, n_out = transposed ? n_rows : n_cols;
    const std::size_t n_x = std::size_t(batch) * n_in;
    a2.resize(n_x);
    square(x, a2.data(), n_x);
    // Read energy with each vector scaled to the DAC's full range: V_i = V_read x_i / max|x|.
    // The same product checks the input: it is finite only if every x is (sum G > 0).
    per_vector.resize(batch);
    cblas_sgemv(CblasRowMajor, CblasNoTrans, batch, n_in, 1.0f, a2.data(), n_in, e_in.data(), 1, 0.0f,
                per_vector.data(), 1);
    double energy = 0;
    for (int b = 0; b < batch; ++b) {
      if (!std::isfinite(per_vector[b]))
        throw std::invalid_argument("mvm: input vector " + std::to_string(b) + " has a non-finite (or > 1e19) value");
      const float peak2 = max_nonnegative(a2.data() + std::size_t(b) * n_in, n_in);
      if (peak2 > 0) energy += double(per_vector[b]) / double(peak2);
    }
    st.array_energy_pj = energy * dp.read_voltage_v * dp.read_voltage_v * dp.read_time_ns * kFemtoToPico;

    const float* w_mean = offset && transposed ? w_tr.data() : wq.data();
    gemm(x, batch, w_mean, offset && transposed ? lcols : ld_cat, col0, row0, n_rows, n_cols, y, n_out, transposed);
    if (noisy()) {
      const int half = (n_out + 1) / 2;
      prod.resize(std::size_t(batch) * n_out);
      words.resize(std::size_t(batch) * half);
      gemm(a2.data(), batch, wq.data(), ld_cat, lcols + col0, row0, n_rows, n_cols, prod.data(), n_out, transposed);
      read_bits.fill(words.data(), words.size());
      ref_noise.assign(batch, 0.0f);
      if (offset)
        reference_noise(a2.data(), batch, n_in, transposed ? q_ref_row.data() + col0 : q_ref_col.data() + row0,
                        ref_noise.data(), [](int) { return 1.0f; });
      for (int b = 0; b < batch; ++b) {
        const std::size_t o = std::size_t(b) * n_out;
        add_noise(prod.data() + o, words.data() + std::size_t(b) * half, ref_noise[b], y + o, n_out);
      }
    }
    if (offset) {  // stored (w + 1) / 2: subtract sum(x) digitally
      for (int b = 0; b < batch; ++b) {
        double sx = 0;
        for (int k = 0; k < n_in; ++k) sx += x[std::size_t(b) * n_in + k];
        for (int j = 0; j < n_out; ++j) y[std::size_t(b) * n_out + j] -= static_cast<float>(sx);
      }
    }
    st.mvms = batch;
    st.array_reads = batch;
    st.dac_conversions = int64_t(batch) * n_in;
    st.adc_conversions = int64_t(batch) * n_out;
  }

  void quantized_read(const float* x, int batch, int row0, int n_rows, int col0, int n_cols, float* y,
                      MvmStats& st, bool transposed) {
    const int n_in = transposed ? n_cols : n_rows, n_out = transposed ? n_rows : n_cols;
    const int m = nc * batch;  // one GEMM row per (input cycle, vector): row c * batch + b
    const std::size_t n_a = std::size_t(m) * n_in;
    const int bd = cp.dac_bits, mask = (1 << bd) - 1;
    const float x_lo = -std::ldexp(1.0f, cp.input_bits - 1), x_hi = std::ldexp(1.0f, cp.input_bits - 1) - 1;

    // DAC: two's complement chunks, the top one signed.
    a.resize(n_a);
    xi.resize(n_in);
    x_sum.assign(batch, 0.0);
    for (int b = 0; b < batch; ++b) {
      const float* xb = x + std::size_t(b) * n_in;
      if (!to_integers(xb, n_in, x_lo, x_hi, xi.data())) {
        const auto bad = [&](float v) { return !(v >= x_lo && v <= x_hi) || v != std::nearbyint(v); };
        const auto k = std::find_if(xb, xb + n_in, bad) - xb;
        std::ostringstream os;
        os << (transposed ? "mvm_transposed" : "mvm") << ": input (" << b << ", " << k << ") = " << xb[k]
           << " is not an integer in [" << x_lo << ", " << x_hi << "] (input_bits = " << cp.input_bits << ")";
        throw std::invalid_argument(os.str());
      }
      if (offset) x_sum[b] = std::accumulate(xi.begin(), xi.end(), 0.0);
      for (int c = 0; c < nc; ++c)
        chunk_of(xi.data(), n_in, c * bd, c + 1 < nc ? mask : -1, a.data() + (std::size_t(c) * batch + b) * n_in);
    }
    // chunk^2 for the variances and read energy; a 1-bit DAC's chunks are in {0, 1} (top
    // {-1, 0}), so there chunk^2 = |chunk| = sign * chunk and `a` itself serves, with a sign.
    const bool one_bit = bd == 1;
    if (!one_bit) {
      a2.resize(n_a);
      square(a.data(), a2.data(), n_a);
    }
    const float* sq_in = one_bit ? a.data() : a2.data();
    auto sq_sign = [&](int r) { return one_bit && r / batch == nc - 1 ? -1.0f : 1.0f; };

    // Offset: reference-line noise per read, subtracted from every column it serves (forward:
    // one reference column read per cycle for all slices; transposed: one per cycle and slice).
    ref_noise.assign(std::size_t(m) * ns, 0.0f);
    if (offset && noisy()) {
      for (int s = 0; s < (transposed ? ns : 1); ++s)
        reference_noise(sq_in, m, n_in, transposed ? q_ref_row.data() + std::size_t(s) * lcols + col0
                                                   : q_ref_col.data() + row0,
                        ref_noise.data() + std::size_t(s) * m, sq_sign);
      if (!transposed)
        for (int s = 1; s < ns; ++s) std::copy_n(ref_noise.data(), m, ref_noise.data() + std::size_t(s) * m);
    }

    // Array reads then ADC and shift-and-add, in blocks of GEMM rows whose products stay in cache.
    const int n_blocks = noisy() ? 2 * ns : ns, ldo = n_blocks * n_out;
    const int block_rows = std::max(kMinBlockRows, kBlockFloats / ldo);
    const double lsb = xbar::adc_lsb(cp, n_in);
    const auto inv_lsb = static_cast<float>(1.0 / lsb);
    const float code_lo = -std::ldexp(1.0f, cp.adc_bits - 1), code_hi = std::ldexp(1.0f, cp.adc_bits - 1) - 1;
    acc.assign(std::size_t(batch) * n_out, 0);
    const std::size_t row_words = std::size_t(ns) * ((n_out + 1) / 2);
    int32_t weight[kMaxSlices];
    float shift[kMaxSlices];
    int64_t saturations = 0;
    for (int r0 = 0; r0 < m; r0 += block_rows) {
      const int rb = std::min(block_rows, m - r0);
      moments(a.data() + std::size_t(r0) * n_in, one_bit ? nullptr : a2.data() + std::size_t(r0) * n_in, rb, row0,
              n_rows, col0, n_cols, transposed);
      if (noisy()) {
        words.resize(rb * row_words);
        read_bits.fill(words.data(), words.size());
      }
      for (int r = r0; r < r0 + rb; ++r) {
        const int c = r / batch, b = r % batch;
        for (int s = 0; s < ns; ++s) {
          weight[s] = int32_t(1) << (c * bd + s * cp.cell_bits);
          shift[s] = ref_noise[std::size_t(s) * m + r];
        }
        const float* row = prod.data() + std::size_t(r - r0) * ldo;
        saturations += adc_row(row, noisy() ? row + std::size_t(ns) * n_out : nullptr, sq_sign(r),
                               noisy() ? words.data() + std::size_t(r - r0) * row_words : nullptr, shift, inv_lsb,
                               code_lo, code_hi, weight, acc.data() + std::size_t(b) * n_out, n_out, ns);
      }
    }
    for (int b = 0; b < batch; ++b) {
      const double correction = offset ? weight_bias * x_sum[b] : 0.0;  // Offset: stored w + 2^(Bw-1)
      for (int j = 0; j < n_out; ++j) {
        const std::size_t o = std::size_t(b) * n_out + j;
        y[o] = static_cast<float>(acc[o] * lsb - correction);
      }
    }

    // Read energy: sum over reads of t V_lsb^2 sum_k u_k^2 G_line(k).
    double energy = 0;
    per_vector.resize(m);
    for (int s = 0; s < (transposed ? ns : 1); ++s) {  // forward: one read per cycle serves all slices
      cblas_sgemv(CblasRowMajor, CblasNoTrans, m, n_in, 1.0f, sq_in, n_in, e_in.data() + std::size_t(s) * n_in, 1,
                  0.0f, per_vector.data(), 1);
      for (int r = 0; r < m; ++r) energy += sq_sign(r) * per_vector[r];
    }
    const double v_lsb = dp.read_voltage_v / (std::ldexp(1.0, bd) - 1.0);
    const int reads_per_cycle = transposed ? ns : 1;
    st.mvms = batch;
    st.array_reads = int64_t(batch) * nc * reads_per_cycle;
    st.dac_conversions = int64_t(batch) * nc * reads_per_cycle * n_in;
    st.adc_conversions = int64_t(batch) * nc * ns * n_out;
    st.shift_add_ops = st.adc_conversions;
    st.adc_saturations = saturations;
    st.array_energy_pj = energy * v_lsb * v_lsb * dp.read_time_ns * kFemtoToPico;
  }
};

// ---------------------------------------------------------------------------------------------

CrossbarArray::CrossbarArray(ArrayGeometry geometry, ConverterParams converters, DeviceParams device, uint64_t seed) {
  validate(converters, device, geometry);
  impl_ = std::make_unique<Impl>(geometry, converters, device, seed);
}
CrossbarArray::~CrossbarArray() = default;
CrossbarArray::CrossbarArray(CrossbarArray&&) noexcept = default;
CrossbarArray& CrossbarArray::operator=(CrossbarArray&&) noexcept = default;

int CrossbarArray::weight_slices() const { return impl_->ns; }
int CrossbarArray::input_cycles() const { return impl_->nc; }
int CrossbarArray::logical_cols() const { return impl_->lcols; }
int CrossbarArray::logical_rows() const { return impl_->lrows; }
double CrossbarArray::adc_lsb(int active_rows) const { return xbar::adc_lsb(impl_->cp, active_rows); }
const ArrayGeometry& CrossbarArray::geometry() const { return impl_->geo; }
const ConverterParams& CrossbarArray::converters() const { return impl_->cp; }
const DeviceParams& CrossbarArray::device() const { return impl_->dp; }

ProgramStats CrossbarArray::program_weights(int row0, int col0, int n_rows, int n_cols, const float* w,
                                            std::ptrdiff_t ldw) {
  Impl& m = *impl_;
  m.check_block("program_weights", row0, n_rows, col0, n_cols);
  if (ldw < n_cols) throw std::invalid_argument("program_weights: ldw must be >= n_cols");
  const double w_max = m.cp.quantize ? std::ldexp(1.0, m.cp.weight_bits - 1) - 1 : 1.0;
  for (int i = 0; i < n_rows; ++i)  // check everything before writing anything
    for (int j = 0; j < n_cols; ++j) {
      const float v = w[i * ldw + j];
      const bool ok = std::fabs(v) <= w_max && (!m.cp.quantize || v == std::nearbyint(v));
      if (!ok) {
        std::ostringstream os;
        os << "program_weights: weight (" << row0 + i << ", " << col0 + j << ") = " << v << " must be "
           << (m.cp.quantize ? "an integer " : "") << "in [" << -w_max << ", " << w_max << "]";
        if (m.cp.quantize) os << " (weight_bits = " << m.cp.weight_bits << ")";
        throw std::invalid_argument(os.str());
      }
    }
  ProgramStats st;
  for (int i = 0; i < n_rows; ++i) {
    bool row_written = false;
    for (int j = 0; j < n_cols; ++j) row_written |= m.program_weight(row0 + i, col0 + j, w[i * ldw + j], st);
    st.rows_written += row_written;
  }
  m.mark_dirty(row0, n_rows, col0, n_cols);
  return st;
}

void CrossbarArray::mvm(const float* x, int batch, int row0, int n_rows, int col0, int n_cols, float* y,
                        MvmStats* stats) {
  impl_->read(x, batch, row0, n_rows, col0, n_cols, y, stats, false);
}

void CrossbarArray::mvm_transposed(const float* dy, int batch, int row0, int n_rows, int col0, int n_cols, float* dx,
                                   MvmStats* stats) {
  impl_->read(dy, batch, row0, n_rows, col0, n_cols, dx, stats, true);
}

ProgramStats CrossbarArray::update_manhattan(int row0, int col0, int n_rows, int n_cols, const float* grad,
                                             std::ptrdiff_t ld, float threshold) {
  Impl& m = *impl_;
  m.require_updatable("update_manhattan");
  m.check_block("update_manhattan", row0, n_rows, col0, n_cols);
  ProgramStats st;
  for (int i = 0; i < n_rows; ++i) {
    bool row_written = false;
    for (int j = 0; j < n_cols; ++j) {
      const float gv = grad[i * ld + j];
      if (!std::isfinite(gv)) throw std::invalid_argument("update_manhattan: non-finite gradient");
      if (std::fabs(gv) <= threshold) continue;
      m.pulse_weight(row0 + i, col0 + j, gv < 0, 1, st);
      row_written = true;
    }
    st.rows_written += row_written;
  }
  m.mark_dirty(row0, n_rows, col0, n_cols);
  return st;
}

ProgramStats CrossbarArray::update_pulses(int row0, int col0, int n_rows, int n_cols, const float* delta_w,
                                          std::ptrdiff_t ld) {
  Impl& m = *impl_;
  m.require_updatable("update_pulses");
  m.check_block("update_pulses", row0, n_rows, col0, n_cols);
  const double per_pulse = m.weight_per_pulse();
  const double max_pulses = m.dp.pulse.pulses_full_range;
  ProgramStats st;
  for (int i = 0; i < n_rows; ++i) {
    bool row_written = false;
    for (int j = 0; j < n_cols; ++j) {
      const float dw = delta_w[i * ld + j];
      if (!std::isfinite(dw)) throw std::invalid_argument("update_pulses: non-finite delta_w");
      const double want = std::min(std::fabs(dw) / per_pulse, max_pulses);
      double n = std::floor(want);
      if (want > n && m.update_rng.uniform() < want - n) n += 1;  // stochastic rounding: E[n] = want
      if (n == 0) continue;
      m.pulse_weight(row0 + i, col0 + j, dw > 0, static_cast<long>(n), st);
      row_written = true;
    }
    st.rows_written += row_written;
  }
  m.mark_dirty(row0, n_rows, col0, n_cols);
  return st;
}

double CrossbarArray::weight_per_pulse() const { return impl_->weight_per_pulse(); }

float CrossbarArray::weight(int row, int col) const {
  const Impl& m = *impl_;
  m.check_block("weight", row, 1, col, 1);
  double w = 0;
  for (int s = 0; s < m.ns; ++s) {
    const double digit = m.offset ? m.g(row, m.phys(col, s, 0)) - m.g(row, m.reference_col())
                                  : m.g(row, m.phys(col, s, 0)) - m.g(row, m.phys(col, s, 1));
    w += std::ldexp(digit / m.unit_us, s * m.cp.cell_bits);
  }
  return static_cast<float>(m.offset ? w - m.weight_bias : w);
}

double CrossbarArray::conductance_us(int phys_row, int phys_col) const {
  impl_->check_phys(phys_row, phys_col);
  return impl_->g(phys_row, phys_col);
}

int64_t CrossbarArray::write_count(int phys_row, int phys_col) const {
  impl_->check_phys(phys_row, phys_col);
  return impl_->writes[impl_->idx(phys_row, phys_col)];
}

bool CrossbarArray::is_stuck(int phys_row, int phys_col) const {
  impl_->check_phys(phys_row, phys_col);
  return impl_->fault[impl_->idx(phys_row, phys_col)] != kHealthy;
}

int CrossbarArray::phys_col(int col, int slice, int polarity) const {
  const Impl& m = *impl_;
  if (col < 0 || col >= m.lcols || slice < 0 || slice >= m.ns || polarity < 0 || polarity > (m.offset ? 0 : 1))
    throw std::out_of_range("phys_col: logical column, slice or polarity out of range");
  return m.phys(col, slice, polarity);
}

int CrossbarArray::reference_col() const { return impl_->reference_col(); }
int CrossbarArray::reference_row() const { return impl_->reference_row(); }

namespace {
constexpr const char* kArrayTag = "memgan.xbar.CrossbarArray";
constexpr uint32_t kArrayVersion = 1;
}  // namespace

void CrossbarArray::save_state(std::ostream& os) const {
  const Impl& m = *impl_;
  state_io::write_tag(os, kArrayTag, kArrayVersion);
  state_io::write<int32_t>(os, m.geo.rows);
  state_io::write<int32_t>(os, m.geo.cols);
  state_io::write_string(os, state_io::parameter_bytes(m.geo, m.cp, m.dp));
  state_io::write_vector(os, m.g_us);
  state_io::write_vector(os, m.writes);
  state_io::write_vector(os, m.fault);
  m.program_rng.save(os);
  m.update_rng.save(os);
  m.read_bits.save(os);
  m.reference_rng.save(os);
}

void CrossbarArray::load_state(std::istream& is) {
  static constexpr const char* what = "CrossbarArray::load_state";
  Impl& m = *impl_;
  state_io::read_tag(is, kArrayTag, kArrayVersion, what);
  const auto rows = state_io::read<int32_t>(is, what), cols = state_io::read<int32_t>(is, what);
  if (rows != m.geo.rows || cols != m.geo.cols) {
    std::ostringstream os;
    os << what << ": the state is of a " << rows << " x " << cols << " array, this one is " << m.geo.rows << " x "
       << m.geo.cols;
    throw std::runtime_error(os.str());
  }
  if (state_io::read_string(is, what, 4096) != state_io::parameter_bytes(m.geo, m.cp, m.dp))
    throw std::runtime_error(std::string(what) + ": the state was saved from an array with other converter or device "
                             "parameters");
  // Read everything into copies first: a failure leaves the array unchanged.
  const uint64_t cells = uint64_t(m.geo.rows) * uint64_t(m.geo.cols);
  std::vector<double> g_us;
  std::vector<int64_t> writes;
  std::vector<uint8_t> fault;
  state_io::read_vector(is, g_us, what, cells);
  state_io::read_vector(is, writes, what, cells);
  state_io::read_vector(is, fault, what, cells);
  for (const uint8_t f : fault)
    if (f > kWorn) throw std::runtime_error(std::string(what) + ": corrupt fault flag");
  detail::Xoshiro256ss program_rng = m.program_rng, update_rng = m.update_rng;
  detail::LaneBits read_bits = m.read_bits;
  detail::NormalFiller reference_rng = m.reference_rng;
  program_rng.load(is, what);
  update_rng.load(is, what);
  read_bits.load(is, what);
  reference_rng.load(is, what);
  m.g_us = std::move(g_us);
  m.writes = std::move(writes);
  m.fault = std::move(fault);
  m.program_rng = program_rng;
  m.update_rng = update_rng;
  m.read_bits = read_bits;
  m.reference_rng = std::move(reference_rng);
  m.rebuild_derived();
}

// --- state_io ----------------------------------------------------------------------------------

namespace state_io {

void write_bytes(std::ostream& os, const void* data, std::size_t size) {
  os.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
  if (!os) throw std::runtime_error("save_state: writing the state stream failed");
}

void read_bytes(std::istream& is, void* data, std::size_t size, const char* what) {
  is.read(static_cast<char*>(data), static_cast<std::streamsize>(size));
  if (!is || static_cast<std::size_t>(is.gcount()) != size)
    throw std::runtime_error(std::string(what) + ": truncated state stream");
}

void size_mismatch(const char* what, uint64_t got, uint64_t want) {
  throw std::runtime_error(std::string(what) + ": the state holds " + std::to_string(got) + " elements where " +
                           std::to_string(want) + " are expected");
}

void write_string(std::ostream& os, const std::string& s) {
  write<uint64_t>(os, s.size());
  write_bytes(os, s.data(), s.size());
}

std::string read_string(std::istream& is, const char* what, std::size_t max_size) {
  const auto n = read<uint64_t>(is, what);
  if (n > max_size) throw std::runtime_error(std::string(what) + ": corrupt state stream (string too long)");
  std::string s(std::size_t(n), '\0');
  read_bytes(is, s.data(), s.size(), what);
  return s;
}

void write_tag(std::ostream& os, const char* tag, uint32_t version) {
  write_string(os, tag);
  write(os, version);
}

void read_tag(std::istream& is, const char* tag, uint32_t version, const char* what) {
  const std::string got = read_string(is, what, 256);
  if (got != tag) throw std::runtime_error(std::string(what) + ": expected a " + tag + " state, found '" + got + "'");
  const auto v = read<uint32_t>(is, what);
  if (v != version)
    throw std::runtime_error(std::string(what) + ": " + tag + " state version " + std::to_string(v) +
                             " is not supported (this build reads version " + std::to_string(version) + ")");
}

std::string parameter_bytes(const ArrayGeometry& g, const ConverterParams& c, const DeviceParams& d) {
  std::ostringstream os;
  for (const int v : {g.rows, g.cols, int(c.quantize), c.cell_bits, c.weight_bits, c.input_bits, c.dac_bits,
                      c.adc_bits, int(c.adc_full_scale.has_value()), int(c.encoding), d.levels,
                      d.pulse.pulses_full_range})
    write<int32_t>(os, v);
  for (const double v : {c.adc_full_scale.value_or(0.0), d.g_min_us, d.g_max_us, d.read_voltage_v, d.read_time_ns,
                         d.program_sigma, d.read_noise_sigma, d.stuck_on_rate, d.stuck_off_rate,
                         d.pulse.nonlinearity_ltp, d.pulse.nonlinearity_ltd, d.pulse.c2c_sigma, d.write_voltage_v,
                         d.write_pulse_ns})
    write(os, v);
  write(os, d.endurance_writes);
  return os.str();
}

}  // namespace state_io

}  // namespace memgan::xbar
