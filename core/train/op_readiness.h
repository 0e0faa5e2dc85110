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
//
// Pipelining across the batch (micro_batches > 1): the operations along the batch (LATENT,
// LOAD_REAL, FORWARD, LOSS, BACKWARD_DATA, BACKWARD_WEIGHT) run as `micro_batches` parts, part p
// on samples [p B / M, (p + 1) B / M), and the per-sample values (activations, gradients, the
// latent and real batches) are ready part by part: layer l + 1's part p starts when layer l's
// part p is done, so consecutive layers on different tiles work at once. A batch-coupled layer
// (batch norm: its statistics are over the whole batch) waits for every part of its input.
// A weight gradient is complete with its last part; UPDATE and the barriers are one part.
// Pure C++: unit-tested on its own.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "core/train/train_ops.h"

namespace memgan::train {

class OpReadiness {
 public:
  // batch_coupled_*: per layer of each model, whether it needs the whole batch (empty: none).
  // Throws std::invalid_argument for a model without layers, micro_batches < 1 or a coupling
  // list whose length is not the model's layer count.
  OpReadiness(int generator_layers, int discriminator_layers, int micro_batches = 1,
              std::vector<bool> batch_coupled_generator = {}, std::vector<bool> batch_coupled_discriminator = {});

  int micro_batches() const { return parts_; }
  // How many parts `op` runs as: micro_batches along the batch, else 1.
  int parts(const TrainOp& op) const;
  uint64_t ready(const TrainOp& op, int part = 0) const;       // earliest start of that part, ps
  void done(const TrainOp& op, int part, uint64_t end_ps);     // what that part wrote is there
  void done(const TrainOp& op, uint64_t end_ps) { done(op, 0, end_ps); }  // a one-part operation
  uint64_t last_end() const { return last_end_; }  // of everything done so far

 private:
  using Parts = std::vector<uint64_t>;  // one ready time per micro-batch
  struct ModelValues {
    std::array<std::vector<Parts>, 2> out;  // per slot (generator: 0), per layer
    std::vector<Parts> grad;                // gradient at layer l's output
    std::vector<uint64_t> wgrad, bd, weights;  // per layer: whole-batch values
    Parts input_grad;
    std::vector<bool> coupled;
  };
  const ModelValues& values(Model m) const { return m == Model::Generator ? g_ : d_; }
  ModelValues& values(Model m) { return m == Model::Generator ? g_ : d_; }
  // Part `part` of a per-sample value as a reader of `layer` of `m` sees it: a batch-coupled
  // layer waits for all of them.
  uint64_t read(const Parts& v, const ModelValues& m, size_t layer, int part) const;
  void shape(ModelValues& v, int layers, std::vector<bool> coupled) const;

  int parts_ = 1;
  ModelValues g_, d_;
  Parts latent_, real_;
  uint64_t last_end_ = 0;
};

}  // namespace memgan::train
