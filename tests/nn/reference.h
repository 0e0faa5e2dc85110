// Direct reference implementations for the nn and mapping tests: plain loops over the
// definitions (PyTorch semantics), double accumulation, no library code beyond Tensor storage.
#pragma once

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "core/nn/tensor.h"

namespace memgan::ref {

using nn::Tensor;

inline Tensor random_tensor(std::vector<int> shape, std::mt19937& rng, float scale = 1.0f) {
  Tensor t(std::move(shape));
  std::normal_distribution<float> dist(0.0f, scale);
  for (auto& v : t.data) v = dist(rng);
  return t;
}

// y = x W^T + b; W out x in.
inline Tensor linear(const Tensor& x, const Tensor& w, const Tensor& b) {
  const int n = x.shape[0], in = w.shape[1], out = w.shape[0];
  Tensor y({n, out});
  for (int s = 0; s < n; ++s)
    for (int o = 0; o < out; ++o) {
      double acc = b.size() ? b.data[o] : 0.0;
      for (int i = 0; i < in; ++i) acc += double(x.data[std::size_t(s) * in + i]) * w.at(o, i);
      y.at(s, o) = float(acc);
    }
  return y;
}

// Conv2d: y[n, co, oy, ox] = b[co] + sum_{ci, ky, kx} W[co, ci, ky, kx] x[n, ci, oy*S + ky - P, ox*S + kx - P].
struct Conv {
  int stride, pad;
};

inline int conv_out(int in, int k, int s, int p) { return (in + 2 * p - k) / s + 1; }

inline Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor& b, Conv c) {
  const int n = x.shape[0], ci_n = x.shape[1], h = x.shape[2], wd = x.shape[3];
  const int co_n = w.shape[0], k = w.shape[2];
  const int ho = conv_out(h, k, c.stride, c.pad), wo = conv_out(wd, k, c.stride, c.pad);
  Tensor y({n, co_n, ho, wo});
  for (int s = 0; s < n; ++s)
    for (int co = 0; co < co_n; ++co)
      for (int oy = 0; oy < ho; ++oy)
        for (int ox = 0; ox < wo; ++ox) {
          double acc = b.size() ? b.data[co] : 0.0;
          for (int ci = 0; ci < ci_n; ++ci)
            for (int ky = 0; ky < k; ++ky)
              for (int kx = 0; kx < k; ++kx) {
                const int iy = oy * c.stride + ky - c.pad, ix = ox * c.stride + kx - c.pad;
                if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                acc += double(w.at(co, ci, ky, kx)) * x.at(s, ci, iy, ix);
              }
          y.at(s, co, oy, ox) = float(acc);
        }
  return y;
}

// dx of conv2d: every (output, tap) pair sends W * dy back to the input pixel it read.
inline Tensor conv2d_backward_data(const Tensor& dy, const Tensor& w, int h, int wd, Conv c) {
  const int n = dy.shape[0], co_n = dy.shape[1], ho = dy.shape[2], wo = dy.shape[3];
  const int ci_n = w.shape[1], k = w.shape[2];
  std::vector<double> acc(std::size_t(n) * ci_n * h * wd, 0.0);
  for (int s = 0; s < n; ++s)
    for (int co = 0; co < co_n; ++co)
      for (int oy = 0; oy < ho; ++oy)
        for (int ox = 0; ox < wo; ++ox)
          for (int ci = 0; ci < ci_n; ++ci)
            for (int ky = 0; ky < k; ++ky)
              for (int kx = 0; kx < k; ++kx) {
                const int iy = oy * c.stride + ky - c.pad, ix = ox * c.stride + kx - c.pad;
                if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                acc[((std::size_t(s) * ci_n + ci) * h + iy) * wd + ix] +=
                    double(w.at(co, ci, ky, kx)) * dy.at(s, co, oy, ox);
              }
  Tensor dx({n, ci_n, h, wd});
  for (std::size_t i = 0; i < acc.size(); ++i) dx.data[i] = float(acc[i]);
  return dx;
}

inline Tensor conv2d_backward_weight(const Tensor& x, const Tensor& dy, int k, Conv c) {
  const int n = x.shape[0], ci_n = x.shape[1], h = x.shape[2], wd = x.shape[3];
  const int co_n = dy.shape[1], ho = dy.shape[2], wo = dy.shape[3];
  Tensor dw({co_n, ci_n, k, k});
  for (int co = 0; co < co_n; ++co)
    for (int ci = 0; ci < ci_n; ++ci)
      for (int ky = 0; ky < k; ++ky)
        for (int kx = 0; kx < k; ++kx) {
          double acc = 0;
          for (int s = 0; s < n; ++s)
            for (int oy = 0; oy < ho; ++oy)
              for (int ox = 0; ox < wo; ++ox) {
                const int iy = oy * c.stride + ky - c.pad, ix = ox * c.stride + kx - c.pad;
                if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                acc += double(dy.at(s, co, oy, ox)) * x.at(s, ci, iy, ix);
              }
          dw.at(co, ci, ky, kx) = float(acc);
        }
  return dw;
}

// ConvTranspose2d: out[n, co, i*S + k - P] += x[n, ci, i] W[ci, co, k] (per axis), cropped to
// Ho = (H - 1) S - 2P + K + OP, plus b[co].
struct ConvT {
  int stride, pad, out_pad;
};

inline Tensor conv_transpose2d(const Tensor& x, const Tensor& w, const Tensor& b, ConvT c) {
  const int n = x.shape[0], ci_n = x.shape[1], h = x.shape[2], wd = x.shape[3];
  const int co_n = w.shape[1], k = w.shape[2];
  const int ho = (h - 1) * c.stride - 2 * c.pad + k + c.out_pad, wo = (wd - 1) * c.stride - 2 * c.pad + k + c.out_pad;
  std::vector<double> acc(std::size_t(n) * co_n * ho * wo, 0.0);
  for (int s = 0; s < n; ++s)
    for (int co = 0; co < co_n; ++co)
      for (int i = 0; i < ho * wo; ++i) acc[(std::size_t(s) * co_n + co) * ho * wo + i] = b.size() ? b.data[co] : 0.0;
  for (int s = 0; s < n; ++s)
    for (int ci = 0; ci < ci_n; ++ci)
      for (int iy = 0; iy < h; ++iy)
        for (int ix = 0; ix < wd; ++ix)
          for (int co = 0; co < co_n; ++co)
            for (int ky = 0; ky < k; ++ky)
              for (int kx = 0; kx < k; ++kx) {
                const int oy = iy * c.stride + ky - c.pad, ox = ix * c.stride + kx - c.pad;
                if (oy < 0 || oy >= ho || ox < 0 || ox >= wo) continue;
                acc[((std::size_t(s) * co_n + co) * ho + oy) * wo + ox] +=
                    double(x.at(s, ci, iy, ix)) * w.at(ci, co, ky, kx);
              }
  Tensor y({n, co_n, ho, wo});
  for (std::size_t i = 0; i < acc.size(); ++i) y.data[i] = float(acc[i]);
  return y;
}

inline Tensor conv_transpose2d_backward_data(const Tensor& dy, const Tensor& w, int h, int wd, ConvT c) {
  const int n = dy.shape[0], co_n = dy.shape[1], ho = dy.shape[2], wo = dy.shape[3];
  const int ci_n = w.shape[0], k = w.shape[2];
  Tensor dx({n, ci_n, h, wd});
  for (int s = 0; s < n; ++s)
    for (int ci = 0; ci < ci_n; ++ci)
      for (int iy = 0; iy < h; ++iy)
        for (int ix = 0; ix < wd; ++ix) {
          double acc = 0;
          for (int co = 0; co < co_n; ++co)
            for (int ky = 0; ky < k; ++ky)
              for (int kx = 0; kx < k; ++kx) {
                const int oy = iy * c.stride + ky - c.pad, ox = ix * c.stride + kx - c.pad;
                if (oy < 0 || oy >= ho || ox < 0 || ox >= wo) continue;
                acc += double(w.at(ci, co, ky, kx)) * dy.at(s, co, oy, ox);
              }
          dx.at(s, ci, iy, ix) = float(acc);
        }
  return dx;
}

inline Tensor conv_transpose2d_backward_weight(const Tensor& x, const Tensor& dy, int k, ConvT c) {
  const int n = x.shape[0], ci_n = x.shape[1], h = x.shape[2], wd = x.shape[3];
  const int co_n = dy.shape[1], ho = dy.shape[2], wo = dy.shape[3];
  Tensor dw({ci_n, co_n, k, k});
  for (int ci = 0; ci < ci_n; ++ci)
    for (int co = 0; co < co_n; ++co)
      for (int ky = 0; ky < k; ++ky)
        for (int kx = 0; kx < k; ++kx) {
          double acc = 0;
          for (int s = 0; s < n; ++s)
            for (int iy = 0; iy < h; ++iy)
              for (int ix = 0; ix < wd; ++ix) {
                const int oy = iy * c.stride + ky - c.pad, ox = ix * c.stride + kx - c.pad;
                if (oy < 0 || oy >= ho || ox < 0 || ox >= wo) continue;
                acc += double(x.at(s, ci, iy, ix)) * dy.at(s, co, oy, ox);
              }
          dw.at(ci, co, ky, kx) = float(acc);
        }
  return dw;
}

// Sum over every axis but 1 (bias gradient).
inline Tensor channel_sum(const Tensor& t) {
  const int n = t.shape[0], c = t.shape[1];
  const int64_t inner = t.size() / (int64_t(n) * c);
  Tensor s({c});
  for (int ch = 0; ch < c; ++ch) {
    double acc = 0;
    for (int b = 0; b < n; ++b)
      for (int64_t i = 0; i < inner; ++i) acc += t.data[(std::size_t(b) * c + ch) * inner + i];
    s.data[ch] = float(acc);
  }
  return s;
}

// max |a - b| / max |ref|: the tests' "relative error".
inline double rel_max_error(const Tensor& a, const Tensor& ref) {
  double diff = 0, scale = 0;
  for (std::size_t i = 0; i < ref.data.size(); ++i) {
    diff = std::max(diff, double(std::fabs(a.data[i] - ref.data[i])));
    scale = std::max(scale, double(std::fabs(ref.data[i])));
  }
  return scale > 0 ? diff / scale : diff;
}

// RMS(a - b) / RMS(ref).
inline double rel_rms_error(const Tensor& a, const Tensor& b, const Tensor& ref) {
  double num = 0, den = 0;
  for (std::size_t i = 0; i < ref.data.size(); ++i) {
    num += (double(a.data[i]) - b.data[i]) * (double(a.data[i]) - b.data[i]);
    den += double(ref.data[i]) * ref.data[i];
  }
  return den > 0 ? std::sqrt(num / den) : std::sqrt(num);
}

}  // namespace memgan::ref
