// The operations of a GAN training step, as the controller's layer programs issue them to the
// layer engine. One operation is one 32-bit word written to the engine's CMD register:
//
//   bits 31..24  opcode (TrainOpcode)
//   bits 23..20  model: 0 generator, 1 discriminator
//   bits 19..16  argument: FORWARD 0 real batch / 1 fake batch (discriminator input);
//                LOSS 0 D(real) vs 1, 1 D(fake) vs 0, 2 generator (D(fake) vs 1)
//   bits 15..0   layer index within the model
//
// Pure C++: shared by the program compiler (firmware/), the engine (models/layer_engine/),
// the trainer (core/train/) and `memgan disasm`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace memgan::train {

enum class TrainOpcode : uint8_t {
  Latent = 0x01,          // draw a batch of latent vectors (the generator's input)
  LoadReal = 0x02,        // fetch the next batch of real images
  Forward = 0x03,         // one layer forward (arrays for linear/conv, digital unit otherwise)
  Loss = 0x04,            // loss and its gradient at the discriminator's logits
  BackwardData = 0x05,    // one layer's input gradient
  BackwardWeight = 0x06,  // one layer's weight (and bias) gradient, accumulated
  Update = 0x07,          // optimizer step of one layer: programming pulses / digital update
  StepEnd = 0x08,         // a training step is complete
  Eval = 0x09,            // sample grid, quality score and a train.csv row
  Checkpoint = 0x0A,      // save the whole training state
};

enum class Model : uint8_t { Generator = 0, Discriminator = 1 };
enum class LossKind : uint8_t { DiscriminatorReal = 0, DiscriminatorFake = 1, Generator = 2 };

struct TrainOp {
  TrainOpcode opcode = TrainOpcode::Latent;
  Model model = Model::Generator;
  uint8_t arg = 0;
  uint16_t layer = 0;

  uint32_t encode() const {
    return uint32_t(opcode) << 24 | uint32_t(model) << 20 | uint32_t(arg & 0xF) << 16 | layer;
  }
};

// Forward, backward-data, backward-weight and update: the operations that name a layer.
inline bool is_layer_op(TrainOpcode op) {
  return op == TrainOpcode::Forward || op == TrainOpcode::BackwardData || op == TrainOpcode::BackwardWeight ||
         op == TrainOpcode::Update;
}

// Decodes a CMD word; nullopt for an unknown opcode, model or argument.
std::optional<TrainOp> decode_train_op(uint32_t word);
const char* opcode_name(TrainOpcode op);  // "forward", "backward_data", ...
const char* model_name(Model m);          // "generator", "discriminator"
// "forward discriminator[3] fake", "loss generator", "update generator[0]"
std::string describe(const TrainOp& op);

}  // namespace memgan::train
