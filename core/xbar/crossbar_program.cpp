// Writes to the array model: write-and-verify programming, single pulses and the in-situ (pulse) weight updates.
#include "core/xbar/crossbar_array.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>

#include "core/xbar/crossbar_internal.h"

namespace memgan::xbar {

double CrossbarArray::Impl::pulse_energy_pj(double g_before_us, double g_after_us) const {
  return dp.write_voltage_v * dp.write_voltage_v * 0.5 * (g_before_us + g_after_us) * dp.write_pulse_ns *
         detail::kFemtoToPico;
}

// Write-and-verify one cell; returns whether any pulse was applied.
bool CrossbarArray::Impl::program_cell(std::size_t k, double target_us, ProgramStats& st) {
  const double g0 = g_us[k];
  const long pulses = curves.pulses_between(g0, target_us);
  if (pulses == 0) return false;
  double g1 = g0;
  if (fault[k] == detail::kHealthy) {
    if (dp.endurance_writes == 0 || writes[k] + pulses <= dp.endurance_writes) {
      g1 = dp.program_sigma > 0 ? target_us * std::exp(dp.program_sigma * program_rng.normal()) : target_us;
    } else {  // wears out on the way: moves its remaining pulses along the curve, then sticks
      const auto left = static_cast<double>(std::max<int64_t>(0, dp.endurance_writes - writes[k]));
      g1 = curves.advance_us(g0, target_us, left);
      fault[k] = detail::kWorn;
    }
  }
  writes[k] += pulses;
  g_us[k] = g1;
  ++st.cells_written;
  st.pulses += pulses;
  st.write_energy_pj += static_cast<double>(pulses) * pulse_energy_pj(g0, g1);
  return true;
}

double CrossbarArray::Impl::level_us(double level) const { return dp.g_min_us + level * unit_us; }

// Writes weight w (already validated) at logical (i, j); returns whether any cell was written.
bool CrossbarArray::Impl::program_weight(int i, int j, float w, ProgramStats& st) {
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

// --- pulse updates ---------------------------------------------------------------------------

void CrossbarArray::Impl::require_updatable(const char* what) const {
  if (ns != 1)
    throw std::logic_error(std::string(what) +
                           ": in-situ updates need one cell (pair) per weight, but the weights are bit-sliced "
                           "over " + std::to_string(ns) + " slices; reprogram with program_weights instead");
}

// One pulse on cell k. Stuck and worn cells receive it (and count it) without changing.
void CrossbarArray::Impl::pulse_cell(std::size_t k, bool up, ProgramStats& st) {
  const double g0 = g_us[k];
  const int64_t before = writes[k]++;
  if (fault[k] == detail::kHealthy && dp.endurance_writes > 0 && before >= dp.endurance_writes)
    fault[k] = detail::kWorn;
  if (fault[k] == detail::kHealthy) {
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
void CrossbarArray::Impl::pulse_weight(int i, int j, bool up, long n, ProgramStats& st) {
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

double CrossbarArray::Impl::weight_per_pulse() const {
  return (dp.g_max_us - dp.g_min_us) / dp.pulse.pulses_full_range / unit_us;
}

// ---------------------------------------------------------------------------------------------

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

}  // namespace memgan::xbar
