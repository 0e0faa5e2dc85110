#include "core/nn/batchnorm.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace memgan::nn {
namespace {

// N, C and the per-channel inner size of an N x C [x H x W] tensor.
void split(const std::vector<int>& shape, int channels, int& n, int& inner) {
  if ((shape.size() != 2 && shape.size() != 4) || shape[1] != channels)
    throw std::invalid_argument("BatchNorm: expected N x " + std::to_string(channels) + " or N x " +
                                std::to_string(channels) + " x H x W, got " + shape_string(shape));
  n = shape[0];
  inner = shape.size() == 4 ? shape[2] * shape[3] : 1;
}

}  // namespace

BatchNorm::BatchNorm(int channels, float eps, float momentum)
    : gamma(std::size_t(std::max(channels, 0)), 1.0f),
      beta(gamma.size(), 0.0f),
      running_mean(gamma.size(), 0.0f),
      running_var(gamma.size(), 1.0f),
      grad_gamma(gamma.size(), 0.0f),
      grad_beta(gamma.size(), 0.0f),
      eps_(eps),
      momentum_(momentum) {
  if (channels < 1) throw std::invalid_argument("BatchNorm: channels must be >= 1");
}

Tensor BatchNorm::forward(const Tensor& x, bool training) {
  const int c_n = channels();
  int n, inner;
  split(x.shape, c_n, n, inner);
  const int64_t m = int64_t(n) * inner;
  if (training && m < 2) throw std::invalid_argument("BatchNorm: training needs more than one value per channel");
  training_ = training;
  shape_ = x.shape;
  x_hat_.resize(x.data.size());
  inv_std_.resize(c_n);
  Tensor y(x.shape);
  // Channels are independent (each one's sums in the same order): host threads take them.
#pragma omp parallel for schedule(static) if (x.data.size() > (std::size_t(1) << 15))
  for (int c = 0; c < c_n; ++c) {
    double mean, var;
    if (training) {
      double s = 0, s2 = 0;
      for (int b = 0; b < n; ++b)
        for (int i = 0; i < inner; ++i) s += x.data[(std::size_t(b) * c_n + c) * inner + i];
      mean = s / double(m);
      for (int b = 0; b < n; ++b)
        for (int i = 0; i < inner; ++i) {
          const double d = x.data[(std::size_t(b) * c_n + c) * inner + i] - mean;
          s2 += d * d;
        }
      var = s2 / double(m);
      running_mean[c] = static_cast<float>((1 - momentum_) * running_mean[c] + momentum_ * mean);
      running_var[c] = static_cast<float>((1 - momentum_) * running_var[c] + momentum_ * var * m / (m - 1));
    } else {
      mean = running_mean[c];
      var = running_var[c];
    }
    const double inv = 1.0 / std::sqrt(var + eps_);
    inv_std_[c] = static_cast<float>(inv);
    for (int b = 0; b < n; ++b)
      for (int i = 0; i < inner; ++i) {
        const std::size_t k = (std::size_t(b) * c_n + c) * inner + i;
        x_hat_[k] = static_cast<float>((x.data[k] - mean) * inv);
        y.data[k] = gamma[c] * x_hat_[k] + beta[c];
      }
  }
  return y;
}

Tensor BatchNorm::backward(const Tensor& dy) {
  if (dy.shape != shape_ || shape_.empty())
    throw std::invalid_argument("BatchNorm: gradient shape " + shape_string(dy.shape) +
                                " does not match the last forward (" + shape_string(shape_) + ")");
  const int c_n = channels();
  int n, inner;
  split(shape_, c_n, n, inner);
  const double m = double(n) * inner;
  Tensor dx(shape_);
#pragma omp parallel for schedule(static) if (dy.data.size() > (std::size_t(1) << 15))
  for (int c = 0; c < c_n; ++c) {
    double sum_dy = 0, sum_dy_xhat = 0;
    for (int b = 0; b < n; ++b)
      for (int i = 0; i < inner; ++i) {
        const std::size_t k = (std::size_t(b) * c_n + c) * inner + i;
        sum_dy += dy.data[k];
        sum_dy_xhat += double(dy.data[k]) * x_hat_[k];
      }
    grad_beta[c] = static_cast<float>(sum_dy);
    grad_gamma[c] = static_cast<float>(sum_dy_xhat);
    const double g = double(gamma[c]) * inv_std_[c];
    for (int b = 0; b < n; ++b)
      for (int i = 0; i < inner; ++i) {
        const std::size_t k = (std::size_t(b) * c_n + c) * inner + i;
        // Training: the batch statistics depend on x too.
        dx.data[k] = static_cast<float>(training_ ? g * (dy.data[k] - sum_dy / m - x_hat_[k] * sum_dy_xhat / m)
                                                  : g * dy.data[k]);
      }
  }
  return dx;
}

}  // namespace memgan::nn
