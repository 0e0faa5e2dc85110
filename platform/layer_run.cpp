#include "platform/layer_run.h"

#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/mapping/dataflow.h"
#include "core/mapping/mapper.h"
#include "core/nn/linear.h"
#include "core/nn/mvm_engine.h"
#include "core/nn/npy.h"
#include "platform/network_inputs.h"
#include "platform/run.h"
#include "platform/soc.h"

namespace memgan {
namespace {

struct Operands {
  nn::Tensor x, w, b, dy;
};

struct LayerOutputs {
  nn::Tensor y, dx;
  nn::WeightGrad grads;
  nn::MvmCounts program, forward, backward_data, backward_weight;
};

Operands read_operands(const LayerJob& a) {
  Operands o;
  try {
    o.x = nn::read_npy(a.input);
    o.w = nn::read_npy(a.weight);
    if (!a.bias.empty()) o.b = nn::read_npy(a.bias);
    if (!a.grad_output.empty()) o.dy = nn::read_npy(a.grad_output);
  } catch (const std::runtime_error& e) {
    throw InputError(e.what());
  }
  return o;
}

void expect_dims(const nn::Tensor& t, size_t dims, const std::string& what, const std::string& path) {
  if (t.shape.size() != dims) {
    throw InputError(
        fmt::format("{}: {} must have {} dimensions, got shape {}", path, what, dims, nn::shape_string(t.shape)));
  }
}

// Weights, forward, and with a grad_output both backward passes, counted.
template <class Layer>
void run_through(Layer& layer, const Operands& o, bool gradients, LayerOutputs& r) {
  layer.set_weights(o.w, o.b, &r.program);
  r.y = layer.forward(o.x, &r.forward);
  if (gradients) {
    r.dx = layer.backward_data(o.dy, &r.backward_data);
    r.grads = layer.backward_weight(o.x, o.dy, &r.backward_weight);
  }
}

mapping::ConvShape conv_shape(const LayerJob& a, const Operands& o) {
  mapping::ConvShape s;
  s.kind = a.type == "conv2d" ? mapping::ConvKind::Conv2d : mapping::ConvKind::ConvTranspose2d;
  s.batch = o.x.shape[0];
  s.in_channels = o.x.shape[1];
  s.in_h = o.x.shape[2];
  s.in_w = o.x.shape[3];
  s.out_channels = s.kind == mapping::ConvKind::Conv2d ? o.w.shape[0] : o.w.shape[1];
  s.kernel = o.w.shape[2];
  s.stride = a.stride;
  s.padding = a.padding;
  s.output_padding = a.output_padding;
  return s;
}

LayerOutputs compute(nn::MvmEngine& engine, const config::Config& cfg, const LayerJob& a, const Operands& o) {
  LayerOutputs r;
  const bool gradients = !a.grad_output.empty();
  try {
    if (a.type == "linear") {
      expect_dims(o.x, 2, "input (N x in_features)", a.input);
      expect_dims(o.w, 2, "weight (out_features x in_features)", a.weight);
      nn::Linear layer(engine, o.w.shape[1], o.w.shape[0]);
      run_through(layer, o, gradients, r);
    } else {
      expect_dims(o.x, 4, "input (N x C x H x W)", a.input);
      expect_dims(o.w, 4, a.type == "conv2d" ? "weight (Cout x Cin x K x K)" : "weight (Cin x Cout x K x K)", a.weight);
      const mapping::ConvShape s = conv_shape(a, o);
      if (o.w.shape[2] != o.w.shape[3]) throw InputError(fmt::format("{}: only square kernels (K x K)", a.weight));
      mapping::ConvLayer layer(engine, s, mapping::parse_dataflow(cfg.network.dataflow));
      run_through(layer, o, gradients, r);
    }
  } catch (const std::invalid_argument& e) {
    throw InputError(e.what());
  }
  return r;
}

// The .npy results and counts.json; returns the files written.
std::vector<std::string> write_outputs(const std::filesystem::path& dir, const config::Config& cfg,
                                       const LayerJob& a, const Operands& o, const LayerOutputs& r) {
  std::vector<std::string> files = {"output.npy"};
  nn::write_npy((dir / "output.npy").string(), r.y);
  if (!a.grad_output.empty()) {
    nn::write_npy((dir / "grad_input.npy").string(), r.dx);
    nn::write_npy((dir / "grad_weight.npy").string(), r.grads.weight);
    files.insert(files.end(), {"grad_input.npy", "grad_weight.npy"});
    if (!o.b.data.empty()) {
      nn::write_npy((dir / "grad_bias.npy").string(), r.grads.bias);
      files.push_back("grad_bias.npy");
    }
  }
  nlohmann::json counts = {{"program", mapping::to_json(r.program)},
                           {"forward", mapping::to_json(r.forward)},
                           {"backward_data", mapping::to_json(r.backward_data)},
                           {"backward_weight", mapping::to_json(r.backward_weight)},
                           {"dataflow", a.type == "linear" ? "n/a" : cfg.network.dataflow}};
  write_output_file(dir / "counts.json", counts.dump(2) + "\n");
  files.push_back("counts.json");
  return files;
}

}  // namespace

LayerResult run_layer(const config::LoadedConfig& loaded, const LayerJob& a) {
  const config::Config& cfg = loaded.config;
  const TileParams tp = Soc::tile_params(cfg);
  nn::CrossbarEngine engine(tp.geometry, tp.converters, tp.device, static_cast<uint64_t>(cfg.simulation.seed));
  const Operands o = read_operands(a);
  const LayerOutputs r = compute(engine, cfg, a, o);
  LayerResult result;
  result.dir = create_output_dir(a.out_dir);
  result.files = write_outputs(result.dir, cfg, a, o, r);
  result.input_shape = nn::shape_string(o.x.shape);
  result.output_shape = nn::shape_string(r.y.shape);
  result.dataflow = a.type == "linear" ? "n/a" : cfg.network.dataflow;
  result.forward_mvms = r.forward.logical_mvms;
  result.forward_adc_conversions = r.forward.adc_conversions;
  return result;
}

}  // namespace memgan
