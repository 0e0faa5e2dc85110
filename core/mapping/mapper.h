// Maps a network's crossbar layers (linear, conv2d, conv_transpose2d) onto arrays with one
// dataflow, from architecture numbers alone (closed forms of cost.h; nothing is run).
//
// Per layer: the resident weight matrices and their tiling, arrays of one replica, array
// utilization (stored weights / logical cells of those arrays), forward MVMs per sample, their
// mean length (rows driven per MVM) and non-zero length, fed-zero fraction, forward steps, the
// replica count, and the full per-phase counts (LayerCost) at options.batch.
//
// Resident set: training holds every resident matrix (forward and backward-data); inference
// only the matrices the forward pass reads. Scratch arrays of backward-weight are reported per
// layer and not placed (the scheduler shares them).
//
// Steps: matrices of one layer work in parallel, the MVMs on one matrix one after another, so a
// forward pass of one sample takes max over its matrices of the MVMs applied to that matrix
// (zero_free: the largest phase). Replication policy: when the resident sets of all layers fit
// the tiles x arrays_per_tile arrays, the spare arrays go, one replica at a time, to the layer
// with the most steps per replica (ceil(steps / replicas)), as long as a whole replica of it
// fits; this balances a layer pipeline. Ties go to the earlier layer. When they do not fit,
// fits = false and nothing is replicated.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/xbar/crossbar_array.h"
#include "core/mapping/cost.h"
#include "core/mapping/dataflow.h"
#include "core/mapping/network.h"

namespace memgan::mapping {

struct ArchSpec {
  int array_rows = 128, array_cols = 128;  // physical
  int cell_bits = 2, weight_bits = 8, input_bits = 8, dac_bits = 1;
  bool quantize = true;
  xbar::WeightEncoding encoding = xbar::WeightEncoding::Differential;
  int tiles = 1, arrays_per_tile = 1;
  int64_t arrays_available() const { return int64_t(tiles) * arrays_per_tile; }
};

// Logical rows / columns, slices and input cycles of one array, as xbar::CrossbarArray reports
// them. Throws std::invalid_argument for parameters the array rejects.
nn::ArrayShape array_shape(const ArchSpec& arch);

struct MapOptions {
  Dataflow dataflow = Dataflow::ZeroFree;
  int batch = 1;          // samples per step for LayerCost (backward-weight is not linear in it)
  bool training = true;   // resident set includes backward-data matrices
  bool replicate = true;  // use spare arrays for replicas
};

struct LayerMapping {
  std::string model, name;
  LayerType type = LayerType::Linear;
  std::vector<int> input, output;    // per sample
  std::vector<MatrixSpec> matrices;  // resident set (see above)
  LayerCost cost;                    // at options.batch
  int64_t arrays = 0;                // arrays of one replica
  double utilization = 0;
  int64_t mvms_per_sample = 0;       // forward logical MVMs
  double mvm_length = 0;             // mean rows driven per forward MVM
  double nonzero_length = 0;         // mean non-zero inputs per forward MVM
  double fed_zero_fraction = 0;
  int64_t steps_per_sample = 0;      // one replica
  int replicas = 1;
  int64_t scratch_arrays = 0;        // backward-weight, at options.batch
};

struct NetworkMapping {
  std::string network;
  ArchSpec arch;
  nn::ArrayShape shape;
  MapOptions options;
  std::vector<LayerMapping> layers;
  int64_t arrays_available = 0;
  int64_t arrays_needed = 0;  // sum of arrays x replicas
  bool fits = false;
};

NetworkMapping map_network(const Network& net, const ArchSpec& arch, const MapOptions& options);

nlohmann::json to_json(const nn::MvmCounts& c);
nlohmann::json to_json(const NetworkMapping& m);
std::string format_table(const NetworkMapping& m);

}  // namespace memgan::mapping
