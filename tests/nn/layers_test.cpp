// Linear against the reference; activations, batch normalization and the GAN losses against
// central finite differences of a random projection L = sum r * f(x).
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>

#include "core/nn/activation.h"
#include "core/nn/batchnorm.h"
#include "core/nn/linear.h"
#include "core/nn/loss.h"
#include "tests/nn/reference.h"

namespace memgan::nn {
namespace {

double dot(const Tensor& a, const Tensor& b) {
  double s = 0;
  for (std::size_t i = 0; i < a.data.size(); ++i) s += double(a.data[i]) * b.data[i];
  return s;
}

// Central differences of a scalar function of `x` (perturbed in place), h relative to 1.
std::vector<double> numeric_grad(Tensor& x, const std::function<double()>& f, float h = 1e-2f) {
  std::vector<double> g(x.data.size());
  for (std::size_t i = 0; i < x.data.size(); ++i) {
    const float keep = x.data[i];
    x.data[i] = keep + h;
    const double up = f();
    x.data[i] = keep - h;
    const double down = f();
    x.data[i] = keep;
    g[i] = (up - down) / (2.0 * double(h));
  }
  return g;
}

void expect_grad(const std::vector<double>& numeric, const std::vector<float>& analytic, double tol,
                 const char* what) {
  ASSERT_EQ(numeric.size(), analytic.size());
  for (std::size_t i = 0; i < numeric.size(); ++i)
    EXPECT_NEAR(analytic[i], numeric[i], tol * (1.0 + std::fabs(numeric[i]))) << what << " element " << i;
}

xbar::ConverterParams analog() {
  xbar::ConverterParams c;
  c.quantize = false;
  return c;
}

TEST(Linear, MatchesReferenceOnBothEngines) {
  std::mt19937 rng(1);
  const Tensor w = ref::random_tensor({6, 9}, rng), b = ref::random_tensor({6}, rng);
  const Tensor x = ref::random_tensor({4, 9}, rng), dy = ref::random_tensor({4, 6}, rng);
  FloatGemmEngine fe;
  CrossbarEngine ce({4, 6}, analog(), {}, 2);
  for (MvmEngine* e : std::initializer_list<MvmEngine*>{&fe, &ce}) {
    Linear layer(*e, 9, 6);
    layer.set_weights(w, b);
    EXPECT_LE(ref::rel_max_error(layer.forward(x), ref::linear(x, w, b)), 1e-5);
    Tensor dx_ref({4, 9});  // dx = dy W
    for (int s = 0; s < 4; ++s)
      for (int i = 0; i < 9; ++i) {
        double acc = 0;
        for (int o = 0; o < 6; ++o) acc += double(dy.at(s, o)) * w.at(o, i);
        dx_ref.at(s, i) = float(acc);
      }
    EXPECT_LE(ref::rel_max_error(layer.backward_data(dy), dx_ref), 1e-5);
    Tensor dw_ref({6, 9});  // dW = dy^T x
    for (int o = 0; o < 6; ++o)
      for (int i = 0; i < 9; ++i) {
        double acc = 0;
        for (int s = 0; s < 4; ++s) acc += double(dy.at(s, o)) * x.at(s, i);
        dw_ref.at(o, i) = float(acc);
      }
    const WeightGrad g = layer.backward_weight(x, dy);
    EXPECT_LE(ref::rel_max_error(g.weight, dw_ref), 1e-5);
    EXPECT_LE(ref::rel_max_error(g.bias, ref::channel_sum(dy)), 1e-5);
  }
}

TEST(Linear, AcceptsImagesAndRejectsWrongSizes) {
  FloatGemmEngine e;
  Linear layer(e, 12, 2);
  layer.set_weights(Tensor({2, 12}, 1.0f), Tensor());
  EXPECT_EQ(layer.forward(Tensor({3, 3, 2, 2}, 1.0f)).data, std::vector<float>(6, 12.0f));  // flattened
  EXPECT_THROW(layer.forward(Tensor({3, 5})), std::invalid_argument);
  EXPECT_THROW(layer.set_weights(Tensor({12, 2}), Tensor()), std::invalid_argument);
  std::vector<Linear> layers;
  layers.push_back(std::move(layer));  // the keys move with it
  EXPECT_EQ(layers[0].forward(Tensor({1, 12}, 1.0f)).data, std::vector<float>(2, 12.0f));
}

TEST(Activation, ForwardValuesAndGradients) {
  std::mt19937 rng(2);
  Tensor x = ref::random_tensor({3, 7}, rng, 2.0f);
  x.data[0] = 0.3f;  // keep finite differences away from the kink at 0
  for (auto& v : x.data)
    if (std::fabs(v) < 0.05f) v = 0.3f;
  const Tensor r = ref::random_tensor({3, 7}, rng);
  for (const Activation a : {Activation::Relu, Activation::LeakyRelu, Activation::Tanh, Activation::Sigmoid}) {
    const float slope = 0.1f;
    const Tensor y = activate(a, x, slope);
    for (std::size_t i = 0; i < x.data.size(); ++i) {
      const double v = x.data[i];
      const double want = a == Activation::Relu        ? std::max(v, 0.0)
                          : a == Activation::LeakyRelu ? (v > 0 ? v : slope * v)
                          : a == Activation::Tanh      ? std::tanh(v)
                                                       : 1.0 / (1.0 + std::exp(-v));
      EXPECT_NEAR(y.data[i], want, 1e-6) << activation_name(a);
    }
    const Tensor dx = activate_backward(a, x, y, r, slope);
    Tensor xp = x;
    expect_grad(numeric_grad(xp, [&] { return dot(activate(a, xp, slope), r); }, 1e-3f), dx.data, 2e-3,
                activation_name(a));
    EXPECT_EQ(parse_activation(activation_name(a)), a);
  }
  EXPECT_EQ(activate(Activation::Sigmoid, Tensor({1}, -100.0f)).data[0], std::exp(-100.0f));
  EXPECT_THROW(parse_activation("gelu"), std::invalid_argument);
}

TEST(BatchNorm, TrainingNormalizesAndTracksRunningStatistics) {
  std::mt19937 rng(3);
  Tensor x = ref::random_tensor({4, 3, 2, 2}, rng);
  for (auto& v : x.data) v = 2.0f * v + 5.0f;
  BatchNorm bn(3, 1e-5f, 0.1f);
  const Tensor y = bn.forward(x, true);
  for (int c = 0; c < 3; ++c) {
    double s = 0, s2 = 0, xs = 0, xs2 = 0;
    for (int n = 0; n < 4; ++n)
      for (int i = 0; i < 4; ++i) {
        const double v = y.data[(n * 3 + c) * 4 + i], u = x.data[(n * 3 + c) * 4 + i];
        s += v, s2 += v * v, xs += u, xs2 += u * u;
      }
    EXPECT_NEAR(s / 16, 0.0, 1e-5);
    EXPECT_NEAR(s2 / 16, 1.0, 1e-3);
    const double mean = xs / 16, var_unbiased = (xs2 - 16 * mean * mean) / 15;
    EXPECT_NEAR(bn.running_mean[c], 0.1 * mean, 1e-4);
    EXPECT_NEAR(bn.running_var[c], 0.9 + 0.1 * var_unbiased, 1e-3);
  }
  bn.running_mean = {1, 2, 3};
  bn.running_var = {4, 4, 4};
  const Tensor e = bn.forward(x, false);
  EXPECT_NEAR(e.data[0], (x.data[0] - 1.0) / std::sqrt(4.0 + 1e-5), 1e-5);
}

TEST(BatchNorm, GradientsMatchFiniteDifferences) {
  std::mt19937 rng(4);
  for (const bool training : {true, false})
    for (const std::vector<int>& shape : {std::vector<int>{5, 3}, {3, 2, 2, 3}}) {
      Tensor x = ref::random_tensor(shape, rng);
      const Tensor r = ref::random_tensor(shape, rng);
      BatchNorm bn(shape[1]);
      bn.gamma = {1.5f, -0.7f, 0.9f};
      bn.gamma.resize(shape[1]);
      bn.beta.assign(shape[1], 0.2f);
      bn.running_mean.assign(shape[1], 0.3f);
      bn.running_var.assign(shape[1], 1.7f);
      const BatchNorm frozen = bn;  // running statistics as they are before any forward
      const auto loss = [&] {
        BatchNorm copy = frozen;
        return dot(copy.forward(x, training), r);
      };
      bn.forward(x, training);
      const Tensor dx = bn.backward(r);
      expect_grad(numeric_grad(x, loss), dx.data, 2e-3, "BatchNorm dx");
      Tensor gamma({shape[1]}, frozen.gamma), beta({shape[1]}, frozen.beta);
      const auto loss_params = [&] {
        BatchNorm copy = frozen;
        copy.gamma = gamma.data;
        copy.beta = beta.data;
        return dot(copy.forward(x, training), r);
      };
      expect_grad(numeric_grad(gamma, loss_params), bn.grad_gamma, 2e-3, "BatchNorm dgamma");
      expect_grad(numeric_grad(beta, loss_params), bn.grad_beta, 2e-3, "BatchNorm dbeta");
    }
}

TEST(BatchNorm, RejectsWrongShapes) {
  BatchNorm bn(3);
  EXPECT_THROW(bn.forward(Tensor({2, 4}), true), std::invalid_argument);
  EXPECT_THROW(bn.forward(Tensor({1, 3}), true), std::invalid_argument);  // one value per channel
  EXPECT_THROW(bn.backward(Tensor({2, 3})), std::invalid_argument);      // no forward yet
}

TEST(Loss, BceWithLogitsIsStableAndMatchesFiniteDifferences) {
  const Tensor z({4}, std::vector<float>{-3.0f, -0.5f, 0.7f, 2.0f});
  const Tensor t({4}, std::vector<float>{0.0f, 1.0f, 0.25f, 1.0f});
  const LossGrad l = bce_with_logits(z, t);
  double want = 0;
  for (int i = 0; i < 4; ++i) {
    const double p = 1.0 / (1.0 + std::exp(-double(z.data[i])));
    want -= t.data[i] * std::log(p) + (1 - t.data[i]) * std::log(1 - p);
  }
  EXPECT_NEAR(l.loss, want / 4, 1e-9);
  Tensor zp = z;
  expect_grad(numeric_grad(zp, [&] { return bce_with_logits(zp, t).loss; }, 1e-3f), l.grad.data, 1e-4, "bce");

  const LossGrad extreme = bce_with_logits(Tensor({2}, std::vector<float>{100.0f, -100.0f}), 0.0f);
  EXPECT_NEAR(extreme.loss, 50.0, 1e-9);  // (100 + 0) / 2, no overflow
  EXPECT_NEAR(extreme.grad.data[0], 0.5, 1e-9);
  EXPECT_NEAR(extreme.grad.data[1], 0.0, 1e-9);
  EXPECT_THROW(bce_with_logits(z, Tensor({3})), std::invalid_argument);
}

TEST(Loss, GanLossesAndGradients) {
  Tensor fake({3}, std::vector<float>{-1.0f, 0.2f, 3.0f});
  Tensor real({2}, std::vector<float>{0.5f, -2.0f});
  const LossGrad g = generator_loss(fake);
  double want = 0;
  for (const float v : fake.data) want -= std::log(1.0 / (1.0 + std::exp(-double(v))));
  EXPECT_NEAR(g.loss, want / 3, 1e-9);  // non-saturating: -mean log D(G(z))
  expect_grad(numeric_grad(fake, [&] { return generator_loss(fake).loss; }, 1e-3f), g.grad.data, 1e-4, "G loss");

  const DiscriminatorLoss d = discriminator_loss(real, fake);
  EXPECT_NEAR(d.loss, bce_with_logits(real, 1.0f).loss + bce_with_logits(fake, 0.0f).loss, 1e-12);
  expect_grad(numeric_grad(real, [&] { return discriminator_loss(real, fake).loss; }, 1e-3f), d.grad_real.data, 1e-4,
              "D loss, real");
  expect_grad(numeric_grad(fake, [&] { return discriminator_loss(real, fake).loss; }, 1e-3f), d.grad_fake.data, 1e-4,
              "D loss, fake");
}

TEST(Tensor, ShapesAndErrors) {
  EXPECT_EQ(Tensor({2, 3, 4}).size(), 24);
  EXPECT_EQ(shape_string({2, 3}), "2x3");
  EXPECT_EQ(shape_string({}), "scalar");
  EXPECT_THROW(Tensor({2, -1}), std::invalid_argument);
  EXPECT_THROW(Tensor({2, 2}, std::vector<float>(3)), std::invalid_argument);
  EXPECT_THROW(Tensor({6}).reshaped({4}), std::invalid_argument);
  EXPECT_EQ(Tensor({6}).reshaped({2, 3}).shape, (std::vector<int>{2, 3}));
  EXPECT_THROW(Tensor({6}).dim(1), std::out_of_range);
}

}  // namespace
}  // namespace memgan::nn
