#include "core/nn/activation.h"

#include <cmath>
#include <stdexcept>

namespace memgan::nn {
namespace {

float sigmoid(float x) {
  // Never exponentiates a large positive number.
  if (x >= 0) return 1.0f / (1.0f + std::exp(-x));
  const float e = std::exp(x);
  return e / (1.0f + e);
}

void same_shape(const Tensor& a, const Tensor& b, const char* what) {
  if (a.shape != b.shape)
    throw std::invalid_argument(std::string("activate_backward: ") + what + " shape " + shape_string(b.shape) +
                                " differs from " + shape_string(a.shape));
}

}  // namespace

const char* activation_name(Activation a) {
  switch (a) {
    case Activation::Relu: return "relu";
    case Activation::LeakyRelu: return "leaky_relu";
    case Activation::Tanh: return "tanh";
    case Activation::Sigmoid: return "sigmoid";
  }
  return "?";
}

Activation parse_activation(const std::string& name) {
  for (const Activation a : {Activation::Relu, Activation::LeakyRelu, Activation::Tanh, Activation::Sigmoid})
    if (name == activation_name(a)) return a;
  throw std::invalid_argument("unknown activation '" + name + "' (relu, leaky_relu, tanh, sigmoid)");
}

// Element-wise: one loop per function (vectorisable), split over host threads for large
// tensors (the same values for any thread count).
namespace {
constexpr std::size_t kParallelElements = std::size_t(1) << 15;

template <class F>
void for_each_index(std::size_t n, F f) {
#pragma omp parallel for schedule(static) if (n > kParallelElements)
  for (std::size_t i = 0; i < n; ++i) f(i);
}
}  // namespace

Tensor activate(Activation a, const Tensor& x, float slope) {
  Tensor y(x.shape);
  const float* in = x.data.data();
  float* out = y.data.data();
  const std::size_t n = x.data.size();
  switch (a) {
    case Activation::Relu: for_each_index(n, [&](std::size_t i) { out[i] = in[i] > 0 ? in[i] : 0.0f; }); break;
    case Activation::LeakyRelu:
      for_each_index(n, [&](std::size_t i) { out[i] = in[i] > 0 ? in[i] : slope * in[i]; });
      break;
    case Activation::Tanh: for_each_index(n, [&](std::size_t i) { out[i] = std::tanh(in[i]); }); break;
    case Activation::Sigmoid: for_each_index(n, [&](std::size_t i) { out[i] = sigmoid(in[i]); }); break;
  }
  return y;
}

Tensor activate_backward(Activation a, const Tensor& x, const Tensor& y, const Tensor& dy, float slope) {
  const Tensor& ref = a == Activation::Tanh || a == Activation::Sigmoid ? y : x;
  same_shape(ref, dy, "gradient");
  Tensor dx(dy.shape);
  const float* g = dy.data.data();
  const float* v = ref.data.data();
  float* out = dx.data.data();
  const std::size_t n = dy.data.size();
  switch (a) {
    case Activation::Relu: for_each_index(n, [&](std::size_t i) { out[i] = v[i] > 0 ? g[i] : 0.0f; }); break;
    case Activation::LeakyRelu:
      for_each_index(n, [&](std::size_t i) { out[i] = v[i] > 0 ? g[i] : slope * g[i]; });
      break;
    case Activation::Tanh: for_each_index(n, [&](std::size_t i) { out[i] = g[i] * (1.0f - v[i] * v[i]); }); break;
    case Activation::Sigmoid:
      for_each_index(n, [&](std::size_t i) { out[i] = g[i] * v[i] * (1.0f - v[i]); });
      break;
  }
  return dx;
}

}  // namespace memgan::nn
