#include "core/mapping/mapper.h"

#include <algorithm>

#include <fmt/format.h>

namespace memgan::mapping {
namespace {

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

std::string shape_text(const std::vector<int>& s) {
  std::string t;
  for (std::size_t i = 0; i < s.size(); ++i) t += (i ? "x" : "") + std::to_string(s[i]);
  return t;
}

const char* encoding_name(xbar::WeightEncoding e) {
  return e == xbar::WeightEncoding::Differential ? "differential" : "offset";
}

LayerMapping map_layer(const std::string& model, const LayerSpec& l, const nn::ArrayShape& shape,
                       const MapOptions& o) {
  LayerMapping m;
  m.model = model;
  m.name = l.name;
  m.type = l.type;
  m.input = l.input;
  m.output = l.output;
  m.cost = l.type == LayerType::Linear
               ? linear_cost(o.batch, l.in_features, l.out_features, l.bias, shape)
               : conv_cost(l.conv_shape(o.batch), o.dataflow, shape, l.bias);
  int64_t weights = 0, most_mvms = 0;
  for (const auto& mat : m.cost.resident) {
    if (!o.training && mat.forward_mvms == 0) continue;
    m.matrices.push_back(mat);
    m.arrays += mat.tiling.arrays();
    weights += int64_t(mat.rows) * mat.cols;
    most_mvms = std::max(most_mvms, mat.forward_mvms);
  }
  m.utilization = m.arrays ? double(weights) / (double(m.arrays) * shape.rows * shape.cols) : 0.0;
  const nn::MvmCounts& f = m.cost.forward;
  m.mvms_per_sample = f.logical_mvms / o.batch;
  m.mvm_length = f.mean_mvm_length();
  m.nonzero_length = f.logical_mvms ? double(f.inputs_nonzero) / double(f.logical_mvms) : 0.0;
  m.fed_zero_fraction = f.fed_zero_fraction();
  m.steps_per_sample = most_mvms / o.batch;
  for (const auto& mat : m.cost.scratch) m.scratch_arrays += mat.tiling.arrays();
  return m;
}

}  // namespace

nn::ArrayShape array_shape(const ArchSpec& a) {
  xbar::ConverterParams cp;
  cp.quantize = a.quantize;
  cp.cell_bits = a.cell_bits;
  cp.weight_bits = a.weight_bits;
  cp.input_bits = a.input_bits;
  cp.dac_bits = a.dac_bits;
  cp.encoding = a.encoding;
  xbar::DeviceParams dp;
  dp.levels = std::max(dp.levels, 1 << std::clamp(a.cell_bits, 0, 16));
  const xbar::CrossbarArray probe({a.array_rows, a.array_cols}, cp, dp, 0);
  return {probe.logical_rows(), probe.logical_cols(), probe.weight_slices(), probe.input_cycles()};
}

NetworkMapping map_network(const Network& net, const ArchSpec& arch, const MapOptions& options) {
  if (options.batch < 1) throw std::invalid_argument("map_network: batch must be >= 1");
  if (arch.tiles < 1 || arch.arrays_per_tile < 1)
    throw std::invalid_argument("map_network: tiles and arrays_per_tile must be >= 1");
  NetworkMapping nm;
  nm.network = net.name;
  nm.arch = arch;
  nm.shape = array_shape(arch);
  nm.options = options;
  nm.arrays_available = arch.arrays_available();
  for (const auto& model : net.models)
    for (const auto& l : model.layers)
      if (l.on_crossbars()) nm.layers.push_back(map_layer(model.name, l, nm.shape, options));
  for (const auto& l : nm.layers) nm.arrays_needed += l.arrays;
  nm.fits = nm.arrays_needed <= nm.arrays_available;
  if (nm.fits && options.replicate) {
    for (;;) {
      LayerMapping* worst = nullptr;
      for (auto& l : nm.layers)
        if (!worst || ceil_div(l.steps_per_sample, l.replicas) > ceil_div(worst->steps_per_sample, worst->replicas))
          worst = &l;
      if (!worst || ceil_div(worst->steps_per_sample, worst->replicas) <= 1 ||
          nm.arrays_needed + worst->arrays > nm.arrays_available)
        break;
      ++worst->replicas;
      nm.arrays_needed += worst->arrays;
    }
  }
  return nm;
}

nlohmann::json to_json(const nn::MvmCounts& c) {
  return {{"logical_mvms", c.logical_mvms},
          {"array_reads", c.array_reads},
          {"dac_conversions", c.dac_conversions},
          {"adc_conversions", c.adc_conversions},
          {"adc_saturations", c.adc_saturations},
          {"inputs_applied", c.inputs_applied},
          {"inputs_nonzero", c.inputs_nonzero},
          {"outputs", c.outputs},
          {"outputs_discarded", c.outputs_discarded},
          {"partial_sum_adds", c.partial_sum_adds},
          {"overlap_adds", c.overlap_adds},
          {"bias_adds", c.bias_adds},
          {"digital_adds", c.digital_adds()},
          {"arrays_used", c.arrays_used},
          {"weights_programmed", c.weights_programmed},
          {"cells_written", c.cells_written},
          {"write_pulses", c.write_pulses},
          {"write_energy_pj", c.write_energy_pj},
          {"array_energy_pj", c.array_energy_pj},
          {"fed_zero_fraction", c.fed_zero_fraction()},
          {"mean_mvm_length", c.mean_mvm_length()}};
}

nlohmann::json to_json(const NetworkMapping& m) {
  nlohmann::json layers = nlohmann::json::array();
  for (const auto& l : m.layers) {
    nlohmann::json mats = nlohmann::json::array();
    for (const auto& x : l.matrices)
      mats.push_back({{"role", x.role},
                      {"rows", x.rows},
                      {"cols", x.cols},
                      {"row_tiles", x.tiling.row_tiles},
                      {"col_tiles", x.tiling.col_tiles},
                      {"arrays", x.tiling.arrays()},
                      {"forward_mvms", x.forward_mvms}});
    const bool conv = l.type != LayerType::Linear;
    layers.push_back({{"model", l.model},
                      {"name", l.name},
                      {"type", layer_type_name(l.type)},
                      {"input", l.input},
                      {"output", l.output},
                      {"dataflow", conv ? nlohmann::json(dataflow_name(m.options.dataflow)) : nlohmann::json()},
                      {"matrices", mats},
                      {"arrays", l.arrays},
                      {"utilization", l.utilization},
                      {"mvms_per_sample", l.mvms_per_sample},
                      {"mvm_length", l.mvm_length},
                      {"nonzero_length", l.nonzero_length},
                      {"fed_zero_fraction", l.fed_zero_fraction},
                      {"steps_per_sample", l.steps_per_sample},
                      {"replicas", l.replicas},
                      {"scratch_arrays", l.scratch_arrays},
                      {"counts",
                       {{"batch", m.options.batch},
                        {"program", to_json(l.cost.program)},
                        {"forward", to_json(l.cost.forward)},
                        {"backward_data", to_json(l.cost.backward_data)},
                        {"backward_weight", to_json(l.cost.backward_weight)}}}});
  }
  const ArchSpec& a = m.arch;
  return {{"network", m.network},
          {"dataflow", dataflow_name(m.options.dataflow)},
          {"batch", m.options.batch},
          {"training", m.options.training},
          {"replicate", m.options.replicate},
          {"arch",
           {{"array_rows", a.array_rows},
            {"array_cols", a.array_cols},
            {"cell_bits", a.cell_bits},
            {"weight_bits", a.weight_bits},
            {"input_bits", a.input_bits},
            {"dac_bits", a.dac_bits},
            {"quantize", a.quantize},
            {"encoding", encoding_name(a.encoding)},
            {"tiles", a.tiles},
            {"arrays_per_tile", a.arrays_per_tile}}},
          {"array_shape",
           {{"rows", m.shape.rows}, {"cols", m.shape.cols}, {"slices", m.shape.slices}, {"cycles", m.shape.cycles}}},
          {"arrays_available", m.arrays_available},
          {"arrays_needed", m.arrays_needed},
          {"fits", m.fits},
          {"layers", layers}};
}

std::string format_table(const NetworkMapping& m) {
  std::string out = fmt::format(
      "network {}  dataflow {}  {}  array {}x{} logical ({} slices, {} input cycles)  arrays {} needed / {} "
      "available{}\n",
      m.network, dataflow_name(m.options.dataflow), m.options.training ? "training" : "inference", m.shape.rows,
      m.shape.cols, m.shape.slices, m.shape.cycles, m.arrays_needed, m.arrays_available, m.fits ? "" : "  DOES NOT FIT");
  out += fmt::format("{:<14} {:<10} {:<17} {:>10} {:>10}  {:<28} {:>7} {:>6} {:>9} {:>8} {:>8} {:>6} {:>7} {:>5}\n",
                     "model", "layer", "type", "input", "output", "matrices (rows x cols)", "arrays", "util%",
                     "MVMs/smp", "length", "nonzero", "zero%", "steps", "repl");
  for (const auto& l : m.layers) {
    // Equal shapes grouped: "4*64x128" for four phase matrices of 64 x 128.
    std::vector<std::pair<std::string, int>> groups;
    for (const auto& x : l.matrices) {
      const std::string one = fmt::format("{}x{}", x.rows, x.cols);
      const auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == one; });
      if (it == groups.end()) groups.emplace_back(one, 1);
      else ++it->second;
    }
    std::string mats;
    for (const auto& g : groups)
      mats += (mats.empty() ? "" : " ") + (g.second > 1 ? fmt::format("{}*{}", g.second, g.first) : g.first);
    out += fmt::format("{:<14} {:<10} {:<17} {:>10} {:>10}  {:<28} {:>7} {:>6.1f} {:>9} {:>8.1f} {:>8.1f} {:>6.1f} {:>7} {:>5}\n",
                       l.model, l.name, layer_type_name(l.type), shape_text(l.input),
                       shape_text(l.output), mats, l.arrays, 100.0 * l.utilization, l.mvms_per_sample, l.mvm_length,
                       l.nonzero_length, 100.0 * l.fed_zero_fraction, l.steps_per_sample, l.replicas);
  }
  return out;
}

}  // namespace memgan::mapping
