// GAN network descriptions (configs/nets/*.yaml): models (generator, discriminator) as layer
// lists with every size written out. The loader checks each layer's parameters, that its written
// input matches the previous layer's output and that its written output is what the parameters
// give; every problem throws NetworkError naming file:line:col and the key path.
//
//   name: dcgan28
//   models:
//     generator:
//       input: [100]                  # per-sample shape (no batch dimension)
//       layers:
//         - {name: fc, type: linear, in_features: 100, out_features: 6272, input: [100], output: [6272]}
//         - {name: view, type: reshape, output: [128, 7, 7]}
//         - {name: up1, type: conv_transpose2d, in_channels: 128, out_channels: 64, kernel: 4,
//            stride: 2, padding: 1, input: [128, 7, 7], output: [64, 14, 14]}
//
// Layer types and keys (input is optional everywhere, output required):
//   linear            in_features, out_features, bias (true); input is [in_features]
//   conv2d            in_channels, out_channels, kernel, stride (1), padding (0), bias (true)
//   conv_transpose2d  as conv2d plus output_padding (0)
//   batchnorm         (channels = input[0])
//   relu, tanh, sigmoid; leaky_relu with slope (0.2)
//   reshape           output has the input's element count
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "core/mapping/dataflow.h"

namespace memgan::mapping {

class NetworkError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class LayerType { Linear, Conv2d, ConvTranspose2d, BatchNorm, Relu, LeakyRelu, Tanh, Sigmoid, Reshape };
const char* layer_type_name(LayerType t);  // the YAML spelling
// FP32 operations per element the digital unit spends on an element-wise layer (batch norm,
// activations), forward or backward (input gradient; batch norm also its parameter gradients).
// 0 for the crossbar layers and reshape. The training cost and `memgan compare` both use it.
int elementwise_ops_per_element(LayerType t, bool backward);

struct LayerSpec {
  std::string name;
  LayerType type = LayerType::Relu;
  std::vector<int> input, output;  // per sample
  int in_features = 0, out_features = 0;
  int in_channels = 0, out_channels = 0, kernel = 0, stride = 1, padding = 0, output_padding = 0;
  bool bias = true;
  float slope = 0.2f;
  std::string where;  // file:line:col of the layer entry

  bool on_crossbars() const;  // linear, conv2d, conv_transpose2d
  ConvShape conv_shape(int batch) const;  // conv2d / conv_transpose2d only (std::logic_error otherwise)
};

struct ModelSpec {
  std::string name;
  std::vector<int> input;
  std::vector<LayerSpec> layers;
};

struct Network {
  std::string name, description, path;
  std::vector<ModelSpec> models;  // in file order
  const ModelSpec& model(const std::string& name) const;  // throws std::out_of_range
};

Network load_network(const std::string& path);
// `origin` stands in for the file name in messages.
Network parse_network(const std::string& yaml_text, const std::string& origin);

}  // namespace memgan::mapping
