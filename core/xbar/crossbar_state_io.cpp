// Checkpoints of the array model: CrossbarArray::save_state / load_state and the state_io stream helpers.
#include "core/xbar/crossbar_array.h"

#include <cmath>
#include <cstdio>
#include <cstdint>
#include <istream>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "core/xbar/crossbar_internal.h"
#include "core/xbar/random.h"

namespace memgan::xbar {

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
    if (f > detail::kWorn) throw std::runtime_error(std::string(what) + ": corrupt fault flag");
  // A conductance is one the device can reach: at most g_max times the largest programming
  // variation draw (lognormal, |N| <= kMaxPolarNormal), never negative. Anything else (a finite
  // 1e198 uS included) would poison every later read.
  const double g_limit_us = m.dp.g_max_us * std::exp(m.dp.program_sigma * detail::kMaxPolarNormal) * (1 + 1e-9);
  for (uint64_t i = 0; i < g_us.size(); ++i)
    if (!(g_us[i] >= 0 && g_us[i] <= g_limit_us))
    {
      char why[160];
      std::snprintf(why, sizeof why, ": corrupt conductance of cell %llu (%.6g uS; the device reaches [0, %.6g] uS)",
                    static_cast<unsigned long long>(i), g_us[i], g_limit_us);
      throw std::runtime_error(what + std::string(why));
    }
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

void not_finite(const char* what, double value) {
  throw std::runtime_error(std::string(what) + ": corrupt state stream: a value is " + std::to_string(value) +
                           " (every stored number is finite)");
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
