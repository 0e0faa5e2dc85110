#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "crossbar/crossbar_array.h"
#include "crossbar/random.h"

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

}  // namespace memgan::xbar
