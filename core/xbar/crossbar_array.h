// Functional model of one ReRAM crossbar array with its DACs, ADCs and shift-and-add unit.
//
// Pure C++ (no SystemC): the tile model wraps it, training code may call it directly. Every
// quantization and non-ideality is described, with equations and error bounds, in
// docs/numerics.md; the short form is here.
//
// Units. Conductances in microsiemens (_us), times in nanoseconds (_ns), energies in picojoules
// (_pj). "Level units": one conductance step g_step = (g_max - g_min) / (2^cell_bits - 1) times
// one DAC LSB of input. Quantized results are returned in integer units (input integer times
// weight integer); analog results (quantize = false) in weight-fraction units.
//
// Quantized data path (per input vector, per input cycle c and weight slice s):
//   x = sum_c u_c 2^(c*Bd)           two's complement chunks; u_c unsigned for c < nc-1, the top
//                                    chunk signed (bipolar DAC), so the sum is exact
//   |w| = sum_s d_s 2^(s*Bc)         Differential: digits on G+ (w > 0) or G- (w < 0) columns
//   a_cs = sum_i u_c,i (G+ - G-)_s,i / g_step          analog column(-pair) value, level units
//   code = clamp(round_half_even(a_cs / lsb), -2^(Ba-1), 2^(Ba-1)-1)
//   y = sum_c sum_s code * lsb * 2^(c*Bd + s*Bc)
// Without saturation each ADC conversion errs by at most lsb/2, so per output element
//   |y - x.w| <= lsb/2 * (sum_c 2^(c*Bd)) * (sum_s 2^(s*Bc))            (mvm_error_bound)
// and the error is zero when every a_cs is a multiple of lsb (ideal device, 1/lsb integer).
//
// Thread safety: an array is not safe to use from several threads at once; use one per thread.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cmath>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

namespace memgan::xbar {

// Differential: each logical weight is a pair of columns per slice, w ~ G+ - G-; magnitudes are
// bit-sliced over ns = ceil((Bw-1)/Bc) pairs and the pair currents subtract before the ADC.
// Offset: each weight is one column per slice holding w + 2^(Bw-1) (unsigned, ns = ceil(Bw/Bc)
// slices); the array reserves its last column and last row as reference lines held at g_min,
// whose current is subtracted before the ADC (forward: reference column; transposed: reference
// row), and the shift-and-add subtracts 2^(Bw-1) * sum(x) digitally.
enum class WeightEncoding { Differential, Offset };

struct ArrayGeometry {
  int rows = 128;  // physical word lines
  int cols = 128;  // physical bit lines
};

struct ConverterParams {
  bool quantize = true;  // false: ideal analog MVM (float in, float out, no DAC/ADC/slicing error)
  int cell_bits = 2;     // 1..4 bits stored per cell
  int weight_bits = 8;   // signed weight width incl. sign, 2..8
  int input_bits = 8;    // signed input width incl. sign, 2..8
  int dac_bits = 1;      // bits applied per input cycle (1 = bit-serial), 1..input_bits
  int adc_bits = 8;      // 1..16, signed output code
  std::optional<double> adc_full_scale;  // level units; nullopt = auto (smallest lossless power-of-two LSB)
  WeightEncoding encoding = WeightEncoding::Differential;
};

// Conductance after p pulses from the bottom (LTP) or q pulses from the top (LTD), P =
// pulses_full_range, R = g_max - g_min, f(x, nu) = (1 - exp(-nu x)) / (1 - exp(-nu)) (f = x at
// nu = 0; NeuroSim's exponential model with A = P / nu):
//   G_ltp(p) = g_min + R f(p / P, nonlinearity_ltp)
//   G_ltd(q) = g_max - R f(q / P, nonlinearity_ltd)
// A pulse from conductance G moves to the curve point one pulse further along (G_ltp(p(G) + 1)),
// then the step is scaled by (1 + c2c_sigma * N(0,1)) (never reversed) and the result is
// clamped to [g_min, g_max].
struct PulseModel {
  int pulses_full_range = 64;     // pulses from g_min to g_max (and back)
  double nonlinearity_ltp = 0.0;  // nu >= 0 saturating (big first steps); 0 linear; < 0 accelerating
  double nonlinearity_ltd = 0.0;
  double c2c_sigma = 0.0;  // relative sigma of each pulse's step (cycle-to-cycle)
};

struct DeviceParams {
  double g_min_us = 6.67, g_max_us = 33.3;  // programmable range; g_min > 0 = finite on/off ratio
  int levels = 4;                           // distinguishable levels (>= 2^cell_bits when quantizing)
  double read_voltage_v = 0.2;              // voltage of a full-scale DAC code
  double read_time_ns = 10.0;               // integration time of one array read (array energy)
  double program_sigma = 0.0;     // lognormal sigma of a programmed conductance (fixed until rewritten)
  double read_noise_sigma = 0.0;  // relative gaussian sigma of each cell on each read (sampled
                                  // exactly as its column-current equivalent)
  double stuck_on_rate = 0.0, stuck_off_rate = 0.0;  // fraction of cells stuck at g_max / g_min, per seed
  PulseModel pulse;
  int64_t endurance_writes = 0;  // 0 = unlimited; a cell past this many pulses sticks where it is
  double write_voltage_v = 4.0;  // programming pulse amplitude (NeuroSim V2.1)
  double write_pulse_ns = 50.0;  // programming pulse width; energy per pulse = V^2 * G * t
};

struct MvmStats {
  int64_t mvms = 0, array_reads = 0, dac_conversions = 0, adc_conversions = 0, adc_saturations = 0,
          shift_add_ops = 0;
  double array_energy_pj = 0;
  MvmStats& operator+=(const MvmStats& o) {
    mvms += o.mvms;
    array_reads += o.array_reads;
    dac_conversions += o.dac_conversions;
    adc_conversions += o.adc_conversions;
    adc_saturations += o.adc_saturations;
    shift_add_ops += o.shift_add_ops;
    array_energy_pj += o.array_energy_pj;
    return *this;
  }
};

struct ProgramStats {
  int64_t cells_written = 0, pulses = 0, rows_written = 0;
  double write_energy_pj = 0;
};

// Throws std::invalid_argument naming the offending parameter (e.g. "ConverterParams.cell_bits").
void validate(const ConverterParams&, const DeviceParams&, const ArrayGeometry&);

int weight_slices(const ConverterParams&);  // ns; 1 when !quantize
int input_cycles(const ConverterParams&);   // nc = ceil(input_bits / dac_bits); 1 when !quantize
// ADC LSB in level units for `active_rows` driven lines (rows for mvm, logical columns for
// mvm_transposed); 0 when !quantize (no ADC).
double adc_lsb(const ConverterParams&, int active_rows);
// Bound on |y - exact integer product| per output element for an ideal device without ADC
// saturation (always true in auto full scale), integer units; 0 when lossless or !quantize.
double mvm_error_bound(const ConverterParams&, int active_rows);

class CrossbarArray {
 public:
  CrossbarArray(ArrayGeometry, ConverterParams, DeviceParams, uint64_t seed);
  ~CrossbarArray();
  CrossbarArray(CrossbarArray&&) noexcept;
  CrossbarArray& operator=(CrossbarArray&&) noexcept;

  int weight_slices() const;  // ns: columns (or column pairs) per logical weight
  int input_cycles() const;   // nc
  int logical_cols() const;   // Differential: cols / (2 ns); Offset: (cols - 1) / ns
  int logical_rows() const;   // Differential: rows; Offset: rows - 1
  double adc_lsb(int active_rows) const;

  const ArrayGeometry& geometry() const;
  const ConverterParams& converters() const;
  const DeviceParams& device() const;

  // Write-and-verify a logical weight block at (row0, col0), row-major n_rows x n_cols, leading
  // dimension ldw. quantize: integers in [-(2^(Bw-1)-1), 2^(Bw-1)-1]; else floats in [-1, 1].
  // Throws std::invalid_argument for a bad value, std::out_of_range for a bad block.
  ProgramStats program_weights(int row0, int col0, int n_rows, int n_cols, const float* w, std::ptrdiff_t ldw);

  // y[batch x n_cols] = x[batch x n_rows] * W[row0.., col0..]. quantize: x integers in
  // [-2^(Bi-1), 2^(Bi-1)-1], y in integer units; else any finite x, y in weight-fraction units.
  // stats (may be null) is accumulated into.
  void mvm(const float* x, int batch, int row0, int n_rows, int col0, int n_cols, float* y, MvmStats* stats);
  // dx[batch x n_rows] = dy[batch x n_cols] * W^T: inputs on the columns, outputs on the rows,
  // one array read per input cycle and weight slice.
  void mvm_transposed(const float* dy, int batch, int row0, int n_rows, int col0, int n_cols, float* dx,
                      MvmStats* stats);

  // In-situ updates need one cell (pair) per weight: !quantize, or ns == 1 (Differential:
  // weight_bits - 1 <= cell_bits; Offset: weight_bits <= cell_bits); else std::logic_error.
  // Each pulse goes to one cell. A differential pair keeps one cell near g_min, as
  // program_weights leaves it: raising w depresses G- while G- > G+, else potentiates G+
  // (lowering mirrored). Manhattan: one pulse per weight towards -sign(grad) where
  // |grad| > threshold.
  ProgramStats update_manhattan(int row0, int col0, int n_rows, int n_cols, const float* grad, std::ptrdiff_t ld,
                                float threshold);
  // n = delta_w / weight_per_pulse() pulses, stochastically rounded (unbiased), at most
  // pulses_full_range per call.
  ProgramStats update_pulses(int row0, int col0, int n_rows, int n_cols, const float* delta_w, std::ptrdiff_t ld);
  // Nominal weight change of one update pulse (linear device), in program_weights units.
  double weight_per_pulse() const;

  float weight(int row, int col) const;  // effective weight without read noise, program_weights units
  double conductance_us(int phys_row, int phys_col) const;
  int64_t write_count(int phys_row, int phys_col) const;
  bool is_stuck(int phys_row, int phys_col) const;  // stuck-on, stuck-off or worn out
  // Physical column of logical column col, slice s (0 = least significant), polarity
  // (0 = G+, 1 = G-; Differential only).
  int phys_col(int col, int slice, int polarity = 0) const;
  int reference_col() const;  // Offset only: -1 for Differential
  int reference_row() const;

  // Checkpoint of everything that changes after construction: conductances, write counts,
  // fault (stuck / worn) flags and the state of every random stream. An array built with the
  // same geometry and parameters (any seed) that loads it continues bit-identically. Binary,
  // native byte order, versioned. load_state throws std::runtime_error for another object's
  // state, other geometry or parameters, or a truncated stream, and then leaves the array as
  // it was.
  void save_state(std::ostream& os) const;
  void load_state(std::istream& is);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct NoiseSourceParams {
  int pairs = 64;          // differential cell pairs read round-robin
  bool calibrate = true;   // subtract each pair's mismatch offset and normalise its gain
};

// True random number source from device read noise (Satyam et al.: device noise as the GAN's
// latent input). Each sample reads one pair of cells programmed to mid-range (with program_sigma
// mismatch): d = G_a (1 + s z_a) - G_b (1 + s z_b), s = read_noise_sigma. Calibrated, the
// sample is (d - (G_a - G_b)) / (s sqrt(G_a^2 + G_b^2)) ~ N(0,1); uncalibrated it is
// d / (s g_mid sqrt 2), biased by the pair's mismatch. uniform() maps a gaussian sample
// through the normal CDF.
class DeviceNoiseSource {
 public:
  DeviceNoiseSource(const DeviceParams&, const NoiseSourceParams&, uint64_t seed);
  ~DeviceNoiseSource();
  DeviceNoiseSource(DeviceNoiseSource&&) noexcept;
  DeviceNoiseSource& operator=(DeviceNoiseSource&&) noexcept;

  void uniform(float* out, std::size_t n);   // [0, 1)
  void gaussian(float* out, std::size_t n);  // N(0, 1) when calibrated
  int64_t samples() const;
  double read_energy_pj() const;  // two cell reads per sample at read_voltage_v for read_time_ns

  // As CrossbarArray: pair conductances (seed-dependent), position and random stream; the
  // restoring source needs the same DeviceParams and NoiseSourceParams, any seed.
  void save_state(std::ostream& os) const;
  void load_state(std::istream& is);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Binary checkpoint streams, shared by the save_state / load_state of the arrays, engines and
// layers: raw native-order values, vectors as a uint64 count then the elements, objects
// introduced by a tag string and a version. Readers throw std::runtime_error naming `what` on a
// short stream or a mismatch; writers throw std::runtime_error when the stream fails.
namespace state_io {

void write_bytes(std::ostream& os, const void* data, std::size_t size);
void read_bytes(std::istream& is, void* data, std::size_t size, const char* what);

template <class T>
void write(std::ostream& os, const T& v) {
  static_assert(std::is_trivially_copyable_v<T>);
  write_bytes(os, &v, sizeof v);
}
// Every floating-point value a checkpoint holds is finite (conductances, scales, moments, RNG
// spares): a NaN or infinity read back would poison the next operation, so it is a corrupt stream.
[[noreturn]] void not_finite(const char* what, double value);

template <class T>
T read(std::istream& is, const char* what) {
  static_assert(std::is_trivially_copyable_v<T>);
  T v;
  read_bytes(is, &v, sizeof v, what);
  if constexpr (std::is_floating_point_v<T>) {
    if (!std::isfinite(v)) not_finite(what, double(v));
  }
  return v;
}

inline constexpr uint64_t kAnySize = ~uint64_t(0);
[[noreturn]] void size_mismatch(const char* what, uint64_t got, uint64_t want);

template <class T>
void write_vector(std::ostream& os, const std::vector<T>& v) {
  static_assert(std::is_trivially_copyable_v<T>);
  write<uint64_t>(os, v.size());
  if (!v.empty()) write_bytes(os, v.data(), v.size() * sizeof(T));
}
// Reads a vector written by write_vector; its size must be `expected` unless kAnySize. Grows in
// chunks, so a corrupt count fails on the short stream instead of allocating it up front.
template <class T>
void read_vector(std::istream& is, std::vector<T>& v, const char* what, uint64_t expected = kAnySize) {
  static_assert(std::is_trivially_copyable_v<T>);
  const auto n = read<uint64_t>(is, what);
  if (expected != kAnySize && n != expected) size_mismatch(what, n, expected);
  constexpr uint64_t kChunk = (uint64_t(1) << 20) / sizeof(T) + 1;
  v.clear();
  for (uint64_t done = 0; done < n;) {
    const uint64_t step = std::min(kChunk, n - done);
    v.resize(std::size_t(done + step));
    read_bytes(is, v.data() + done, std::size_t(step) * sizeof(T), what);
    done += step;
  }
  if constexpr (std::is_floating_point_v<T>) {
    for (const T x : v)
      if (!std::isfinite(x)) not_finite(what, double(x));
  }
}

void write_string(std::ostream& os, const std::string& s);
std::string read_string(std::istream& is, const char* what, std::size_t max_size);
void write_tag(std::ostream& os, const char* tag, uint32_t version);
// Throws unless the stream holds `tag` at exactly `version`.
void read_tag(std::istream& is, const char* tag, uint32_t version, const char* what);
// Every field of the parameters as bytes: equal strings mean like-built objects.
std::string parameter_bytes(const ArrayGeometry&, const ConverterParams&, const DeviceParams&);

}  // namespace state_io

}  // namespace memgan::xbar
