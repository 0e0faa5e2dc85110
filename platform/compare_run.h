// memgan compare: a network's layers costed under each dataflow against zero insertion
// (network_cost.h, closed forms), then one training step per dataflow on the simulated
// platform: `memgan run` of the same config in train.mode timing, each in its own folder
// (point_runs.h), so compare and run agree. Writes compare.csv, compare.json, report.html and
// step_<dataflow>/ (each a whole run folder) into the output folder; the rows come back for
// the caller to print.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/config/loader.h"
#include "core/mapping/dataflow.h"
#include "core/mapping/network.h"
#include "platform/network_cost.h"
#include "platform/point_runs.h"

namespace memgan {

// A row of the cost table: one phase of a layer, or (total) of a dataflow's whole network.
struct CompareRow {
  bool total = false;
  std::string layer, type;      // "model.layer" and its type; "TOTAL" and "" for a total
  std::string dataflow, phase;  // phase: forward | backward
  double time_ns = 0, energy_pj = 0;
  int64_t mvms = 0, adc_conversions = 0, arrays = 0;  // not for a total
  double utilization = 0;                             // not for a total
  double speedup = 1, saving = 0;                     // against zero insertion
};

// A dataflow's training step on the simulated platform (report.json of its run).
struct ScheduleRow {
  std::string dataflow, dir;
  std::string error;     // the run's failure ("" when it ran)
  double step_ns = 0;    // first operation to the step's barrier
  double serial_ns = 0;  // the operations' own times added up
  double overlap = 0;    // serial_ns / step_ns
  double energy_pj = 0;  // per step, leakage included
  double compute_ns = 0, movement_ns = 0, stall_ns = 0;  // split of serial_ns
  std::string bottleneck;                              // the busiest resource
  double speedup = 0, saving = 0;  // against zero_insertion when it ran, else the first dataflow listed
};

class CompareRun {
 public:
  // Costs the network under zero insertion (the baseline), creates out_dir and starts
  // compare.csv. Throws InputError (platform/run.h).
  CompareRun(const config::LoadedConfig& loaded, const mapping::Network& net, const std::string& out_dir);

  const std::filesystem::path& dir() const { return dir_; }
  // One dataflow's cost table, each layer's forward and backward then the two totals; also
  // into compare.csv and compare.json.
  std::vector<CompareRow> cost(mapping::Dataflow flow);
  // Each dataflow's training step: `memgan run` in timing mode, `jobs` at once, into
  // step_<dataflow>/; a run that fails is a row with its error, not an exception.
  std::vector<ScheduleRow> training_steps(const std::vector<mapping::Dataflow>& flows, int jobs,
                                          const PointProgress& progress = {});
  // compare.json and report.html.
  void write_outputs();

 private:
  CompareRow layer_row(mapping::Dataflow flow, const LayerCostEstimate& e, const LayerCostEstimate& b, int ph);
  CompareRow total_row(mapping::Dataflow flow, const PhaseCost& p, const PhaseCost& q, int ph);

  const config::Config& cfg_;
  const mapping::Network& net_;
  std::vector<LayerCostEstimate> baseline_;
  std::filesystem::path dir_;
  std::ofstream csv_;
  nlohmann::json js_;
};

}  // namespace memgan
