#include "platform/network_cost.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace memgan {
double mid_range_pulse_pj(const config::DeviceConfig& d) {
  // V^2 [V^2] * G [uS] * t [ns] = 1e-15 J = 1e-3 pJ.
  return d.write_voltage_v * d.write_voltage_v * 0.5 * (d.g_min_us + d.g_max_us) * d.write_pulse_ns * 1e-3;
}

namespace {

int64_t ceil_div(int64_t a, int64_t b) { return b > 0 ? (a + b - 1) / b : a; }

}  // namespace

PhaseCost phase_cost(const nn::MvmCounts& c, int64_t parallel, const config::Config& cfg,
                     const nn::ArrayShape& shape) {
  const auto& e = cfg.energy;
  const auto& t = cfg.latency;
  const auto& d = cfg.device;
  PhaseCost p;
  p.parallel_arrays = std::max<int64_t>(1, parallel);
  p.mvms = c.logical_mvms;
  p.array_reads = c.array_reads;
  p.adc_conversions = c.adc_conversions;
  const double clock_ns = 1e3 / cfg.arch.clock_mhz;
  const double conversions_per_read = c.array_reads ? double(c.adc_conversions) / double(c.array_reads) : 0;
  mapping::ArrayTiming timing;
  timing.dac_ns = t.dac_ns;
  timing.array_read_ns = t.array_read_ns;
  timing.adc_ns = t.adc_ns;
  timing.adcs_per_array = cfg.arch.adc.per_array;
  timing.clock_ns = clock_ns;
  timing.row_write_ns = t.row_write_ns;
  timing.logical_cols = shape.cols;
  p.time_ns = mapping::lock_step_ns(c, p.parallel_arrays, timing);  // no pulses: compare costs no updates

  const double g_mid_us = 0.5 * (d.g_min_us + d.g_max_us);
  const double columns_per_conversion = cfg.arch.weight_encoding == "differential" ? 2.0 : 1.0;
  // V^2 [V^2] * G [uS] * t [ns] = 1e-15 J = 1e-3 pJ.
  const double read_pj_per_cell = d.read_voltage_v * d.read_voltage_v * g_mid_us * t.array_read_ns * 1e-3;
  const double sensed_columns_per_read = conversions_per_read * columns_per_conversion;
  const double array_pj = c.array_energy_pj > 0
                              ? c.array_energy_pj
                              : double(c.dac_conversions) * 0.5 * sensed_columns_per_read * read_pj_per_cell;
  const int elem = cfg.arch.quantize ? 1 : 4;
  const double cells_per_weight = shape.slices;  // one programmed cell per slice (the pair's other stays at g_min)
  const double pulse_pj = mid_range_pulse_pj(d);
  p.energy_pj["array"] = array_pj;
  p.energy_pj["dac"] = double(c.dac_conversions) * e.dac_conversion_pj;
  p.energy_pj["adc"] = double(c.adc_conversions) * e.adc_conversion_pj;
  p.energy_pj["shift_add"] = double(c.digital_adds()) * e.shift_add_pj;
  p.energy_pj["buffers"] = double(c.inputs_applied) * elem * e.input_buffer_read_pj_per_byte +
                           double(c.outputs) * 4 * e.output_buffer_write_pj_per_byte;
  p.energy_pj["writes"] =
      double(c.weights_programmed) * cells_per_weight * 0.5 * d.pulse.pulses_full_range * pulse_pj;
  return p;
}

namespace {

void add(PhaseCost& into, const PhaseCost& p) {
  into.time_ns += p.time_ns;
  for (const auto& [k, v] : p.energy_pj) into.energy_pj[k] += v;
  into.mvms += p.mvms;
  into.array_reads += p.array_reads;
  into.adc_conversions += p.adc_conversions;
  into.parallel_arrays = std::max(into.parallel_arrays, p.parallel_arrays);
}

}  // namespace

double PhaseCost::energy_total_pj() const {
  double s = 0;
  for (const auto& [k, v] : energy_pj) s += v;
  return s;
}

mapping::ArchSpec arch_spec(const config::Config& cfg) {
  mapping::ArchSpec a;
  a.array_rows = cfg.arch.array.rows;
  a.array_cols = cfg.arch.array.cols;
  a.cell_bits = cfg.arch.cell_bits;
  a.weight_bits = cfg.arch.weight_bits;
  a.input_bits = cfg.arch.input_bits;
  a.dac_bits = cfg.arch.dac_bits;
  a.quantize = cfg.arch.quantize;
  a.encoding =
      cfg.arch.weight_encoding == "differential" ? xbar::WeightEncoding::Differential : xbar::WeightEncoding::Offset;
  a.tiles = cfg.arch.tiles;
  a.arrays_per_tile = cfg.arch.arrays_per_tile;
  return a;
}

PhaseCost digital_cost(int64_t ops, const config::Config& cfg) {
  PhaseCost p;
  p.time_ns = double(ceil_div(ops, cfg.arch.digital.lanes)) * 1e3 / cfg.arch.clock_mhz;
  p.energy_pj["digital"] = double(ops) * cfg.energy.digital_op_pj;
  return p;
}

double energy_of(const PhaseCost& p, const std::string& key) {
  const auto it = p.energy_pj.find(key);
  return it == p.energy_pj.end() ? 0.0 : it->second;
}

std::vector<LayerCostEstimate> estimate_network(const mapping::Network& net, const mapping::NetworkMapping& m,
                                                const config::Config& cfg) {
  std::vector<LayerCostEstimate> out;
  size_t mapped = 0;
  for (const auto& model : net.models) {
    for (const auto& spec : model.layers) {
      if (spec.on_crossbars()) {
        if (mapped >= m.layers.size() || m.layers[mapped].name != spec.name)
          throw std::logic_error("estimate_network: the mapping is not of this network");
        const auto& l = m.layers[mapped++];
        int64_t forward_arrays = 0, backward_only_arrays = 0, resident_arrays = 0;
        for (const auto& mat : l.matrices) {
          resident_arrays += mat.tiling.arrays();
          if (mat.forward_mvms > 0) forward_arrays += mat.tiling.arrays();
          else backward_only_arrays += mat.tiling.arrays();
        }
        LayerCostEstimate e;
        e.model = l.model;
        e.name = l.name;
        e.type = layer_type_name(l.type);
        e.arrays = l.arrays * l.replicas;
        e.utilization = l.utilization;
        e.fed_zero_fraction = l.fed_zero_fraction;
        e.forward = phase_cost(l.cost.forward, forward_arrays * l.replicas, cfg, m.shape);
        e.backward = phase_cost(l.cost.backward_data, backward_only_arrays ? backward_only_arrays : resident_arrays,
                                cfg, m.shape);
        add(e.backward, phase_cost(l.cost.backward_weight, l.scratch_arrays, cfg, m.shape));
        out.push_back(std::move(e));
        continue;
      }
      const int64_t fwd = mapping::elementwise_ops_per_element(spec.type, false);
      if (fwd == 0) continue;  // reshape: no work
      int64_t elements = cfg.network.batch;
      for (int d : spec.output) elements *= d;
      LayerCostEstimate e;
      e.model = model.name;
      e.name = spec.name;
      e.type = layer_type_name(spec.type);
      e.digital = true;
      e.forward = digital_cost(elements * fwd, cfg);
      e.backward = digital_cost(elements * mapping::elementwise_ops_per_element(spec.type, true), cfg);
      out.push_back(std::move(e));
    }
  }
  return out;
}

nlohmann::json to_json(const PhaseCost& p) {
  return {{"time_ns", p.time_ns},       {"energy_pJ", p.energy_pj},         {"energy_total_pJ", p.energy_total_pj()},
          {"mvms", p.mvms},             {"array_reads", p.array_reads},     {"adc_conversions", p.adc_conversions},
          {"parallel_arrays", p.parallel_arrays}};
}

}  // namespace memgan
