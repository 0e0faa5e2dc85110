// The smallest GAN the trainer and the program compiler accept: generator linear -> tanh,
// discriminator linear -> leaky_relu -> linear (a logit). Shared by their tests.
#pragma once

namespace memgan::testing {

inline const char* kTinyGan = R"(name: tiny
models:
  generator:
    input: [4]
    layers:
      - {name: fc, type: linear, in_features: 4, out_features: 8, input: [4], output: [8]}
      - {name: out, type: tanh, output: [8]}
  discriminator:
    input: [8]
    layers:
      - {name: fc1, type: linear, in_features: 8, out_features: 4, input: [8], output: [4]}
      - {name: act, type: leaky_relu, slope: 0.2, output: [4]}
      - {name: fc2, type: linear, in_features: 4, out_features: 1, input: [4], output: [1]}
)";

}  // namespace memgan::testing
