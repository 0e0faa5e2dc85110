// Element-wise activations and their backward passes (digital, no MVMs).
#pragma once

#include <string>

#include "core/nn/tensor.h"

namespace memgan::nn {

enum class Activation { Relu, LeakyRelu, Tanh, Sigmoid };

const char* activation_name(Activation a);            // "relu", "leaky_relu", "tanh", "sigmoid"
Activation parse_activation(const std::string& name);  // throws std::invalid_argument listing the names

// y = f(x); slope is LeakyReLU's negative-side slope (ignored by the others).
Tensor activate(Activation a, const Tensor& x, float slope = 0.2f);
// dx = f'(x) dy. ReLU/LeakyReLU use x; tanh and sigmoid use their output y (= activate(x)).
Tensor activate_backward(Activation a, const Tensor& x, const Tensor& y, const Tensor& dy, float slope = 0.2f);

}  // namespace memgan::nn
