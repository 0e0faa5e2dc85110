// The training program compiler: turns a GAN network and a schedule into the controller
// program that drives the layer engine, one TrainOp (core/train/train_ops.h) per engine
// command. Each operation is WRITE32 CMD <- op, POLL32 STATUS until done, then (when the
// engine has an error mask) EXPECT32 STATUS & error mask == 0, so a failing operation stops
// the program at its own command.
//
// One training step (DCGAN with the non-saturating loss, in PyTorch-DCGAN order; G = the
// generator, D = the discriminator, layers numbered by their index in the model):
//   D step: LATENT; G forward; LOAD_REAL; D forward real; LOSS 0; D backward;
//           D forward fake; LOSS 1; D backward; UPDATE of every D layer with parameters
//   G step: D forward fake; LOSS 2; D backward-data down to layer 0; G backward;
//           UPDATE of every G layer with parameters; STEP_END
// where a backward pass visits the layers from the last to the first: BACKWARD_WEIGHT for a
// layer on crossbars, then BACKWARD_DATA unless it is the model's first layer (a first-layer
// batch norm still runs it, for its parameter gradients).
//
// The schedule is laid out in LOOPs over one copy of the step, with EVAL after every
// `eval_every` steps counted from step 0 (a resumed run's first block runs to the next
// multiple) and at the end, CHECKPOINT after the EVALs at multiples of `checkpoint_every` and
// at the end.
#pragma once

#include <cstdint>
#include <vector>

#include "core/mapping/network.h"
#include "spec/isa/program_image.h"

namespace memgan::firmware {

struct LayerEngineRegs {
  uint32_t cmd;                // CMD: write one TrainOp word to start it
  uint32_t status;             // STATUS
  uint32_t status_done_mask;   // the operation is done when (STATUS & mask) == value
  uint32_t status_done_value;
  uint32_t status_error_mask;  // after done, these bits must be clear (0: not checked)
};

struct TrainSchedule {
  int64_t first_step = 0;     // steps already done (a resumed run)
  int64_t steps = 100;        // steps to run
  int eval_every = 50;
  int checkpoint_every = 0;   // a multiple of eval_every; 0: only at the end
  bool eval_at_start = true;  // EVAL before the first step (first_step 0 only)
};

struct TrainProgram {
  std::vector<uint8_t> image;
  int64_t commands_per_step = 0;  // commands of one step's copy (one run of the step)
  std::vector<Command> commands;  // the image's commands
};

// Throws std::invalid_argument for a bad schedule (steps < 1 or above 2^32 - 1, eval_every
// < 1, checkpoint_every not a multiple of eval_every, first_step < 0), unaligned registers,
// or a network without non-empty generator and discriminator models of fewer than 65536
// layers.
TrainProgram compile_training(const mapping::Network& net, const TrainSchedule& schedule,
                              const LayerEngineRegs& regs);

}  // namespace memgan::firmware
