// The end of a training run: report.json's training parts (on top of
// run_detail::common_report), report.json and report.html written, and the summary on the
// terminal.
#pragma once

#include <cstdint>
#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/config/loader.h"
#include "platform/soc.h"
#include "platform/train_checkpoint.h"
#include "platform/train_host.h"
#include "platform/train_inputs.h"

namespace memgan {

// What a finished training run hands its report and summary.
struct TrainRunResult {
  const TrainInputs& inputs;
  const Progression& start;  // where the run began: a checkpoint, or step 0
  const TrainHost& host;     // where it ended: time, energy, curve, scores, last sample grid
  Soc& soc;
  uint64_t end_ps;               // simulated time
  double wall_s;                 // host time
  std::vector<std::string> files;  // the run folder's outputs
};

// Adds "training", "counts" and "outputs" to `report`, then writes dir/report.json and
// dir/report.html.
void write_train_report(nlohmann::json& report, const config::Config& cfg, const TrainRunResult& r,
                        const std::filesystem::path& dir);

// One screen for a person, from `report` as written; the firmware's error on `err`.
void print_train_summary(std::ostream& out, std::ostream& err, const config::LoadedConfig& loaded,
                         const std::string& version, const nlohmann::json& report, const TrainRunResult& r,
                         const std::filesystem::path& dir);

}  // namespace memgan
