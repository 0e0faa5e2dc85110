#include "core/train/op_readiness.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace memgan::train {

void OpReadiness::shape(ModelValues& v, int layers, std::vector<bool> coupled) const {
  if (layers < 1) throw std::invalid_argument("OpReadiness: a model needs at least one layer");
  if (coupled.empty()) coupled.assign(size_t(layers), false);
  if (coupled.size() != size_t(layers))
    throw std::invalid_argument("OpReadiness: batch coupling given for " + std::to_string(coupled.size()) +
                                " layers of " + std::to_string(layers));
  const Parts zero(size_t(parts_), 0);
  for (auto& o : v.out) o.assign(size_t(layers), zero);
  v.grad.assign(size_t(layers), zero);
  v.input_grad = zero;
  v.wgrad.assign(size_t(layers), 0);
  v.bd.assign(size_t(layers), 0);
  v.weights.assign(size_t(layers), 0);
  v.coupled = std::move(coupled);
}

OpReadiness::OpReadiness(int generator_layers, int discriminator_layers, int micro_batches,
                         std::vector<bool> batch_coupled_generator, std::vector<bool> batch_coupled_discriminator)
    : parts_(micro_batches) {
  if (micro_batches < 1) throw std::invalid_argument("OpReadiness: micro_batches must be at least 1");
  shape(g_, generator_layers, std::move(batch_coupled_generator));
  shape(d_, discriminator_layers, std::move(batch_coupled_discriminator));
  latent_.assign(size_t(parts_), 0);
  real_.assign(size_t(parts_), 0);
}

int OpReadiness::parts(const TrainOp& op) const {
  switch (op.opcode) {
    case TrainOpcode::Latent:
    case TrainOpcode::LoadReal:
    case TrainOpcode::Forward:
    case TrainOpcode::Loss:
    case TrainOpcode::BackwardData:
    case TrainOpcode::BackwardWeight: return parts_;
    default: return 1;
  }
}

uint64_t OpReadiness::read(const Parts& v, const ModelValues& m, size_t layer, int part) const {
  if (m.coupled[layer]) return *std::max_element(v.begin(), v.end());
  return v[size_t(part)];
}

uint64_t OpReadiness::ready(const TrainOp& op, int part) const {
  if (part < 0 || part >= parts(op)) throw std::out_of_range("OpReadiness: no such part");
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
      const Parts* in = nullptr;
      if (l > 0) in = &v.out[size_t(slot)][l - 1];
      else if (op.model == Model::Generator) in = &latent_;
      else in = slot == 0 ? &real_ : &g_.out[0].back();
      return std::max(read(*in, v, l, part), v.weights[l]);
    }
    case TrainOpcode::Loss:
      return d_.out[LossKind(op.arg) == LossKind::DiscriminatorReal ? 0 : 1].back()[size_t(part)];
    case TrainOpcode::BackwardData:
    case TrainOpcode::BackwardWeight: layer_ok(); return read(v.grad[l], v, l, part);
    case TrainOpcode::Update: layer_ok(); return std::max(v.wgrad[l], v.bd[l]);
    case TrainOpcode::StepEnd:
    case TrainOpcode::Eval:
    case TrainOpcode::Checkpoint: return last_end_;
  }
  return last_end_;
}

void OpReadiness::done(const TrainOp& op, int part, uint64_t end) {
  if (part < 0 || part >= parts(op)) throw std::out_of_range("OpReadiness: no such part");
  ModelValues& v = values(op.model);
  const size_t l = op.layer;
  const size_t p = size_t(part);
  // A whole-batch value: the operation's first part overwrites it, the others extend it.
  const auto whole = [&](uint64_t& value) { value = part == 0 ? end : std::max(value, end); };
  switch (op.opcode) {
    case TrainOpcode::Latent: latent_[p] = end; break;
    case TrainOpcode::LoadReal: real_[p] = end; break;
    case TrainOpcode::Forward: v.out[op.model == Model::Generator ? 0 : (op.arg ? 1 : 0)].at(l)[p] = end; break;
    case TrainOpcode::Loss: d_.grad.back()[p] = end; break;
    case TrainOpcode::BackwardData:
      whole(v.bd.at(l));
      if (l > 0) {
        v.grad[l - 1][p] = end;
      } else {
        v.input_grad[p] = end;
        if (op.model == Model::Discriminator) g_.grad.back()[p] = end;  // the generator's output gradient
      }
      break;
    case TrainOpcode::BackwardWeight: whole(v.wgrad.at(l)); break;
    case TrainOpcode::Update: v.weights.at(l) = end; break;
    case TrainOpcode::StepEnd:
    case TrainOpcode::Eval:
    case TrainOpcode::Checkpoint: break;
  }
  last_end_ = std::max(last_end_, end);
}

}  // namespace memgan::train
