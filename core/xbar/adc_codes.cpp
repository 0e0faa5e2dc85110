#include "core/xbar/adc_codes.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace memgan::xbar {

int64_t mvm_codes(const CrossbarArray& array, const float* x, int batch, int row0, int n_rows, int col0, int n_cols,
                  int16_t* codes) {
  const ConverterParams& cp = array.converters();
  const DeviceParams& dp = array.device();
  if (!cp.quantize) throw std::logic_error("mvm_codes: ADC codes exist only in quantized mode");
  if (batch < 0) throw std::invalid_argument("mvm_codes: batch must be >= 0");
  if (row0 < 0 || n_rows < 1 || col0 < 0 || n_cols < 1 || row0 + n_rows > array.logical_rows() ||
      col0 + n_cols > array.logical_cols())
    throw std::out_of_range("mvm_codes: block outside the array");
  const int ns = array.weight_slices(), nc = array.input_cycles();
  const bool offset = cp.encoding == WeightEncoding::Offset;
  // Same expression as the array's unit (crossbar_cells.cpp): one conductance step.
  const double unit_us = (dp.g_max_us - dp.g_min_us) / (std::ldexp(1.0, cp.cell_bits) - 1.0);

  // Effective slice weights in level units, as mvm caches them: w[(s * n_rows + i) * n_cols + j].
  std::vector<float> w(std::size_t(ns) * n_rows * n_cols);
  for (int s = 0; s < ns; ++s)
    for (int i = 0; i < n_rows; ++i) {
      const int r = row0 + i;
      for (int j = 0; j < n_cols; ++j) {
        const double gp = array.conductance_us(r, array.phys_col(col0 + j, s, 0));
        const double gm = offset ? array.conductance_us(r, array.reference_col())
                                 : array.conductance_us(r, array.phys_col(col0 + j, s, 1));
        w[(std::size_t(s) * n_rows + i) * n_cols + j] = static_cast<float>((gp - gm) / unit_us);
      }
    }

  const int bd = cp.dac_bits, mask = (1 << bd) - 1;
  const int x_lo = -(1 << (cp.input_bits - 1)), x_hi = (1 << (cp.input_bits - 1)) - 1;
  const auto inv_lsb = static_cast<float>(1.0 / array.adc_lsb(n_rows));
  const float lo = -std::ldexp(1.0f, cp.adc_bits - 1), hi = std::ldexp(1.0f, cp.adc_bits - 1) - 1;
  std::vector<int32_t> xi(n_rows);
  std::vector<double> a(n_cols);
  int64_t saturations = 0;
  for (int b = 0; b < batch; ++b) {
    for (int i = 0; i < n_rows; ++i) {
      const float v = x[std::size_t(b) * n_rows + i];
      if (!(v >= float(x_lo) && v <= float(x_hi)) || v != std::nearbyint(v))
        throw std::invalid_argument("mvm_codes: input (" + std::to_string(b) + ", " + std::to_string(i) +
                                    ") is not an integer within input_bits");
      xi[i] = static_cast<int32_t>(v);
    }
    for (int c = 0; c < nc; ++c) {
      const int32_t m = c + 1 < nc ? mask : -1;  // the top chunk keeps its sign
      for (int s = 0; s < ns; ++s) {
        std::fill(a.begin(), a.end(), 0.0);
        for (int i = 0; i < n_rows; ++i) {
          const int32_t u = (xi[i] >> (c * bd)) & m;
          if (u == 0) continue;
          const float* wr = &w[(std::size_t(s) * n_rows + i) * n_cols];
          for (int j = 0; j < n_cols; ++j) a[j] += double(u) * double(wr[j]);
        }
        int16_t* out = codes + ((std::size_t(b) * nc + c) * ns + s) * n_cols;
        for (int j = 0; j < n_cols; ++j) {
          // The ADC of crossbar_read.cpp (adc_row): clamp to [lo - 1, hi + 1], round half to
          // even (the default rounding mode), count and clamp saturations.
          const float v = std::min(std::max(static_cast<float>(a[j]) * inv_lsb, lo - 1.0f), hi + 1.0f);
          const float r = std::nearbyint(v);
          saturations += (r < lo) || (r > hi);
          out[j] = static_cast<int16_t>(std::min(std::max(r, lo), hi));
        }
      }
    }
  }
  return saturations;
}

}  // namespace memgan::xbar
