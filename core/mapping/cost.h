// Analytic (closed-form) costs of the layers of dataflow.h and nn::Linear: the counts that
// running them through an MvmEngine produces, computed from the dimensions alone.
//
// Counts assume every activation and gradient value is non-zero, so inputs_nonzero counts only
// the structural zeros a dataflow feeds (inserted zeros, padding); real data with zeros (ReLU)
// counts fewer non-zeros when run. Everything else is exact. Per-axis tap counts are sums over
// the K taps (docs/dataflows.md gives the formulas):
//   V   = #{(a, k): 0 <= a*S + k - P < Hb}                       valid (pixel, tap) pairs
//   V_r = #{(t, m): 0 <= base_r + t - m < h}                     the same within phase r
//   Vg  = #{(z, k): z < (h-1)S + 1, 0 <= z + k - P < Hb}         on the zero-inserted grid
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/mapping/dataflow.h"
#include "core/mapping/phase_geometry.h"
#include "core/nn/mvm_engine.h"

namespace memgan::mapping {

struct MatrixSpec {
  std::string role;  // "M_zi", "M_g", "M_px", "P_<ry><rx>", "W^T", "scratch", "scratch_<ry><rx>"
  int rows = 0, cols = 0;
  nn::MatrixInfo tiling;
  int64_t forward_mvms = 0;  // MVMs one forward pass applies to it (whole batch; 0: backward only)
};

struct LayerCost {
  std::vector<MatrixSpec> resident;  // programmed by set_weights, read by forward / backward-data
  std::vector<MatrixSpec> scratch;   // programmed by every backward_weight call
  nn::MvmCounts program;             // set_weights: arrays_used, weights_programmed
  nn::MvmCounts forward, backward_data, backward_weight;
  int64_t resident_arrays() const;
  int64_t resident_weights() const;  // logical weights stored (sum of rows * cols)
};

// Per-axis pair counts (see above).
int64_t valid_pairs(const AxisGeometry& g);
int64_t grid_pairs(const AxisGeometry& g);
int64_t phase_pairs(const AxisGeometry& g, const AxisPhase& p);

LayerCost conv_cost(const ConvShape& shape, Dataflow dataflow, const nn::ArrayShape& arrays, bool bias);

// The timing of a tile's arrays for counted work (the tile model and memgan compare both use it).
struct ArrayTiming {
  double dac_ns = 0, array_read_ns = 0, adc_ns = 0;  // one read: DAC settle + read, or its conversions
  int adcs_per_array = 1;                            // one shift-and-add unit behind each ADC
  double clock_ns = 1, row_write_ns = 0, write_pulse_ns = 0;
  int logical_cols = 1;                              // weights written per row write / pulse step
};
// `counts` on `arrays` arrays in lock step:
//   t_read = max(dac_ns + array_read_ns, ceil(conversions per read / adcs_per_array) * adc_ns)
//   ceil(reads / P) * t_read + ceil(digital adds / (P * adcs)) clocks
//   + ceil(weights programmed / (P * cols)) * row_write_ns + ceil(pulses / (P * cols)) * write_pulse_ns
double lock_step_ns(const nn::MvmCounts& counts, int64_t arrays, const ArrayTiming& timing);
LayerCost linear_cost(int batch, int in_features, int out_features, bool bias, const nn::ArrayShape& arrays);

}  // namespace memgan::mapping
