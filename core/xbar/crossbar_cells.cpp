// Cell state of the array model: construction, fault map, caches derived from the conductances, cell queries.
#include "core/xbar/crossbar_array.h"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>

#include "core/xbar/crossbar_internal.h"
#include "core/xbar/random.h"

namespace memgan::xbar {

namespace {

// Independent random streams of one array (fault map, write-and-verify, pulses, reads).
enum Stream : uint64_t { kFaultStream = 1, kProgramStream, kUpdateStream, kReadStream, kReferenceStream };

}  // namespace

CrossbarArray::Impl::Impl(const ArrayGeometry& geometry, const ConverterParams& c, const DeviceParams& d, uint64_t seed)
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
  fault.assign(cells, detail::kHealthy);
  if (d.stuck_on_rate > 0 || d.stuck_off_rate > 0) {
    detail::Xoshiro256ss rng(detail::stream_seed(seed, kFaultStream));
    for (std::size_t k = 0; k < cells; ++k) {
      const double u = rng.uniform();
      if (u < d.stuck_on_rate) {
        fault[k] = detail::kStuckOn;
        g_us[k] = d.g_max_us;
      } else if (u < d.stuck_on_rate + d.stuck_off_rate) {
        fault[k] = detail::kStuckOff;
      }
    }
  }
  if (d.program_sigma > 0)  // the array starts reset to g_min, with the same write variation
    for (std::size_t k = 0; k < cells; ++k)
      if (fault[k] == detail::kHealthy) g_us[k] = d.g_min_us * std::exp(d.program_sigma * program_rng.normal());
  ld_cat = (noisy() ? 2 : 1) * ns * lcols;
  rebuild_derived();
}

// Everything derived from g_us, from scratch: the reference noise terms, line sums, and a
// fully dirty cache. Each value is the same function of g_us that the incremental refresh
// computes, so a restored array reads exactly as the saved one.
void CrossbarArray::Impl::rebuild_derived() {
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

// Rebuilds the effective matrices and energy sums of the dirty block.
void CrossbarArray::Impl::refresh_cache() {
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
  return impl_->fault[impl_->idx(phys_row, phys_col)] != detail::kHealthy;
}

int CrossbarArray::phys_col(int col, int slice, int polarity) const {
  const Impl& m = *impl_;
  if (col < 0 || col >= m.lcols || slice < 0 || slice >= m.ns || polarity < 0 || polarity > (m.offset ? 0 : 1))
    throw std::out_of_range("phys_col: logical column, slice or polarity out of range");
  return m.phys(col, slice, polarity);
}

int CrossbarArray::reference_col() const { return impl_->reference_col(); }
int CrossbarArray::reference_row() const { return impl_->reference_row(); }

}  // namespace memgan::xbar
