#include "core/train/op_readiness.h"

#include <algorithm>
#include <stdexcept>

namespace memgan::train {

namespace {

void shape(std::array<std::vector<uint64_t>, 2>& out, std::vector<uint64_t>& grad, std::vector<uint64_t>& wgrad,
           std::vector<uint64_t>& bd, std::vector<uint64_t>& weights, int layers) {
  if (layers < 1) throw std::invalid_argument("OpReadiness: a model needs at least one layer");
  for (auto& o : out) o.assign(size_t(layers), 0);
  grad.assign(size_t(layers), 0);
  wgrad.assign(size_t(layers), 0);
  bd.assign(size_t(layers), 0);
  weights.assign(size_t(layers), 0);
}

}  // namespace

OpReadiness::OpReadiness(int generator_layers, int discriminator_layers) {
  shape(g_.out, g_.grad, g_.wgrad, g_.bd, g_.weights, generator_layers);
  shape(d_.out, d_.grad, d_.wgrad, d_.bd, d_.weights, discriminator_layers);
}

uint64_t OpReadiness::ready(const TrainOp& op) const {
  const ModelValues& v = values(op.model);
  const size_t l = op.layer;
  const auto layer_ok = [&] {
    if (l >= v.grad.size()) throw std::out_of_range("OpReadiness: no such layer");
  };
  switch (op.opcode) {
    case TrainOpcode::Latent:
    case TrainOpcode::LoadReal: return 0;
    case TrainOpcode::Forward: {
      layer_ok();
      const int slot = op.model == Model::Generator ? 0 : (op.arg ? 1 : 0);
      uint64_t in = 0;
      if (l > 0) in = v.out[size_t(slot)][l - 1];
      else if (op.model == Model::Generator) in = latent_;
      else in = slot == 0 ? real_ : g_.out[0].back();
      return std::max(in, v.weights[l]);
    }
    case TrainOpcode::Loss: return d_.out[LossKind(op.arg) == LossKind::DiscriminatorReal ? 0 : 1].back();
    case TrainOpcode::BackwardData:
    case TrainOpcode::BackwardWeight:
      layer_ok();
      return v.grad[l];
    case TrainOpcode::Update: layer_ok(); return std::max(v.wgrad[l], v.bd[l]);
    case TrainOpcode::StepEnd:
    case TrainOpcode::Eval:
    case TrainOpcode::Checkpoint: return last_end_;
  }
  return last_end_;
}

void OpReadiness::done(const TrainOp& op, uint64_t end) {
  ModelValues& v = values(op.model);
  const size_t l = op.layer;
  switch (op.opcode) {
    case TrainOpcode::Latent: latent_ = end; break;
    case TrainOpcode::LoadReal: real_ = end; break;
    case TrainOpcode::Forward: v.out[op.model == Model::Generator ? 0 : (op.arg ? 1 : 0)].at(l) = end; break;
    case TrainOpcode::Loss: d_.grad.back() = end; break;
    case TrainOpcode::BackwardData:
      v.bd.at(l) = end;
      if (l > 0) {
        v.grad[l - 1] = end;
      } else {
        v.input_grad = end;
        if (op.model == Model::Discriminator) g_.grad.back() = end;  // the generator's output gradient
      }
      break;
    case TrainOpcode::BackwardWeight: v.wgrad.at(l) = end; break;
    case TrainOpcode::Update: v.weights.at(l) = end; break;
    case TrainOpcode::StepEnd:
    case TrainOpcode::Eval:
    case TrainOpcode::Checkpoint: break;
  }
  last_end_ = std::max(last_end_, end);
}

}  // namespace memgan::train
