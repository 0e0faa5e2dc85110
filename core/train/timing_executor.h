// train.mode: timing — the training program's operations with no numerics at all. Each
// operation's work (array reads, conversions, shift-and-add, digital-unit operations, bytes)
// comes from the closed forms of core/mapping/cost.h and the element-wise operation counts the
// trainer uses, so the chip's blocks (tiles, digital unit, bus, DRAM) time and book exactly
// what an analog run of the same network would, without computing a number. For design-space
// sweeps over chip configurations.
//
// What depends on data is estimated, and named so:
//   - programming pulses of a weight update: `pulses_per_weight` per stored weight (1 for the
//     Manhattan rule, where every weight with a non-zero gradient gets one pulse; for Adam the
//     learning rate over the weight step of one pulse, the step Adam takes when |m|/sqrt(v) = 1,
//     exactly so on the first step); each pulse costs `pulse_pj` (a mid-range cell);
//   - array read energy: left to the tile's closed form (array_energy_pj = 0);
//   - inputs counted non-zero: every value (ReLU zeros are not known), ADC saturations: none.
// Losses, samples and quality scores do not exist in this mode.
#pragma once

#include <cstdint>
#include <vector>

#include "core/mapping/cost.h"
#include "core/mapping/dataflow.h"
#include "core/mapping/network.h"
#include "core/train/op_executor.h"
#include "core/xbar/crossbar_array.h"

namespace memgan::train {

struct TimingSettings {
  mapping::Dataflow dataflow = mapping::Dataflow::ZeroFree;
  int batch = 64;
  nn::ArrayShape arrays;  // logical array geometry (mapping::array_shape)
  bool adam = true;       // the optimizer's digital work: 10 FP32 ops per parameter, else 1
  bool manhattan = false;  // weight updates by sign (no digital delta for the weights)
  double pulses_per_weight[2] = {1.0, 1.0};  // per model (generator, discriminator)
  double pulse_pj = 0;     // energy of one programming pulse
};

// Adam's expected pulses per weight and update: its step lr (|m_hat| / sqrt(v_hat) = 1, exactly
// so on the first step) over the weight step of one pulse on these arrays with weights mapped to
// [-weight_range, weight_range] (nn::CrossbarEngine::weight_step), at most a full-range sweep.
double adam_pulses_per_weight(double lr, double weight_range, const xbar::ArrayGeometry& geometry,
                              const xbar::ConverterParams& converters, const xbar::DeviceParams& device);

class TimingExecutor : public OpExecutor {
 public:
  // Throws std::invalid_argument for a network the trainer would refuse the same way (no latent
  // vector input, generator and discriminator sizes that differ, batch < 1).
  TimingExecutor(const mapping::Network& net, const TimingSettings& settings);

  OpWork execute(const TrainOp& op) override;
  int layer_count(Model m) const override;
  const mapping::LayerSpec& layer_spec(Model m, int layer) const override;
  bool on_arrays(Model m, int layer) const override;
  int64_t weight_count(Model m, int layer) const override;
  int64_t steps_done() const override { return steps_; }
  const nn::MvmCounts& totals() const override { return totals_; }
  void save(std::ostream& out) const override;
  void load(std::istream& in) override;

 private:
  struct Layer {
    mapping::LayerSpec spec;
    mapping::LayerCost cost;  // crossbar layers only
    int64_t weights = 0, biases = 0, in_size = 0, out_size = 0;  // per batch for the sizes
  };
  const Layer& layer(Model m, int i) const;

  TimingSettings s_;
  std::vector<Layer> layers_[2];
  int64_t latent_ = 0, image_size_ = 0, logits_ = 0;
  int64_t steps_ = 0;
  nn::MvmCounts totals_;
};

}  // namespace memgan::train
