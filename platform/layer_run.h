// memgan layer: one layer through the modeled arrays (the configured tile's geometry,
// converters and device) on .npy operands, with PyTorch's layouts and semantics. Writes
// output.npy (+ grad_input.npy, grad_weight.npy, grad_bias.npy with a grad_output) and
// counts.json into the output folder.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/config/loader.h"

namespace memgan {

struct LayerJob {
  std::string type;  // conv2d | conv_transpose2d | linear
  std::string input, weight, bias, grad_output;
  int stride = 1, padding = 0, output_padding = 0;
  std::string out_dir;
};

struct LayerResult {
  std::string input_shape, output_shape;  // "2x3x8x8"
  std::string dataflow;                   // network.dataflow; "n/a" for linear
  int64_t forward_mvms = 0, forward_adc_conversions = 0;
  std::filesystem::path dir;
  std::vector<std::string> files;  // written into dir
};

// Throws InputError (platform/run.h) for an unreadable or misshapen operand or a layer the
// engine refuses.
LayerResult run_layer(const config::LoadedConfig& loaded, const LayerJob& job);

}  // namespace memgan
