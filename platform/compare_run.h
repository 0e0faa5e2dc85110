// memgan compare: a network's layers costed under each dataflow against zero insertion
// (network_cost.h), then one training step per dataflow on the operation scheduler, all in
// one SystemC elaboration. Writes compare.csv, compare.json, schedule.vcd, schedule.gtkw and
// report.html into the output folder; the rows come back for the caller to print.
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

// A dataflow's training step on the operation scheduler.
struct ScheduleRow {
  std::string dataflow;
  double step_ns = 0;    // layers pipelined over the batch, D on real images overlapping G
  double serial_ns = 0;  // every operation one after the other
  double overlap = 0;    // serial_ns / step_ns
  double speedup = 0;    // against zero_insertion when it ran, else the first dataflow listed
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
  // Each dataflow's training step on the operation scheduler: one scheduler per dataflow, all
  // in one elaboration (SystemC elaborates once per process: call at most once), traced into
  // schedule.vcd, with schedule.gtkw. InputError for a scheduler's error.
  std::vector<ScheduleRow> schedule(const std::vector<mapping::Dataflow>& flows);
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
