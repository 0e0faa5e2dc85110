// GAN losses on discriminator logits z, with gradients d loss / d z. All losses are means over
// the elements. Binary cross-entropy with logits is evaluated in the stable form
//   l(z, t) = max(z, 0) - z t + log(1 + exp(-|z|)),   dl/dz = sigmoid(z) - t.
#pragma once

#include "core/nn/tensor.h"

namespace memgan::nn {

struct LossGrad {
  double loss = 0;
  Tensor grad;  // d loss / d logits, shape of the logits
};

LossGrad bce_with_logits(const Tensor& logits, const Tensor& targets);
LossGrad bce_with_logits(const Tensor& logits, float target);

// Non-saturating generator loss: -mean log sigmoid(D(G(z))) = bce_with_logits(fake_logits, 1).
LossGrad generator_loss(const Tensor& fake_logits);

struct DiscriminatorLoss {
  double loss = 0;  // bce(real, 1) + bce(fake, 0)
  Tensor grad_real, grad_fake;
};
DiscriminatorLoss discriminator_loss(const Tensor& real_logits, const Tensor& fake_logits);

}  // namespace memgan::nn
