// When a training operation's inputs are ready: the data dependencies of a GAN step, for a
// platform that issues operations as soon as their data is there instead of one after another.
//
// Every operation reads and writes named values; each value holds the time (ps) its last writer
// finished. An operation may start once everything it reads is written:
//   LATENT            -> latent                   LOAD_REAL       -> real batch
//   FORWARD m l slot  reads m's input (latent; real batch or the generator's output for the
//                     discriminator) or layer l-1's output of the same slot, and layer l's weights
//                     (its last UPDATE); writes layer l's output of that slot
//   LOSS kind         reads the discriminator's last output (real slot for D(real), else fake);
//                     writes the gradient at its last layer
//   BACKWARD_DATA m l reads the gradient at layer l's output (the generator's last layer: the
//                     discriminator's input gradient); writes the gradient at layer l-1's output
//                     (layer 0: at m's input)
//   BACKWARD_WEIGHT   reads the same gradient; writes layer l's weight gradient
//   UPDATE m l        reads layer l's weight gradient and (batch norm) its backward-data;
//                     writes layer l's weights
//   STEP_END, EVAL, CHECKPOINT: barriers, after everything issued so far.
// Backward-weight and backward-data of a layer, the discriminator's real pass and the
// generator's forward, and the updates of different layers are thus free to overlap; the
// blocks they share (tiles, digital unit, bus, DRAM) still serialise them. Values are
// overwritten in program order (the trainer computes in that order), so write-after-read
// hazards are not tracked: a later writer never delays a reader issued before it.
// Pure C++: unit-tested on its own.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "core/train/train_ops.h"

namespace memgan::train {

class OpReadiness {
 public:
  OpReadiness(int generator_layers, int discriminator_layers);

  uint64_t ready(const TrainOp& op) const;       // earliest start, ps
  void done(const TrainOp& op, uint64_t end_ps);  // what it wrote is there at end_ps
  uint64_t last_end() const { return last_end_; }  // of everything done so far

 private:
  struct ModelValues {
    std::array<std::vector<uint64_t>, 2> out;  // per slot (generator: 0), per layer
    std::vector<uint64_t> grad;                // gradient at layer l's output
    std::vector<uint64_t> wgrad, bd, weights;  // per layer
    uint64_t input_grad = 0;
  };
  const ModelValues& values(Model m) const { return m == Model::Generator ? g_ : d_; }
  ModelValues& values(Model m) { return m == Model::Generator ? g_ : d_; }

  ModelValues g_, d_;
  uint64_t latent_ = 0, real_ = 0, last_end_ = 0;
};

}  // namespace memgan::train
