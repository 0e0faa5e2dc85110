#include "models/scheduler/operation_graph.h"

#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

namespace memgan::sched {

OperationGraph build_training_step(const std::vector<LayerTiming>& layers, int batch) {
  std::vector<int> g, d;  // layer indices per model
  for (int i = 0; i < int(layers.size()); ++i) (layers[i].model == "generator" ? g : d).push_back(i);
  if (g.empty() || d.empty()) throw std::invalid_argument("a training step needs generator and discriminator layers");
  if (batch < 1) throw std::invalid_argument("batch must be >= 1");

  OperationGraph graph;
  for (const auto& l : layers) graph.resources.push_back(l.model + "." + l.name);
  const auto ps = [](double ns) { return static_cast<uint64_t>(std::llround(ns * 1e3)); };
  auto add = [&](int layer, const char* phase, int n, bool backward, std::vector<int> deps) {
    const LayerTiming& l = layers[layer];
    Op op;
    op.name = fmt::format("{}.{}.{}[{}]", l.model, l.name, phase, n);
    op.resource = layer;
    op.layer = layer;
    op.duration_ps = ps(backward ? l.backward_ns : l.forward_ns);
    op.energy_pj = backward ? l.backward_pj : l.forward_pj;
    op.mvms = backward ? l.backward_mvms : l.forward_mvms;
    op.deps = std::move(deps);
    graph.serial_ps += op.duration_ps;
    graph.ops.push_back(std::move(op));
    return int(graph.ops.size()) - 1;
  };
  // Program order is sample-major within each layer chain, so a resource serves samples in
  // order and the chain pipelines.
  std::vector<std::vector<int>> g_fwd(g.size(), std::vector<int>(batch)), d_fake(d.size(), std::vector<int>(batch)),
      d_real(d.size(), std::vector<int>(batch)), d_bwd(d.size(), std::vector<int>(batch)),
      g_bwd(g.size(), std::vector<int>(batch));
  for (size_t i = 0; i < g.size(); ++i)
    for (int n = 0; n < batch; ++n) g_fwd[i][n] = add(g[i], "fwd", n, false, i ? std::vector<int>{g_fwd[i - 1][n]} : std::vector<int>{});
  for (size_t i = 0; i < d.size(); ++i)
    for (int n = 0; n < batch; ++n) {
      d_real[i][n] = add(d[i], "real", n, false, i ? std::vector<int>{d_real[i - 1][n]} : std::vector<int>{});
      d_fake[i][n] = add(d[i], "fake", n, false,
                         std::vector<int>{i ? d_fake[i - 1][n] : g_fwd[g.size() - 1][n]});
    }
  for (size_t k = d.size(); k-- > 0;)
    for (int n = 0; n < batch; ++n) {
      std::vector<int> deps = k + 1 < d.size() ? std::vector<int>{d_bwd[k + 1][n]}
                                               : std::vector<int>{d_fake[k][n], d_real[k][n]};
      d_bwd[k][n] = add(d[k], "bwd", n, true, std::move(deps));
    }
  for (size_t k = g.size(); k-- > 0;)
    for (int n = 0; n < batch; ++n) {
      g_bwd[k][n] = add(g[k], "bwd", n, true, std::vector<int>{k + 1 < g.size() ? g_bwd[k + 1][n] : d_bwd[0][n]});
    }
  return graph;
}

}  // namespace memgan::sched
