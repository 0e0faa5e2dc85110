// A training run's checkpoint: checkpoint.bin (the trainer's whole state) and next to it
// checkpoint.json (where the run stood: step, operation time and energy so far, train.csv
// rows), both in the run folder. --resume continues from them.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/config/config.h"
#include "core/train/op_executor.h"

namespace memgan {

// Where a training run stands; a resumed run continues from the checkpoint's.
struct Progression {
  int64_t step = 0;
  double time_ns = 0;    // layer-engine time of all training operations so far
  double energy_pj = 0;  // their energy
  std::string csv;       // train.csv rows so far (after the header)
  // Per array slot of the chip, the placement layer whose weights it holds (-1: none): with
  // arch.mapping.overflow: reprogram, what the next rewrite starts from. Empty: as placed.
  std::vector<int> resident_layers;
};

// Loads resume_dir's checkpoint.bin into `trainer` and returns its checkpoint.json. Throws
// InputError (platform/run.h) for a missing or unreadable checkpoint, one that disagrees with
// itself or the trainer, and one with no step left of train.steps.
Progression resume_checkpoint(const std::string& resume_dir, const config::Config& cfg, train::OpExecutor& trainer);

// Writes dir/checkpoint.bin and dir/checkpoint.json (`at`, the config file), each atomically.
void save_checkpoint(const std::filesystem::path& dir, const train::OpExecutor& trainer, const Progression& at,
                     const std::string& config_file);

}  // namespace memgan
