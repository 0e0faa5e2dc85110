// memgan map / compare / layer: the GAN-layer side of the tool (no SystemC simulation).
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "core/config/loader.h"

namespace memgan::cli {

// Prints the mapping table of CONFIG's network and writes mapping.json into out_dir.
int map_command(const config::LoadedConfig& cfg, const std::string& out_dir, std::ostream& out);

// Costs the network's layers under each dataflow; prints the table, writes compare.csv and
// compare.json into out_dir. Progress (one stage per dataflow, then the scheduler) on stderr
// unless quiet.
int compare_command(const config::LoadedConfig& cfg, const std::vector<std::string>& dataflows,
                    const std::string& out_dir, std::ostream& out, bool quiet = false);

struct LayerArgs {
  std::string type;  // conv2d | conv_transpose2d | linear
  std::string input, weight, bias, grad_output;
  int stride = 1, padding = 0, output_padding = 0;
  std::string out_dir;
};

// Runs one layer through the modeled arrays on .npy operands (PyTorch layouts and
// semantics) and writes output.npy (+ grad_input.npy, grad_weight.npy, grad_bias.npy with
// --grad-output) and counts.json.
int layer_command(const config::LoadedConfig& cfg, const LayerArgs& args, std::ostream& out);

}  // namespace memgan::cli
