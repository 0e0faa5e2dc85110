#include "core/nn/loss.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace memgan::nn {

LossGrad bce_with_logits(const Tensor& logits, const Tensor& targets) {
  if (logits.shape != targets.shape)
    throw std::invalid_argument("bce_with_logits: targets shape " + shape_string(targets.shape) +
                                " differs from logits " + shape_string(logits.shape));
  if (logits.size() == 0) throw std::invalid_argument("bce_with_logits: no logits");
  LossGrad r;
  r.grad = Tensor(logits.shape);
  const double inv_n = 1.0 / double(logits.size());
  double sum = 0;
  for (std::size_t i = 0; i < logits.data.size(); ++i) {
    const double z = logits.data[i], t = targets.data[i];
    const double e = std::exp(-std::fabs(z));
    sum += std::max(z, 0.0) - z * t + std::log1p(e);
    const double sig = z >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
    r.grad.data[i] = static_cast<float>((sig - t) * inv_n);
  }
  r.loss = sum * inv_n;
  return r;
}

LossGrad bce_with_logits(const Tensor& logits, float target) {
  return bce_with_logits(logits, Tensor(logits.shape, target));
}

LossGrad generator_loss(const Tensor& fake_logits) { return bce_with_logits(fake_logits, 1.0f); }

DiscriminatorLoss discriminator_loss(const Tensor& real_logits, const Tensor& fake_logits) {
  LossGrad real = bce_with_logits(real_logits, 1.0f);
  LossGrad fake = bce_with_logits(fake_logits, 0.0f);
  DiscriminatorLoss d;
  d.loss = real.loss + fake.loss;
  d.grad_real = std::move(real.grad);
  d.grad_fake = std::move(fake.grad);
  return d;
}

}  // namespace memgan::nn
