// The operations of one GAN training step on the arrays and their dependencies, built from
// the per-layer costs of a mapped network (pure C++; the OperationScheduler runs it).
//
// One op = one layer, one phase, one sample, on the arrays that hold the layer (its
// resource). Per sample n:
//   G forward      G.l.fwd(n)       after G.(l-1).fwd(n)
//   D on fakes     D.l.fake(n)      after D.(l-1).fake(n); D.0.fake(n) after G.last.fwd(n)
//   D on reals     D.l.real(n)      after D.(l-1).real(n)           (independent of G: overlaps)
//   D backward     D.l.bwd(n)       after D.(l+1).bwd(n), D.last.bwd(n) after both D.last.fake(n)
//                                   and D.last.real(n) (the loss needs both)
//   G backward     G.l.bwd(n)       after G.(l+1).bwd(n), G.last.bwd(n) after D.0.bwd(n)
// Ops on one resource run one at a time in the order given (program order); samples flow
// through the layers as a pipeline. Weight updates are not ops here (their programming time
// is part of each layer's backward cost).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace memgan::sched {

struct LayerTiming {
  std::string model;       // "generator" or "discriminator"
  std::string name;
  double forward_ns = 0;   // per sample
  double backward_ns = 0;  // per sample (data + weight gradients)
  double forward_pj = 0, backward_pj = 0;  // per sample
  int64_t forward_mvms = 0, backward_mvms = 0;  // per sample: addresses the dataflow mapper generates
};

struct Op {
  std::string name;        // "generator.up1.fwd[3]"
  int resource = 0;        // index into OperationGraph::resources
  int layer = 0;           // index into the layer list given to build_training_step
  uint64_t duration_ps = 0;
  double energy_pj = 0;
  int64_t mvms = 0;
  std::vector<int> deps;   // indices of ops that must finish first
};

struct OperationGraph {
  std::vector<std::string> resources;  // one per layer: "generator.up1"
  std::vector<Op> ops;                 // in program order
  uint64_t serial_ps = 0;              // sum of all durations: the time with no overlap at all
};

// `layers`: generator layers first (in order), then discriminator layers; throws
// std::invalid_argument if either model has no layer.
OperationGraph build_training_step(const std::vector<LayerTiming>& layers, int batch);

}  // namespace memgan::sched
