// Plain-loop reference models for the crossbar tests, written independently of the library:
// floor division instead of shifts, double precision, no BLAS.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "core/xbar/crossbar_array.h"

namespace memgan::xbar::test {

// y[b][j] = sum_i x[b][i] w[i][j] in double.
inline std::vector<double> gemm_ref(const std::vector<float>& x, const std::vector<float>& w, int batch, int rows,
                                    int cols) {
  std::vector<double> y(std::size_t(batch) * cols, 0.0);
  for (int b = 0; b < batch; ++b)
    for (int i = 0; i < rows; ++i)
      for (int j = 0; j < cols; ++j) y[b * cols + j] += double(x[b * rows + i]) * double(w[i * cols + j]);
  return y;
}

// sum_i |x[b][i]| |w[i][j]|: the scale float rounding errors are relative to.
inline std::vector<double> abs_gemm_ref(const std::vector<float>& x, const std::vector<float>& w, int batch, int rows,
                                        int cols) {
  std::vector<float> ax(x.size()), aw(w.size());
  std::transform(x.begin(), x.end(), ax.begin(), [](float v) { return std::fabs(v); });
  std::transform(w.begin(), w.end(), aw.begin(), [](float v) { return std::fabs(v); });
  return gemm_ref(ax, aw, batch, rows, cols);
}

inline std::vector<float> transpose(const std::vector<float>& w, int rows, int cols) {
  std::vector<float> t(w.size());
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) t[j * rows + i] = w[i * cols + j];
  return t;
}

inline int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

struct QuantRef {
  std::vector<double> y;
  int64_t saturations = 0;
};

// The documented quantized pipeline for an ideal device: x[batch x rows] integers,
// w[rows x cols] integers, lsb in level units.
inline QuantRef quantized_ref(const std::vector<float>& x, const std::vector<float>& w, int batch, int rows, int cols,
                              const ConverterParams& cp, double lsb) {
  const int bi = cp.input_bits, bd = cp.dac_bits, bc = cp.cell_bits, bw = cp.weight_bits;
  const bool offset = cp.encoding == WeightEncoding::Offset;
  const int nc = (bi + bd - 1) / bd;
  const int ns = offset ? (bw + bc - 1) / bc : (bw - 1 + bc - 1) / bc;
  const int64_t code_max = (int64_t(1) << (cp.adc_bits - 1)) - 1, code_min = -(int64_t(1) << (cp.adc_bits - 1));
  QuantRef r;
  r.y.assign(std::size_t(batch) * cols, 0.0);
  for (int b = 0; b < batch; ++b) {
    int64_t xsum = 0;
    for (int i = 0; i < rows; ++i) xsum += int64_t(x[b * rows + i]);
    for (int j = 0; j < cols; ++j) {
      double y = 0;
      for (int c = 0; c < nc; ++c) {
        for (int s = 0; s < ns; ++s) {
          int64_t a = 0;
          for (int i = 0; i < rows; ++i) {
            const auto xi = int64_t(x[b * rows + i]);
            int64_t u = floor_div(xi, int64_t(1) << (c * bd));
            if (c < nc - 1) u -= floor_div(u, int64_t(1) << bd) * (int64_t(1) << bd);  // u mod 2^bd
            const auto wi = int64_t(w[i * cols + j]);
            const int64_t stored = offset ? wi + (int64_t(1) << (bw - 1)) : std::llabs(wi);
            const int64_t digit = (stored / (int64_t(1) << (s * bc))) % (int64_t(1) << bc);
            a += u * (offset ? digit : (wi > 0 ? digit : -digit));
          }
          auto code = static_cast<int64_t>(std::nearbyint(double(a) / lsb));
          if (code > code_max || code < code_min) ++r.saturations;
          code = std::clamp(code, code_min, code_max);
          y += double(code) * lsb * std::ldexp(1.0, c * bd + s * bc);
        }
      }
      if (offset) y -= std::ldexp(1.0, bw - 1) * double(xsum);
      r.y[b * cols + j] = y;
    }
  }
  return r;
}

inline std::vector<float> random_ints(std::mt19937_64& rng, std::size_t n, int lo, int hi) {
  std::uniform_int_distribution<int> d(lo, hi);
  std::vector<float> v(n);
  for (auto& e : v) e = float(d(rng));
  return v;
}

inline std::vector<float> random_floats(std::mt19937_64& rng, std::size_t n, float lo, float hi) {
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (auto& e : v) e = d(rng);
  return v;
}

inline ConverterParams analog_converters(WeightEncoding e = WeightEncoding::Differential) {
  ConverterParams c;
  c.quantize = false;
  c.encoding = e;
  return c;
}

}  // namespace memgan::xbar::test
