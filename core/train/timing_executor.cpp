#include "core/train/timing_executor.h"

#include <algorithm>
#include <cmath>
#include <istream>
#include <ostream>
#include <stdexcept>

#include <fmt/format.h>

#include "core/xbar/crossbar_array.h"

namespace memgan::train {
namespace {

constexpr const char* kTag = "memgan-timing-checkpoint";
constexpr uint32_t kVersion = 1;
constexpr const char* kWhat = "timing checkpoint";

int64_t elements(const std::vector<int>& shape) {
  int64_t n = 1;
  for (const int d : shape) n *= d;
  return n;
}

}  // namespace

double adam_pulses_per_weight(double lr, double weight_range, const xbar::ArrayGeometry& geometry,
                              const xbar::ConverterParams& converters, const xbar::DeviceParams& device) {
  const xbar::CrossbarArray probe(geometry, converters, device, 0);
  const double q = converters.quantize ? std::ldexp(1.0, converters.weight_bits - 1) - 1.0 : 1.0;
  const double weight_step = weight_range / q * probe.weight_per_pulse();
  return std::min(lr / weight_step, double(device.pulse.pulses_full_range));
}

TimingExecutor::TimingExecutor(const mapping::Network& net, const TimingSettings& settings) : s_(settings) {
  if (s_.batch < 1) throw std::invalid_argument("train: batch must be >= 1");
  for (const double p : s_.pulses_per_weight)
    if (!(p >= 0) || !std::isfinite(p))
      throw std::invalid_argument(fmt::format("train: {} pulses per weight: a timing run needs a finite number >= 0", p));
  const mapping::ModelSpec& gs = net.model("generator");
  const mapping::ModelSpec& ds = net.model("discriminator");
  latent_ = latent_length(gs);
  image_size_ = elements(ds.input);
  if (elements(gs.layers.back().output) != image_size_)
    throw std::invalid_argument(fmt::format("train: the generator makes {} values per sample, the discriminator takes {}",
                                            elements(gs.layers.back().output), image_size_));
  logits_ = elements(ds.layers.back().output);
  for (const mapping::ModelSpec* ms : {&gs, &ds}) {
    auto& layers = layers_[ms == &gs ? 0 : 1];
    std::vector<int> in = ms->input;
    for (const mapping::LayerSpec& spec : ms->layers) {
      Layer L;
      L.spec = spec;
      const std::vector<int>& input = spec.input.empty() ? in : spec.input;
      L.in_size = elements(input) * s_.batch;
      L.out_size = elements(spec.output) * s_.batch;
      switch (spec.type) {
        case mapping::LayerType::Linear:
          L.cost = mapping::linear_cost(s_.batch, spec.in_features, spec.out_features, spec.bias, s_.arrays);
          L.weights = int64_t(spec.in_features) * spec.out_features;
          L.biases = spec.bias ? spec.out_features : 0;
          break;
        case mapping::LayerType::Conv2d:
        case mapping::LayerType::ConvTranspose2d:
          L.cost = mapping::conv_cost(spec.conv_shape(s_.batch), s_.dataflow, s_.arrays, spec.bias);
          L.weights = int64_t(spec.in_channels) * spec.out_channels * spec.kernel * spec.kernel;
          L.biases = spec.bias ? spec.out_channels : 0;
          break;
        case mapping::LayerType::BatchNorm:
          L.weights = L.biases = input.at(0);  // gamma and beta
          break;
        default: break;
      }
      if (spec.on_crossbars()) totals_ += L.cost.program;
      in = spec.output;
      layers.push_back(std::move(L));
    }
  }
}

const TimingExecutor::Layer& TimingExecutor::layer(Model m, int i) const {
  const auto& layers = layers_[int(m)];
  if (i < 0 || i >= int(layers.size()))
    throw std::invalid_argument(fmt::format("layer {}: the {} has {} layers", i, model_name(m), layers.size()));
  return layers[size_t(i)];
}

int TimingExecutor::layer_count(Model m) const { return int(layers_[int(m)].size()); }
const mapping::LayerSpec& TimingExecutor::layer_spec(Model m, int i) const { return layer(m, i).spec; }
bool TimingExecutor::on_arrays(Model m, int i) const { return layer(m, i).spec.on_crossbars(); }
int64_t TimingExecutor::weight_count(Model m, int i) const { return on_arrays(m, i) ? layer(m, i).weights : 0; }

OpWork TimingExecutor::execute(const TrainOp& op) {
  OpWork w;
  const int64_t ops_per_param = s_.adam ? 10 : 1;  // the optimizer's FP32 operations per parameter
  switch (op.opcode) {
    case TrainOpcode::Latent: w.noise_samples = latent_ * s_.batch; break;
    case TrainOpcode::LoadReal:
      w.dram_bytes = image_size_ * s_.batch;  // 8-bit pixels
      w.digital_ops = w.dram_bytes;           // scaling to [-1, 1]
      break;
    case TrainOpcode::Loss: w.digital_ops = 12 * logits_ * s_.batch; break;
    case TrainOpcode::Forward:
    case TrainOpcode::BackwardData: {
      const Layer& L = layer(op.model, op.layer);
      const bool backward = op.opcode == TrainOpcode::BackwardData;
      if (L.spec.on_crossbars()) {
        w.arrays = backward ? L.cost.backward_data : L.cost.forward;
        w.parallel_arrays = L.cost.program.arrays_used;
      } else {  // element-wise: per input element forward, per output gradient element backward
        w.digital_ops = mapping::elementwise_ops_per_element(L.spec.type, backward) * (backward ? L.out_size : L.in_size);
      }
      break;
    }
    case TrainOpcode::BackwardWeight: {
      const Layer& L = layer(op.model, op.layer);
      if (!L.spec.on_crossbars())
        throw std::logic_error(fmt::format("{}: out of order: the layer has no weight matrix", describe(op)));
      // One FP32 MAC per weight, sample and position of the smaller tensor (as the trainer counts).
      int64_t positions = 1;
      if (L.spec.type == mapping::LayerType::ConvTranspose2d) positions = int64_t(L.spec.input.at(1)) * L.spec.input.at(2);
      if (L.spec.type == mapping::LayerType::Conv2d) positions = int64_t(L.spec.output.at(1)) * L.spec.output.at(2);
      w.digital_macs = L.weights * s_.batch * positions;
      w.digital_ops = L.cost.backward_weight.digital_adds();
      break;
    }
    case TrainOpcode::Update: {
      const Layer& L = layer(op.model, op.layer);
      if (L.spec.type == mapping::LayerType::BatchNorm) {
        w.digital_ops = ops_per_param * (L.weights + L.biases);
      } else if (L.spec.on_crossbars()) {
        w.digital_ops = ops_per_param * (L.biases + (s_.manhattan ? 0 : L.weights));
        // Every stored copy of a weight is pulsed (zero_insertion and zero_free keep the
        // backward-data matrix M_g beside the forward one).
        const int64_t stored = L.cost.resident_weights();
        const int64_t pulses = std::llround(double(stored) * s_.pulses_per_weight[int(op.model)]);
        w.arrays.write_pulses = pulses;
        w.arrays.cells_written = std::min(stored, pulses);
        w.arrays.write_energy_pj = double(pulses) * s_.pulse_pj;
        // The Manhattan rule pulses the weights, then updates the biases as a second pass.
        w.arrays.arrays_used = L.cost.program.arrays_used * (s_.manhattan ? 2 : 1);
        w.arrays.bias_adds = L.biases;
        w.parallel_arrays = L.cost.program.arrays_used;
      }
      break;
    }
    case TrainOpcode::StepEnd: ++steps_; break;
    case TrainOpcode::Eval:
    case TrainOpcode::Checkpoint: break;
  }
  totals_ += w.arrays;
  return w;
}

void TimingExecutor::save(std::ostream& out) const {
  namespace io = xbar::state_io;
  io::write_tag(out, kTag, kVersion);
  for (const int32_t v : {s_.batch, layer_count(Model::Generator), layer_count(Model::Discriminator)}) io::write(out, v);
  io::write(out, steps_);
  io::write(out, totals_);
  if (!out) throw std::runtime_error("checkpoint: write failed");
}

void TimingExecutor::load(std::istream& in) {
  namespace io = xbar::state_io;
  io::read_tag(in, kTag, kVersion, kWhat);
  for (const int32_t want : {s_.batch, layer_count(Model::Generator), layer_count(Model::Discriminator)}) {
    const auto got = io::read<int32_t>(in, kWhat);
    if (got != want)
      throw std::runtime_error(fmt::format("{}: saved from another network or batch ({} where this run has {})", kWhat,
                                           got, want));
  }
  const auto steps = io::read<int64_t>(in, kWhat);
  if (steps < 0) throw std::runtime_error(fmt::format("{}: negative step count {}", kWhat, steps));
  const auto totals = io::read<nn::MvmCounts>(in, kWhat);
  steps_ = steps;
  totals_ = totals;
}

}  // namespace memgan::train
