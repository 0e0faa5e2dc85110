// Conductance-versus-pulse curves of PulseModel (internal header; equations in crossbar_array.h
// and docs/numerics.md).
#pragma once

#include <algorithm>
#include <cmath>

#include "core/xbar/crossbar_array.h"

namespace memgan::xbar::detail {

class PulseCurves {
 public:
  explicit PulseCurves(const DeviceParams& d)
      : g_min_us_(d.g_min_us),
        g_max_us_(d.g_max_us),
        range_us_(d.g_max_us - d.g_min_us),
        pulses_(d.pulse.pulses_full_range),
        nu_ltp_(d.pulse.nonlinearity_ltp),
        nu_ltd_(d.pulse.nonlinearity_ltd) {}

  double ltp_us(double p) const { return g_min_us_ + range_us_ * shape(std::clamp(p / pulses_, 0.0, 1.0), nu_ltp_); }
  double ltd_us(double q) const { return g_max_us_ - range_us_ * shape(std::clamp(q / pulses_, 0.0, 1.0), nu_ltd_); }
  // Pulse coordinates of a conductance (clamped to [0, P] outside the range).
  double ltp_pulses(double g_us) const {
    return pulses_ * inverse(std::clamp((g_us - g_min_us_) / range_us_, 0.0, 1.0), nu_ltp_);
  }
  double ltd_pulses(double g_us) const {
    return pulses_ * inverse(std::clamp((g_max_us_ - g_us) / range_us_, 0.0, 1.0), nu_ltd_);
  }
  // Nominal conductance after one more potentiating (up) or depressing pulse.
  double next_us(double g_us, bool up) const {
    return up ? ltp_us(ltp_pulses(g_us) + 1.0) : ltd_us(ltd_pulses(g_us) + 1.0);
  }
  // Conductance after n pulses towards target (used when a cell wears out mid-programming).
  double advance_us(double g_us, double target_us, double n) const {
    return target_us > g_us ? ltp_us(ltp_pulses(g_us) + n) : ltd_us(ltd_pulses(g_us) + n);
  }
  // Pulses a write-and-verify needs to move g to target along the curve (at least 1 if they differ).
  long pulses_between(double g_us, double target_us) const {
    if (target_us == g_us) return 0;
    const double d = target_us > g_us ? ltp_pulses(target_us) - ltp_pulses(g_us)
                                      : ltd_pulses(target_us) - ltd_pulses(g_us);
    return std::max(1L, static_cast<long>(std::ceil(d - 1e-9)));
  }
  double pulses_full_range() const { return pulses_; }

 private:
  static constexpr double kLinear = 1e-9;  // |nu| below this is the linear limit
  // f(x) = (1 - exp(-nu x)) / (1 - exp(-nu)), f(x) = x at nu = 0.
  static double shape(double x, double nu) {
    return std::fabs(nu) < kLinear ? x : std::expm1(-nu * x) / std::expm1(-nu);
  }
  static double inverse(double y, double nu) {
    return std::fabs(nu) < kLinear ? y : -std::log1p(y * std::expm1(-nu)) / nu;
  }

  double g_min_us_, g_max_us_, range_us_, pulses_, nu_ltp_, nu_ltd_;
};

}  // namespace memgan::xbar::detail
