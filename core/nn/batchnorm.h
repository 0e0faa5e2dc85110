// Batch normalization over the channel axis 1 of N x C or N x C x H x W tensors (PyTorch
// BatchNorm1d/2d). Training: batch mean and biased variance normalize; running statistics move
// by `momentum` toward the batch mean and the unbiased variance. Eval: the running statistics
// normalize. Digital; no MVMs.
#pragma once

#include <vector>

#include "core/nn/tensor.h"

namespace memgan::nn {

class BatchNorm {
 public:
  explicit BatchNorm(int channels, float eps = 1e-5f, float momentum = 0.1f);

  int channels() const { return int(gamma.size()); }
  Tensor forward(const Tensor& x, bool training);
  // Gradient of the last forward; sets grad_gamma and grad_beta.
  Tensor backward(const Tensor& dy);

  std::vector<float> gamma, beta;               // affine parameters (1, 0 at construction)
  std::vector<float> running_mean, running_var;  // (0, 1 at construction)
  std::vector<float> grad_gamma, grad_beta;

 private:
  float eps_, momentum_;
  bool training_ = false;
  std::vector<int> shape_;
  std::vector<float> x_hat_, inv_std_;  // cached by forward
};

}  // namespace memgan::nn
