#include "core/train/train_ops.h"

#include <stdexcept>

#include "core/train/op_executor.h"

#include <fmt/format.h>

namespace memgan::train {

int latent_length(const mapping::ModelSpec& generator) {
  const std::vector<int>& in = generator.input;
  bool vector = !in.empty();
  for (size_t i = 1; i < in.size(); ++i) vector = vector && in[i] == 1;
  if (!vector) throw std::invalid_argument("train: the generator's input must be a latent vector, [n] or [n, 1, 1]");
  return in[0];
}

std::optional<TrainOp> decode_train_op(uint32_t word) {
  TrainOp op;
  const uint32_t code = word >> 24, model = (word >> 20) & 0xF, arg = (word >> 16) & 0xF;
  if (code < uint32_t(TrainOpcode::Latent) || code > uint32_t(TrainOpcode::Checkpoint)) return std::nullopt;
  if (model > 1) return std::nullopt;
  op.opcode = TrainOpcode(code);
  op.model = Model(model);
  op.arg = uint8_t(arg);
  op.layer = uint16_t(word & 0xFFFF);
  if (op.opcode == TrainOpcode::Forward && arg > 1) return std::nullopt;
  if (op.opcode == TrainOpcode::Loss && arg > 2) return std::nullopt;
  if (op.opcode != TrainOpcode::Forward && op.opcode != TrainOpcode::Loss && arg != 0) return std::nullopt;
  return op;
}

const char* opcode_name(TrainOpcode op) {
  switch (op) {
    case TrainOpcode::Latent: return "latent";
    case TrainOpcode::LoadReal: return "load_real";
    case TrainOpcode::Forward: return "forward";
    case TrainOpcode::Loss: return "loss";
    case TrainOpcode::BackwardData: return "backward_data";
    case TrainOpcode::BackwardWeight: return "backward_weight";
    case TrainOpcode::Update: return "update";
    case TrainOpcode::StepEnd: return "step_end";
    case TrainOpcode::Eval: return "eval";
    case TrainOpcode::Checkpoint: return "checkpoint";
  }
  return "?";
}

const char* model_name(Model m) { return m == Model::Generator ? "generator" : "discriminator"; }

std::string describe(const TrainOp& op) {
  switch (op.opcode) {
    case TrainOpcode::Forward:
      return fmt::format("forward {}[{}]{}", model_name(op.model), op.layer,
                         op.model == Model::Discriminator ? (op.arg ? " fake" : " real") : "");
    case TrainOpcode::BackwardData:
    case TrainOpcode::BackwardWeight:
    case TrainOpcode::Update:
      return fmt::format("{} {}[{}]", opcode_name(op.opcode), model_name(op.model), op.layer);
    case TrainOpcode::Loss: {
      const char* kinds[] = {"discriminator real", "discriminator fake", "generator"};
      return fmt::format("loss {}", kinds[op.arg]);
    }
    default: return opcode_name(op.opcode);
  }
}

}  // namespace memgan::train
