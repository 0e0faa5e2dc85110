#include <algorithm>
#include <cmath>
#include <istream>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/xbar/crossbar_array.h"
#include "core/xbar/random.h"

namespace memgan::xbar {

namespace {
enum Stream : uint64_t { kMismatchStream = 101, kNoiseStream };
constexpr double kFemtoToPico = 1e-3;  // V^2 * uS * ns = fJ
constexpr double kSqrtHalf = 0.70710678118654752440;
}  // namespace

struct DeviceNoiseSource::Impl {
  DeviceParams dp;
  NoiseSourceParams np;
  std::vector<double> coef_a, coef_b, offset;  // per pair: sample = coef_a z_a - coef_b z_b + offset
  double pair_g_us = 0;                        // sum of the two conductances, averaged over pairs
  detail::NormalFiller rng;
  std::vector<float> z;
  std::size_t next_pair = 0;
  int64_t samples = 0;

  Impl(const DeviceParams& d, const NoiseSourceParams& n, uint64_t seed)
      : dp(d), np(n), rng(detail::stream_seed(seed, kNoiseStream)) {
    detail::Xoshiro256ss mismatch(detail::stream_seed(seed, kMismatchStream));
    const double g_mid_us = 0.5 * (d.g_min_us + d.g_max_us);
    const double s = d.read_noise_sigma;
    for (int p = 0; p < n.pairs; ++p) {
      const double ga = g_mid_us * std::exp(d.program_sigma * mismatch.normal());
      const double gb = g_mid_us * std::exp(d.program_sigma * mismatch.normal());
      pair_g_us += (ga + gb) / n.pairs;
      if (n.calibrate) {  // (d - (G_a - G_b)) / (s sqrt(G_a^2 + G_b^2))
        const double norm = std::sqrt(ga * ga + gb * gb);
        coef_a.push_back(ga / norm);
        coef_b.push_back(gb / norm);
        offset.push_back(0.0);
      } else {  // d / (s g_mid sqrt 2)
        const double scale = 1.0 / (s * g_mid_us * std::sqrt(2.0));
        coef_a.push_back(s * ga * scale);
        coef_b.push_back(s * gb * scale);
        offset.push_back((ga - gb) * scale);
      }
    }
  }
};

DeviceNoiseSource::DeviceNoiseSource(const DeviceParams& device, const NoiseSourceParams& params, uint64_t seed) {
  ConverterParams analog;
  analog.quantize = false;
  validate(analog, device, ArrayGeometry{});
  if (!(device.read_noise_sigma > 0))
    throw std::invalid_argument("DeviceParams.read_noise_sigma must be > 0 for a device noise source");
  if (params.pairs < 1) throw std::invalid_argument("NoiseSourceParams.pairs must be >= 1");
  impl_ = std::make_unique<Impl>(device, params, seed);
}
DeviceNoiseSource::~DeviceNoiseSource() = default;
DeviceNoiseSource::DeviceNoiseSource(DeviceNoiseSource&&) noexcept = default;
DeviceNoiseSource& DeviceNoiseSource::operator=(DeviceNoiseSource&&) noexcept = default;

void DeviceNoiseSource::gaussian(float* out, std::size_t n) {
  Impl& m = *impl_;
  m.z.resize(2 * n);
  m.rng.fill(m.z.data(), 2 * n);
  const std::size_t pairs = m.coef_a.size();
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t p = m.next_pair;
    m.next_pair = (p + 1) % pairs;
    out[k] = static_cast<float>(m.coef_a[p] * m.z[2 * k] - m.coef_b[p] * m.z[2 * k + 1] + m.offset[p]);
  }
  m.samples += static_cast<int64_t>(n);
}

void DeviceNoiseSource::uniform(float* out, std::size_t n) {
  gaussian(out, n);
  const float below_one = std::nextafter(1.0f, 0.0f);
  for (std::size_t k = 0; k < n; ++k)  // normal CDF: uniform when the sample is N(0, 1)
    out[k] = std::min(static_cast<float>(0.5 * std::erfc(-double(out[k]) * kSqrtHalf)), below_one);
}

int64_t DeviceNoiseSource::samples() const { return impl_->samples; }

double DeviceNoiseSource::read_energy_pj() const {
  const Impl& m = *impl_;
  return static_cast<double>(m.samples) * m.dp.read_voltage_v * m.dp.read_voltage_v * m.pair_g_us *
         m.dp.read_time_ns * kFemtoToPico;
}

namespace {
constexpr const char* kNoiseTag = "memgan.xbar.DeviceNoiseSource";
constexpr uint32_t kNoiseVersion = 1;

std::string noise_parameter_bytes(const DeviceParams& d, const NoiseSourceParams& n) {
  return state_io::parameter_bytes(ArrayGeometry{n.pairs, int(n.calibrate)}, ConverterParams{}, d);
}
}  // namespace

void DeviceNoiseSource::save_state(std::ostream& os) const {
  const Impl& m = *impl_;
  state_io::write_tag(os, kNoiseTag, kNoiseVersion);
  state_io::write_string(os, noise_parameter_bytes(m.dp, m.np));
  state_io::write_vector(os, m.coef_a);
  state_io::write_vector(os, m.coef_b);
  state_io::write_vector(os, m.offset);
  state_io::write(os, m.pair_g_us);
  m.rng.save(os);
  state_io::write<uint64_t>(os, m.next_pair);
  state_io::write(os, m.samples);
}

void DeviceNoiseSource::load_state(std::istream& is) {
  static constexpr const char* what = "DeviceNoiseSource::load_state";
  Impl& m = *impl_;
  state_io::read_tag(is, kNoiseTag, kNoiseVersion, what);
  if (state_io::read_string(is, what, 4096) != noise_parameter_bytes(m.dp, m.np))
    throw std::runtime_error(std::string(what) + ": the state was saved from a source with other parameters");
  const auto pairs = uint64_t(m.np.pairs);
  std::vector<double> coef_a, coef_b, offset;
  state_io::read_vector(is, coef_a, what, pairs);
  state_io::read_vector(is, coef_b, what, pairs);
  state_io::read_vector(is, offset, what, pairs);
  const auto pair_g_us = state_io::read<double>(is, what);
  detail::NormalFiller rng = m.rng;
  rng.load(is, what);
  const auto next_pair = state_io::read<uint64_t>(is, what);
  const auto samples = state_io::read<int64_t>(is, what);
  if (next_pair >= pairs) throw std::runtime_error(std::string(what) + ": corrupt pair index");
  m.coef_a = std::move(coef_a);
  m.coef_b = std::move(coef_b);
  m.offset = std::move(offset);
  m.pair_g_us = pair_g_us;
  m.rng = std::move(rng);
  m.next_pair = std::size_t(next_pair);
  m.samples = samples;
}

}  // namespace memgan::xbar
