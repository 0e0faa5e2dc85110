// memgan map / compare / layer: the GAN-layer side of the tool. The command line's side of
// them: the work is the platform's (platform/network_inputs.h, compare_run.h, layer_run.h).
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "core/config/loader.h"
#include "platform/layer_run.h"

namespace memgan::cli {

// Prints the mapping table of CONFIG's network and writes mapping.json into out_dir.
int map_command(const config::LoadedConfig& cfg, const std::string& out_dir, std::ostream& out);

// Costs the network's layers under each dataflow (closed forms) and runs a training step of
// each on the simulated platform (`memgan run` in timing mode, `jobs` at once, into
// out_dir/step_<dataflow>/); prints the tables, writes compare.csv, compare.json and
// report.html. Progress on stderr unless quiet. Exit 2 when a step did not run.
int compare_command(const config::LoadedConfig& cfg, const std::vector<std::string>& dataflows,
                    const std::string& out_dir, std::ostream& out, bool quiet = false, int jobs = 2);

using LayerArgs = LayerJob;

// Runs one layer through the modeled arrays on .npy operands (PyTorch layouts and
// semantics) and writes output.npy (+ grad_input.npy, grad_weight.npy, grad_bias.npy with
// --grad-output) and counts.json.
int layer_command(const config::LoadedConfig& cfg, const LayerArgs& args, std::ostream& out);

}  // namespace memgan::cli
