// What executes a training program's operations for the layer engine (models/layer_engine):
// the network's layers, and per operation the work it did (array, converter and write events,
// digital-unit operations, bytes), from which the chip's blocks take time and energy.
//   GanTrainer      train.mode analog / digital: the numerics run, counts are what they did
//   TimingExecutor  train.mode timing: no numerics, counts from the closed forms of core/mapping
#pragma once

#include <cstdint>
#include <iosfwd>
#include <vector>

#include "core/mapping/network.h"
#include "core/nn/mvm_engine.h"
#include "core/train/train_ops.h"

namespace memgan::train {

// What one operation did; the engine turns it into time and energy.
struct OpWork {
  nn::MvmCounts arrays;         // array, converter and write events (MVM engine counts)
  int64_t parallel_arrays = 0;  // arrays of the layer working in parallel (0: none)
  int64_t digital_ops = 0;      // element-wise FP32 operations of the digital unit
  int64_t digital_macs = 0;     // FP32 multiply-accumulates of the digital unit
  int64_t dram_bytes = 0;       // bytes fetched from DRAM (real batch)
  int64_t noise_samples = 0;    // latent samples drawn from the noise source
};

// The length of the generator's latent vector: its input is [n], or [n, 1, 1] as a DCGAN's first
// transposed convolution takes it. Throws std::invalid_argument for any other shape.
int latent_length(const mapping::ModelSpec& generator);

class OpExecutor {
 public:
  virtual ~OpExecutor() = default;
  // Executes one operation. Throws std::invalid_argument for an operation naming a layer or
  // model that does not exist, std::logic_error for one issued out of order.
  virtual OpWork execute(const TrainOp& op) = 0;
  virtual int layer_count(Model m) const = 0;
  virtual const mapping::LayerSpec& layer_spec(Model m, int layer) const = 0;
  virtual bool on_arrays(Model m, int layer) const = 0;       // linear / conv
  virtual int64_t weight_count(Model m, int layer) const = 0;  // weights on arrays (0: none)
  virtual int64_t steps_done() const = 0;
  virtual const nn::MvmCounts& totals() const = 0;  // all array work so far, the initial load included
  // Where the platform holds the data set (its DRAM): the images the last LOAD_REAL drew, by
  // index, for the platform to fetch and hand over with deliver_real (their 8-bit pixels in
  // that order) before the batch is used. Empty: the executor needs no data (timing) or keeps
  // its own.
  virtual const std::vector<int>& real_indices() const {
    static const std::vector<int> none;
    return none;
  }
  virtual void deliver_real(const uint8_t* /*pixels*/, int64_t /*bytes*/) {}
  // The whole state a checkpoint holds; load needs an executor built with the same network and
  // settings and throws std::runtime_error naming what differs.
  virtual void save(std::ostream& out) const = 0;
  virtual void load(std::istream& in) = 0;
};

}  // namespace memgan::train
