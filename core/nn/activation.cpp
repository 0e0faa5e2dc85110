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

Tensor activate(Activation a, const Tensor& x, float slope) {
  Tensor y(x.shape);
  for (std::size_t i = 0; i < x.data.size(); ++i) {
    const float v = x.data[i];
    switch (a) {
      case Activation::Relu: y.data[i] = v > 0 ? v : 0.0f; break;
      case Activation::LeakyRelu: y.data[i] = v > 0 ? v : slope * v; break;
      case Activation::Tanh: y.data[i] = std::tanh(v); break;
      case Activation::Sigmoid: y.data[i] = sigmoid(v); break;
    }
  }
  return y;
}

Tensor activate_backward(Activation a, const Tensor& x, const Tensor& y, const Tensor& dy, float slope) {
  const Tensor& ref = a == Activation::Tanh || a == Activation::Sigmoid ? y : x;
  same_shape(ref, dy, "gradient");
  Tensor dx(dy.shape);
  for (std::size_t i = 0; i < dy.data.size(); ++i) {
    const float g = dy.data[i], v = ref.data[i];
    switch (a) {
      case Activation::Relu: dx.data[i] = v > 0 ? g : 0.0f; break;
      case Activation::LeakyRelu: dx.data[i] = v > 0 ? g : slope * g; break;
      case Activation::Tanh: dx.data[i] = g * (1.0f - v * v); break;
      case Activation::Sigmoid: dx.data[i] = g * v * (1.0f - v); break;
    }
  }
  return dx;
}

}  // namespace memgan::nn
