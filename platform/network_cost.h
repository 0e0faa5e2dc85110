// Time and energy of a mapped network's layers on the configured chip, from the per-phase
// counts of core/mapping (closed forms, which tests prove equal to the counts of actually
// running the layers) and the same timing and energy tables the tile model uses.
//
// Per phase (forward; backward = backward-data + backward-weight) of a layer:
//   P        arrays working in parallel: forward, the arrays of the matrices the forward pass
//            reads (x replicas); backward-data, those of its backward-only matrices (M_g) or
//            else the resident set; backward-weight, its scratch arrays
//   t_read   max(dac_ns + array_read_ns, ceil(conversions per read / adc.per_array) * adc_ns)
//   time     ceil(array_reads / P) * t_read                       (arrays in lock step)
//            + ceil(digital adds / (P * adc.per_array)) clocks    (one shift-add unit per ADC)
//            + ceil(weights programmed / (P * logical cols)) * row_write_ns   (scratch writes)
//   energy   DAC, ADC and shift-add from their per-event tables; array read energy
//            V^2 * G_mid * t * 0.5 (half the input bits are 1) per DAC-driven row and sensed
//            column when the counts carry none; buffers per byte of inputs applied and outputs
//            produced; programming pulses (pulses_full_range / 2 per cell on average) at
//            V_write^2 * G_mid * t_write.
// Element-wise layers (batch norm, activations) run on the digital unit:
//   time     ceil(ops / arch.digital.lanes) clocks, ops = elements x ops per element
//            (mapping::elementwise_ops_per_element, the training cost uses the same)
//   energy   ops x energy.digital_op_pj ("digital")
// Left out: DRAM and bus traffic between layers, the pipeline overlap of consecutive layers
// (each layer's time is its own), and data-dependent zero skipping.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/config/config.h"
#include "core/mapping/mapper.h"

namespace memgan {

struct PhaseCost {
  double time_ns = 0;
  std::map<std::string, double> energy_pj;  // array, dac, adc, shift_add, buffers, writes
  int64_t mvms = 0, array_reads = 0, adc_conversions = 0, parallel_arrays = 0;
  double energy_total_pj() const;
};

struct LayerCostEstimate {
  std::string model, name, type;
  bool digital = false;  // an element-wise layer on the digital unit (no arrays)
  PhaseCost forward, backward;
  int64_t arrays = 0;
  double utilization = 0;
  double fed_zero_fraction = 0;
};

// Time and energy of counted array work on `parallel` arrays in lock step (formulas above).
PhaseCost phase_cost(const nn::MvmCounts& counts, int64_t parallel, const config::Config& cfg,
                     const nn::ArrayShape& shape);
mapping::ArchSpec arch_spec(const config::Config& cfg);
// One programming pulse on a mid-range cell: V_write^2 * G_mid * t_write.
double mid_range_pulse_pj(const config::DeviceConfig& d);
// Every layer of `net` that does work, in network order: the crossbar layers from `mapping`
// (mapped from `net`), the element-wise ones on the digital unit; reshapes are left out.
std::vector<LayerCostEstimate> estimate_network(const mapping::Network& net, const mapping::NetworkMapping& mapping,
                                                const config::Config& cfg);
// Digital-unit cost of `ops` FP32 operations.
PhaseCost digital_cost(int64_t ops, const config::Config& cfg);
// energy_pj[key], 0 when the phase has no such component.
double energy_of(const PhaseCost& p, const std::string& key);
nlohmann::json to_json(const PhaseCost& phase);

}  // namespace memgan
